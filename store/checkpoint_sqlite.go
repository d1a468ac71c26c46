package store

import (
	"database/sql"
	"fmt"
	"time"
)

// Checkpoints (SQLite). Under WAL every commit appends pages to the log, and
// a checkpoint copies them back into the database file (and fsyncs both).
// SQLite's default runs the checkpoint inside the commit that takes the log
// past 1,000 pages: on the committer, whose group's callers (a webhook
// waiting to answer Twilio, a turn's reply) then wait the copy and two fsyncs
// out, which was the tail of the webhooks' latency, and 5 % of the CPU of the
// one goroutine every write queues for. The write connection therefore runs
// with wal_autocheckpoint(0), and a connection of its own checkpoints the log
// in the background every checkpointEvery, PASSIVE: it never waits for a
// writer nor makes one wait, and copies what readers no longer need, as the
// automatic checkpoint did. Past 16 MB of log the committer restarts it
// between two groups (checkpoint, restart). (Litestream, which the
// README suggests for backups, works the same with either; it holds a read
// transaction to keep the frames it has not copied yet.)

// checkpointEvery is how often the background checkpoint runs.
const checkpointEvery = 200 * time.Millisecond

// startCheckpointer opens a connection to the database at dsn and
// checkpoints it until Close.
func (db *DB) startCheckpointer(dsn string) error {
	conn, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("open the checkpoint connection: %w", err)
	}
	conn.SetMaxOpenConns(1)
	db.ckQuit, db.ckDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(db.ckDone)
		defer conn.Close()
		tick := time.NewTicker(checkpointEvery)
		defer tick.Stop()
		for {
			select {
			case <-db.ckQuit:
				return
			case <-tick.C:
			}
			db.checkpoint(conn)
		}
	}()
	return nil
}

// checkpoint runs one background checkpoint, PASSIVE, and when the log has
// grown past restartFrames asks the committer to restart it. A log is only
// reset by a write that begins with every frame already copied, which under a
// steady write load PASSIVE alone (taking turns with the writer) never leaves:
// the log would grow without end. A RESTART checkpoint from this connection
// would wait for a gap between the committer's transactions, and a busy
// committer leaves none; so the committer runs it itself, between two groups
// (restart). An error (the disk, a lock held too long) leaves the pages in the
// log for the next round: nothing is lost by waiting.
func (db *DB) checkpoint(conn *sql.DB) {
	var busy, frames, copied int
	if err := conn.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err == nil && frames >= restartFrames {
		db.restartLog.Store(true)
	}
}

// restart checkpoints on the write connection, RESTART: it copies what the
// background checkpoints left (little), waits for readers to leave the log,
// and the next write starts it afresh. The committer calls it between groups,
// once every restartFrames of log.
func (db *DB) restart() {
	var busy, frames, copied int
	_ = db.write.QueryRow(`PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &frames, &copied)
}

// restartFrames is the log's size (pages of 4 KB: 16 MB) past which the
// background checkpoint makes the writer start it afresh.
const restartFrames = 4096

// stopCheckpointer ends the background checkpoints; closing the last
// connection then checkpoints what is left, as SQLite always does.
func (db *DB) stopCheckpointer() {
	if db.ckQuit == nil {
		return
	}
	close(db.ckQuit)
	<-db.ckDone
	db.ckQuit = nil
}
