package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"acuerdo"
	"acuerdo/demo"
	"acuerdo/engine"
	"acuerdo/experiments"
	"acuerdo/kb"
	"acuerdo/otlp"
	"acuerdo/paylink"
	"acuerdo/pilot"
	"acuerdo/store"
	"acuerdo/web"
	"acuerdo/web/sandbox"
	"acuerdo/whatsapp"
)

func init() {
	register(command{name: "serve", summary: "run the service: WhatsApp webhooks, metrics, the analysts' dashboard and the --demo sandbox", run: runServe})
}

const serveAbout = `Runs acuerdo: Twilio's WhatsApp webhooks (POST /webhooks/twilio/inbound and
/webhooks/twilio/status), the engine that answers and delivers messages,
GET /healthz and GET /metrics (Prometheus).

WhatsApp needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM
(all three; with none, serve runs the console, API and dashboard with WhatsApp
off, and says so in its log and in /healthz), ACUERDO_PUBLIC_URL (the https URL Twilio calls; it also receives
delivery statuses) and, for messages outside the 24-hour window, approved
templates in ACUERDO_TEMPLATES (a JSON file {"reengage/es": "HX…", …}).

--demo refuses a database that holds any debtor it did not make up (a real
portfolio). With --demo, an empty database gets a synthetic portfolio of 200 debtors and
a simulated 60-day pilot of 400 more (as "acuerdo simulate" makes it: its
treatment debtors talked to the agent), so /dashboard has results to show; and
/sandbox serves a browser chat where you pick a debtor and talk to the agent
through the same engine, without Twilio:

  acuerdo serve --demo      # then open http://localhost:8080/sandbox

/console is the operator console for the collections team: sign in, work the
inbox of escalated cases, reply to debtors, manage contacts and users. Create
the first admin with "acuerdo user add --email … --role admin --password-stdin";
with --demo, a demo admin and operator are created and their passwords printed
on standard error. ACUERDO_TEMPLATE_BUDGET sets the monthly WhatsApp template
budget its counters compare with; ACUERDO_CONSOLE_TZ its time zone (IANA name).
Sign-ins are limited per account and per client address (5 and 20 failures in
15 minutes); behind a reverse proxy, set ACUERDO_TRUSTED_PROXIES to its
addresses (CIDRs, comma-separated) so X-Forwarded-For names the client.

GET /dashboard shows each experiment's results (the same numbers as "acuerdo
report") with CSV downloads. It needs ACUERDO_DASHBOARD_TOKEN, a read-only token
sent as "Authorization: Bearer TOKEN" or opened once as /dashboard?token=TOKEN
(which sets a cookie); without it the dashboard is served only with --demo.

Payment links go through Stripe (STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET) or
MercadoPago (MERCADOPAGO_ACCESS_TOKEN, MERCADOPAGO_WEBHOOK_SECRET) for the
currencies ACUERDO_PAYMENT_PROVIDERS routes to them, e.g.
"BRL=mercadopago,USD=stripe"; other currencies use the signed URL template
(ACUERDO_PAYLINK_URL). Their webhooks, POST /webhooks/stripe and
/webhooks/mercadopago, record confirmed payments; both need ACUERDO_PUBLIC_URL.

/api/v1 is the creditor's core-system API (described at /api/v1/openapi.json),
with keys from "acuerdo apikey create". Events (promise created, plan
accepted, payment link sent, payment registered, case opened or closed,
opt-out) are POSTed, signed, to ACUERDO_WEBHOOK_URLS (comma-separated) with
ACUERDO_WEBHOOK_SECRET, retried with backoff until acknowledged.

Logs are JSON lines on standard error (ACUERDO_LOG_LEVEL=debug for more).
SIGINT or SIGTERM stops taking requests, lets running turns finish and flushes
the outbox before exiting.`

