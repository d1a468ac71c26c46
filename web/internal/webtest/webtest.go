// Package webtest holds what the doors' black-box tests share, so that each
// door's tests can live in the door's package without copying a rig: reading
// a response, asking the SQLite file a question, and a headless browser.
// Only tests import it.
package webtest

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	_ "modernc.org/sqlite" // Count reads the database file directly
)

// ReadAll reads and closes resp's body, failing t when it cannot.
func ReadAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Count runs one read-only query that answers a number against the SQLite
// file at path, on its own connection: assertions look at what was
// committed, not at what the store under test believes.
func Count(t testing.TB, path, q string, args ...any) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// Chromium finds Debian's chromium, which scripts/test installs; a developer
// machine without it skips the browser test rather than failing.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("ACUERDO_CHROMIUM"), "/usr/bin/chromium", "chromium"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Skip("chromium not found (apt-get install -y chromium, or set ACUERDO_CHROMIUM): skipping the headless browser test")
	return ""
}

// Browser starts headless chromium (skipping the test under -short or
// without chromium) and returns its first tab's context, which ends after
// timeout at the latest; t's cleanup closes the browser. opts add to the
// allocator's defaults (a window size, say); new tabs or browser contexts
// are chromedp.NewContext of the returned context.
func Browser(t testing.TB, timeout time.Duration, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	exe := Chromium(t)
	all := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), append(all, opts...)...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// Clock is a clock tests move by hand; a rig gives its Now to the store, the
// engine and the handlers alike, so windows and expiries are crossed without
// sleeping.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time (an acuerdo.Clock).
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Kicker counts kicks: it stands in for the outbox or the hooks sender a
// door kicks after it queued something.
type Kicker struct{ n atomic.Int64 }

// Kick counts one kick.
func (k *Kicker) Kick() { k.n.Add(1) }

// Count is how many kicks there were.
func (k *Kicker) Count() int { return int(k.n.Load()) }
