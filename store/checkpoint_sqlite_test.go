package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/store/storetest"
)

// The write connection does not checkpoint in its commits (checkpoint_sqlite.go);
// the background checkpoints must keep the log from growing with every
// write: 600 transactions of ten 4 KB messages (each also in the outbox) put
// ~80 MB through it, and it stays near the 16 MB at which it is restarted.
func TestBackgroundCheckpointsBoundTheLog(t *testing.T) {
	if storetest.PostgresURL() != "" {
		t.Skip("SQLite's log: the SQLite pass ran it")
	}
	path := filepath.Join(t.TempDir(), "ck.db")
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conv, _, err := db.Receive(ctx, acuerdo.ChannelWhatsApp, "+573001234567", acuerdo.Message{ProviderID: "SM0", Body: "hola"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 4000)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	out := make([]store.Outgoing, 10)
	for i := range out {
		out[i] = store.Outgoing{Body: string(body)}
	}
	var most int64
	for i := 0; i < 600; i++ {
		if err := db.Enqueue(ctx, conv, out); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			time.Sleep(20 * time.Millisecond) // let the checkpoints keep up, as between bursts
		}
		if st, err := os.Stat(path + "-wal"); err == nil {
			most = max(most, st.Size())
		}
	}
	if most > 40<<20 { // 16 MB, and what is written while a checkpoint runs
		t.Fatalf("the log reached %d MB for ~80 MB written; the checkpoints are not keeping it small", most>>20)
	}
	t.Logf("largest log: %.1f MB", float64(most)/(1<<20))
}