// demoDebtors is the size of the portfolio --demo seeds for the sandbox, and
// demoPilotDebtors that of the simulated pilot the dashboard shows.
const (
	demoDebtors      = 200
	demoPilotDebtors = 400
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "serve", "serve [--addr :8080] [--demo]", serveAbout)
	addr := fs.String("addr", ":8080", "`address` to listen on, host:port")
	demoMode := fs.Bool("demo", false, "seed a demo portfolio into an empty database and serve the /sandbox chat")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("serve takes no arguments, got %q", fs.Arg(0))
	}
	logger, err := newLogger(e)
	if err != nil {
		return err
	}
	tw, err := twilioFromEnv(e)
	if err != nil {
		return &exitError{2, err}
	}
	if tw == nil {
		// The console, the API and the dashboard are useful before WhatsApp
		// is (while Meta reviews the sender): serve them, and say so.
		logger.Warn(web.WhatsAppOff + ": serving the console, API and dashboard without WhatsApp; Twilio webhooks answer 403 and nothing goes out on WhatsApp")
	}
	templates, err := loadTemplates(e.getenv("ACUERDO_TEMPLATES"))
	if err != nil {
		return &exitError{2, err}
	}
	lease, err := leaseFromEnv(e)
	if err != nil {
		return err
	}
	publicURL := strings.TrimSpace(e.getenv("ACUERDO_PUBLIC_URL"))
	if tw != nil && publicURL == "" {
		logger.Warn("ACUERDO_PUBLIC_URL is not set: signatures are checked against the forwarded host, and Twilio sends no delivery statuses")
	}
	if tw != nil && len(templates) == 0 {
		logger.Warn("ACUERDO_TEMPLATES is not set: messages outside the 24-hour window are held until the debtor writes")
	}

	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if *demoMode {
		if err := demoSafe(ctx, db, *dbPath); err != nil {
			return err
		}
		seeded, err := seedDemo(ctx, db, logger)
		if err != nil {
			return err
		}
		// The demo creditor's FAQ, so the sandbox answers questions from it.
		if ok, err := demo.SeedKnowledge(ctx, db); err != nil {
			return fmt.Errorf("demo documents: %w", err)
		} else if ok {
			logger.Info("demo: loaded the creditor's documents")
		}
		if seeded {
			if err := seedDemoPilot(ctx, e, *dbPath, logger); err != nil {
				return fmt.Errorf("demo pilot: %w", err)
			}
		}
	}
	// Documents imported before an analyser change are indexed the old way.
	if n, err := kb.Reanalyse(ctx, db); err != nil {
		return fmt.Errorf("re-analysing the documents: %w", err)
	} else if n > 0 {
		logger.Info("knowledge base: re-analysed documents indexed by an older analyser", "documents", n)
	}
	pol, err := loadPolicy(readConfig(e))
	if err != nil {
		return &exitError{2, err}
	}
	clock := acuerdo.SystemClock
	// Traces go to an OpenTelemetry collector only when one is configured.
	tcfg, tracing, err := otlp.FromEnv(e.getenv)
	if err != nil {
		return &exitError{2, err}
	}
	if tracing {
		tcfg.Logger = logger
		e.tracer = otlp.New(tcfg)
		logger.Info("traces: exporting to an OTLP collector", "url", tcfg.URL, "service", tcfg.Service)
	}
	agent, closeModel, err := newAgent(ctx, e, db, clock, logger)
	if err != nil {
		return err
	}
	defer closeModel()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{Namespace: "acuerdo"}))
	metrics := engine.NewMetrics(reg, db)
	webhooks, err := webhooksFromEnv(e, db, reg, clock, logger)
	if err != nil {
		return err
	}
	defer startWebhooks(ctx, webhooks)()

	senders := map[string]engine.Sender{}
	var receipts *engine.Receipts
	if tw != nil {
		senders[acuerdo.ChannelWhatsApp] = twilioSender{c: tw.client, known: recorded(db)}
		if tw.sms != nil {
			senders[acuerdo.ChannelSMS] = smsSender{twilioSender{c: tw.sms, known: recorded(db)}}
		}
		receipts = engine.NewReceipts(engine.ReceiptsConfig{Store: db, Fetcher: tw.client, Permanent: whatsapp.IsPermanent, Clock: clock, Logger: logger})
	}
	if *demoMode {
		senders[acuerdo.ChannelSandbox] = sandbox.Sender{}
	}
	var turner engine.Turner = agent
	if e.tracer != nil {
		turner = tracedTurner{next: agent, t: e.tracer}
	}
	eng := engine.New(engine.Config{Store: db, Agent: turner, Senders: traceSenders(e.tracer, senders), Policy: pol, Templates: templates,
		Clock: clock, Logger: logger, Metrics: metrics, Rank: whatsapp.StatusRank, Unreachable: whatsapp.UnreachableReason, Lease: lease, SendLease: lease, StaleSend: lease})
	// On PostgreSQL every replica's workers wake when work appears anywhere
	// (LISTEN/NOTIFY); the engine's idle polls only back that up.
	wakeups := map[string]func(){store.NotifyTurns: eng.WakeTurns, store.NotifyOutbox: eng.Kick}
	if webhooks != nil {
		wakeups[store.NotifyEvents] = webhooks.Kick
	}
	go db.Listen(ctx, wakeups)

	// The dashboard shows every pilot's results, so without a token it is only
	// served on a demo database, whose data is synthetic.
	dashToken := strings.TrimSpace(e.getenv("ACUERDO_DASHBOARD_TOKEN"))
	if dashToken == "" && !*demoMode {
		logger.Info("dashboard off: set ACUERDO_DASHBOARD_TOKEN to serve /dashboard")
	}
	prices, err := pilot.LoadPrices(e.getenv("ACUERDO_PRICES"))
	if err != nil {
		return &exitError{2, err}
	}
	wcfg := web.Config{Engine: eng, Store: db, PublicURL: publicURL, Metrics: metrics, Gatherer: reg,
		Sandbox: *demoMode, Dashboard: dashToken != "" || *demoMode, DashboardToken: dashToken, DashboardPrices: &prices, Clock: clock, Logger: logger,
		ServiceWindow: pol.ServiceWindow}
	// /api/v1 is always mounted; without a key (acuerdo apikey create) it
	// answers every request 401.
	wcfg.API = true
	if webhooks != nil {
		wcfg.Events = webhooks
	}
	if tw != nil {
		wcfg.AuthToken, wcfg.AccountSID = tw.cfg.AuthToken, tw.cfg.AccountSID
		wcfg.Media = receipts
	}
	// The operator console is the collections team's door: always served.
	if wcfg.ConsoleOptions, err = consoleOptions(e, pol); err != nil {
		return err
	}
	wcfg.Console, wcfg.Outbox, wcfg.Tools = true, eng, agent.Tools()
	if *demoMode {
		if err := seedDemoUsers(ctx, e, db); err != nil {
			return err
		}
	}
	// Payment providers' webhooks (POST /webhooks/stripe, /webhooks/mercadopago)
	// for the providers configured; the agent's links come from newAgent.
	pay, err := paymentsFromEnv(e, db, clock, paylink.Template{}, nil)
	if err != nil {
		return &exitError{2, err}
	}
	pay.webhooks(&wcfg)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return &exitError{2, fmt.Errorf("listen on %s: %w (is another acuerdo running? try --addr)", *addr, err)}
	}
	srv := &http.Server{
		// Request counts and latency by route (acuerdo_http_*), around every door.
		Handler: web.InstrumentRoutes(reg, web.New(wcfg)),
		// Twilio and browsers send small requests; slow ones only hold resources.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// Spans are exported until the drain is over, then flushed once more.
	defer startTraces(ctx, e.tracer)()
	return serveUntilDone(ctx, e, logger, srv, ln, eng, receipts, *demoMode)
}

