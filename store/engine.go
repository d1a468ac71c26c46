package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"acuerdo"
)

// InboundMedia is one file attached to an inbound message.
type InboundMedia struct {
	URL, ContentType string
	// Data, when not nil, is the file itself (the sandbox's uploads): stored
	// at once, with nothing to download.
	Data []byte
}

// Receive stores an inbound message idempotently by its provider id and queues a
// turn for its conversation, in one transaction: once this returns, the message
// survives a crash and will be answered. A message already stored (a webhook
// retried or delivered twice) changes nothing and returns created false.
func (db *DB) Receive(ctx context.Context, channel, phone string, m acuerdo.Message, media []InboundMedia) (convID int64, created bool, err error) {
	now := db.now()
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	// A known conversation is found on the read pool; a first message
	// creates its conversation in the same transaction that stores it.
	conv, err := scanConversation(db.read.QueryRowContext(ctx, `SELECT `+convCols+` FROM conversations WHERE channel = ? AND phone = ?`, channel, phone))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("conversation %s: %w", channel, err)
	}
	known := err == nil
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if !known {
			c, err := createConversation(ctx, tx, channel, phone, now)
			if err != nil {
				return fmt.Errorf("conversation %s: %w", channel, err)
			}
			conv = c
		}
		var pid any
		if m.ProviderID != "" {
			pid = m.ProviderID
		}
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO messages (conversation_id, direction, author, body, provider_id, status, handled, created_at)
			VALUES (?, ?, ?, ?, ?, ?, FALSE, ?) ON CONFLICT (provider_id) WHERE provider_id IS NOT NULL DO NOTHING RETURNING id`,
			conv.ID, acuerdo.Inbound, acuerdo.AuthorDebtor, m.Body, pid, acuerdo.MessageReceived, m.CreatedAt.UTC()).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // a duplicate delivery
		} else if err != nil {
			return fmt.Errorf("store inbound: %w", err)
		}
		created = true
		for _, md := range media {
			var data any // NULL queues the download
			if md.Data != nil {
				data = md.Data
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO media (message_id, url, content_type, data, created_at) VALUES (?,?,?,?,?)`, id, md.URL, md.ContentType, data, now); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET last_inbound_at = ?, nudges = 0, updated_at = ? WHERE id = ?`, m.CreatedAt.UTC(), now, conv.ID); err != nil {
			return err
		}
		// The debtor wrote: the window is open again for anything held for it.
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = ?, not_before = ? WHERE conversation_id = ? AND state = ?`, OutboxPending, now, conv.ID, OutboxHeld); err != nil {
			return err
		}
		// DO UPDATE, not DO NOTHING: the no-op update locks an existing row, so
		// on PostgreSQL a CompleteTurn running beside us waits for this message
		// to commit and then sees it, instead of deleting the turn under it.
		_, err = tx.ExecContext(ctx, `INSERT INTO pending_turns (conversation_id, due_at) VALUES (?, ?)
			ON CONFLICT (conversation_id) DO UPDATE SET due_at = pending_turns.due_at`, conv.ID, now)
		return err
	})
	return conv.ID, created, err
}

