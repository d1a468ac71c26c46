package store

import (
	"context"
	"database/sql"
	"time"

	"acuerdo"
)

// StepSurvey is the conversation state while the satisfaction question waits for
// its answer.
const StepSurvey = "survey"

// surveyEvery is how often one conversation may be asked.
const surveyEvery = 30 * 24 * time.Hour

// CloseConversation queues the polite close of an idle conversation and, unless
// the debtor was asked recently, the satisfaction question after it.
func (db *DB) CloseConversation(ctx context.Context, conversationID int64, closing, question string) error {
	now := db.now()
	// One transaction, the conversation's row locked while survey_at is read:
	// two replicas closing the same conversation must not both ask.
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var last scanTime
		if err := tx.QueryRowContext(ctx, `SELECT survey_at FROM conversations WHERE id = ? FOR UPDATE`, conversationID).Scan(&last); err != nil {
			return notFound(err, "no conversation %d", conversationID)
		}
		ask := question != "" && (!last.Valid || now.Sub(last.Time) > surveyEvery)
		out := []Outgoing{{Body: closing, Author: acuerdo.AuthorBot}}
		if ask {
			out = append(out, Outgoing{Body: question, Author: acuerdo.AuthorBot})
		}
		if err := enqueueTo(ctx, tx, conversationID, out, now); err != nil {
			return err
		}
		if ask {
			_, err := tx.ExecContext(ctx, `UPDATE conversations SET nudges = nudges + 1, state = ?, survey_at = ? WHERE id = ?`, StepSurvey, now, conversationID)
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE conversations SET nudges = nudges + 1, state = '' WHERE id = ?`, conversationID)
		return err
	})
}

// RecordSatisfaction stores a debtor's answer to the satisfaction question.
func (db *DB) RecordSatisfaction(ctx context.Context, c acuerdo.Conversation, rating int) error {
	_, err := db.write.ExecContext(ctx, `INSERT INTO satisfaction (conversation_id, debtor_id, rating, created_at) VALUES (?,?,?,?)`,
		c.ID, nullID(c.DebtorID), rating, db.now())
	return constraintError(err)
}

// Rating is one answer.
type Rating struct {
	DebtorID, ConversationID int64
	Rating                   int
	At                       time.Time
}

// Ratings returns the answers given since t, oldest first.
func (db *DB) Ratings(ctx context.Context, since time.Time) ([]Rating, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT COALESCE(debtor_id, 0), conversation_id, rating, created_at FROM satisfaction WHERE created_at >= ? ORDER BY id`, since.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Rating
	for rows.Next() {
		var r Rating
		if err := rows.Scan(&r.DebtorID, &r.ConversationID, &r.Rating, &r.At); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
