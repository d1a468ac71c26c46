package otlp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// collector is an OTLP/HTTP receiver that keeps what it was sent.
type collector struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
}

func newCollector(t *testing.T) *collector {
	c := &collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("collector got %s %s (%s)", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.bodies = append(c.bodies, b)
		c.headers = append(c.headers, r.Header.Clone())
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(c.Close)
	return c
}

func TestExport(t *testing.T) {
	c := newCollector(t)
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": c.URL + "/", "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=s%20cret, x-team = cobros"}
	cfg, ok, err := FromEnv(func(k string) string { return env[k] })
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	tr := New(cfg)
	ctx, turn := tr.Start(context.Background(), "turn", KindInternal)
	turn.Set("conversation.id", int64(42))
	_, call := tr.Start(ctx, "model.generate", KindClient)
	call.Set("gen_ai.request.model", "gemini-2.5-flash")
	call.Set("gen_ai.usage.input_tokens", 300)
	call.Set("ok", true)
	call.Fail(errors.New("429 rate limited"))
	call.End()
	turn.End()
	turn.End() // once only
	tr.Flush(context.Background())

	if len(c.bodies) != 1 {
		t.Fatalf("%d exports, want 1", len(c.bodies))
	}
	if h := c.headers[0]; h.Get("X-Api-Key") != "s cret" || h.Get("X-Team") != "cobros" {
		t.Errorf("headers = %v", h)
	}
	var got exportRequest
	if err := json.Unmarshal(c.bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	rs := got.ResourceSpans[0]
	if *rs.Resource.Attributes[0].Value.StringValue != "acuerdo" || rs.Resource.Attributes[0].Key != "service.name" {
		t.Errorf("resource = %+v", rs.Resource)
	}
	spans := rs.ScopeSpans[0].Spans
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	child, parent := spans[0], spans[1]
	if len(parent.TraceID) != 32 || len(parent.SpanID) != 16 || parent.ParentSpanID != "" {
		t.Errorf("root span ids: %+v", parent)
	}
	if child.TraceID != parent.TraceID || child.ParentSpanID != parent.SpanID || child.SpanID == parent.SpanID {
		t.Errorf("child not linked to its parent: %+v / %+v", child, parent)
	}
	if child.Kind != KindClient || child.Status == nil || child.Status.Code != 2 || child.Status.Message != "429 rate limited" || parent.Status != nil {
		t.Errorf("kind/status: %+v %+v", child, parent)
	}
	if a := child.Attributes; a[0].Key != "gen_ai.request.model" || *a[0].Value.StringValue != "gemini-2.5-flash" ||
		*a[1].Value.IntValue != "300" || !*a[2].Value.BoolValue {
		t.Errorf("attributes = %s", c.bodies[0])
	}
	if *parent.Attributes[0].Value.IntValue != "42" || parent.StartTimeUnixNano > parent.EndTimeUnixNano || child.StartTimeUnixNano < parent.StartTimeUnixNano {
		t.Errorf("parent = %+v", parent)
	}

	tr.Flush(context.Background())
	if len(c.bodies) != 1 {
		t.Error("an empty buffer was exported")
	}
}

func TestBufferBounded(t *testing.T) {
	c := newCollector(t)
	tr := New(Config{URL: c.URL + "/v1/traces", Service: "acuerdo", MaxBuffer: 3})
	for range 10 {
		_, s := tr.Start(context.Background(), "send", KindClient)
		s.End()
	}
	tr.Flush(context.Background())
	var got exportRequest
	if err := json.Unmarshal(c.bodies[0], &got); err != nil {
		t.Fatal(err)
	}
	if n := len(got.ResourceSpans[0].ScopeSpans[0].Spans); n != 3 {
		t.Errorf("%d spans exported, want the buffer's 3", n)
	}
}

func TestNilTracer(t *testing.T) {
	var tr *Tracer
	ctx, s := tr.Start(context.Background(), "turn", KindInternal)
	s.Set("k", "v")
	s.Fail(errors.New("x"))
	s.End()
	tr.Flush(ctx)
	tr.Run(ctx)
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		env     map[string]string
		ok      bool
		url     string
		wantErr string
	}{
		{env: map[string]string{}, ok: false},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:4318"}, ok: true, url: "http://otel:4318/v1/traces"},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://x.example/traces"}, ok: true, url: "https://x.example/traces"},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "otel:4318"}, wantErr: "want the collector's OTLP/HTTP URL"},
		{env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, wantErr: "http/json only"},
	}
	for _, tt := range tests {
		cfg, ok, err := FromEnv(func(k string) string { return tt.env[k] })
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: err = %v, want %q", tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil || ok != tt.ok || cfg.URL != tt.url {
			t.Errorf("%v: %+v %v %v", tt.env, cfg, ok, err)
		}
	}
}
