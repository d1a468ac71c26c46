package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"acuerdo"
)

// ConsoleCounts are the operator console's dashboard counters.
type ConsoleCounts struct {
	Contacts       int            // people who ever wrote or were written to (erased ones excluded)
	NewToday       int            // conversations that started today
	MessagesToday  int            // messages in either direction today, tool records excluded
	TemplatesMonth int            // WhatsApp template messages sent this month (each one is billed)
	OpenByState    map[string]int // open cases per state
}

// ConsoleCounts reads the counters; day and month are the starts of "today"
// and "this month" in the team's time zone.
func (db *DB) ConsoleCounts(ctx context.Context, day, month time.Time) (ConsoleCounts, error) {
	c := ConsoleCounts{OpenByState: map[string]int{}}
	err := db.read.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM conversations WHERE phone NOT LIKE 'erased:%'),
		(SELECT COUNT(*) FROM conversations WHERE phone NOT LIKE 'erased:%' AND created_at >= ?),
		(SELECT COUNT(*) FROM messages WHERE created_at >= ? AND direction <> ?),
		(SELECT COUNT(*) FROM messages WHERE created_at >= ? AND direction = ? AND template_id <> '' AND status NOT IN (?,?))`,
		day.UTC(), day.UTC(), acuerdo.Internal, month.UTC(), acuerdo.Outbound, acuerdo.MessageFailed, acuerdo.MessageUndelivered).
		Scan(&c.Contacts, &c.NewToday, &c.MessagesToday, &c.TemplatesMonth)
	if err != nil {
		return c, fmt.Errorf("console counts: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT state, COUNT(*) FROM cases WHERE state IN (?,?,?,?) GROUP BY state`,
		acuerdo.CaseIncomplete, acuerdo.CaseComplete, acuerdo.CaseInProgress, acuerdo.CaseExpired)
	if err != nil {
		return c, fmt.Errorf("console counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return c, err
		}
		c.OpenByState[s] = n
	}
	return c, rows.Err()
}

// Contact is one person who talked with the agent, as the contacts list shows them.
type Contact struct {
	ConversationID int64
	DebtorID       int64
	Name           string
	Phone          string
	Channel        string
	CreatedAt      time.Time
	LastMessageAt  *time.Time
	Messages       int
	OpenCases      int
}

// ContactFilter selects and orders contacts.
type ContactFilter struct {
	Query  string    // part of the phone or the name
	Since  time.Time // created at or after; zero for all
	Sort   string    // "created" (newest first, the default), "created_asc", "name", "last"
	Limit  int       // 0 for all
	Offset int
}

