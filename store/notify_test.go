package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
)

// On PostgreSQL new work notifies listeners (on every replica); on SQLite
// Listen returns at once, the process's own wakeups doing that job.
func TestListenWakesOnNewWork(t *testing.T) {
	db, _ := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.Listen(ctx, map[string]func(){
			store.NotifyTurns:  func() { got <- store.NotifyTurns },
			store.NotifyOutbox: func() { got <- store.NotifyOutbox },
		})
	}()
	if !db.Notifies() {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Listen on SQLite did not return")
		}
		return
	}
	// LISTEN takes a moment to start: keep queuing work until a notification
	// arrives.
	deadline := time.Now().Add(20 * time.Second)
	var conv int64
	for i := 0; ; i++ {
		c, _, err := db.Receive(ctx, acuerdo.ChannelWhatsApp, fmt.Sprintf("+57300555%04d", i), acuerdo.Message{ProviderID: fmt.Sprintf("SMn%d", i), Body: "hola"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		conv = c
		select {
		case ch := <-got:
			if ch != store.NotifyTurns {
				t.Fatalf("a received message notified %s, want %s", ch, store.NotifyTurns)
			}
		case <-time.After(200 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("no notification for a queued turn")
			}
			continue
		}
		break
	}
	if err := db.Enqueue(ctx, conv, []store.Outgoing{{Body: "hola"}}); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ch := <-got:
			if ch == store.NotifyOutbox {
				cancel()
				<-done
				return
			}
		case <-timeout:
			t.Fatal("no notification for a queued message")
		}
	}
}
