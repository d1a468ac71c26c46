package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"acuerdo"
)

// Outbox states.
const (
	OutboxPending = "pending" // waiting to be sent
	OutboxSending = "sending" // handed to the provider; outcome not yet recorded
	OutboxSent    = "sent"
	OutboxFailed  = "failed" // permanently
	OutboxHeld    = "held"   // policy does not allow it now; see last_error
)

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// OutboxItem is one claimed outbound message.
type OutboxItem struct {
	ID             int64
	MessageID      int64
	ConversationID int64
	Recipient      string
	Channel        string
	Body           string
	Template       string
	Variables      map[string]string
	Business       bool
	Attempts       int
	SendingAt      *time.Time
	CreatedAt      time.Time
}

// ClaimOutbox leases up to n due messages, only the oldest unsent one of each
// conversation, so a conversation's messages go out in order.
func (db *DB) ClaimOutbox(ctx context.Context, n int, lease time.Duration) ([]OutboxItem, error) {
	now := db.now()
	// As in ClaimTurns: an idle poll only reads.
	var one int
	err := db.read.QueryRowContext(ctx, `SELECT 1 FROM outbox WHERE state = ? AND not_before <= ? AND (lease_until IS NULL OR lease_until < ?) LIMIT 1`,
		OutboxPending, now, now).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []OutboxItem
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT o.id, o.message_id, o.conversation_id, o.recipient, o.channel, o.body, o.template, o.variables, o.business, o.attempts, o.sending_at, o.created_at
			FROM outbox o
			WHERE o.state = ? AND o.not_before <= ? AND (o.lease_until IS NULL OR o.lease_until < ?)
			  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.conversation_id = o.conversation_id AND p.id < o.id AND p.state IN (?, ?))
			ORDER BY o.not_before, o.id LIMIT ? FOR UPDATE OF o SKIP LOCKED`, OutboxPending, now, now, OutboxPending, OutboxSending, n)
		if err != nil {
			return err
		}
		for rows.Next() {
			var it OutboxItem
			var vars string
			var sending, created scanTime
			if err := rows.Scan(&it.ID, &it.MessageID, &it.ConversationID, &it.Recipient, &it.Channel, &it.Body, &it.Template, &vars, &it.Business, &it.Attempts, &sending, &created); err != nil {
				rows.Close()
				return err
			}
			it.SendingAt, it.CreatedAt = sending.ptr(), created.Time
			if vars != "" {
				_ = json.Unmarshal([]byte(vars), &it.Variables)
			}
			out = append(out, it)
		}
		rows.Close()
		if len(out) == 0 {
			return nil
		}
		ids := make([]int64, len(out))
		for i, it := range out {
			ids[i] = it.ID
		}
		in, args := inList(ids, now.Add(lease))
		_, err = tx.ExecContext(ctx, `UPDATE outbox SET lease_until = ?, attempts = attempts + 1 WHERE id IN `+in, args...)
		return err
	})
	return out, err
}

// inList returns the list "(?, …)" of the ids, for "id IN …", and the
// arguments: lead, then the ids. The list is padded to a power of two by
// repeating the last id (which changes no IN), so batches of any size run one
// of six statements, which stay prepared (stmtcache.go), not one per size.
func inList(ids []int64, lead ...any) (string, []any) {
	n := padded(len(ids))
	args := append(make([]any, 0, len(lead)+n), lead...)
	for i := 0; i < n; i++ {
		args = append(args, ids[min(i, len(ids)-1)])
	}
	return "(?" + strings.Repeat(", ?", n-1) + ")", args
}

// caseOf returns "CASE id WHEN ? THEN ? … END", choosing for each id its
// value, and appends its arguments to args. Like inList it pads the pairs to
// a power of two by repeating the last (the first WHEN that matches wins).
func caseOf(ids []int64, vals []any, args []any) (string, []any) {
	return caseOfAs(ids, vals, args, "?")
}

// caseOfAs is caseOf with then as each value's placeholder (chosenTime).
func caseOfAs(ids []int64, vals []any, args []any, then string) (string, []any) {
	n := padded(len(ids))
	for i := 0; i < n; i++ {
		j := min(i, len(ids)-1)
		args = append(args, ids[j], vals[j])
	}
	return "CASE id" + strings.Repeat(" WHEN ? THEN "+then, n) + " END", args
}

// padded is the least power of two >= n (n >= 1).
func padded(n int) int {
	p := 1
	for p < n {
		p *= 2
	}
	return p
}

// MarkSending records, before the provider is called, that the message may be
// sent from now on. After a crash, such a row is reconciled, never blindly resent.
// sent is the text the debtor will read (a template's, when one replaces the
// free text): reconciliation looks for it, and the conversation shows it.
func (db *DB) MarkSending(ctx context.Context, it OutboxItem, sent string) error {
	return db.MarkSendingAll(ctx, []Sending{{it, sent}})
}

// Sending is a message about to be handed to its provider, with the text the
// debtor will read ("" or its body when it goes as queued).
type Sending struct {
	Item OutboxItem
	Text string
}

// MarkSendingAll is MarkSending for several messages in one transaction: a
// sender that claimed a batch records it with one commit, not one a message.
func (db *DB) MarkSendingAll(ctx context.Context, ss []Sending) error {
	if len(ss) == 0 {
		return nil
	}
	now := db.now()
	ids := make([]int64, len(ss))
	// The messages whose text changed (a template instead of the free text):
	// their outbox and message rows get the text the debtor will read.
	var changed, msgIDs []int64
	var texts []any
	for i, s := range ss {
		ids[i] = s.Item.ID
		if s.Text != "" && s.Text != s.Item.Body {
			changed, msgIDs, texts = append(changed, s.Item.ID), append(msgIDs, s.Item.MessageID), append(texts, s.Text)
		}
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		in, args := inList(ids, OutboxSending, now)
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = ?, sending_at = ? WHERE id IN `+in, args...); err != nil {
			return err
		}
		if len(changed) == 0 {
			return nil
		}
		body, args := caseOf(changed, texts, nil)
		in, args = inList(changed, args...)
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET body = `+body+` WHERE id IN `+in, args...); err != nil {
			return err
		}
		body, args = caseOf(msgIDs, texts, nil)
		in, args = inList(msgIDs, args...)
		_, err := tx.ExecContext(ctx, `UPDATE messages SET body = `+body+` WHERE id IN `+in, args...)
		return err
	})
}

// MarkSent records the provider's acceptance, then applies any status callback
// that arrived before it. It returns the error code such an early callback
// carried (the last non-empty one), so the caller can act on it as it would
// on a callback that came in order: a number that cannot be reached.
func (db *DB) MarkSent(ctx context.Context, it OutboxItem, providerID, status, templateID string, rank func(string) int) (string, error) {
	codes, err := db.MarkSentAll(ctx, []Accepted{{Item: it, ProviderID: providerID, Status: status, TemplateID: templateID}}, rank)
	if err != nil {
		return "", err
	}
	return codes[0], nil
}

// Accepted is a provider's acceptance of a message: its id there, the status
// it gave, and the template's content id if one went instead of free text.
type Accepted struct {
	Item                           OutboxItem
	ProviderID, Status, TemplateID string
}

// MarkSentAll is MarkSent for several messages, their acceptances written in
// one transaction; it returns each one's early error code, in order. A failed
// transaction wrote none of them; an error applying early callbacks comes
// after all were written.
func (db *DB) MarkSentAll(ctx context.Context, as []Accepted, rank func(string) int) ([]string, error) {
	if len(as) == 0 {
		return nil, nil
	}
	ids, msgIDs := make([]int64, len(as)), make([]int64, len(as))
	pids, msgPIDs, tmpls, statuses := make([]any, len(as)), make([]any, len(as)), make([]any, len(as)), make([]any, len(as))
	for i, a := range as {
		ids[i], msgIDs[i] = a.Item.ID, a.Item.MessageID
		pids[i], msgPIDs[i], tmpls[i], statuses[i] = a.ProviderID, nullString(a.ProviderID), a.TemplateID, a.Status
		if a.Status == "" {
			statuses[i] = acuerdo.MessageQueued
		}
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		pid, args := caseOf(ids, pids, []any{OutboxSent})
		in, args := inList(ids, args...)
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = ?, provider_id = `+pid+`, lease_until = NULL, last_error = '' WHERE id IN `+in, args...); err != nil {
			return err
		}
		// A status callback may have beaten this write: those kept as early
		// are applied below, after the commit.
		pid, args = caseOf(msgIDs, msgPIDs, nil)
		tmpl, args := caseOf(msgIDs, tmpls, args)
		status, args := caseOf(msgIDs, statuses, args)
		in, args = inList(msgIDs, args...)
		_, err := tx.ExecContext(ctx, `UPDATE messages SET provider_id = `+pid+`, template_id = `+tmpl+`, status = `+status+` WHERE id IN `+in, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return db.applyEarlyAll(ctx, as, rank)
}

