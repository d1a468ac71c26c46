// Package hooks delivers acuerdo's events (promise created, plan accepted,
// payment link sent, payment registered, case opened or closed, opt-out) to the
// creditor's systems as signed HTTP POSTs. Events are rows of the store's event
// outbox, written with the change they report; the Sender claims them with a
// lease, so a crash loses nothing and several replicas share the work. Delivery
// is at least once: a receiver deduplicates on the event id, which never
// changes between attempts.
package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"acuerdo"
	"acuerdo/store"
)

// Store is what the sender needs of the database.
type Store interface {
	ClaimEvents(ctx context.Context, n int, lease time.Duration) ([]store.PendingEvent, error)
	RecordEventAttempt(ctx context.Context, id int64, a store.EventAttempt) error
}

// Config builds a Sender.
type Config struct {
	Store Store
	// URLs receive every event (ACUERDO_WEBHOOK_URLS).
	URLs []string
	// Secret signs every request (ACUERDO_WEBHOOK_SECRET).
	Secret []byte
	// Client makes the requests; redirects are never followed (a webhook that
	// moved is a configuration to fix, not something to chase).
	Client *http.Client
	// Timeout bounds one POST (default 10 s).
	Timeout time.Duration
	// MaxAttempts before an event is given up and marked failed (default 15,
	// about a day and a half of retries with the default backoff).
	MaxAttempts int
	// Backoff is the wait after the first failed attempt, doubled after each
	// further one up to MaxBackoff (defaults 10 s and 4 h), with ±20 % jitter so
	// that retries after an outage do not arrive all at once.
	Backoff, MaxBackoff time.Duration
	// Poll is how often the outbox is read when nothing wakes the sender
	// (default 2 s).
	Poll time.Duration
	// Workers deliver events of different debtors in parallel (default 4).
	Workers int
	// Jitter returns a number in [0, 1); nil uses math/rand. Tests fix it.
	Jitter  func() float64
	Clock   acuerdo.Clock
	Logger  *slog.Logger
	Metrics *Metrics
}

// Sender delivers events.
type Sender struct {
	cfg  Config
	wake chan struct{}
}

// New checks the configuration and returns a Sender.
func New(cfg Config) (*Sender, error) {
	if len(cfg.URLs) == 0 {
		return nil, errors.New("webhooks: no receiver URLs: set ACUERDO_WEBHOOK_URLS")
	}
	for _, u := range cfg.URLs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("webhooks: %q is not an http(s) URL: write it like https://core.example.com/acuerdo/events", u)
		}
	}
	if len(cfg.Secret) < 16 {
		return nil, errors.New("webhooks: ACUERDO_WEBHOOK_SECRET must be at least 16 characters: receivers verify every event with it")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	c := *cfg.Client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cfg.Client = &c
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 15
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 10 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 4 * time.Hour
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	if cfg.Clock == nil {
		cfg.Clock = acuerdo.SystemClock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Sender{cfg: cfg, wake: make(chan struct{}, 1)}, nil
}

// lease is how long a claimed event is held: every receiver's timeout and
// slack, so that a live worker never loses its claim mid-delivery.
func (s *Sender) lease() time.Duration {
	return time.Duration(len(s.cfg.URLs))*s.cfg.Timeout + 30*time.Second
}

// Kick wakes the sender to look for events now.
func (s *Sender) Kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers events until ctx ends.
func (s *Sender) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		n, err := s.DeliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("webhooks: delivering events", "err", err)
		}
		if n > 0 && err == nil {
			continue // there may be more right behind
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.wake:
		}
	}
}

