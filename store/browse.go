package store

import (
	"context"
	"fmt"

	"acuerdo"
)

// Debtors returns up to limit debtors in the order they were imported, for
// pickers such as the demo sandbox.
func (db *DB) Debtors(ctx context.Context, limit int) ([]acuerdo.Debtor, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+debtorCols+` FROM debtors ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("debtors: %w", err)
	}
	defer rows.Close()
	var out []acuerdo.Debtor
	for rows.Next() {
		d, err := scanDebtor(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Thread returns up to limit messages of the conversation with phone on channel
// whose id is above afterID, oldest first, without internal tool records (what
// the debtor sees). It creates nothing: an unknown conversation has no messages.
func (db *DB) Thread(ctx context.Context, channel, phone string, afterID int64, limit int) ([]acuerdo.Message, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT m.id, m.conversation_id, m.direction, m.author, m.body, COALESCE(m.provider_id, ''), m.template_id, m.status, m.error_code, m.created_at
		FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE c.channel = ? AND c.phone = ? AND m.id > ? AND m.direction <> ?
		ORDER BY m.id LIMIT ?`, channel, phone, afterID, acuerdo.Internal, limit)
	if err != nil {
		return nil, fmt.Errorf("thread: %w", err)
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
