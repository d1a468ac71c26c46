// Package web assembles acuerdo's doors into one chi router: the providers'
// webhooks (web/webhooks), the operators' console (web/console), the
// creditor's API (web/api), the analysts' dashboard (web/dashboard) and, in
// demo mode, the sandbox chat (web/sandbox), behind the shared request ids,
// recoverer and body limits (web/internal/httpx); and it serves /healthz and
// /metrics itself. Each door has its own Config and declares the part of the
// store it uses; New hands them their parts of one Config.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"acuerdo"
	"acuerdo/engine"
	"acuerdo/kb"
	"acuerdo/pilot"
	"acuerdo/web/api"
	"acuerdo/web/console"
	"acuerdo/web/dashboard"
	"acuerdo/web/internal/httpx"
	"acuerdo/web/sandbox"
	"acuerdo/web/webhooks"
)

// Engine is what the doors need of the engine (each door declares its part):
// durable, idempotent intake of inbound messages and status callbacks.
type Engine interface {
	webhooks.Engine
	sandbox.Engine
}

// Store is what the doors need of the store (a *store.DB), each door
// declaring its own part, and Ping for /healthz. web.New hands each door the
// same store through its door's interface, so no door sees more of it.
type Store interface {
	Ping(ctx context.Context) error
	webhooks.Store
	api.Store
	dashboard.Store
	sandbox.Store
	console.Store
}

// Config builds the router.
type Config struct {
	Engine Engine
	Store  Store
	// AuthToken verifies X-Twilio-Signature; empty refuses every webhook (403),
	// since nothing can be verified.
	AuthToken string
	// AccountSID, when set, must match the AccountSid Twilio posts.
	AccountSID string
	// PublicURL is the base URL Twilio calls (ACUERDO_PUBLIC_URL); empty
	// reconstructs it from X-Forwarded-Proto/Host and the request.
	PublicURL string
	// Media is kicked when an inbound message brought attachments; may be nil.
	Media interface{ Kick() }
	// Metrics counts rejected webhooks; nil counts nothing.
	Metrics *engine.Metrics
	// Gatherer is served at /metrics; nil serves no metrics.
	Gatherer prometheus.Gatherer
	// Sandbox turns on /sandbox, the demo chat over the sandbox channel.
	Sandbox bool
	// Dashboard turns on /dashboard, the analysts' read-only view of pilots.
	Dashboard bool
	// DashboardToken is the dashboard's read-only token (Bearer, or ?token=
	// which sets a cookie); empty lets anyone in, so cmd only mounts the
	// dashboard without one in --demo.
	DashboardToken string
	// DashboardResamples is the bootstrap's per report (default
	// experiments.DefaultBootstrap); tests make it small.
	DashboardResamples int
	// DashboardPrices are the template and operator rates (ACUERDO_PRICES);
	// nil is pilot's built-in table.
	DashboardPrices *pilot.Prices
	// Console turns on /console, the operator console (sign-in, inbox, cases,
	// contacts, users).
	Console bool
	// ConsoleOptions tune the console; the zero value is the production setting.
	ConsoleOptions console.Options
	// Outbox is kicked after the console queues a message (an operator's
	// reply), so it goes out now rather than at the next poll; may be nil.
	Outbox interface{ Kick() }
	// Stripe and MercadoPago, when set, serve POST /webhooks/stripe and
	// /webhooks/mercadopago: verified, confirmed payment notifications
	// (web/webhooks). A confirmed payment's thank-you also kicks Outbox.
	Stripe      webhooks.PaymentWebhook
	MercadoPago webhooks.PaymentWebhook
	Clock       acuerdo.Clock
	Logger      *slog.Logger
	// ServiceWindow is WhatsApp's customer-service window as the policy
	// configures it (service_window); zero is the default's. The console and
	// the payment webhooks ask policy.WindowOpen with it, as the engine does.
	ServiceWindow time.Duration
	// StoreTimeout bounds the durable write behind an acknowledgement (default 10 s).
	StoreTimeout time.Duration
	// API turns on /api/v1, the creditor's core-system API (API-key auth).
	API bool
	// Events is kicked after the API records something that emits webhook
	// events (the hooks sender), so they go out now; may be nil.
	Events interface{ Kick() }
	// Tools are the agent's tools, which the console's agreements (plan,
	// promise, due date, pause) go through; nil refuses them.
	Tools console.Tools
}

