package llm

import (
	"cmp"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// reply is one scripted answer of a fake provider.
type reply struct {
	status int
	header map[string]string
	body   string
	hang   bool // never answer; return when the client gives up
}

// fakeServer is an httptest server that answers its script in order (the last
// reply repeats) and keeps every request it received, so tests check both
// directions of the wire format.
type fakeServer struct {
	*httptest.Server
	t    *testing.T
	path string // the only path it serves, e.g. /v1/chat/completions

	mu      sync.Mutex
	script  []reply
	bodies  [][]byte
	headers []http.Header
}

func newFakeServer(t *testing.T, path string, script ...reply) *fakeServer {
	t.Helper()
	f := &fakeServer{t: t, path: path, script: script}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	n := len(f.bodies)
	f.bodies = append(f.bodies, body)
	f.headers = append(f.headers, r.Header.Clone())
	rep := f.script[min(n, len(f.script)-1)]
	f.mu.Unlock()

	if r.Method != http.MethodPost || r.URL.Path != f.path {
		f.t.Errorf("fake got %s %s, want POST %s", r.Method, r.URL.Path, f.path)
		http.NotFound(w, r)
		return
	}
	if rep.hang {
		<-r.Context().Done()
		return
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(cmp.Or(rep.status, http.StatusOK))
	_, _ = io.WriteString(w, rep.body)
}

// requests returns how many requests arrived.
func (f *fakeServer) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.bodies)
}

// body returns the i-th request body.
func (f *fakeServer) body(i int) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bodies[i]
}

func (f *fakeServer) header(i int) http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.headers[i]
}

// sleeper records the waits the retry loop asks for instead of sleeping.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}