// applyEarlyAll is applyEarly for the acceptances MarkSentAll wrote, with one
// read of early_statuses for all of them (most have none): it returns each
// one's early error code, in order.
func (db *DB) applyEarlyAll(ctx context.Context, as []Accepted, rank func(string) int) ([]string, error) {
	codes := make([]string, len(as))
	var pids []any
	for _, a := range as {
		if a.ProviderID != "" {
			pids = append(pids, a.ProviderID)
		}
	}
	if len(pids) == 0 {
		return codes, nil
	}
	n := padded(len(pids))
	for len(pids) < n {
		pids = append(pids, pids[len(pids)-1])
	}
	have := map[string]bool{}
	err := scanRows(ctx, db.write, func(r *sql.Rows) error {
		var pid string
		if err := r.Scan(&pid); err != nil {
			return err
		}
		have[pid] = true
		return nil
	}, `SELECT DISTINCT provider_id FROM early_statuses WHERE provider_id IN (?`+strings.Repeat(", ?", n-1)+`)`, pids...)
	if err != nil {
		return codes, err
	}
	for i, a := range as {
		if !have[a.ProviderID] {
			continue
		}
		if codes[i], err = db.applyEarly(ctx, a.ProviderID, rank); err != nil {
			return codes, err
		}
	}
	return codes, nil
}

