package engine_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/demo"
	"acuerdo/engine"
	"acuerdo/eval"
	"acuerdo/policy"
	"acuerdo/store"
	"acuerdo/store/storetest"
)

var (
	backlogSize    = flag.Int("backlog", 10000, "first messages BenchmarkBacklog and BenchmarkReplicas answer")
	backlogWorkers = flag.Int("backlog-workers", 0, "turn workers per engine (0: the engine's default)")
	backlogSlots   = flag.Int("backlog-slots", 0, "model slots per engine, which bound concurrent turns (0: the engine's default)")
)

// BenchmarkBacklog measures complete offline turns from a backlog of first
// messages (issue 12: 10,000 of them, each a demo debtor's "hola"): the
// messages are stored with the engine stopped, then the engine starts and the
// clock runs until every turn is answered and every reply sent (through a
// sender that accepts at once). It runs on SQLite, or on PostgreSQL when
// ACUERDO_TEST_POSTGRES names a server (store/storetest).
//
// "agent" is the ceiling measured in the same run: the offline agent alone
// answering the same backlog on the same number of goroutines, its own reads
// and writes included, without the engine's claims, turn records and sends.
// The engine's result reports its ratio to it.
//
//	go test ./engine -run XX -bench Backlog -benchtime 1x -count 3
func BenchmarkBacklog(b *testing.B) {
	var ceiling float64
	b.Run("agent", func(b *testing.B) {
		var sum, cpu float64
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			db, _ := storetest.Open(b, store.Options{})
			convs := seedBacklog(b, db, *backlogSize)
			ag := offlineAgent(db)
			workers := *backlogWorkers
			if workers <= 0 {
				workers = 16 // the engine's default
			}
			b.StartTimer()
			start, cpu0 := time.Now(), processCPU()
			ids := make(chan int64)
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for id := range ids {
						if _, err := ag.Turn(context.Background(), id, agent.Inbound{Text: "hola"}); err != nil {
							b.Error(err)
						}
					}
				}()
			}
			for _, id := range convs {
				ids <- id
			}
			close(ids)
			wg.Wait()
			sum += float64(len(convs)) / time.Since(start).Seconds()
			cpu += float64(processCPU()-cpu0) / float64(time.Microsecond) / float64(len(convs))
		}
		ceiling = sum / float64(b.N)
		b.ReportMetric(ceiling, "turns/s")
		b.ReportMetric(cpu/float64(b.N), "cpu-µs/turn")
		b.ReportMetric(0, "ns/op")
	})
	b.Run("engine", func(b *testing.B) {
		var sum, cpu float64
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			dsn := storetest.NewDatabase(b)
			db, err := store.Open(context.Background(), dsn, store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			convs := seedBacklog(b, db, *backlogSize)
			db.Close()
			b.StartTimer()
			tps, c := drainBacklog(b, dsn, len(convs), 1)
			sum, cpu = sum+tps, cpu+c
		}
		tps := sum / float64(b.N)
		b.ReportMetric(tps, "turns/s")
		b.ReportMetric(cpu/float64(b.N), "cpu-µs/turn")
		if ceiling > 0 {
			b.ReportMetric(tps/ceiling, "ratio-to-agent")
		}
		b.ReportMetric(0, "ns/op")
	})
}

// BenchmarkReplicas is issue 12's scaling figure: the same backlog answered
// by one engine, then by three, each with its own connection pool on one
// PostgreSQL database (as separate `acuerdo serve` replicas would be, woken by
// LISTEN/NOTIFY), reporting turns/s and three replicas' ratio to one. It needs
// PostgreSQL: ACUERDO_TEST_POSTGRES, else the machine's server at
// 127.0.0.1:5432; it is skipped when there is none. Replicas share the
// machine's cores with each other and with PostgreSQL.
//
//	go test ./engine -run XX -bench Replicas -benchtime 1x -count 3
func BenchmarkReplicas(b *testing.B) {
	server := storetest.PostgresURL()
	if server == "" {
		if !storetest.LocalReachable() {
			b.Skip("PostgreSQL is not reachable at 127.0.0.1:5432")
		}
		server = storetest.LocalURL
	}
	var one float64
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("replicas=%d", n), func(b *testing.B) {
			var sum, busy float64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dsn := storetest.NewPostgresDatabase(b, server)
				db, err := store.Open(context.Background(), dsn, store.Options{})
				if err != nil {
					b.Fatal(err)
				}
				convs := seedBacklog(b, db, *backlogSize)
				db.Close()
				b.StartTimer()
				before := machineCPU()
				tps, _ := drainBacklog(b, dsn, len(convs), n)
				busy += machineCPU().busySince(before)
				sum += tps
			}
			tps := sum / float64(b.N)
			b.ReportMetric(tps, "turns/s")
			// The share of the machine's cores busy meanwhile (replicas,
			// PostgreSQL and anything else running): where one replica already
			// keeps them busy, 1/busy is as much as more replicas on this
			// machine could add: the ceiling of ratio-to-one here.
			b.ReportMetric(busy/float64(b.N), "machine-busy")
			if n == 1 {
				one = tps
			} else if one > 0 {
				b.ReportMetric(tps/one, "ratio-to-one")
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}

// cpuTimes are the machine's CPU times from /proc/stat, in clock ticks.
type cpuTimes struct{ busy, total uint64 }

// machineCPU reads the machine's CPU times (Linux); zero elsewhere.
func machineCPU() cpuTimes {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	line, _, _ := strings.Cut(string(data), "\n")
	var t cpuTimes
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseUint(f, 10, 64)
		t.total += v
		if i != 3 && i != 4 { // idle and iowait
			t.busy += v
		}
	}
	return t
}

