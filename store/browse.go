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
	return db.queryMessages(ctx, `SELECT `+messageCols+` FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE c.channel = ? AND c.phone = ? AND m.id > ? AND m.direction <> ?
		ORDER BY m.id LIMIT ?`, channel, phone, afterID, acuerdo.Internal, limit)
}
