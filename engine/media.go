package engine

import (
	"context"
	"log/slog"
	"time"

	"acuerdo"
	"acuerdo/store"
)

// MediaFetcher downloads an inbound attachment with the provider's credentials
// (*whatsapp.Client does).
type MediaFetcher interface {
	DownloadMedia(ctx context.Context, url string, maxBytes int64) (data []byte, contentType string, err error)
}

// ReceiptsConfig builds a Receipts worker.
type ReceiptsConfig struct {
	Store   ReceiptsStore
	Fetcher MediaFetcher
	// Permanent reports whether a download error will not go away by retrying
	// (whatsapp.IsPermanent); nil treats every error as transient.
	Permanent func(error) bool
	Clock     acuerdo.Clock
	Logger    *slog.Logger
	// MaxBytes bounds one attachment (default 16 MiB, WhatsApp's largest).
	MaxBytes int64
	// Attempts bounds the tries of one attachment per process (default 6).
	Attempts int
	// Poll is how often the worker looks for work it was not woken for
	// (default 2 s): after a restart, and for payment reports opened after the
	// receipt was downloaded.
	Poll time.Duration
}

// Receipts downloads the media debtors send (photos and PDFs of payment
// receipts), stores it and attaches it to the conversation's payment report.
//
// It runs beside the engine instead of inside a turn: the webhook must be
// acknowledged fast, and the turn only needs to know that a receipt came, not
// its bytes. The media rows written with the inbound message are the queue, so
// an attachment acknowledged to Twilio is fetched even if the process dies
// before; the attachment to a case is a sweep, so it does not matter whether
// the download or the agent's report_payment comes first.
type Receipts struct {
	cfg  ReceiptsConfig
	wake chan struct{}
	// tries counts failed downloads by media id. Only Run's goroutine uses it;
	// it starts empty after a restart, which only grants a few more attempts.
	tries map[int64]retry
}

type retry struct {
	attempts int
	next     time.Time
}

// NewReceipts returns a worker; Run starts it.
func NewReceipts(cfg ReceiptsConfig) *Receipts {
	if cfg.Clock == nil {
		cfg.Clock = acuerdo.SystemClock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 16 << 20
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 6
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.Permanent == nil {
		cfg.Permanent = func(error) bool { return false }
	}
	return &Receipts{cfg: cfg, wake: make(chan struct{}, 1), tries: map[int64]retry{}}
}

// Kick wakes the worker, after an inbound message with media was stored.
func (r *Receipts) Kick() { wake(r.wake) }

// Run works until ctx ends. A download in progress is abandoned; its row stays
// queued for the next start.
func (r *Receipts) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Poll)
	defer t.Stop()
	for {
		// One replica at a time works the queue (on PostgreSQL; see
		// store.Exclusively), so an attachment is downloaded once.
		if _, err := r.cfg.Store.Exclusively(ctx, "media", func(ctx context.Context) error { r.pass(ctx); return nil }); err != nil && ctx.Err() == nil {
			r.cfg.Logger.Error("media queue", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-t.C:
		}
	}
}

// pass downloads what is due and links receipts to payment reports.
func (r *Receipts) pass(ctx context.Context) {
	pending, err := r.cfg.Store.PendingMedia(ctx, 64)
	if err != nil {
		if ctx.Err() == nil {
			r.cfg.Logger.Error("pending media", "err", err)
		}
		return
	}
	now := r.cfg.Clock()
	for _, m := range pending {
		if ctx.Err() != nil {
			return
		}
		tr := r.tries[m.ID]
		if now.Before(tr.next) {
			continue
		}
		r.fetch(ctx, m, tr)
	}
	// Two days back covers a report opened up to a day after its receipt.
	if _, err := r.cfg.Store.AttachReceipts(ctx, now.Add(-48*time.Hour)); err != nil && ctx.Err() == nil {
		r.cfg.Logger.Error("attach receipts", "err", err)
	}
}

func (r *Receipts) fetch(ctx context.Context, m store.Media, tr retry) {
	data, ct, err := r.cfg.Fetcher.DownloadMedia(ctx, m.URL, r.cfg.MaxBytes)
	if err == nil {
		err = r.cfg.Store.SaveMediaData(ctx, m.ID, data, ct)
		if err == nil {
			r.forget(m.ID)
			r.cfg.Logger.Info("media downloaded", "media", m.ID, "message", m.MessageID, "bytes", len(data), "type", ct)
			return
		}
		r.cfg.Logger.Error("save media", "media", m.ID, "err", err)
	}
	if ctx.Err() != nil {
		return
	}
	tr.attempts++
	if r.cfg.Permanent(err) || tr.attempts >= r.cfg.Attempts {
		r.cfg.Logger.Warn("media unavailable", "media", m.ID, "message", m.MessageID, "attempts", tr.attempts, "err", err)
		if err := r.cfg.Store.MediaUnavailable(ctx, m, err.Error()); err != nil {
			r.cfg.Logger.Error("record unavailable media", "media", m.ID, "err", err)
			return
		}
		r.forget(m.ID)
		return
	}
	tr.next = r.cfg.Clock().Add(backoff(tr.attempts))
	r.tries[m.ID] = tr
	r.cfg.Logger.Warn("media download failed; will retry", "media", m.ID, "attempts", tr.attempts, "err", err)
}

func (r *Receipts) forget(id int64) { delete(r.tries, id) }
