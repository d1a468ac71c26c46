package store

import (
	"context"
	"fmt"
	"strings"
)

// EventDeliveredTo returns, for each of the given events (by row id, as
// EventDelivery.ID), the receivers that have acknowledged it so far, as the
// sender records them: the console shows them next to each delivery. Events
// no receiver acknowledged are left out.
func (db *DB) EventDeliveredTo(ctx context.Context, ids []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q := `SELECT id, delivered_to FROM events WHERE delivered_to <> '' AND id IN (?` + strings.Repeat(",?", len(ids)-1) + `)`
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("event receivers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var to string
		if err := rows.Scan(&id, &to); err != nil {
			return nil, fmt.Errorf("event receivers: %w", err)
		}
		out[id] = splitLines(to)
	}
	return out, rows.Err()
}
