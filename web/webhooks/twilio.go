// Package webhooks is the providers' doors: Twilio's inbound messages
// (WhatsApp and SMS) and status callbacks, Stripe's and MercadoPago's payment
// notifications, and the page payers return to. Handlers verify and parse what
// comes in and hand it to the engine or the store; they decide nothing about
// conversations.
package webhooks

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/web/internal/httpx"
	"acuerdo/whatsapp"
)

// Engine is what the Twilio handlers need of the engine: durable, idempotent
// intake of inbound messages and status callbacks.
type Engine interface {
	Receive(ctx context.Context, channel, phone string, m acuerdo.Message, media []store.InboundMedia) (bool, error)
	Status(ctx context.Context, providerID, status, errorCode string) error
}

// Store is what the payment webhooks write: their audit of refusals, their
// deduplication and the confirmed payment.
type Store interface {
	AuditWebhook(ctx context.Context, provider, rule, detail string) error
	ProviderEventSeen(ctx context.Context, provider, eventID string) (bool, error)
	RecordProviderPayment(ctx context.Context, p store.ProviderPayment, thanks func(store.ThankYou) store.Outgoing) (store.ProviderOutcome, error)
}

// Config is the webhooks'. Engine, Store, Clock and Logger are required.
type Config struct {
	Engine Engine
	Store  Store
	Clock  acuerdo.Clock
	Logger *slog.Logger
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
	// Metrics counts rejected webhooks (*engine.Metrics, whose nil counts
	// nothing); nil counts nothing.
	Metrics interface{ Rejected(reason string) }
	// Stripe and MercadoPago, when set, serve POST /webhooks/stripe and
	// /webhooks/mercadopago: verified, confirmed payment notifications. A
	// confirmed payment's thank-you kicks Outbox.
	Stripe      PaymentWebhook
	MercadoPago PaymentWebhook
	// Outbox is kicked after a payment queued its thank-you; may be nil.
	Outbox interface{ Kick() }
	// ServiceWindow is WhatsApp's customer-service window as the policy
	// configures it; zero is the default's. A thank-you outside it is
	// business-initiated.
	ServiceWindow time.Duration
	// StoreTimeout bounds the durable write behind an acknowledgement.
	StoreTimeout time.Duration
}

type server struct{ cfg Config }

// Mount serves Twilio's inbound, SMS and status webhooks, the payment
// providers' configured in cfg, and PaidPath on r.
func Mount(r chi.Router, cfg Config) {
	s := &server{cfg: cfg}
	r.Post(whatsapp.InboundPath, s.inbound)
	r.Post(whatsapp.SMSPath, s.inboundSMS)
	r.Post(whatsapp.StatusPath, s.status)
	r.Get(PaidPath, s.paid)
	if cfg.Stripe != nil {
		r.Post(StripePath, s.payhook(cfg.Stripe))
	}
	if cfg.MercadoPago != nil {
		r.Post(MercadoPagoPath, s.payhook(cfg.MercadoPago))
	}
}

// emptyTwiML acknowledges an inbound message without replying in the HTTP
// response: replies go out through the outbox, under policy and rate limits.
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// MaxTwilioBody bounds a webhook's form. Twilio's inbound posts are a few KB
// (4096 characters of text, ten media URLs); the bound stops a forged request
// from making the server buffer megabytes before the signature is checked.
const MaxTwilioBody = 256 << 10

// Webhook rejection reasons, the label of acuerdo_webhook_rejections_total.
const (
	rejectNotConfigured = "not_configured"
	rejectNoSignature   = "missing_signature"
	rejectSignature     = "bad_signature"
	rejectTooLarge      = "too_large"
	rejectForm          = "bad_form"
	rejectInvalid       = "invalid"
	rejectAccount       = "wrong_account"
)

// verified reads the form and checks Twilio's signature over the public URL and
// every posted parameter. On failure it has answered and counted the rejection,
// and nothing may be stored.
func (s *server) verified(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxTwilioBody)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.reject(w, r, http.StatusRequestEntityTooLarge, rejectTooLarge)
		} else {
			s.reject(w, r, http.StatusBadRequest, rejectForm)
		}
		return nil, false
	}
	sig := r.Header.Get(whatsapp.SignatureHeader)
	switch {
	case s.cfg.AuthToken == "":
		s.reject(w, r, http.StatusForbidden, rejectNotConfigured)
		return nil, false
	case sig == "":
		s.reject(w, r, http.StatusForbidden, rejectNoSignature)
		return nil, false
	case !whatsapp.VerifySignature(s.cfg.AuthToken, whatsapp.RequestURL(r, s.cfg.PublicURL), r.PostForm, sig):
		s.reject(w, r, http.StatusForbidden, rejectSignature)
		return nil, false
	}
	if sid := r.PostForm.Get("AccountSid"); s.cfg.AccountSID != "" && sid != "" && sid != s.cfg.AccountSID {
		// Signed with our token yet for another account: a subaccount
		// misconfiguration, not something to store as ours.
		s.reject(w, r, http.StatusForbidden, rejectAccount)
		return nil, false
	}
	return r.PostForm, true
}