// DeliverDue claims the events that are due and makes one delivery attempt
// for each, returning how many it attempted.
func (s *Sender) DeliverDue(ctx context.Context) (int, error) {
	evs, err := s.cfg.Store.ClaimEvents(ctx, 64, s.lease())
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	sem := make(chan struct{}, s.cfg.Workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, ev := range evs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := s.deliver(ctx, ev); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return len(evs), errors.Join(errs...)
}

// deliver POSTs one event to every receiver that has not acknowledged it yet
// and records the outcome.
func (s *Sender) deliver(ctx context.Context, ev store.PendingEvent) error {
	done := slices.Clone(ev.DeliveredTo)
	var lastErr string
	var lastStatus int
	for _, u := range s.cfg.URLs {
		if slices.Contains(done, u) {
			continue
		}
		status, err := s.post(ctx, u, ev)
		if err != nil {
			lastStatus, lastErr = status, fmt.Sprintf("%s: %v", redactURL(u), err)
			continue
		}
		done = append(done, u)
	}
	a := store.EventAttempt{DeliveredTo: done, Status: lastStatus, Error: lastErr}
	switch {
	case lastErr == "":
		a.Done = true
		s.cfg.Metrics.event("delivered")
	case ev.Attempts >= s.cfg.MaxAttempts:
		a.Done = true
		a.Error = fmt.Sprintf("gave up after %d attempts: %s", ev.Attempts, lastErr)
		s.cfg.Metrics.event("failed")
		s.cfg.Logger.Error("webhooks: event given up", "event", ev.EventID, "type", ev.Type, "attempts", ev.Attempts, "err", lastErr)
	default:
		a.NextAt = s.cfg.Clock().Add(s.backoff(ev.Attempts))
		s.cfg.Metrics.event("retry")
		s.cfg.Logger.Warn("webhooks: delivery failed, will retry", "event", ev.EventID, "type", ev.Type, "attempt", ev.Attempts, "next", a.NextAt, "err", lastErr)
	}
	// The outcome is recorded even when shutdown began during the POST.
	return s.cfg.Store.RecordEventAttempt(context.WithoutCancel(ctx), ev.ID, a)
}

// backoff is the wait after the n-th failed attempt.
func (s *Sender) backoff(n int) time.Duration {
	d := float64(s.cfg.Backoff) * math.Pow(2, float64(n-1))
	if max := float64(s.cfg.MaxBackoff); d > max {
		d = max
	}
	d *= 0.8 + 0.4*s.cfg.Jitter()
	return time.Duration(d)
}

// post sends the event to one receiver; any 2xx acknowledges it.
func (s *Sender) post(ctx context.Context, u string, ev store.PendingEvent) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(ev.Payload))
	if err != nil {
		return 0, err
	}
	now := s.cfg.Clock()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "acuerdo-webhooks/1")
	req.Header.Set("X-Acuerdo-Event-Id", ev.EventID)
	req.Header.Set("X-Acuerdo-Event-Type", ev.Type)
	req.Header.Set("X-Acuerdo-Timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("X-Acuerdo-Attempt", strconv.Itoa(ev.Attempts))
	req.Header.Set(SignatureHeader, Sign(s.cfg.Secret, now, ev.Payload))
	start := time.Now()
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		result := "error"
		if errors.Is(err, context.DeadlineExceeded) {
			result, err = "timeout", fmt.Errorf("no answer within %s", s.cfg.Timeout)
		}
		s.cfg.Metrics.attempt(result, time.Since(start))
		return 0, err
	}
	// Reading a little of the body lets the connection be reused and keeps a
	// hint of what the receiver said.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		s.cfg.Metrics.attempt("http_error", time.Since(start))
		msg := strings.TrimSpace(string(snippet))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return resp.StatusCode, fmt.Errorf("HTTP %d %s", resp.StatusCode, msg)
	}
	s.cfg.Metrics.attempt("ok", time.Since(start))
	return resp.StatusCode, nil
}

// redactURL keeps a receiver's scheme, host and path for error messages: a
// query string or user info may hold a token.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "receiver"
	}
	return p.Scheme + "://" + p.Host + p.Path
}

// ParseURLs reads ACUERDO_WEBHOOK_URLS: comma-separated, blanks ignored.
func ParseURLs(v string) []string {
	var out []string
	for _, u := range strings.Split(v, ",") {
		if u = strings.TrimSpace(u); u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}