// ClaimTurns leases up to n conversations with unanswered messages. A lease that
// ran out (its worker died or stalled) makes the turn claimable again, so
// nothing acknowledged is lost; the lease also keeps one conversation's turns
// in order. Each claim carries a fresh owner token: the worker renews the lease
// with it (RenewTurn) while the turn runs, and only its holder may record the
// turn (CompleteTurn, RetryTurn, ReleaseTurn).
func (db *DB) ClaimTurns(ctx context.Context, n int, lease time.Duration) ([]TurnClaim, error) {
	now := db.now()
	// Idle workers poll: asking the read pool first keeps an empty poll off
	// the write lock (SQLite) and out of a locking transaction (PostgreSQL).
	var one int
	err := db.read.QueryRowContext(ctx, `SELECT 1 FROM pending_turns WHERE due_at <= ? AND (lease_until IS NULL OR lease_until < ?) LIMIT 1`, now, now).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []TurnClaim
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT conversation_id, attempts FROM pending_turns
			WHERE due_at <= ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY due_at LIMIT ? FOR UPDATE SKIP LOCKED`, now, now, n)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c TurnClaim
			if err := rows.Scan(&c.ConversationID, &c.Attempts); err != nil {
				rows.Close()
				return err
			}
			c.Attempts++
			c.Owner = newLeaseOwner()
			out = append(out, c)
		}
		rows.Close()
		for _, c := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE pending_turns SET lease_until = ?, lease_owner = ?, attempts = ? WHERE conversation_id = ?`,
				now.Add(lease), c.Owner, c.Attempts, c.ConversationID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// ErrLeaseLost says a turn's lease ran out and another worker claimed it: the
// caller must drop what it was doing with the turn, since the new owner
// answers it.
var ErrLeaseLost = acuerdo.Errorf(acuerdo.ECONFLICT, "the turn's lease was lost to another worker")

// RenewTurn extends a claimed turn's lease to lease from now, while its owner
// still holds it; ErrLeaseLost otherwise.
func (db *DB) RenewTurn(ctx context.Context, c TurnClaim, lease time.Duration) error {
	res, err := db.write.ExecContext(ctx, `UPDATE pending_turns SET lease_until = ? WHERE conversation_id = ? AND lease_owner = ?`,
		db.now().Add(lease), c.ConversationID, c.Owner)
	return owned(res, err)
}

// RetryTurn releases a failed turn to be claimed again at the given time.
func (db *DB) RetryTurn(ctx context.Context, c TurnClaim, at time.Time) error {
	res, err := db.write.ExecContext(ctx, `UPDATE pending_turns SET lease_until = NULL, lease_owner = '', due_at = ? WHERE conversation_id = ? AND lease_owner = ?`,
		at.UTC(), c.ConversationID, c.Owner)
	return owned(res, err)
}

// ReleaseTurn gives a claimed turn back untried (a shutdown interrupted it):
// claimable at once, and the claim does not count as an attempt.
func (db *DB) ReleaseTurn(ctx context.Context, c TurnClaim) error {
	res, err := db.write.ExecContext(ctx, `UPDATE pending_turns SET lease_until = NULL, lease_owner = '',
		attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END WHERE conversation_id = ? AND lease_owner = ?`,
		c.ConversationID, c.Owner)
	return owned(res, err)
}

// owned turns an update guarded by the lease owner into ErrLeaseLost when it
// touched no row.
func owned(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

func newLeaseOwner() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// TurnClaim is a claimed turn: its conversation, how many times it has been
// claimed, this time included (a turn that keeps failing must not be retried
// for ever), and the claim's owner token.
type TurnClaim struct {
	ConversationID int64
	Attempts       int
	Owner          string
}

// PendingTurns counts conversations waiting for a turn, for metrics.
func (db *DB) PendingTurns(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM pending_turns`).Scan(&n)
	return n, err
}

// Unhandled returns a conversation's inbound messages no turn has answered yet,
// oldest first, with the URLs of their media. It reads on the read pool: the
// messages it answers were committed before their turn could be claimed, and
// on SQLite a read on the one write connection would hold up the committer.
func (db *DB) Unhandled(ctx context.Context, conversationID int64) ([]acuerdo.Message, []string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT m.id, m.body, COALESCE(m.provider_id, ''), m.created_at, md.url
		FROM messages m LEFT JOIN media md ON md.message_id = m.id
		WHERE m.conversation_id = ? AND m.handled = FALSE ORDER BY m.id, md.id`, conversationID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var msgs []acuerdo.Message
	var media []string
	for rows.Next() {
		m := acuerdo.Message{ConversationID: conversationID, Direction: acuerdo.Inbound, Author: acuerdo.AuthorDebtor}
		var created scanTime
		var url sql.NullString // NULL: no file
		if err := rows.Scan(&m.ID, &m.Body, &m.ProviderID, &created, &url); err != nil {
			return nil, nil, err
		}
		m.CreatedAt = created.Time
		if n := len(msgs); n == 0 || msgs[n-1].ID != m.ID { // a message with several files comes once per file
			msgs = append(msgs, m)
		}
		if url.Valid {
			media = append(media, url.String)
		}
	}
	return msgs, media, rows.Err()
}

// Outgoing is one message a turn queues for delivery.
type Outgoing struct {
	Body      string
	Author    string            // AuthorBot or AuthorOperator
	Template  string            // catalogue name to use when the 24-hour window is closed
	Variables map[string]string // the template's variables
	Business  bool              // business-initiated: the contact policy applies
	NotBefore time.Time
}

// CompleteTurn records a finished turn atomically: the agent's records of it
// (w: the conversation's turn state, tool-call messages, audit lines), the
// replies as messages and outbox rows, the answered inbound messages marked
// handled, and the pending turn removed, unless messages arrived meanwhile, in
// which case it is released for the next turn. A turn is thus one write.
//
// Only the claim's owner may complete it: ErrLeaseLost, with nothing written,
// when the lease lapsed and another worker claimed the turn (it answers, from
// the conversation's state as this turn found it).
func (db *DB) CompleteTurn(ctx context.Context, c TurnClaim, handled []int64, out []Outgoing, w acuerdo.TurnWrites) error {
	now := db.now()
	conversationID := c.ConversationID
	return db.inTx(ctx, func(tx *sql.Tx) error {
		// The conversation's row before the pending turn's, in the order
		// Receive takes them (PostgreSQL): the other order deadlocks with a
		// message arriving meanwhile. Should the lease turn out lost below,
		// this write is rolled back with the rest.
		phone, channel, err := saveTurnState(ctx, tx, conversationID, w.State, now)
		if err != nil {
			return fmt.Errorf("complete turn: %w", err)
		}
		// FOR UPDATE (PostgreSQL): the owner check holds until commit, and a
		// Receive that already queued a message for this turn commits before
		// we go on, so the check below for unanswered messages sees it.
		var owner string
		err = tx.QueryRowContext(ctx, `SELECT lease_owner FROM pending_turns WHERE conversation_id = ? FOR UPDATE`, conversationID).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) || err == nil && owner != c.Owner {
			return ErrLeaseLost
		} else if err != nil {
			return fmt.Errorf("complete turn: %w", err)
		}
		// Tool records before the replies, as they happened.
		for i := range w.Messages {
			m := w.Messages[i]
			m.ConversationID = conversationID
			if err := insertMessage(ctx, tx, &m, now); err != nil {
				return err
			}
		}
		if err := appendAll(ctx, tx, w.Audit, now); err != nil {
			return err
		}
		if err := enqueue(ctx, tx, conversationID, phone, channel, out, now); err != nil {
			return err
		}
		for _, id := range handled {
			if _, err := tx.ExecContext(ctx, `UPDATE messages SET handled = TRUE WHERE id = ?`, id); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM pending_turns WHERE conversation_id = ?
			AND NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ? AND handled = FALSE)`, conversationID, conversationID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			_, err = tx.ExecContext(ctx, `UPDATE pending_turns SET lease_until = NULL, lease_owner = '', due_at = ?, attempts = 0 WHERE conversation_id = ?`, now, conversationID)
		}
		return err
	})
}

// saveTurnState writes a turn's state (nil: none) to its conversation, only
// the columns a turn owns: a tool or an operator may have paused or opted out
// the conversation meanwhile, in its own transaction, and that stays. It
// returns the conversation's number and channel, for the replies.
func saveTurnState(ctx context.Context, tx *sql.Tx, conversationID int64, s *acuerdo.TurnState, now time.Time) (phone, channel string, err error) {
	if s == nil {
		err = tx.QueryRowContext(ctx, `SELECT phone, channel FROM conversations WHERE id = ?`, conversationID).Scan(&phone, &channel)
		return phone, channel, notFound(err, "no conversation %d", conversationID)
	}
	q := `UPDATE conversations SET locale = ?, state = ?, verified = ?, verified_at = ?, failed_verifications = ?, updated_at = ?`
	args := []any{s.Locale, s.State, s.Verified, s.VerifiedAt, s.FailedChecks, now}
	if s.ThirdPartyAt != nil { // a turn sets the mark, never clears it
		q += `, third_party_at = ?`
		args = append(args, s.ThirdPartyAt)
	}
	err = tx.QueryRowContext(ctx, q+` WHERE id = ? RETURNING phone, channel`, append(args, conversationID)...).Scan(&phone, &channel)
	return phone, channel, notFound(err, "no conversation %d", conversationID)
}

// Enqueue queues messages outside a turn: an operator's reply, a nudge, a reminder.
func (db *DB) Enqueue(ctx context.Context, conversationID int64, out []Outgoing, audit ...acuerdo.AuditEntry) error {
	now := db.now()
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := enqueueTo(ctx, tx, conversationID, out, now); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
}

// enqueueTo queues messages to the conversation's number and channel in tx;
// an unknown conversation is ENOTFOUND.
func enqueueTo(ctx context.Context, tx *sql.Tx, conversationID int64, out []Outgoing, now time.Time) error {
	var phone, channel string
	if err := tx.QueryRowContext(ctx, `SELECT phone, channel FROM conversations WHERE id = ?`, conversationID).Scan(&phone, &channel); err != nil {
		return fmt.Errorf("enqueue: %w", notFound(err, "no conversation %d", conversationID))
	}
	return enqueue(ctx, tx, conversationID, phone, channel, out, now)
}

func enqueue(ctx context.Context, tx *sql.Tx, convID int64, phone, channel string, out []Outgoing, now time.Time) error {
	for _, o := range out {
		author := o.Author
		if author == "" {
			author = acuerdo.AuthorBot
		}
		var msgID int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO messages (conversation_id, direction, author, body, status, created_at) VALUES (?,?,?,?,?,?) RETURNING id`,
			convID, acuerdo.Outbound, author, o.Body, acuerdo.MessageQueued, now).Scan(&msgID); err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
		nb := o.NotBefore
		if nb.IsZero() {
			nb = now
		}
		vars := ""
		if len(o.Variables) > 0 {
			vars = jsonString(o.Variables)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (message_id, conversation_id, recipient, channel, body, template, variables, business, state, not_before, created_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?)`, msgID, convID, phone, channel, o.Body, o.Template, vars, o.Business, OutboxPending, nb.UTC(), now); err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
	}
	return nil
}
