package webhooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"acuerdo"
	"acuerdo/paylink"
	"acuerdo/policy"
	"acuerdo/prompts"
	"acuerdo/store"
	"acuerdo/web/internal/httpx"
)

// Payment provider webhook paths.
const (
	StripePath      = "/webhooks/stripe"
	MercadoPagoPath = "/webhooks/mercadopago"
)

// PaymentWebhook is what the handlers need of a payment provider:
// paylink/stripe and paylink/mercadopago implement it.
type PaymentWebhook interface {
	// Name is the provider's name in the store and the audit log.
	Name() string
	// Verify checks the request's signature and reads the notification;
	// paylink.ErrSignature, ErrStale and ErrMalformed say why it is refused.
	Verify(r *http.Request, body []byte) (paylink.Notification, error)
	// Confirm asks the provider about the payment the notification names.
	Confirm(ctx context.Context, n paylink.Notification) (paylink.Confirmation, error)
}

// MaxPaymentBody bounds what a provider may post; real events are a few KB.
const MaxPaymentBody = 1 << 20

// providerTimeout bounds the confirmation call, so a slow provider makes its
// own webhook fail (and be retried) instead of holding the connection.
const providerTimeout = 20 * time.Second

// payhook handles one provider's notifications: verify, deduplicate, confirm
// with the provider, then record. Status codes tell the provider whether to
// retry: 2xx for everything settled (recorded, duplicate, ignored, refused on
// the merits), 4xx for requests that are not the provider's, 5xx when we or
// the provider could not answer now.
func (s *server) payhook(h PaymentWebhook) http.HandlerFunc {
	name := h.Name()
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxPaymentBody+1))
		if err != nil {
			httpx.PlainFail(w, r, http.StatusBadRequest, "bad_form")
			return
		}
		if len(body) > MaxPaymentBody {
			s.refuseWebhook(r.Context(), w, name, "too_large", fmt.Sprintf("body over %d bytes", MaxPaymentBody), http.StatusRequestEntityTooLarge)
			return
		}
		n, err := h.Verify(r, body)
		switch {
		case errors.Is(err, paylink.ErrSignature):
			s.refuseWebhook(r.Context(), w, name, "bad_signature", err.Error(), http.StatusUnauthorized)
			return
		case errors.Is(err, paylink.ErrStale):
			s.refuseWebhook(r.Context(), w, name, "replayed", err.Error(), http.StatusBadRequest)
			return
		case err != nil:
			s.refuseWebhook(r.Context(), w, name, "malformed", err.Error(), http.StatusBadRequest)
			return
		}
		log := s.cfg.Logger.With("provider", name, "event", n.EventID, "type", n.Type)
		if !n.Relevant {
			log.Debug("payment webhook ignored")
			writeText(w, http.StatusOK, "ignored")
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), providerTimeout+s.cfg.StoreTimeout)
		defer cancel()
		if seen, err := s.cfg.Store.ProviderEventSeen(ctx, name, n.EventID); err != nil {
			log.Error("payment webhook: store", "err", err)
			httpx.PlainFail(w, r, http.StatusServiceUnavailable, "retry")
			return
		} else if seen {
			writeText(w, http.StatusOK, store.ProviderDuplicate)
			return
		}
		pctx, pcancel := context.WithTimeout(ctx, providerTimeout)
		c, err := h.Confirm(pctx, n)
		pcancel()
		if errors.Is(err, paylink.ErrMalformed) {
			s.refuseWebhook(ctx, w, name, "malformed", err.Error(), http.StatusBadRequest)
			return
		} else if err != nil {
			// The provider could not be asked; its retry will ask again.
			log.Warn("payment webhook: could not confirm with the provider", "err", err)
			httpx.PlainFail(w, r, http.StatusServiceUnavailable, "retry")
			return
		}
		if !c.Paid {
			log.Info("payment webhook: not paid (yet)", "status", c.Status)
			writeText(w, http.StatusOK, "not paid: "+c.Status)
			return
		}
		if !paylink.IsReference(c.Reference) {
			// A sale the creditor made on the same provider account, not a
			// debt: not ours to record, nor a forgery (the signature held).
			log.Info("payment webhook: not an acuerdo link", "payment", c.ExternalID)
			writeText(w, http.StatusOK, "ignored: not an acuerdo link")
			return
		}
		if n.Claimed != nil && *n.Claimed != c.Amount {
			s.refuseWebhook(ctx, w, name, store.RuleAmountMismatch,
				fmt.Sprintf("event %s claims %s but the provider says payment %s is %s", n.EventID, n.Claimed, c.ExternalID, c.Amount), http.StatusOK)
			return
		}
		out, err := s.cfg.Store.RecordProviderPayment(ctx, store.ProviderPayment{Provider: name, EventID: n.EventID, Reference: c.Reference,
			ExternalID: c.ExternalID, Amount: c.Amount, PaidAt: c.PaidAt, Method: c.Method}, s.thanks)
		if err != nil {
			log.Error("payment webhook: store", "err", err)
			httpx.PlainFail(w, r, http.StatusServiceUnavailable, "retry")
			return
		}
		log.Info("payment webhook", "outcome", out.Outcome, "rule", out.Rule, "payment", out.PaymentID, "account", out.AccountID)
		if out.ConversationID != 0 && s.cfg.Outbox != nil {
			s.cfg.Outbox.Kick()
		}
		msg := out.Outcome
		if out.Rule != "" {
			msg += ": " + out.Rule
		}
		writeText(w, http.StatusOK, msg)
	}
}

// refuseWebhook audits a refused notification and answers it.
func (s *server) refuseWebhook(ctx context.Context, w http.ResponseWriter, provider, rule, detail string, code int) {
	s.cfg.Logger.WarnContext(ctx, "payment webhook refused", "provider", provider, "rule", rule, "detail", detail)
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.Rejected(provider + "_" + rule)
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.StoreTimeout)
	defer cancel()
	if err := s.cfg.Store.AuditWebhook(actx, provider, rule, detail); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "payment webhook: audit", "err", err)
	}
	writeText(w, code, "refused: "+rule)
}

// thanks is the thank-you for a confirmed payment. Inside the service window
// it is a reply to someone who just paid through our link; outside it, it is
// business-initiated, so consent, hours and caps apply, and the engine sends
// the approved payment_thanks template instead of the free text.
func (s *server) thanks(t store.ThankYou) store.Outgoing {
	amount := prompts.Money(t.Locale, t.Amount)
	business := !policy.WindowOpen(s.cfg.ServiceWindow, t.LastInbound, s.cfg.Clock())
	return store.Outgoing{
		Body:      prompts.T(t.Locale, "payment_thanks", "{name}", t.Name, "{amount}", amount),
		Author:    acuerdo.AuthorBot,
		Template:  "payment_thanks",
		Variables: map[string]string{"name": t.Name, "amount": amount},
		Business:  business,
	}
}

func writeText(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg+"\n")
}