func (s *server) reject(w http.ResponseWriter, r *http.Request, status int, reason string) {
	s.cfg.Metrics.Rejected(reason)
	s.cfg.Logger.WarnContext(r.Context(), "webhook rejected", "path", r.URL.Path, "reason", reason, "status", status, "remote", r.RemoteAddr)
	httpx.PlainFail(w, r, status, map[int]string{http.StatusForbidden: "forbidden", http.StatusRequestEntityTooLarge: "too_large_webhook", http.StatusBadRequest: "invalid"}[status])
}

// inbound stores a debtor's message durably and idempotently (by MessageSid)
// and only then acknowledges it. Numbers that are not in the portfolio are
// stored too: the agent answers them with a short customer-service flow that
// discloses nothing.
func (s *server) inbound(w http.ResponseWriter, r *http.Request) {
	s.receive(w, r, acuerdo.ChannelWhatsApp)
}

// inboundSMS stores a reply to an SMS (STOP included: the agent's opt-out
// guard reads it) on the debtor's sms conversation; it is answered by SMS.
func (s *server) inboundSMS(w http.ResponseWriter, r *http.Request) {
	s.receive(w, r, acuerdo.ChannelSMS)
}

func (s *server) receive(w http.ResponseWriter, r *http.Request, channel string) {
	form, ok := s.verified(w, r)
	if !ok {
		return
	}
	in, err := whatsapp.ParseInbound(form)
	if err != nil {
		s.reject(w, r, http.StatusBadRequest, rejectInvalid)
		return
	}
	body := in.Body
	if body == "" {
		body = in.ButtonText // a quick-reply tap without text
	}
	media := make([]store.InboundMedia, len(in.Media))
	for i, m := range in.Media {
		media[i] = store.InboundMedia{URL: m.URL, ContentType: m.ContentType}
	}
	ctx, cancel := httpx.StoreCtx(r, s.cfg.StoreTimeout)
	defer cancel()
	created, err := s.cfg.Engine.Receive(ctx, channel, in.From,
		acuerdo.Message{ProviderID: in.MessageSid, Body: body, CreatedAt: s.cfg.Clock()}, media)
	if err != nil {
		// Not stored, so not acknowledged: Twilio may deliver it again.
		s.cfg.Logger.ErrorContext(r.Context(), "store inbound message", "sid", in.MessageSid, "from", httpx.MaskPhone(in.From), "err", err)
		httpx.PlainFail(w, r, http.StatusInternalServerError, "retry")
		return
	}
	if created && len(media) > 0 && s.cfg.Media != nil {
		s.cfg.Media.Kick()
	}
	s.cfg.Logger.DebugContext(r.Context(), "inbound message", "sid", in.MessageSid, "from", httpx.MaskPhone(in.From), "created", created, "media", len(media))
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(emptyTwiML))
}

// status applies a delivery status callback. Callbacks arrive in any order and
// more than once; the store keeps whichever state is furthest along.
func (s *server) status(w http.ResponseWriter, r *http.Request) {
	form, ok := s.verified(w, r)
	if !ok {
		return
	}
	st, err := whatsapp.ParseStatus(form)
	if err != nil {
		s.reject(w, r, http.StatusBadRequest, rejectInvalid)
		return
	}
	code := ""
	if st.ErrorCode != 0 {
		code = strconv.Itoa(st.ErrorCode)
	}
	ctx, cancel := httpx.StoreCtx(r, s.cfg.StoreTimeout)
	defer cancel()
	if err := s.cfg.Engine.Status(ctx, st.MessageSid, st.MessageStatus, code); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "store status callback", "sid", st.MessageSid, "status", st.MessageStatus, "err", err)
		httpx.PlainFail(w, r, http.StatusInternalServerError, "retry")
		return
	}
	if !whatsapp.KnownStatus(st.MessageStatus) {
		// Stored as the message's unranked status and acknowledged: a 4xx
		// only makes Twilio retry. The log line is the cue to teach
		// whatsapp.StatusRank where it belongs.
		s.cfg.Logger.WarnContext(r.Context(), "unknown Twilio message status", "sid", st.MessageSid, "status", st.MessageStatus)
	}
	if code != "" {
		s.cfg.Logger.InfoContext(r.Context(), "message not delivered", "sid", st.MessageSid, "status", st.MessageStatus, "code", code)
	}
	w.WriteHeader(http.StatusOK)
}
