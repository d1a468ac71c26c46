package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Group commit (SQLite). SQLite has one writer, so concurrent write
// transactions queue for the write connection anyway, and under load most of
// each one's cost was its own commit: the WAL frames written, the locks taken
// and given back. Instead, one goroutine (the committer) takes every
// transaction queued meanwhile and runs them as one SQLite transaction, each
// inside its own savepoint, then commits once:
//
//   - a member that fails is rolled back to its savepoint and gets its error;
//     the others are unaffected, exactly as if each had its own transaction;
//   - a caller returns only after the commit that made its writes durable, and
//     gets the commit's error if that fails;
//   - a member sees what the members before it wrote (they ran first, as they
//     would have with the lock taken in turn).
//
// A lone transaction runs without a savepoint, as before. PostgreSQL runs
// writers side by side and keeps one transaction per call.

// maxGroup bounds one group, so a flood of small writes still commits (and
// answers its callers) every few milliseconds.
const maxGroup = 128

type txReq struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	done chan error
}

// errGroupAborted is what a member whose writes were already done gets when
// a later member's failure rolled the whole group back (SQLite undoes the
// entire transaction on some errors, such as a full disk): nothing it wrote
// was kept, and it may simply be retried.
var errGroupAborted = errors.New("the write was rolled back with its commit group; retry it")

// panicked carries a member's panic back to its own goroutine.
type panicked struct{ v any }

func (p panicked) Error() string { return fmt.Sprint("panic in a write transaction: ", p.v) }

// stopCommitter lets the committer run what is queued, then stops it.
func (db *DB) stopCommitter() {
	db.closeMu.Lock()
	if db.closed {
		db.closeMu.Unlock()
		return
	}
	db.closed = true
	db.closeMu.Unlock()
	close(db.quit)
	<-db.stopped
}

// startCommitter runs the committer until Close.
func (db *DB) startCommitter() {
	db.txq = make(chan *txReq, maxGroup)
	db.quit = make(chan struct{})
	db.stopped = make(chan struct{})
	go func() {
		defer close(db.stopped)
		for {
			var first *txReq
			select {
			case first = <-db.txq:
			case <-db.quit:
				// Close let no one queue since it began: run what is queued.
				for {
					select {
					case r := <-db.txq:
						db.runGroup([]*txReq{r})
					default:
						return
					}
				}
			}
			group := []*txReq{first}
		collect:
			for len(group) < maxGroup {
				select {
				case r := <-db.txq:
					group = append(group, r)
				default:
					break collect
				}
			}
			db.runGroup(group)
			if db.restartLog.CompareAndSwap(true, false) {
				db.restart() // between groups, asked for by the checkpointer
			}
		}
	}()
}

// grouped queues fn for the committer and waits for its outcome.
func (db *DB) grouped(ctx context.Context, fn func(*sql.Tx) error) error {
	r := &txReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	db.closeMu.RLock()
	if db.closed {
		db.closeMu.RUnlock()
		return errClosed
	}
	select {
	case db.txq <- r:
	case <-ctx.Done():
		db.closeMu.RUnlock()
		return ctx.Err()
	}
	db.closeMu.RUnlock()
	// Once queued, wait for the outcome even if ctx ends: the writes may be
	// committing, and the caller must not believe they were not.
	err := <-r.done
	var p panicked
	if errors.As(err, &p) {
		panic(p.v)
	}
	return err
}

var errClosed = errors.New("the database is closed")

// runGroup runs the members in one transaction and answers each.
func (db *DB) runGroup(group []*txReq) {
	live := group[:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.done <- err // gave up while queued: nothing ran
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	tx, err := db.write.BeginTx(context.Background(), nil)
	if err != nil {
		for _, r := range live {
			r.done <- err
		}
		return
	}
	if len(live) == 1 {
		r := live[0]
		if err := call(r.fn, tx); err != nil {
			_ = tx.Rollback()
			r.done <- err
			return
		}
		r.done <- tx.Commit()
		return
	}
	ok := make([]*txReq, 0, len(live))
	for i, r := range live {
		if _, err := tx.Exec(`SAVEPOINT grp`); err != nil {
			db.abortGroup(tx, ok, live[i:], err)
			return
		}
		ferr := call(r.fn, tx)
		if ferr == nil {
			if _, err := tx.Exec(`RELEASE grp`); err != nil {
				db.abortGroup(tx, ok, live[i:], err)
				return
			}
			ok = append(ok, r)
			continue
		}
		// Undo this member alone. If SQLite already rolled the whole
		// transaction back, this fails: the group is lost.
		if _, err := tx.Exec(`ROLLBACK TO grp`); err != nil {
			r.done <- ferr
			db.abortGroup(tx, ok, live[i+1:], err)
			return
		}
		if _, err := tx.Exec(`RELEASE grp`); err != nil {
			r.done <- ferr
			db.abortGroup(tx, ok, live[i+1:], err)
			return
		}
		r.done <- ferr
	}
	err = tx.Commit()
	for _, r := range ok {
		r.done <- err
	}
}

// abortGroup rolls the group back: members that ran learn their writes were
// lost; those that had not run yet go back to the queue's front and run in
// the next group, as if they had arrived later.
func (db *DB) abortGroup(tx *sql.Tx, ran, notRun []*txReq, cause error) {
	_ = tx.Rollback()
	for _, r := range ran {
		r.done <- fmt.Errorf("%w (%v)", errGroupAborted, cause)
	}
	if len(notRun) > 0 {
		db.runGroup(notRun)
	}
}

// call runs fn, turning a panic into an error for its caller to re-raise.
func call(fn func(*sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicked{v}
		}
	}()
	return fn(tx)
}
