package engine_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/engine"
	"acuerdo/store"
)

var errGone = errors.New("gone")

// fetcher serves media by URL, failing a URL a set number of times first.
type fetcher struct {
	mu    sync.Mutex
	fails map[string]int
	calls map[string]int
}

func (f *fetcher) DownloadMedia(_ context.Context, url string, _ int64) ([]byte, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[url]++
	switch {
	case url == "https://media.example/gone":
		return nil, "", errGone
	case f.fails[url] > 0:
		f.fails[url]--
		return nil, "", errors.New("503")
	}
	return []byte("bytes of " + url), "image/jpeg", nil
}

func TestReceiptsWorker(t *testing.T) {
	ctx := context.Background()
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC).UnixMicro())
	clock := func() time.Time { return time.UnixMicro(now.Load()).UTC() }
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "r.db"), store.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conv, _, err := db.Receive(ctx, acuerdo.ChannelWhatsApp, "+573001234567", acuerdo.Message{ProviderID: "SM1"}, []store.InboundMedia{
		{URL: "https://media.example/ok"}, {URL: "https://media.example/gone"}, {URL: "https://media.example/flaky"}})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: conv, Reason: acuerdo.ReasonPaymentReport})
	if err != nil {
		t.Fatal(err)
	}
	f := &fetcher{fails: map[string]int{"https://media.example/flaky": 2}, calls: map[string]int{}}
	w := engine.NewReceipts(engine.ReceiptsConfig{Store: db, Fetcher: f, Permanent: func(err error) bool { return errors.Is(err, errGone) },
		Clock: clock, Poll: 5 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(runCtx) }()
	defer func() { cancel(); <-done }()

	// The flaky one waits out its backoff on the worker's clock.
	for i := 0; ; i++ {
		if p, _ := db.PendingMedia(ctx, 10); len(p) == 0 {
			break
		}
		if i > 500 {
			t.Fatal("media still pending")
		}
		now.Add((time.Second).Microseconds())
		w.Kick()
		time.Sleep(5 * time.Millisecond)
	}
	var media []store.Media
	eventually(t, "the receipts attached", func() bool {
		media, _ = db.CaseMedia(ctx, cs.ID)
		return len(media) == 3
	})
	if string(media[0].Data) != "bytes of https://media.example/ok" || media[0].ContentType != "image/jpeg" {
		t.Errorf("ok media = %+v", media[0])
	}
	if !media[1].Unavailable {
		t.Errorf("gone media = %+v, want unavailable", media[1])
	}
	if string(media[2].Data) != "bytes of https://media.example/flaky" {
		t.Errorf("flaky media = %+v", media[2])
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls["https://media.example/gone"] != 1 || f.calls["https://media.example/flaky"] != 3 {
		t.Errorf("calls = %v: a permanent error is tried once, a transient one until it works", f.calls)
	}
}
