package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
)

// A turn's lease belongs to the claim that took it: its owner renews it and
// records the turn; once it lapsed and another worker claimed the turn, the
// first worker can neither renew, retry, release nor complete it, and nothing
// it tries is written.
func TestTurnLeaseOwner(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC).UnixMicro())
	clock := func() time.Time { return time.UnixMicro(now.Load()).UTC() }
	advance := func(d time.Duration) { now.Add(d.Microseconds()) }
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "l.db"), store.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	convID, _, err := db.Receive(ctx, acuerdo.ChannelWhatsApp, "+573001234567", acuerdo.Message{ProviderID: "SM1", Body: "hola"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _, _ := db.Unhandled(ctx, convID)
	lease := 30 * time.Second

	first, err := db.ClaimTurns(ctx, 1, lease)
	if err != nil || len(first) != 1 || first[0].Owner == "" {
		t.Fatalf("claim %+v %v", first, err)
	}
	a := first[0]
	// Renewed in time, the lease holds past its first term.
	for i := 0; i < 4; i++ {
		advance(lease / 2)
		if err := db.RenewTurn(ctx, a, lease); err != nil {
			t.Fatalf("renewal %d: %v", i, err)
		}
		if c, _ := db.ClaimTurns(ctx, 1, lease); len(c) != 0 {
			t.Fatalf("a renewed turn was claimed again after %v", time.Duration(i+1)*lease/2)
		}
	}
	// Unrenewed, it lapses and another worker takes it.
	advance(lease + time.Second)
	second, err := db.ClaimTurns(ctx, 1, lease)
	if err != nil || len(second) != 1 || second[0].Owner == a.Owner || second[0].Attempts != 2 {
		t.Fatalf("second claim %+v %v", second, err)
	}
	b := second[0]
	for name, f := range map[string]func() error{
		"renew":   func() error { return db.RenewTurn(ctx, a, lease) },
		"retry":   func() error { return db.RetryTurn(ctx, a, clock()) },
		"release": func() error { return db.ReleaseTurn(ctx, a) },
		"complete": func() error {
			return db.CompleteTurn(ctx, a, []int64{msgs[0].ID}, []store.Outgoing{{Body: "respuesta vieja"}}, acuerdo.TurnWrites{})
		},
	} {
		if err := f(); !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("%s by the old owner: %v; want ErrLeaseLost", name, err)
		}
	}
	if n, _ := db.OutboxDepth(ctx); n != 0 {
		t.Fatalf("the old owner queued %d messages", n)
	}
	// The new owner is undisturbed: a shutdown gives the turn back untried…
	if err := db.ReleaseTurn(ctx, b); err != nil {
		t.Fatal(err)
	}
	c, err := db.ClaimTurns(ctx, 1, lease)
	if err != nil || len(c) != 1 || c[0].Attempts != 2 {
		t.Fatalf("claim after release %+v %v (a released claim must not count as an attempt)", c, err)
	}
	// …and its next owner completes it once.
	if err := db.CompleteTurn(ctx, c[0], []int64{msgs[0].ID}, []store.Outgoing{{Body: "respuesta"}}, acuerdo.TurnWrites{}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.OutboxDepth(ctx); n != 1 {
		t.Fatalf("%d messages queued; want 1", n)
	}
	if n, _ := db.PendingTurns(ctx); n != 0 {
		t.Fatalf("%d turns pending after completion", n)
	}
	if err := db.CompleteTurn(ctx, c[0], nil, []store.Outgoing{{Body: "otra vez"}}, acuerdo.TurnWrites{}); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("completing twice: %v", err)
	}
}