// serveUntilDone runs the HTTP server, the engine and the receipts worker until
// ctx ends (a signal) or one of them fails, then shuts down in order: stop
// taking requests, then let the engine finish its turns and flush the outbox.
func serveUntilDone(ctx context.Context, e *env, logger *slog.Logger, srv *http.Server, ln net.Listener, eng *engine.Engine, receipts *engine.Receipts, demoMode bool) error {
	// The engine outlives ctx: after the last request is answered it still has
	// turns to finish and replies to send.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	failed := make(chan error, 3)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := eng.Run(work); err != nil {
			failed <- fmt.Errorf("engine: %w", err)
		}
	}()
	if receipts != nil {
		wg.Add(1)
		go func() { defer wg.Done(); _ = receipts.Run(work) }()
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			failed <- fmt.Errorf("http: %w", err)
		}
	}()

	base := baseURL(ln.Addr())
	// One write: whoever watches stdout for "serving on" (a supervisor, a
	// test) must find the addresses that belong with it in the same read.
	banner := fmt.Sprintf("acuerdo serving on %s\nconsole: %s/console/login\n", base, base)
	if demoMode {
		banner += fmt.Sprintf("sandbox: %s/sandbox\n", base)
	}
	fmt.Fprint(e.stdout, banner)
	logger.Info("serving", "url", base, "demo", demoMode, "whatsapp", receipts != nil)

	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case runErr = <-failed:
		logger.Error("stopping", "err", runErr)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("http shutdown", "err", err)
	}
	stopWork()
	wg.Wait()
	logger.Info("stopped")
	return runErr
}

