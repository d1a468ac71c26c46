package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"acuerdo"
)

// Media is one stored attachment of an inbound message. In the database, data
// is NULL until downloaded and empty when the provider would not give it
// (gone, too large, refused; the audit log says why).
type Media struct {
	ID          int64
	MessageID   int64
	CaseID      int64 // 0 until attached to a case
	URL         string
	ContentType string
	Data        []byte
	Pending     bool // not downloaded yet
	Unavailable bool // could not be downloaded
	CreatedAt   time.Time
}

// PendingMedia returns up to n attachments not downloaded yet, oldest first.
// The rows written with the inbound message are the download queue itself, so
// an attachment acknowledged to the provider is fetched even after a crash.
func (db *DB) PendingMedia(ctx context.Context, n int) ([]Media, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, message_id, COALESCE(case_id, 0), url, content_type, TRUE, created_at
		FROM media WHERE data IS NULL ORDER BY id LIMIT ?`, n)
	if err != nil {
		return nil, fmt.Errorf("pending media: %w", err)
	}
	defer rows.Close()
	var out []Media
	for rows.Next() {
		var m Media
		if err := rows.Scan(&m.ID, &m.MessageID, &m.CaseID, &m.URL, &m.ContentType, &m.Pending, &m.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// SaveMediaData stores a downloaded attachment. The content type the provider
// served replaces the one the webhook announced, when given.
func (db *DB) SaveMediaData(ctx context.Context, id int64, data []byte, contentType string) error {
	if data == nil {
		data = []byte{} // nil would put the row back in the download queue
	}
	_, err := db.write.ExecContext(ctx, `UPDATE media SET data = ?, content_type = CASE WHEN ? <> '' THEN ? ELSE content_type END WHERE id = ?`,
		data, contentType, contentType, id)
	if err != nil {
		return fmt.Errorf("save media %d: %w", id, err)
	}
	return nil
}

// MediaUnavailable records that an attachment cannot be downloaded (the provider
// deleted it, it is too large, the credentials are refused), so it leaves the
// queue; an operator sees an empty file and the reason in the audit log.
func (db *DB) MediaUnavailable(ctx context.Context, m Media, reason string) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE media SET data = ? WHERE id = ? AND data IS NULL`, []byte{}, m.ID); err != nil {
			return fmt.Errorf("media %d: %w", m.ID, err)
		}
		var conv int64
		if err := tx.QueryRowContext(ctx, `SELECT conversation_id FROM messages WHERE id = ?`, m.MessageID).Scan(&conv); err != nil {
			return fmt.Errorf("media %d: %w", m.ID, notFound(err, "no message %d", m.MessageID))
		}
		return appendAudit(ctx, tx, acuerdo.AuditEntry{Time: now, ConversationID: conv, Kind: acuerdo.AuditContact,
			Name: "download_media", Outcome: acuerdo.Failed, Rule: "media_unavailable", Detail: reason}, now)
	})
}

// AttachMediaToCase attaches the conversation's attachments with these URLs to
// a case (a payment report and its receipts). It returns how many were attached.
func (db *DB) AttachMediaToCase(ctx context.Context, caseID int64, urls []string) (int, error) {
	if len(urls) == 0 {
		return 0, nil
	}
	args := []any{caseID, caseID}
	for _, u := range urls {
		args = append(args, u)
	}
	res, err := db.write.ExecContext(ctx, `UPDATE media SET case_id = ?
		WHERE case_id IS NULL AND message_id IN (SELECT m.id FROM messages m JOIN cases c ON c.conversation_id = m.conversation_id WHERE c.id = ?)
		  AND url IN (?`+strings.Repeat(",?", len(urls)-1)+`)`, args...)
	if err != nil {
		return 0, fmt.Errorf("attach media to case %d: %w", caseID, err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		if err := db.completeReports(ctx); err != nil {
			return int(n), err
		}
	}
	return int(n), nil
}

// completeReports moves payment reports that were waiting for their receipt
// (INCOMPLETO) to COMPLETO once a receipt is attached: a person can verify them now.
func (db *DB) completeReports(ctx context.Context) error {
	_, err := db.write.ExecContext(ctx, `UPDATE cases SET state = ?, updated_at = ?
		WHERE state = ? AND reason = ? AND EXISTS (SELECT 1 FROM media WHERE media.case_id = cases.id)`,
		acuerdo.CaseComplete, db.now(), acuerdo.CaseIncomplete, acuerdo.ReasonPaymentReport)
	if err != nil {
		return fmt.Errorf("complete payment reports: %w", err)
	}
	return nil
}

// receiptWindow is how far apart a receipt and its payment report may be: the
// debtor sends the photo first and says "I paid" later, or the other way round.
const receiptWindow = 24 * time.Hour

// AttachReceipts attaches unattached media of messages received since `since`
// to the newest open payment report of the same conversation opened within a
// day of the message. The agent opens the report in the turn that reads the
// receipt or shortly after, so a sweep after each batch of downloads links them
// without the tools having to know about media rows.
func (db *DB) AttachReceipts(ctx context.Context, since time.Time) (int, error) {
	report := `SELECT c.id FROM cases c JOIN messages m ON m.conversation_id = c.conversation_id
		WHERE m.id = media.message_id AND c.reason = ? AND c.state NOT IN (?,?,?,?)
		  AND c.created_at >= m.created_at - ` + db.interval() + ` AND c.created_at <= m.created_at + ` + db.interval() + `
		ORDER BY c.id DESC LIMIT 1`
	sub := []any{acuerdo.ReasonPaymentReport, acuerdo.CaseResolved, acuerdo.CaseBilled, acuerdo.CaseCancelled, acuerdo.CaseNoAnswer,
		db.durationArg(receiptWindow), db.durationArg(receiptWindow)}
	args := append(append(append([]any{}, sub...), since.UTC()), sub...)
	res, err := db.write.ExecContext(ctx, `UPDATE media SET case_id = (`+report+`)
		WHERE case_id IS NULL AND created_at >= ? AND EXISTS (`+report+`)`, args...)
	if err != nil {
		return 0, fmt.Errorf("attach receipts: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		if err := db.completeReports(ctx); err != nil {
			return int(n), err
		}
	}
	return int(n), nil
}

// CaseMedia returns a case's attachments with their data, oldest first.
func (db *DB) CaseMedia(ctx context.Context, caseID int64) ([]Media, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, message_id, COALESCE(case_id, 0), url, content_type, data,
		data IS NULL, data IS NOT NULL AND length(data) = 0, created_at
		FROM media WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("case media: %w", err)
	}
	defer rows.Close()
	var out []Media
	for rows.Next() {
		var m Media
		if err := rows.Scan(&m.ID, &m.MessageID, &m.CaseID, &m.URL, &m.ContentType, &m.Data, &m.Pending, &m.Unavailable, &m.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// AddMedia stores a file that arrived with an inbound message already in
// hand (the demo's receipts); Receive stores the ones a provider announces.
func (db *DB) AddMedia(ctx context.Context, messageID int64, md InboundMedia) (int64, error) {
	if md.Data == nil {
		md.Data = []byte{}
	}
	var id int64
	err := db.write.QueryRowContext(ctx, `INSERT INTO media (message_id, url, content_type, data, created_at) VALUES (?,?,?,?,?) RETURNING id`,
		messageID, md.URL, md.ContentType, md.Data, db.now()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("add media: %w", err)
	}
	return id, nil
}