// busySince is the share of the machine's CPU time busy since before.
func (t cpuTimes) busySince(before cpuTimes) float64 {
	if t.total <= before.total {
		return 0
	}
	return float64(t.busy-before.busy) / float64(t.total-before.total)
}

// seedBacklog creates n demo debtors and stores a first message from each,
// with no engine running, and returns their conversations.
func seedBacklog(b *testing.B, db *store.DB, n int) []int64 {
	b.Helper()
	ctx := context.Background()
	if _, err := demo.Seed(ctx, db, demo.New(7, time.Now().UTC(), true), n); err != nil {
		b.Fatal(err)
	}
	debtors, err := db.Debtors(ctx, n)
	if err != nil {
		b.Fatal(err)
	}
	convs := make([]int64, len(debtors))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i, d := range debtors {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			id, _, err := db.Receive(ctx, acuerdo.ChannelWhatsApp, d.Phone, acuerdo.Message{ProviderID: fmt.Sprintf("SM%032d", i), Body: "hola"}, nil)
			if err != nil {
				b.Error(err)
			}
			convs[i] = id
		}()
	}
	wg.Wait()
	return convs
}

func benchPolicy() policy.Config {
	pol := policy.Default()
	pol.DebtorMinGap, pol.SendRatePerSecond = 0, 1e6 // measure the engine, not the policy's pacing
	return pol
}

func offlineAgent(db *store.DB) *agent.Agent {
	return eval.NewAgent(db, acuerdo.SystemClock, nil, benchPolicy(), slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// drainBacklog starts replicas engines, each on its own pool of the database
// at dsn, and returns turns/s from their start until every one of the n
// turns was answered and its replies sent, and the CPU time this process
// spent per turn meanwhile (µs): a figure other work on the machine changes
// far less than the wall time.
func drainBacklog(b *testing.B, dsn string, n, replicas int) (float64, float64) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var dbs []*store.DB
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("ACUERDO_BENCH_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	var engines []*engine.Engine
	for r := 0; r < replicas; r++ {
		db, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		dbs = append(dbs, db)
		eng := engine.New(engine.Config{Store: db, Agent: offlineAgent(db), Policy: benchPolicy(), Logger: logger, Workers: *backlogWorkers, ModelSlots: *backlogSlots,
			Senders: map[string]engine.Sender{acuerdo.ChannelWhatsApp: acceptSender{}}})
		engines = append(engines, eng)
	}
	start, cpu0 := time.Now(), processCPU()
	for i, eng := range engines {
		wg.Add(2)
		go func() { defer wg.Done(); _ = eng.Run(ctx) }()
		go func() {
			defer wg.Done()
			dbs[i].Listen(ctx, map[string]func(){store.NotifyTurns: eng.WakeTurns, store.NotifyOutbox: eng.Kick})
		}()
	}
	deadline := time.Now().Add(10 * time.Minute)
	for {
		turns, err1 := dbs[0].PendingTurns(ctx)
		outbox, err2 := dbs[0].OutboxDepth(ctx)
		if err1 == nil && err2 == nil && turns == 0 && outbox == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("backlog not drained after 10 minutes: %d turns, %d replies left", turns, outbox)
		}
		// Not oftener: each look is two COUNT queries, which at 5 ms cost 5 %
		// of the process's CPU; 25 ms moves a 5 s run's figure by under 0.5 %.
		time.Sleep(25 * time.Millisecond)
	}
	tps := float64(n) / time.Since(start).Seconds()
	cpu := float64(processCPU()-cpu0) / float64(time.Microsecond) / float64(n)
	b.StopTimer()
	cancel()
	wg.Wait()
	for _, db := range dbs {
		db.Close()
	}
	return tps, cpu
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// acceptSender accepts every message at once, as a provider with no latency.
type acceptSender struct{}

var sendSeq struct {
	sync.Mutex
	n int
}

func (acceptSender) SendText(context.Context, string, string) (engine.Sent, error) {
	sendSeq.Lock()
	defer sendSeq.Unlock()
	sendSeq.n++
	return engine.Sent{ID: fmt.Sprintf("SMout%030d", sendSeq.n), Status: acuerdo.MessageQueued}, nil
}

func (s acceptSender) SendTemplate(ctx context.Context, to string, _ engine.Template) (engine.Sent, error) {
	return s.SendText(ctx, to, "")
}

func (acceptSender) Permanent(error) bool { return false }
func (acceptSender) Code(error) string    { return "" }
