// Package web is acuerdo's doors: the chi router with Twilio's webhooks, the
// health check, Prometheus metrics, the analysts' dashboard and, in demo mode,
// the sandbox chat. Handlers verify and parse what comes in and hand it to the
// engine or the store; they decide nothing about conversations.
package web

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"acuerdo"
	"acuerdo/engine"
	"acuerdo/kb"
	"acuerdo/pilot"
	"acuerdo/policy"
	"acuerdo/store"
	"acuerdo/web/api"
	"acuerdo/web/dashboard"
	"acuerdo/web/internal/httpx"
	"acuerdo/web/sandbox"
	"acuerdo/whatsapp"
)

// Engine is what the handlers need of the engine: durable, idempotent intake of
// inbound messages and status callbacks.
type Engine interface {
	Receive(ctx context.Context, channel, phone string, m acuerdo.Message, media []store.InboundMedia) (bool, error)
	Status(ctx context.Context, providerID, status, errorCode string) error
}

// Config builds the router.
type Config struct {
	Engine Engine
	Store  *store.DB
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
	ConsoleOptions ConsoleOptions
	// Outbox is kicked after the console queues a message (an operator's
	// reply), so it goes out now rather than at the next poll; may be nil.
	Outbox interface{ Kick() }
	// Stripe and MercadoPago, when set, serve POST /webhooks/stripe and
	// /webhooks/mercadopago: verified, confirmed payment notifications
	// (web/payhooks.go). A confirmed payment's thank-you also kicks Outbox.
	Stripe      PaymentWebhook
	MercadoPago PaymentWebhook
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
	Tools ConsoleTools
}

// Server holds the handlers' dependencies.
type Server struct {
	cfg Config
	// hashSlots bounds concurrent password checks (ConsoleOptions.HashSlots).
	hashSlots chan struct{}
	dummyOnce sync.Once
	dummy     []byte
}

// bodyLimits are the doors' request-body limits, by path prefix; every other
// path gets httpx.DefaultMaxBody (the console's forms, the dashboard).
var bodyLimits = []httpx.BodyLimit{
	{Prefix: "/api/v1/", Max: api.MaxBody, Refuse: api.RefuseBody},     // batches of debtors
	{Prefix: "/webhooks/twilio/", Max: maxWebhookBody},                 // Twilio's forms
	{Prefix: "/webhooks/", Max: maxPayhookBody},                        // payment providers' events
	{Prefix: "/sandbox/", Max: sandbox.MaxBody},                        // a receipt of up to 5 MB in base64
	{Prefix: kbUploadPath, Max: kb.MaxFileBytes, Refuse: kbRefuseBody}, // a document, as the body (console_kb.go)
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
	cfg.ConsoleOptions = cfg.ConsoleOptions.withDefaults()
	s := &Server{cfg: cfg, hashSlots: make(chan struct{}, cfg.ConsoleOptions.HashSlots)}
	r := chi.NewRouter()
	r.Use(httpx.WithRequestID, httpx.Recoverer(cfg.Logger), httpx.LimitBodies(cfg.Logger, bodyLimits))
	r.Post(whatsapp.InboundPath, s.inbound)
	r.Post(whatsapp.SMSPath, s.inboundSMS)
	r.Post(whatsapp.StatusPath, s.status)
	r.Get("/healthz", s.healthz)
	if cfg.Gatherer != nil {
		r.Handle("/metrics", promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{ErrorLog: slogPrinter{cfg.Logger}}))
	}
	if cfg.Sandbox {
		sandbox.Mount(r, sandbox.Config{Store: cfg.Store, Engine: cfg.Engine, Clock: cfg.Clock, Logger: cfg.Logger, StoreTimeout: cfg.StoreTimeout})
	}
	if cfg.Dashboard {
		dc := dashboard.Config{Store: cfg.Store, Clock: cfg.Clock, Logger: cfg.Logger,
			Token: cfg.DashboardToken, Resamples: cfg.DashboardResamples, Prices: cfg.DashboardPrices}
		if cfg.Console {
			dc.SignedIn = s.signedIn
		}
		dashboard.Mount(r, dc)
	}
	if cfg.Console {
		s.mountConsole(r)
	}
	s.mountPayhooks(r)
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
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
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

// windowOpen is policy.WindowOpen with the configured service window.
func (s *Server) windowOpen(lastInbound *time.Time, at time.Time) bool {
	return policy.WindowOpen(s.cfg.ServiceWindow, lastInbound, at)
}

// window is the configured service window.
func (s *Server) window() time.Duration {
	return cmp.Or(s.cfg.ServiceWindow, policy.Default().ServiceWindow)
}