// Contacts returns contacts and how many match in all (for paging). Erased
// people are not contacts any more.
func (db *DB) Contacts(ctx context.Context, f ContactFilter) ([]Contact, int, error) {
	where := ` WHERE c.phone NOT LIKE 'erased:%' AND c.created_at >= ?`
	args := []any{f.Since.UTC()}
	if s := strings.TrimSpace(f.Query); s != "" {
		// The name is compared folded (db.containsFolded): case and
		// accents ignored alike on both backends.
		where += ` AND (c.phone LIKE ? ESCAPE '\' OR ` + db.containsFolded("d.name") + `)`
		args = append(args, "%"+escapeLike(s)+"%", db.containsFoldedArg(s))
	}
	from := ` FROM conversations c LEFT JOIN debtors d ON d.id = c.debtor_id`
	var total int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*)`+from+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("contacts: %w", err)
	}
	order := map[string]string{
		"created_asc": "c.created_at, c.id",
		"name":        db.lowerOrder("COALESCE(NULLIF(d.name, ''), c.phone)") + ", c.id",
		"last":        "last_id DESC, c.id DESC",
	}[f.Sort]
	if order == "" {
		order = "c.created_at DESC, c.id DESC"
	}
	q := `SELECT c.id, COALESCE(c.debtor_id, 0), COALESCE(d.name, ''), c.phone, c.channel, c.created_at,
		(SELECT MAX(m.id) FROM messages m WHERE m.conversation_id = c.id AND m.direction <> ?) AS last_id,
		(SELECT m.created_at FROM messages m WHERE m.conversation_id = c.id AND m.direction <> ? ORDER BY m.id DESC LIMIT 1) AS last_at,
		(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.direction <> ?),
		(SELECT COUNT(*) FROM cases k WHERE k.conversation_id = c.id AND k.state IN (?,?,?,?))` + from + where + ` ORDER BY ` + order
	qargs := append([]any{acuerdo.Internal, acuerdo.Internal, acuerdo.Internal,
		acuerdo.CaseIncomplete, acuerdo.CaseComplete, acuerdo.CaseInProgress, acuerdo.CaseExpired}, args...)
	if f.Limit > 0 {
		q += ` LIMIT ? OFFSET ?`
		qargs = append(qargs, f.Limit, max(f.Offset, 0))
	}
	rows, err := db.read.QueryContext(ctx, q, qargs...)
	if err != nil {
		return nil, 0, fmt.Errorf("contacts: %w", err)
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		var k Contact
		var lastID sql.NullInt64
		var lastAt any
		if err := rows.Scan(&k.ConversationID, &k.DebtorID, &k.Name, &k.Phone, &k.Channel, &k.CreatedAt, &lastID, &lastAt, &k.Messages, &k.OpenCases); err != nil {
			return nil, 0, err
		}
		k.LastMessageAt = anyTime(lastAt)
		out = append(out, k)
	}
	return out, total, rows.Err()
}

// MessagesAfter returns a conversation's messages with an id above afterID,
// oldest first, tool records included: what the console appends while a page
// is open.
func (db *DB) MessagesAfter(ctx context.Context, conversationID, afterID int64) ([]acuerdo.Message, error) {
	return db.queryMessages(ctx, `SELECT `+messageCols+` FROM messages m WHERE m.conversation_id = ? AND m.id > ? ORDER BY m.id LIMIT 500`,
		conversationID, afterID)
}

// ConversationCases returns every case of a conversation, newest first.
func (db *DB) ConversationCases(ctx context.Context, conversationID int64) ([]CaseView, error) {
	return db.queryCaseViews(ctx, caseViewSelect+` WHERE k.conversation_id = ? ORDER BY k.id DESC`, conversationID)
}

// MediaByID returns one attachment of a conversation with its data, or
// ENOTFOUND (also when it belongs to another conversation).
func (db *DB) MediaByID(ctx context.Context, conversationID, id int64) (Media, error) {
	var m Media
	err := db.read.QueryRowContext(ctx, `SELECT md.id, md.message_id, COALESCE(md.case_id, 0), md.url, md.content_type, md.data,
		md.data IS NULL, md.data IS NOT NULL AND length(md.data) = 0, md.created_at
		FROM media md JOIN messages m ON m.id = md.message_id WHERE md.id = ? AND m.conversation_id = ?`, id, conversationID).
		Scan(&m.ID, &m.MessageID, &m.CaseID, &m.URL, &m.ContentType, &m.Data, &m.Pending, &m.Unavailable, &m.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return m, acuerdo.Errorf(acuerdo.ENOTFOUND, "no attachment %d", id)
	}
	return m, err
}

// ConversationMedia lists a conversation's attachments without their data.
func (db *DB) ConversationMedia(ctx context.Context, conversationID int64) ([]Media, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT md.id, md.message_id, COALESCE(md.case_id, 0), md.url, md.content_type,
		md.data IS NULL, md.data IS NOT NULL AND length(md.data) = 0, md.created_at
		FROM media md JOIN messages m ON m.id = md.message_id WHERE m.conversation_id = ? ORDER BY md.id`, conversationID)
	if err != nil {
		return nil, fmt.Errorf("conversation media: %w", err)
	}
	defer rows.Close()
	var out []Media
	for rows.Next() {
		var m Media
		if err := rows.Scan(&m.ID, &m.MessageID, &m.CaseID, &m.URL, &m.ContentType, &m.Pending, &m.Unavailable, &m.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// anyTime reads a time a subquery returned: the driver gives a time.Time for
// declared TIMESTAMP columns and the stored microseconds for expressions.
func anyTime(v any) *time.Time {
	var t scanTime
	if t.Scan(v) != nil {
		return nil
	}
	return t.ptr()
}