// baseURL is the URL to print for a listener: a wildcard address becomes
// localhost, which is what a person on the machine can open.
func baseURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// demoSafe refuses --demo on a database holding debtors acuerdo did not make
// up: --demo creates users whose passwords it prints, opens the dashboard
// without a token and lists every debtor with the last digits of their
// document (the identity check itself) in /sandbox. Those are fine for a
// synthetic portfolio and a breach for a real one.
func demoSafe(ctx context.Context, db *store.DB, dbPath string) error {
	n, err := db.RealDebtors(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return &exitError{2, fmt.Errorf("--demo refuses %s: it holds %d debtors that are not demo data (a real portfolio), "+
			"and --demo prints passwords, opens the dashboard without a token and shows debtors in /sandbox. "+
			"Run the demo on its own database (acuerdo serve --demo --db demo.db), or serve this one without --demo", dbPath, n)}
	}
	return nil
}

// seedDemo loads the demo portfolio into an empty database; a database that
// has debtors is left alone, so restarting the demo keeps its conversations.
func seedDemo(ctx context.Context, db *store.DB, logger *slog.Logger) (bool, error) {
	n, err := db.Count(ctx)
	if err != nil {
		return false, err
	}
	if n.Debtors > 0 {
		logger.Info("demo: database already has debtors; not seeding", "debtors", n.Debtors)
		return false, nil
	}
	sum, err := demo.Seed(ctx, db, demo.New(1, time.Now().UTC(), true), demoDebtors)
	if err != nil {
		return false, fmt.Errorf("demo portfolio: %w", err)
	}
	logger.Info("demo: seeded portfolio", "summary", sum.String())
	seeded, err := demo.SeedEscalations(ctx, db, time.Now().UTC())
	if err != nil {
		return false, err
	}
	logger.Info("demo: seeded the inbox", "escalations", seeded)
	return true, nil
}

// seedDemoPilot adds a simulated pilot, after the sandbox's debtors, so the
// demo's dashboard shows a pilot whose treatment arm really talked to the agent.
func seedDemoPilot(ctx context.Context, e *env, dbPath string, logger *slog.Logger) error {
	cfg := experiments.SimConfig{N: demoPilotDebtors, Seed: 7, Salt: "demo-pilot", TreatmentShare: 0.5, Lift: 0.3, Horizon: 60}
	if err := simulatePilot(ctx, e, dbPath, cfg, time.Now().UTC(), true, io.Discard); err != nil {
		return err
	}
	logger.Info("demo: simulated a pilot for the dashboard", "experiment", cfg.Salt, "debtors", cfg.N)
	return nil
}

// newLogger writes JSON lines to stderr at ACUERDO_LOG_LEVEL (default info).
// Full phone numbers and message bodies are never logged at info or above.
func newLogger(e *env) (*slog.Logger, error) {
	var level slog.Level
	if v := e.getenv("ACUERDO_LOG_LEVEL"); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			return nil, usageErr("ACUERDO_LOG_LEVEL %q: want debug, info, warn or error", v)
		}
	}
	return slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level})), nil
}
