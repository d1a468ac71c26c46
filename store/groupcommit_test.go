package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// TestGroupCommit holds the committer inside one transaction while others
// queue, so that they run as one group, and checks that each member is still
// all or nothing on its own: failures and a panic are undone alone, the rest
// commit, every caller hears its own outcome.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "g.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE gc (k TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	insert := func(tx *sql.Tx, k string) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO gc (k) VALUES (?)`, k)
		return err
	}

	hold, held := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.inTx(ctx, func(tx *sql.Tx) error {
			close(held)
			<-hold
			return insert(tx, "first")
		})
	}()
	<-held

	const n = 30
	errs := make([]error, n)
	panics := make([]any, n)
	var wg sync.WaitGroup
	var queued sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		queued.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			queued.Done()
			errs[i] = db.inTx(ctx, func(tx *sql.Tx) error {
				k := fmt.Sprint("k", i)
				if err := insert(tx, k); err != nil {
					return err
				}
				switch i % 5 {
				case 1:
					return fmt.Errorf("member %d fails after writing", i)
				case 2:
					return insert(tx, k) // a constraint error after a write
				case 3:
					if i == 3 {
						panic("member 3 panics after writing")
					}
				}
				return nil
			})
		}()
	}
	queued.Wait()
	for len(db.txq) < n { // all queued behind the held transaction
		runtime.Gosched()
	}
	close(hold)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	for i := 0; i < n; i++ {
		var got int
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM gc WHERE k = ?`, fmt.Sprint("k", i)).Scan(&got); err != nil {
			t.Fatal(err)
		}
		wantOK := i%5 == 0 || i%5 == 4 || i%5 == 3 && i != 3
		switch {
		case i == 3:
			if panics[i] != "member 3 panics after writing" || got != 0 {
				t.Errorf("member 3: recovered %v, %d rows; want its panic back and nothing written", panics[i], got)
			}
		case wantOK && (errs[i] != nil || got != 1):
			t.Errorf("member %d: err %v, %d rows; want it committed", i, errs[i], got)
		case !wantOK && (errs[i] == nil || got != 0):
			t.Errorf("member %d: err %v, %d rows; want its error and nothing written", i, errs[i], got)
		}
	}
}

// TestGroupCommitCancelled: a caller that gave up while queued runs nothing.
func TestGroupCommitCancelled(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "g.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hold, held := make(chan struct{}), make(chan struct{})
	go func() {
		_ = db.inTx(ctx, func(*sql.Tx) error { close(held); <-hold; return nil })
	}()
	<-held
	cctx, cancel := context.WithCancel(ctx)
	ran := false
	done := make(chan error)
	go func() { done <- db.inTx(cctx, func(*sql.Tx) error { ran = true; return nil }) }()
	for len(db.txq) < 1 {
		runtime.Gosched()
	}
	cancel()
	close(hold)
	if err := <-done; !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("cancelled member: err %v, ran %v; want context.Canceled, not run", err, ran)
	}
}