// applyEarly applies and forgets the status callbacks kept for providerID
// before its message carried that id, and returns the last error code they
// carried. Both MarkSent (after writing the id) and ApplyStatus (after
// keeping a callback it could not place) call it once their own transaction
// has committed: whichever of the two commits last then sees the other's
// row, so on PostgreSQL, where they run side by side on different replicas,
// an early callback is never stranded. Applying one twice is harmless: a
// status never goes back.
func (db *DB) applyEarly(ctx context.Context, providerID string, rank func(string) int) (string, error) {
	rows, err := db.write.QueryContext(ctx, `SELECT status, error_code FROM early_statuses WHERE provider_id = ?`, providerID)
	if err != nil {
		return "", err
	}
	type early struct{ status, code string }
	var es []early
	for rows.Next() {
		var e early
		if err := rows.Scan(&e.status, &e.code); err != nil {
			rows.Close()
			return "", err
		}
		es = append(es, e)
	}
	rows.Close()
	code := ""
	for _, e := range es {
		if _, err := db.applyStatus(ctx, providerID, e.status, e.code, rank); err != nil {
			return "", err
		}
		if e.code != "" {
			code = e.code
		}
	}
	if len(es) > 0 {
		_, err = db.write.ExecContext(ctx, `DELETE FROM early_statuses WHERE provider_id = ?`, providerID)
	}
	return code, err
}

