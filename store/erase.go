package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"acuerdo"
)

// Erased says what an erasure removed.
type Erased struct {
	DebtorID      int64
	Conversations int
	Messages      int
	Media         int
	Cases         int
}

// Erase removes a person's personal data, in one transaction: their name,
// phone, document and email, the text of every message of their conversations,
// downloaded media, case summaries and consent records. What pilot metrics need
// stays, anonymised: the debtor row (with its country, language and segment),
// accounts, payments, promises, assignments and message counts and statuses, so
// reports computed before and after give the same numbers. The audit log is not
// touched: it holds no personal data by construction. The phone may belong to a
// number outside the portfolio; its conversations are erased all the same.
func (db *DB) Erase(ctx context.Context, phone string, audit ...acuerdo.AuditEntry) (Erased, error) {
	var out Erased
	now := db.now()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id FROM debtors WHERE phone = ?`, phone).Scan(&out.DebtorID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM conversations WHERE phone = ? OR (debtor_id = ? AND ? <> 0)`, phone, out.DebtorID, out.DebtorID)
		if err != nil {
			return err
		}
		var convs []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			convs = append(convs, id)
		}
		rows.Close()
		if out.DebtorID == 0 && len(convs) == 0 {
			return acuerdo.Errorf(acuerdo.ENOTFOUND, "nothing is held about %s", phone)
		}
		count := func(res sql.Result) int { n, _ := res.RowsAffected(); return int(n) }
		for _, c := range convs {
			res, err := tx.ExecContext(ctx, `UPDATE media SET data = NULL, url = '', content_type = '' WHERE message_id IN (SELECT id FROM messages WHERE conversation_id = ?)`, c)
			if err != nil {
				return err
			}
			out.Media += count(res)
			if res, err = tx.ExecContext(ctx, `UPDATE messages SET body = '' WHERE conversation_id = ?`, c); err != nil {
				return err
			}
			out.Messages += count(res)
			if res, err = tx.ExecContext(ctx, `UPDATE cases SET summary = '', comments = '', updated_at = ? WHERE conversation_id = ?`, now, c); err != nil {
				return err
			}
			out.Cases += count(res)
			// The phone column must stay unique; the conversation keeps its id for counts.
			if _, err := tx.ExecContext(ctx, `UPDATE conversations SET phone = ?, state = '', updated_at = ? WHERE id = ?`, fmt.Sprintf("erased:%d", c), now, c); err != nil {
				return err
			}
			out.Conversations++
		}
		if out.DebtorID != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE debtors SET phone = ?, name = '', document_id = '', email = '', time_zone = '', updated_at = ? WHERE id = ?`,
				fmt.Sprintf("erased:%d", out.DebtorID), now, out.DebtorID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM consents WHERE debtor_id = ?`, out.DebtorID); err != nil {
				return err
			}
		}
		if err := eraseEvents(ctx, tx, out.DebtorID, convs); err != nil {
			return err
		}
		return appendAll(ctx, tx, audit, now)
	})
	return out, err
}
