package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"acuerdo"
)

const convCols = `id, COALESCE(debtor_id, 0), phone, channel, locale, state, verified, verified_at, failed_verifications, paused, opted_out, last_inbound_at, created_at, updated_at, third_party_at`

func scanConversation(row interface{ Scan(...any) error }) (acuerdo.Conversation, error) {
	var c acuerdo.Conversation
	err := row.Scan(&c.ID, &c.DebtorID, &c.Phone, &c.Channel, &c.Locale, &c.State, &c.Verified, &c.VerifiedAt, &c.FailedChecks, &c.Paused, &c.OptedOut, &c.LastInboundAt, &c.CreatedAt, &c.UpdatedAt, &c.ThirdPartyAt)
	return c, err
}

// Conversation returns the conversation with phone on channel, creating it (linked
// to the debtor with that phone, if any, and in their language) the first time.
func (db *DB) Conversation(ctx context.Context, channel, phone string) (acuerdo.Conversation, error) {
	c, err := scanConversation(db.read.QueryRowContext(ctx, `SELECT `+convCols+` FROM conversations WHERE channel = ? AND phone = ?`, channel, phone))
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return c, err
	}
	now := db.now()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		c, err = createConversation(ctx, tx, channel, phone, now)
		return err
	})
	if err != nil {
		return c, fmt.Errorf("conversation %s: %w", channel, err)
	}
	return c, nil
}

// createConversation creates the conversation with a phone on a channel,
// linked to the debtor with that phone if any, unless it exists, and returns it.
func createConversation(ctx context.Context, tx *sql.Tx, channel, phone string, now time.Time) (acuerdo.Conversation, error) {
	_, err := tx.ExecContext(ctx, `INSERT INTO conversations (debtor_id, phone, channel, locale, created_at, updated_at)
		SELECT (SELECT id FROM debtors WHERE phone = ?), ?, ?, COALESCE((SELECT locale FROM debtors WHERE phone = ?), ''), ?, ?
		ON CONFLICT (channel, phone) DO NOTHING`, phone, phone, channel, phone, now, now)
	if err != nil {
		return acuerdo.Conversation{}, err
	}
	return scanConversation(tx.QueryRowContext(ctx, `SELECT `+convCols+` FROM conversations WHERE channel = ? AND phone = ?`, channel, phone))
}

// ConversationByID returns a conversation, or ENOTFOUND.
func (db *DB) ConversationByID(ctx context.Context, id int64) (acuerdo.Conversation, error) {
	c, err := scanConversation(db.read.QueryRowContext(ctx, `SELECT `+convCols+` FROM conversations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, acuerdo.Errorf(acuerdo.ENOTFOUND, "no conversation %d", id)
	}
	return c, err
}

// SaveConversation writes the conversation's mutable state: the offline flow's
// step, language, verification and the paused and opted-out flags.
func (db *DB) SaveConversation(ctx context.Context, c acuerdo.Conversation, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE conversations SET locale = ?, state = ?, verified = ?, verified_at = ?, failed_verifications = ?,
			paused = ?, opted_out = ?, last_inbound_at = ?, third_party_at = ?, updated_at = ? WHERE id = ?`,
			c.Locale, c.State, c.Verified, c.VerifiedAt, c.FailedChecks, c.Paused, c.OptedOut, c.LastInboundAt, c.ThirdPartyAt, now, c.ID)
		if err != nil {
			return fmt.Errorf("save conversation %d: %w", c.ID, err)
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// appendAll writes audit lines inside the transaction of the change they explain.
func appendAll(ctx context.Context, tx *sql.Tx, audit []acuerdo.AuditEntry, now time.Time) error {
	for _, e := range audit {
		if err := appendAudit(ctx, tx, e, now); err != nil {
			return err
		}
	}
	return nil
}

// AppendMessages stores messages (inbound, outbound or internal tool records) in
// order and returns them with their ids.
func (db *DB) AppendMessages(ctx context.Context, msgs ...acuerdo.Message) ([]acuerdo.Message, error) {
	now := db.now()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for i := range msgs {
			m := &msgs[i]
			if err := insertMessage(ctx, tx, m, now); err != nil {
				return err
			}
			if m.Direction == acuerdo.Inbound {
				if _, err := tx.ExecContext(ctx, `UPDATE conversations SET last_inbound_at = ?, updated_at = ? WHERE id = ?`, m.CreatedAt.UTC(), now, m.ConversationID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return msgs, err
}

// insertMessage stores m in tx and sets its id (and its time, now, if it has none).
func insertMessage(ctx context.Context, tx *sql.Tx, m *acuerdo.Message, now time.Time) error {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	var pid any
	if m.ProviderID != "" {
		pid = m.ProviderID
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO messages (conversation_id, direction, author, body, provider_id, template_id, status, error_code, created_at)
		VALUES (?,?,?,?,?,?,?,?,?) RETURNING id`,
		m.ConversationID, m.Direction, m.Author, m.Body, pid, m.TemplateID, m.Status, m.ErrorCode, m.CreatedAt.UTC()).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("store message: %w", err)
	}
	return nil
}

// Messages returns the last limit messages of a conversation (all when limit is
// 0), oldest first.
func (db *DB) Messages(ctx context.Context, conversationID int64, limit int) ([]acuerdo.Message, error) {
	q := `SELECT ` + messageCols + ` FROM messages m WHERE m.conversation_id = ? ORDER BY m.id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	out, err := db.queryMessages(ctx, q, conversationID)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// messageCols are the columns queryMessages scans, from messages aliased m.
const messageCols = `m.id, m.conversation_id, m.direction, m.author, m.body, COALESCE(m.provider_id, ''), m.template_id, m.status, m.error_code, m.created_at`

// queryMessages runs a query selecting messageCols and scans its rows.
func (db *DB) queryMessages(ctx context.Context, query string, args ...any) ([]acuerdo.Message, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	defer rows.Close()
	var out []acuerdo.Message
	for rows.Next() {
		var m acuerdo.Message
		if err := rows.Scan(&m.ID, &m.ConversationID, &m.Direction, &m.Author, &m.Body, &m.ProviderID, &m.TemplateID, &m.Status, &m.ErrorCode, &m.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
