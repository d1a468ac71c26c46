// Package otlp records trace spans and exports them to an OpenTelemetry
// collector over OTLP/HTTP with the JSON encoding (POST {endpoint}/v1/traces).
//
// It is deliberately small: acuerdo records a handful of span kinds (turns,
// model calls, sends) and needs no sampling, propagation or metrics from
// OpenTelemetry. The official Go exporter pulls gRPC and the OTLP protobuf
// packages into the binary (about 7 MB); this one speaks the same protocol
// with encoding/json. Tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: a nil *Tracer records nothing.
package otlp

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config configures a Tracer.
type Config struct {
	// URL receives the spans: the collector's /v1/traces.
	URL string
	// Header is sent with every export (OTEL_EXPORTER_OTLP_HEADERS), e.g. an API key.
	Header http.Header
	// Service is the service.name resource attribute (OTEL_SERVICE_NAME).
	Service string
	// Interval is how often buffered spans are exported (default 5 s).
	Interval time.Duration
	// MaxBuffer bounds the spans waiting for export (default 4096); beyond it
	// new spans are dropped and counted, so a dead collector costs no memory.
	MaxBuffer int
	Client    *http.Client
	Logger    *slog.Logger
}

// FromEnv reads the standard OpenTelemetry variables. ok is false when no
// endpoint is set: tracing is off.
func FromEnv(getenv func(string) string) (cfg Config, ok bool, err error) {
	u := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
	if u == "" {
		base := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
		if base == "" {
			return Config{}, false, nil
		}
		u = strings.TrimRight(base, "/") + "/v1/traces"
	}
	if p, perr := url.Parse(u); perr != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return Config{}, false, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT %q: want the collector's OTLP/HTTP URL, e.g. http://otel-collector:4318", u)
	}
	if p := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_PROTOCOL")); p != "" && p != "http/json" {
		return Config{}, false, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%s: acuerdo exports http/json only (every OpenTelemetry collector's OTLP/HTTP receiver takes it)", p)
	}
	cfg = Config{URL: u, Header: http.Header{}, Service: strings.TrimSpace(getenv("OTEL_SERVICE_NAME"))}
	if cfg.Service == "" {
		cfg.Service = "acuerdo"
	}
	for _, kv := range strings.Split(getenv("OTEL_EXPORTER_OTLP_HEADERS"), ",") {
		k, v, found := strings.Cut(kv, "=")
		if k = strings.TrimSpace(k); !found || k == "" {
			continue
		}
		if dv, derr := url.QueryUnescape(strings.TrimSpace(v)); derr == nil {
			v = dv
		}
		cfg.Header.Add(k, v)
	}
	return cfg, true, nil
}

// Tracer buffers finished spans and exports them while Run runs. A nil
// *Tracer is valid and records nothing.
type Tracer struct {
	cfg     Config
	mu      sync.Mutex
	buf     []*Span
	dropped int
}

// New returns a Tracer for cfg; call Run to export.
func New(cfg Config) *Tracer {
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Second
	}
	if cfg.MaxBuffer <= 0 {
		cfg.MaxBuffer = 4096
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Tracer{cfg: cfg}
}

// Span is one timed operation. Its methods are safe on a nil *Span.
type Span struct {
	t        *Tracer
	traceID  [16]byte
	spanID   [8]byte
	parentID [8]byte
	name     string
	kind     int
	start    time.Time
	end      time.Time
	attrs    []attr
	errMsg   string
	ended    bool
}

type attr struct {
	key string
	val any // string, int64, float64 or bool
}

// Span kinds, as OTLP numbers them.
const (
	KindInternal = 1
	KindClient   = 3
)

type spanKey struct{}

// Start begins a span named name, a child of the span in ctx if there is one,
// and returns a context carrying it.
func (t *Tracer) Start(ctx context.Context, name string, kind int) (context.Context, *Span) {
	if t == nil {
		return ctx, nil
	}
	s := &Span{t: t, name: name, kind: kind, start: time.Now()}
	if parent, ok := ctx.Value(spanKey{}).(*Span); ok && parent != nil {
		s.traceID, s.parentID = parent.traceID, parent.spanID
	} else {
		putUint64(s.traceID[:8], rand.Uint64())
		putUint64(s.traceID[8:], rand.Uint64())
	}
	putUint64(s.spanID[:], rand.Uint64()|1) // never all zeros, which OTLP reads as "no span"
	return context.WithValue(ctx, spanKey{}, s), s
}

func putUint64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (56 - 8*i))
	}
}

// Set records an attribute: v is a string, an integer, a float64 or a bool.
func (s *Span) Set(key string, v any) {
	if s == nil {
		return
	}
	switch x := v.(type) {
	case int:
		v = int64(x)
	case int32:
		v = int64(x)
	case string, int64, float64, bool:
	default:
		v = fmt.Sprint(v)
	}
	s.attrs = append(s.attrs, attr{key, v})
}

// Fail marks the span as failed with err's message; a nil err does nothing.
func (s *Span) Fail(err error) {
	if s == nil || err == nil {
		return
	}
	s.errMsg = err.Error()
}