// server holds what the assembler's own routes (/healthz) need.
type server struct{ cfg Config }

// bodyLimits are the doors' request-body limits, by path prefix; every other
// path gets httpx.DefaultMaxBody (the console's forms, the dashboard).
var bodyLimits = []httpx.BodyLimit{
	{Prefix: "/api/v1/", Max: api.MaxBody, Refuse: api.RefuseBody},                     // batches of debtors
	{Prefix: "/webhooks/twilio/", Max: webhooks.MaxTwilioBody},                         // Twilio's forms
	{Prefix: "/webhooks/", Max: webhooks.MaxPaymentBody},                               // payment providers' events
	{Prefix: "/sandbox/", Max: sandbox.MaxBody},                                        // a receipt of up to 5 MB in base64
	{Prefix: console.KBUploadPath, Max: kb.MaxFileBytes, Refuse: console.RefuseKBBody}, // a document, as the body
}

// New returns the router.
func New(cfg Config) http.Handler {
	if cfg.Clock == nil {
		cfg.Clock = acuerdo.SystemClock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = slog.New(httpx.LogHandler{Handler: cfg.Logger.Handler()})
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = 10 * time.Second
	}
	s := &server{cfg: cfg}
	r := chi.NewRouter()
	r.Use(httpx.WithRequestID, httpx.Recoverer(cfg.Logger), httpx.LimitBodies(cfg.Logger, bodyLimits))
	webhooks.Mount(r, webhooks.Config{Engine: cfg.Engine, Store: cfg.Store, Clock: cfg.Clock, Logger: cfg.Logger,
		AuthToken: cfg.AuthToken, AccountSID: cfg.AccountSID, PublicURL: cfg.PublicURL, Media: cfg.Media, Metrics: cfg.Metrics,
		Stripe: cfg.Stripe, MercadoPago: cfg.MercadoPago, Outbox: cfg.Outbox, ServiceWindow: cfg.ServiceWindow, StoreTimeout: cfg.StoreTimeout})
	r.Get("/healthz", s.healthz)
	if cfg.Gatherer != nil {
		r.Handle("/metrics", promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{ErrorLog: slogPrinter{cfg.Logger}}))
	}
	var con *console.Server
	if cfg.Console {
		con = console.New(console.Config{Store: cfg.Store, Clock: cfg.Clock, Logger: cfg.Logger, Options: cfg.ConsoleOptions,
			Tools: cfg.Tools, Outbox: cfg.Outbox, Events: cfg.Events, ServiceWindow: cfg.ServiceWindow, PublicURL: cfg.PublicURL})
		con.Mount(r)
	}
	if cfg.Sandbox {
		sandbox.Mount(r, sandbox.Config{Store: cfg.Store, Engine: cfg.Engine, Clock: cfg.Clock, Logger: cfg.Logger, StoreTimeout: cfg.StoreTimeout})
	}
	if cfg.Dashboard {
		dc := dashboard.Config{Store: cfg.Store, Clock: cfg.Clock, Logger: cfg.Logger,
			Token: cfg.DashboardToken, Resamples: cfg.DashboardResamples, Prices: cfg.DashboardPrices}
		if con != nil {
			dc.SignedIn = con.SignedIn
		}
		dashboard.Mount(r, dc)
	}
	if cfg.API {
		api.Mount(r, api.Config{Store: cfg.Store, Clock: cfg.Clock, Logger: cfg.Logger, Events: cfg.Events})
	}
	return r
}

// healthz answers 200 when the database answers; load balancers take a 503 as
// "send traffic elsewhere". The body's first line is "ok"; the second says
// whether the WhatsApp door is open, since serve runs without Twilio settings
// (a team uses the console and API while Meta reviews its sender) and an
// operator checking a deployment should see that at once.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "health check: database", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unavailable\n"))
		return
	}
	if s.cfg.AuthToken == "" {
		_, _ = w.Write([]byte("ok\n" + WhatsAppOff + "\n"))
		return
	}
	_, _ = w.Write([]byte("ok\nwhatsapp: on\n"))
}

// WhatsAppOff is what /healthz and serve's log say when Twilio is not
// configured.
const WhatsAppOff = "whatsapp: off (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM are not set)"

// slogPrinter adapts slog to promhttp's error log.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.l.Error("metrics", "err", v) }