// SendUnknown records a send whose outcome is unknown (the provider may have
// accepted it): the row stays "sending", out of the queue, until reconcile
// asks the provider (after StaleSend) and either marks it sent or queues it
// again. It is never resent on a guess.
func (db *DB) SendUnknown(ctx context.Context, it OutboxItem, reason string) error {
	_, err := db.write.ExecContext(ctx, `UPDATE outbox SET lease_until = NULL, last_error = ? WHERE id = ? AND state = ?`, "outcome unknown: "+reason, it.ID, OutboxSending)
	return err
}

// Retry puts a message back for another attempt at notBefore.
func (db *DB) Retry(ctx context.Context, id int64, notBefore time.Time, reason string) error {
	_, err := db.write.ExecContext(ctx, `UPDATE outbox SET state = ?, not_before = ?, lease_until = NULL, last_error = ? WHERE id = ?`, OutboxPending, notBefore.UTC(), reason, id)
	return err
}

// RetryAt is a message to put back for another attempt at NotBefore.
type RetryAt struct {
	ID        int64
	NotBefore time.Time
	Reason    string
}

// RetryAll is Retry for several messages, in one statement: the round's
// messages the per-debtor gap holds back.
func (db *DB) RetryAll(ctx context.Context, rs []RetryAt) error {
	if len(rs) == 0 {
		return nil
	}
	ids, nbs, reasons := make([]int64, len(rs)), make([]any, len(rs)), make([]any, len(rs))
	for i, r := range rs {
		ids[i], nbs[i], reasons[i] = r.ID, r.NotBefore.UTC(), r.Reason
	}
	nb, args := caseOfAs(ids, nbs, []any{OutboxPending}, db.chosenTime())
	reason, args := caseOf(ids, reasons, args)
	in, args := inList(ids, args...)
	_, err := db.write.ExecContext(ctx, `UPDATE outbox SET state = ?, not_before = `+nb+`, lease_until = NULL, last_error = `+reason+` WHERE id IN `+in, args...)
	return err
}

// Held is a message policy keeps unsent now: why, until when (zero: until
// someone, a new inbound message or an operator, changes the situation) and
// the audit lines that explain it.
type Held struct {
	Item   OutboxItem
	Reason string
	Until  time.Time
	Audit  []acuerdo.AuditEntry
}

// HoldAll keeps the messages a round holds unsent, in one transaction: those
// held until a time go back to the queue for then.
func (db *DB) HoldAll(ctx context.Context, hs []Held) error {
	if len(hs) == 0 {
		return nil
	}
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		for _, h := range hs {
			state, nb := OutboxHeld, now
			if !h.Until.IsZero() {
				state, nb = OutboxPending, h.Until // retried when the window opens
			}
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = ?, not_before = ?, lease_until = NULL, last_error = ? WHERE id = ?`, state, nb.UTC(), h.Reason, h.Item.ID); err != nil {
				return err
			}
			if err := appendAll(ctx, tx, h.Audit, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// Fail records a permanent failure.
func (db *DB) Fail(ctx context.Context, it OutboxItem, code, reason string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = ?, lease_until = NULL, last_error = ? WHERE id = ?`, OutboxFailed, reason, it.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE messages SET status = ?, error_code = ? WHERE id = ?`, acuerdo.MessageFailed, code, it.MessageID)
		return err
	})
}

// Sending returns the rows left in the sending state since before the given
// time: sends whose outcome a crash (of this or another replica) hid.
func (db *DB) Sending(ctx context.Context, before time.Time) ([]OutboxItem, error) {
	rows, err := db.write.QueryContext(ctx, `SELECT id, message_id, conversation_id, recipient, channel, body, template, sending_at, created_at
		FROM outbox WHERE state = ? AND sending_at < ?`, OutboxSending, before.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		var it OutboxItem
		var sending, created scanTime
		if err := rows.Scan(&it.ID, &it.MessageID, &it.ConversationID, &it.Recipient, &it.Channel, &it.Body, &it.Template, &sending, &created); err != nil {
			return nil, err
		}
		it.SendingAt, it.CreatedAt = sending.ptr(), created.Time
		out = append(out, it)
	}
	return out, rows.Err()
}

// OutboxDepth counts messages waiting to be sent, for metrics.
func (db *DB) OutboxDepth(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE state IN (?, ?)`, OutboxPending, OutboxSending).Scan(&n)
	return n, err
}