// End finishes the span and queues it for export; later calls do nothing.
func (s *Span) End() {
	if s == nil || s.ended {
		return
	}
	s.ended = true
	s.end = time.Now()
	t := s.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.buf) >= t.cfg.MaxBuffer {
		t.dropped++
		return
	}
	t.buf = append(t.buf, s)
}

// Run exports buffered spans every Interval until ctx ends, then once more
// (bounded by 5 s), so the spans of a drain are not lost.
func (t *Tracer) Run(ctx context.Context) {
	if t == nil {
		return
	}
	tick := time.NewTicker(t.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			t.Flush(ctx)
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			t.Flush(fctx)
			cancel()
			return
		}
	}
}

// Flush exports what is buffered now. A failed export is logged and its
// spans dropped: traces are for looking at, not for keeping.
func (t *Tracer) Flush(ctx context.Context) {
	if t == nil {
		return
	}
	t.mu.Lock()
	spans, dropped := t.buf, t.dropped
	t.buf, t.dropped = nil, 0
	t.mu.Unlock()
	if dropped > 0 {
		t.cfg.Logger.Warn("traces: spans dropped, the collector is slow or unreachable", "dropped", dropped)
	}
	if len(spans) == 0 {
		return
	}
	if err := t.export(ctx, spans); err != nil {
		t.cfg.Logger.Warn("traces: export failed", "spans", len(spans), "url", t.cfg.URL, "err", err)
	}
}

func (t *Tracer) export(ctx context.Context, spans []*Span) error {
	body, err := json.Marshal(encode(t.cfg.Service, spans))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, vs := range t.cfg.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return errors.New(resp.Status + ": " + strings.TrimSpace(string(msg)))
	}
	return nil
}

// The OTLP/JSON shapes (opentelemetry-proto, trace/v1 and common/v1): IDs in
// hex, 64-bit integers as decimal strings, enums as numbers.
type (
	exportRequest struct {
		ResourceSpans []resourceSpans `json:"resourceSpans"`
	}
	resourceSpans struct {
		Resource   resource     `json:"resource"`
		ScopeSpans []scopeSpans `json:"scopeSpans"`
	}
	resource struct {
		Attributes []keyValue `json:"attributes"`
	}
	scopeSpans struct {
		Scope scope      `json:"scope"`
		Spans []wireSpan `json:"spans"`
	}
	scope struct {
		Name string `json:"name"`
	}
	wireSpan struct {
		TraceID           string     `json:"traceId"`
		SpanID            string     `json:"spanId"`
		ParentSpanID      string     `json:"parentSpanId,omitempty"`
		Name              string     `json:"name"`
		Kind              int        `json:"kind"`
		StartTimeUnixNano string     `json:"startTimeUnixNano"`
		EndTimeUnixNano   string     `json:"endTimeUnixNano"`
		Attributes        []keyValue `json:"attributes,omitempty"`
		Status            *status    `json:"status,omitempty"`
	}
	status struct {
		Code    int    `json:"code"` // 2: error
		Message string `json:"message,omitempty"`
	}
	keyValue struct {
		Key   string   `json:"key"`
		Value anyValue `json:"value"`
	}
	anyValue struct {
		StringValue *string  `json:"stringValue,omitempty"`
		IntValue    *string  `json:"intValue,omitempty"`
		DoubleValue *float64 `json:"doubleValue,omitempty"`
		BoolValue   *bool    `json:"boolValue,omitempty"`
	}
)

func value(v any) anyValue {
	switch x := v.(type) {
	case int64:
		s := strconv.FormatInt(x, 10)
		return anyValue{IntValue: &s}
	case float64:
		return anyValue{DoubleValue: &x}
	case bool:
		return anyValue{BoolValue: &x}
	default:
		s := fmt.Sprint(v)
		return anyValue{StringValue: &s}
	}
}

func encode(service string, spans []*Span) exportRequest {
	out := make([]wireSpan, 0, len(spans))
	for _, s := range spans {
		w := wireSpan{TraceID: hex.EncodeToString(s.traceID[:]), SpanID: hex.EncodeToString(s.spanID[:]), Name: s.name, Kind: s.kind,
			StartTimeUnixNano: strconv.FormatInt(s.start.UnixNano(), 10), EndTimeUnixNano: strconv.FormatInt(s.end.UnixNano(), 10)}
		if s.parentID != [8]byte{} {
			w.ParentSpanID = hex.EncodeToString(s.parentID[:])
		}
		for _, a := range s.attrs {
			w.Attributes = append(w.Attributes, keyValue{a.key, value(a.val)})
		}
		if s.errMsg != "" {
			w.Status = &status{Code: 2, Message: s.errMsg}
		}
		out = append(out, w)
	}
	return exportRequest{ResourceSpans: []resourceSpans{{
		Resource:   resource{Attributes: []keyValue{{"service.name", value(service)}}},
		ScopeSpans: []scopeSpans{{Scope: scope{Name: "acuerdo"}, Spans: out}},
	}}}
}
