package store

import (
	"context"
	"database/sql/driver"
	"time"
)

// Channels of PostgreSQL notifications: triggers (migration
// NNNN_notify.postgres.sql) send one when work appears, so that every replica's
// idle workers wake at once instead of finding it at their next poll. SQLite
// serves one process, whose in-memory wakeups already do this.
const (
	NotifyTurns  = "acuerdo_turns"  // a pending turn became claimable
	NotifyOutbox = "acuerdo_outbox" // an outbound message became pending
	NotifyEvents = "acuerdo_events" // an event for the creditor's webhooks was added
)

// Notifies tells whether Listen delivers anything: true on PostgreSQL.
func (db *DB) Notifies() bool { return db.pg }

// Listen calls the handler of a channel each time a notification arrives on
// it, until ctx ends; it reconnects by itself after a lost connection. On
// SQLite it returns at once. Handlers must not block (wake a worker and return).
func (db *DB) Listen(ctx context.Context, handlers map[string]func()) {
	if !db.pg || len(handlers) == 0 {
		return
	}
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, handlers)
		if ctx.Err() != nil {
			return
		}
		_ = err // a lost connection: the idle polls cover the gap until we are back
		// Work may have appeared while we were not listening.
		for _, h := range handlers {
			h()
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (db *DB) listenOnce(ctx context.Context, handlers map[string]func()) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*pgConn).Conn.Conn()
		for ch := range handlers {
			if _, err := pc.Exec(ctx, `LISTEN `+ch); err != nil {
				return driver.ErrBadConn
			}
		}
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				// The connection is LISTENing (or broken): never give it back
				// to the pool.
				return driver.ErrBadConn
			}
			if h := handlers[n.Channel]; h != nil {
				h()
			}
		}
	})
}