// SendFacts are what the sender decides a message on, beside the message:
// its conversation, the conversation's debtor and when its last message went.
type SendFacts struct {
	Conversation acuerdo.Conversation
	// Debtor is the conversation's debtor; its ID is 0 when the conversation
	// has none, or when the debtor it names is missing.
	Debtor acuerdo.Debtor
	// LastSentAt is when the conversation's last message was handed to its
	// provider (sent or sending), or zero; read only when asked for.
	LastSentAt time.Time
}

// SendFacts reads the facts of the conversations of a round of messages, in
// two queries whatever their number: the conversations (and, if lastSent, when
// each one's last message went), then their debtors. A conversation that does
// not exist is missing from the map.
func (db *DB) SendFacts(ctx context.Context, conversationIDs []int64, lastSent bool) (map[int64]SendFacts, error) {
	out := make(map[int64]SendFacts, len(conversationIDs))
	if len(conversationIDs) == 0 {
		return out, nil
	}
	cols := convCols
	var args []any
	if lastSent {
		// A conversation's messages are sent in id order, so its latest sent is
		// the one with the highest id; MAX(sending_at) instead lets the planner
		// scan every sent message of every conversation.
		cols += `, (SELECT o.sending_at FROM outbox o WHERE o.conversation_id = conversations.id AND o.state IN (?, ?) ORDER BY o.id DESC LIMIT 1)`
		args = []any{OutboxSent, OutboxSending}
	}
	in, args := inList(conversationIDs, args...)
	var debtors []int64
	err := scanRows(ctx, db.read, func(r *sql.Rows) error {
		var f SendFacts
		var err error
		if lastSent {
			var last scanTime
			f.Conversation, err = scanConversation(appendScan{r, &last})
			f.LastSentAt = last.Time
		} else {
			f.Conversation, err = scanConversation(r)
		}
		if err != nil {
			return err
		}
		out[f.Conversation.ID] = f
		if f.Conversation.DebtorID != 0 {
			debtors = append(debtors, f.Conversation.DebtorID)
		}
		return nil
	}, `SELECT `+cols+` FROM conversations WHERE id IN `+in, args...)
	if err != nil || len(debtors) == 0 {
		return out, err
	}
	byID := make(map[int64]acuerdo.Debtor, len(debtors))
	in, args = inList(debtors)
	err = scanRows(ctx, db.read, func(r *sql.Rows) error {
		d, err := scanDebtor(r)
		byID[d.ID] = d
		return err
	}, `SELECT `+debtorCols+` FROM debtors WHERE id IN `+in, args...)
	for id, f := range out {
		if d, ok := byID[f.Conversation.DebtorID]; ok {
			f.Debtor = d
			out[id] = f
		}
	}
	return out, err
}

// appendScan scans a row into the destinations its caller gives, then extra:
// a row with columns after those a scan function knows.
type appendScan struct {
	r     interface{ Scan(...any) error }
	extra any
}

func (a appendScan) Scan(dest ...any) error { return a.r.Scan(append(dest, a.extra)...) }

// BusinessSends returns, for each conversation, when business-initiated
// messages went to it since t, for the frequency caps: one query for all.
func (db *DB) BusinessSends(ctx context.Context, conversationIDs []int64, since time.Time) (map[int64][]time.Time, error) {
	out := map[int64][]time.Time{}
	if len(conversationIDs) == 0 {
		return out, nil
	}
	in, args := inList(conversationIDs, OutboxSent, since.UTC())
	err := scanRows(ctx, db.read, func(r *sql.Rows) error {
		var id int64
		var t scanTime
		if err := r.Scan(&id, &t); err != nil {
			return err
		}
		out[id] = append(out[id], t.Time)
		return nil
	}, `SELECT conversation_id, sending_at FROM outbox WHERE business = TRUE AND state = ? AND sending_at >= ? AND conversation_id IN `+in, args...)
	return out, err
}

