package web_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"acuerdo"
	"acuerdo/demo"
	"acuerdo/engine"
	"acuerdo/eval"
	"acuerdo/policy"
	"acuerdo/store"
	"acuerdo/web"
	"acuerdo/web/internal/webtest"
	"acuerdo/web/sandbox"
	"acuerdo/whatsapp"
)

var (
	loadRates    = flag.String("load-rates", "500,1000,2000,4000", "comma-separated inbound `rates` (messages/s) BenchmarkLoad steps through")
	loadDuration = flag.Duration("load-duration", 2*time.Second, "how long BenchmarkLoad offers each rate")
	loadWorkers  = flag.Int("load-workers", 0, "engine turn workers (0: the engine's default)")
	loadKinds    = flag.String("load-kinds", "acuerdo,drain,bare", "what BenchmarkLoad measures: acuerdo (the full stack), ingest (webhooks into the store, no turns), drain (ingest, then the engine answers the backlog), bare (chi doing nothing)")
	loadInFlight = flag.Int("load-inflight", 512, "most webhook requests BenchmarkLoad has open at once")
)

// BenchmarkLoad offers signed inbound webhooks over loopback at increasing
// rates, open loop (each request has a scheduled time and its latency counts
// from then, so a slow server cannot hide its queue), and reports:
//
//	acked/s  sustained 200s per second over the step
//	p50-ms   median webhook latency, p99-ms the 99th percentile
//	turns/s  complete offline turns per second, from the first request until
//	         every message was answered (replies queued and sent)
//
// "acuerdo" is the real stack: signature check, parse, engine.Receive into
// SQLite, the offline agent and a sender that delivers at once, every message a
// demo debtor's first turn (greeting and identity question). "drain" stores the
// messages with the engine stopped, then times the engine alone answering the
// backlog: its turn capacity. "ingest" is the webhook path alone. "bare" is a
// chi handler that only reads the body and answers TwiML: the ceiling of the
// HTTP path on this machine. Client and server share the machine's cores.
//
//	go test ./web -run XX -bench Load -benchtime 1x
func BenchmarkLoad(b *testing.B) {
	var rates []int
	for _, s := range strings.Split(*loadRates, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || r <= 0 {
			b.Fatalf("-load-rates %q: want positive integers", *loadRates)
		}
		rates = append(rates, r)
	}
	for _, kind := range strings.Split(*loadKinds, ",") {
		for _, rate := range rates {
			b.Run(fmt.Sprintf("%s/rate=%d", kind, rate), func(b *testing.B) {
				res := runLoad(b, kind, rate, *loadDuration)
				b.ReportMetric(res.ackedPerSec, "acked/s")
				b.ReportMetric(res.p50.Seconds()*1000, "p50-ms")
				b.ReportMetric(res.p99.Seconds()*1000, "p99-ms")
				if res.turnsPerSec > 0 {
					b.ReportMetric(res.turnsPerSec, "turns/s")
				}
				b.ReportMetric(0, "ns/op") // one run per step; ns/op means nothing here
			})
		}
	}
}

type loadResult struct {
	ackedPerSec, turnsPerSec float64
	p50, p99                 time.Duration
}

// loadTarget is a server under load and how to tell its turns are done.
type loadTarget struct {
	url    string
	phones []string
	// remaining counts conversations waiting for a turn and replies waiting to
	// be sent; nil when the target runs no turns.
	remaining func() (turns, outbox int)
	start     func() // starts the engine when it was not running from the first request
	close     func()
}

