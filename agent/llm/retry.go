package llm

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// failure classifies why an attempt failed; it decides both whether to retry
// and what the error tells the operator.
type failure int

const (
	failHTTP       failure = iota // the provider answered with an error status
	failNetwork                   // no response: connection refused, reset, DNS
	failTimeout                   // the attempt's own timeout fired
	failCanceled                  // the caller's context ended
	failLocal                     // the request never left: mapping or encoding error
	failRetryAfter                // asked to wait longer than Config.MaxRetryAfter
)

// attempt is what the transport saw during one attempt. Client libraries
// (go-openai, langchaingo) flatten HTTP errors into strings or drop headers, so
// the adapters learn the status and Retry-After here instead of parsing
// messages. It travels in the request context, which keeps concurrent calls
// on one shared client apart.
type attempt struct {
	mu         sync.Mutex
	sent       bool // a request reached the transport
	status     int  // last response status; 0 if none came back
	retryAfter time.Duration
	hasRetry   bool
}

type attemptKey struct{}

func (a *attempt) record(resp *http.Response, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sent = true
	if resp == nil {
		return
	}
	a.status = resp.StatusCode
	a.retryAfter, a.hasRetry = parseRetryAfter(resp.Header, now)
}

func (a *attempt) snapshot() (sent bool, status int, retryAfter time.Duration, hasRetry bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sent, a.status, a.retryAfter, a.hasRetry
}

// transport records each response into the attempt found in the request
// context and adds the configured headers.
type transport struct {
	base   http.RoundTripper
	header http.Header
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if len(t.header) > 0 {
		req = req.Clone(req.Context()) // a RoundTripper must not modify the caller's request
		for k, vs := range t.header {
			req.Header.Del(k)
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
	}
	resp, err := t.base.RoundTrip(req)
	if a, ok := req.Context().Value(attemptKey{}).(*attempt); ok {
		a.record(resp, time.Now())
	}
	return resp, err
}

// wrapClient returns a copy of c whose transport records attempts; c itself is
// left alone because the caller may share it.
func wrapClient(c *http.Client, header http.Header) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	base := cp.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp.Transport = &transport{base: base, header: header.Clone()}
	return &cp
}

// parseRetryAfter reads retry-after-ms (OpenAI, Azure) or Retry-After in
// seconds or as an HTTP date.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// defaultBackoff is exponential from 500 ms, capped at 8 s, with "equal
// jitter" (half fixed, half random) so that retries spread out but never
// collapse to zero.
func defaultBackoff(n int) time.Duration {
	d := 500 * time.Millisecond
	for i := 1; i < n && d < 8*time.Second; i++ {
		d *= 2
	}
	d = min(d, 8*time.Second)
	return d/2 + rand.N(d/2+1)
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retry runs call until it succeeds, fails permanently or runs out of
// retries. Each attempt gets its own timeout; ctx bounds all of them and the
// waits in between. It returns how many attempts were made.
func retry(ctx context.Context, cfg Config, p provider, call func(ctx context.Context) error) (int, error) {
	for n := 1; ; n++ {
		a := &attempt{}
		actx, cancel := context.WithTimeout(context.WithValue(ctx, attemptKey{}, a), cfg.Timeout)
		err := call(actx)
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded)
		cancel()
		if err == nil {
			return n, nil
		}
		sent, status, retryAfter, hasRetry := a.snapshot()

		var kind failure
		retryable := false
		switch {
		case ctx.Err() != nil:
			kind, err = failCanceled, errors.Join(ctx.Err(), err)
		case timedOut:
			kind, retryable = failTimeout, true
		case status == http.StatusTooManyRequests || status >= 500:
			kind, retryable = failHTTP, true
		case status != 0:
			// Other 4xx will fail the same way again; a 2xx we could not
			// decode is a bug, not a transient condition.
			kind = failHTTP
		case sent:
			kind, retryable = failNetwork, true
		default:
			kind = failLocal
		}
		if retryable && n <= cfg.MaxRetries {
			wait := cfg.Backoff(n)
			if hasRetry {
				wait = retryAfter
			}
			if wait <= cfg.MaxRetryAfter {
				if serr := cfg.Sleep(ctx, wait); serr != nil {
					return n, &Error{Provider: p.name, StatusCode: status, Attempts: n,
						Hint: p.hint(failCanceled, status, err, cfg.Timeout), Err: errors.Join(serr, err)}
				}
				continue
			}
			kind = failRetryAfter
		}
		return n, &Error{Provider: p.name, StatusCode: status, Attempts: n,
			Hint: p.hint(kind, status, err, cfg.Timeout), Err: err}
	}
}