// CollectionsConsents returns each debtor's consents of the collections scope
// (at most one a channel), with one query for all.
func (db *DB) CollectionsConsents(ctx context.Context, debtorIDs []int64) (map[int64][]acuerdo.Consent, error) {
	out := map[int64][]acuerdo.Consent{}
	if len(debtorIDs) == 0 {
		return out, nil
	}
	in, args := inList(debtorIDs)
	err := scanRows(ctx, db.read, func(r *sql.Rows) error {
		var c acuerdo.Consent
		if err := r.Scan(&c.DebtorID, &c.Channel, &c.Source, &c.Scope, &c.GrantedAt, &c.RevokedAt); err != nil {
			return err
		}
		out[c.DebtorID] = append(out[c.DebtorID], c)
		return nil
	}, `SELECT debtor_id, channel, source, scope, granted_at, revoked_at FROM consents WHERE scope = 'collections' AND debtor_id IN `+in, args...)
	return out, err
}

// ApplyStatus moves a message through queued → sent → delivered → read, or to
// failed/undelivered, from a provider's status callback. Callbacks arrive in any
// order and any number of times; rank says which state is further, and a state
// never goes back. A status rank does not know (0) is kept in unranked_status. It returns false when no message has that provider id.
func (db *DB) ApplyStatus(ctx context.Context, providerID, status, errorCode string, rank func(string) int) (bool, error) {
	found, err := db.applyStatus(ctx, providerID, status, errorCode, rank)
	if err != nil || found {
		return found, err
	}
	// Kept as early: if MarkSent wrote the provider id meanwhile and already
	// looked for early callbacks, nobody else will apply this one.
	var id int64
	switch err := db.write.QueryRowContext(ctx, `SELECT id FROM messages WHERE provider_id = ?`, providerID).Scan(&id); {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("status %s: %w", providerID, err)
	}
	_, err = db.applyEarly(ctx, providerID, rank)
	return true, err
}

// applyStatus is ApplyStatus's transaction: it applies the status to the
// message with providerID, or keeps it as early when there is none yet.
func (db *DB) applyStatus(ctx context.Context, providerID, status, errorCode string, rank func(string) int) (bool, error) {
	var found bool
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT id, status FROM messages WHERE provider_id = ? FOR UPDATE`, providerID).Scan(&id, &cur)
		if errors.Is(err, sql.ErrNoRows) {
			// Keep it for MarkSent: the send's answer has not been written yet.
			_, err = tx.ExecContext(ctx, `INSERT INTO early_statuses (provider_id, status, error_code, received_at) VALUES (?,?,?,?)`, providerID, status, errorCode, db.now())
			return err
		} else if err != nil {
			return err
		}
		found = true
		if rank(status) == 0 {
			// A status no ranking knows cannot move the message along its
			// life, but it is what the provider said: keep it.
			_, err = tx.ExecContext(ctx, `UPDATE messages SET unranked_status = ?, error_code = CASE WHEN ? <> '' THEN ? ELSE error_code END WHERE id = ?`, status, errorCode, errorCode, id)
			return err
		}
		if rank(status) <= rank(cur) {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE messages SET status = ?, error_code = CASE WHEN ? <> '' THEN ? ELSE error_code END WHERE id = ?`, status, errorCode, errorCode, id)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("status %s: %w", providerID, err)
	}
	return found, nil
}

// MessageStatus returns a message's status and error code by provider id.
func (db *DB) MessageStatus(ctx context.Context, providerID string) (string, string, error) {
	var s, code string
	err := db.read.QueryRowContext(ctx, `SELECT status, error_code FROM messages WHERE provider_id = ?`, providerID).Scan(&s, &code)
	return s, code, notFound(err, "no message with provider id %s", providerID)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