func runLoad(b *testing.B, kind string, rate int, d time.Duration) loadResult {
	n := int(float64(rate) * d.Seconds())
	n = max(1, min(n, 40000)) // bounded, whatever the flags say
	var tgt loadTarget
	switch kind {
	case "bare":
		tgt = bareTarget(n)
	case "acuerdo", "ingest", "drain":
		tgt = acuerdoTarget(b, n, kind == "acuerdo")
		if kind == "ingest" {
			tgt.remaining = nil
		}
	default:
		b.Fatalf("-load-kinds: unknown %q", kind)
	}
	defer tgt.close()

	// Sign everything first: the client's work should not slow the offer.
	type req struct{ body, sig string }
	reqs := make([]req, n)
	for i := range reqs {
		form := webtest.InboundForm(fmt.Sprintf("SM%032d", i), tgt.phones[i], "hola")
		reqs[i] = req{form.Encode(), whatsapp.Signature(webtest.Token, tgt.url+whatsapp.InboundPath, form)}
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: *loadInFlight, MaxIdleConnsPerHost: *loadInFlight}}
	defer client.CloseIdleConnections()

	lat := make([]time.Duration, n)
	ok := make([]bool, n)
	sem := make(chan struct{}, *loadInFlight)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < n; i++ {
		due := start.Add(time.Duration(i) * interval)
		if w := time.Until(due); w > 0 {
			time.Sleep(w)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			hr, _ := http.NewRequest(http.MethodPost, tgt.url+whatsapp.InboundPath, strings.NewReader(reqs[i].body))
			hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			hr.Header.Set(whatsapp.SignatureHeader, reqs[i].sig)
			resp, err := client.Do(hr)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ok[i] = resp.StatusCode == http.StatusOK
			}
			lat[i] = time.Since(due) // from when it was due: queueing counts
		}()
	}
	wg.Wait()
	acked := 0
	var ackLat []time.Duration
	for i := range ok {
		if ok[i] {
			acked++
			ackLat = append(ackLat, lat[i])
		}
	}
	offerEnd := time.Since(start)
	res := loadResult{ackedPerSec: float64(acked) / offerEnd.Seconds()}
	if len(ackLat) > 0 {
		slices.Sort(ackLat)
		res.p50 = ackLat[len(ackLat)/2]
		res.p99 = ackLat[min(len(ackLat)-1, len(ackLat)*99/100)]
	}
	if kind == "drain" {
		// The backlog is stored; now time the engine alone answering it.
		start = time.Now()
		tgt.start()
	}
	if tgt.remaining != nil {
		// Every acknowledged message is its own conversation's first turn; the
		// turn is complete when it is answered and its replies were sent.
		deadline := time.Now().Add(max(30*time.Second, 10*d))
		turns, outbox := tgt.remaining()
		for (turns > 0 || outbox > 0) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			turns, outbox = tgt.remaining()
		}
		res.turnsPerSec = float64(acked-turns) / time.Since(start).Seconds()
	}
	b.StopTimer()
	b.Logf("%s rate %d/s: %d/%d acknowledged, %.0f acked/s, p50 %.2f ms, p99 %.2f ms, %.0f turns/s",
		kind, rate, acked, n, res.ackedPerSec, res.p50.Seconds()*1000, res.p99.Seconds()*1000, res.turnsPerSec)
	return res
}

// bareTarget is chi answering empty TwiML without looking at anything.
func bareTarget(n int) loadTarget {
	r := chi.NewRouter()
	r.Post(whatsapp.InboundPath, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Response></Response>`))
	})
	srv := httptest.NewServer(r)
	phones := make([]string, n)
	for i := range phones {
		phones[i] = fmt.Sprintf("+5731%08d", i)
	}
	return loadTarget{url: srv.URL, phones: phones, close: srv.Close}
}

// acuerdoTarget is the real stack over a fresh database with one demo debtor
// per message, so every message is a first turn: greeting and identity question.
func acuerdoTarget(b *testing.B, n int, turns bool) loadTarget {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "load.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := demo.Seed(ctx, db, demo.New(7, time.Now().UTC(), true), n); err != nil {
		b.Fatal(err)
	}
	debtors, err := db.Debtors(ctx, n)
	if err != nil {
		b.Fatal(err)
	}
	phones := make([]string, n)
	for i, d := range debtors {
		phones[i] = d.Phone
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	pol := policy.Default()
	pol.DebtorMinGap, pol.SendRatePerSecond = 0, 1e6 // measure the engine, not the policy's pacing
	eng := engine.New(engine.Config{Store: db, Agent: eval.NewAgent(db, acuerdo.SystemClock, nil, pol, logger), Policy: pol,
		Senders: map[string]engine.Sender{acuerdo.ChannelWhatsApp: sandbox.Sender{}}, Logger: logger, Rank: whatsapp.StatusRank, Workers: *loadWorkers})
	srv := httptest.NewServer(web.New(web.Config{Engine: eng, Store: db, AuthToken: webtest.Token, Logger: logger}))
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	var once sync.Once
	start := func() { once.Do(func() { go func() { defer close(stopped); _ = eng.Run(runCtx) }() }) }
	if turns {
		start()
	}
	remaining := func() (int, int) {
		t, err1 := db.PendingTurns(ctx)
		o, err2 := db.OutboxDepth(ctx)
		if err1 != nil || err2 != nil {
			return 1, 1
		}
		return t, o
	}
	return loadTarget{url: srv.URL, phones: phones, remaining: remaining, start: start, close: func() {
		srv.Close()
		cancel()
		once.Do(func() { close(stopped) }) // never started
		<-stopped
		db.Close()
	}}
}
