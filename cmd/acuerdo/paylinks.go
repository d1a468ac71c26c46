package main

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"acuerdo"
	"acuerdo/paylink"
	"acuerdo/paylink/mercadopago"
	"acuerdo/paylink/stripe"
	"acuerdo/store"
	"acuerdo/tools"
	"acuerdo/web"
	"acuerdo/web/webhooks"
)

// payments is the payment-provider side of the binary: the links the agent
// sends, routed per portfolio, and the providers whose webhooks serve mounts.
type payments struct {
	links       tools.PaymentLinks
	stripe      *stripe.Client      // nil unless STRIPE_API_KEY is set
	mercadoPago *mercadopago.Client // nil unless MERCADOPAGO_ACCESS_TOKEN is set
	routes      map[string]string   // currency (or "*") → provider
}

// paymentsFromEnv builds the payment providers from the environment:
//
//   - Stripe with STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET (STRIPE_API_URL
//     for stripe-mock or a proxy);
//   - MercadoPago with MERCADOPAGO_ACCESS_TOKEN and MERCADOPAGO_WEBHOOK_SECRET
//     (MERCADOPAGO_API_URL likewise);
//   - ACUERDO_PAYMENT_PROVIDERS chooses per portfolio, keyed by the account's
//     currency, which says the country of the portfolio: "BRL=mercadopago,
//     ARS=mercadopago,USD=stripe", with "*=NAME" for every other currency.
//     Unlisted currencies get the signed URL template (ACUERDO_PAYLINK_URL),
//     the default.
//
// Half a provider's settings, or a route to a provider that is not set up, is
// an error at start-up rather than links that fail in front of a debtor.
func paymentsFromEnv(e *env, db *store.DB, clock acuerdo.Clock, template tools.PaymentLinks, logger *slog.Logger) (*payments, error) {
	p := &payments{routes: map[string]string{}}
	public := strings.TrimRight(strings.TrimSpace(e.getenv("ACUERDO_PUBLIC_URL")), "/")
	key, secret := e.getenv("STRIPE_API_KEY"), e.getenv("STRIPE_WEBHOOK_SECRET")
	if key != "" || secret != "" {
		if key == "" || secret == "" {
			return nil, fmt.Errorf("payment links: Stripe needs STRIPE_API_KEY and STRIPE_WEBHOOK_SECRET together")
		}
		if public == "" {
			return nil, fmt.Errorf("payment links: Stripe needs ACUERDO_PUBLIC_URL: Checkout sends the debtor back to it after paying")
		}
		c, err := stripe.New(stripe.Config{APIKey: key, WebhookSecret: secret, APIURL: e.getenv("STRIPE_API_URL"),
			SuccessURL: public + webhooks.PaidPath, Ledger: db, Clock: clock})
		if err != nil {
			return nil, err
		}
		p.stripe = c
	}
	token, mpSecret := e.getenv("MERCADOPAGO_ACCESS_TOKEN"), e.getenv("MERCADOPAGO_WEBHOOK_SECRET")
	if token != "" || mpSecret != "" {
		if token == "" || mpSecret == "" {
			return nil, fmt.Errorf("payment links: MercadoPago needs MERCADOPAGO_ACCESS_TOKEN and MERCADOPAGO_WEBHOOK_SECRET together")
		}
		if public == "" {
			return nil, fmt.Errorf("payment links: MercadoPago needs ACUERDO_PUBLIC_URL: its notifications are posted to ACUERDO_PUBLIC_URL%s", webhooks.MercadoPagoPath)
		}
		c, err := mercadopago.New(mercadopago.Config{AccessToken: token, WebhookSecret: mpSecret, APIURL: e.getenv("MERCADOPAGO_API_URL"),
			NotificationURL: public + webhooks.MercadoPagoPath, BackURL: public + webhooks.PaidPath, Ledger: db, Clock: clock})
		if err != nil {
			return nil, err
		}
		p.mercadoPago = c
	}
	providers := map[string]tools.PaymentLinks{paylink.ProviderTemplate: template}
	if p.stripe != nil {
		providers[paylink.ProviderStripe] = p.stripe
	}
	if p.mercadoPago != nil {
		providers[paylink.ProviderMercadoPago] = p.mercadoPago
	}
	routes, err := parseRoutes(e.getenv("ACUERDO_PAYMENT_PROVIDERS"), providers)
	if err != nil {
		return nil, err
	}
	p.routes = routes
	r := routedLinks{byCurrency: map[string]tools.PaymentLinks{}, fallback: template}
	for cur, name := range routes {
		if cur == "*" {
			r.fallback = providers[name]
		} else {
			r.byCurrency[cur] = providers[name]
		}
	}
	p.links = r
	if logger != nil {
		used := map[string]bool{}
		for _, name := range routes {
			used[name] = true
		}
		for _, name := range []string{paylink.ProviderStripe, paylink.ProviderMercadoPago} {
			if _, ok := providers[name]; ok && !used[name] {
				logger.Warn("payment provider configured but no portfolio uses it: route currencies to it in ACUERDO_PAYMENT_PROVIDERS, e.g. BRL="+name, "provider", name)
			}
		}
	}
	return p, nil
}

// parseRoutes reads "CUR=provider,…" (CUR an ISO 4217 code or "*").
func parseRoutes(s string, providers map[string]tools.PaymentLinks) (map[string]string, error) {
	out := map[string]string{}
	s = strings.TrimSpace(s)
	if s == "" {
		return out, nil
	}
	names := make([]string, 0, len(providers))
	for n := range providers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, part := range strings.Split(s, ",") {
		cur, name, ok := strings.Cut(strings.TrimSpace(part), "=")
		cur, name = strings.ToUpper(strings.TrimSpace(cur)), strings.ToLower(strings.TrimSpace(name))
		if !ok || cur != "*" && !acuerdo.ValidCurrency(cur) {
			return nil, fmt.Errorf("ACUERDO_PAYMENT_PROVIDERS %q: want CURRENCY=PROVIDER pairs like BRL=mercadopago,USD=stripe,*=template", part)
		}
		if _, ok := providers[name]; !ok {
			return nil, fmt.Errorf("ACUERDO_PAYMENT_PROVIDERS routes %s to %q, which is not configured (configured: %s; Stripe needs STRIPE_API_KEY, MercadoPago MERCADOPAGO_ACCESS_TOKEN)",
				cur, name, strings.Join(names, ", "))
		}
		if prev, dup := out[cur]; dup {
			return nil, fmt.Errorf("ACUERDO_PAYMENT_PROVIDERS routes %s twice (%s and %s)", cur, prev, name)
		}
		out[cur] = name
	}
	return out, nil
}

// routedLinks sends each link request to its portfolio's provider.
type routedLinks struct {
	byCurrency map[string]tools.PaymentLinks
	fallback   tools.PaymentLinks
}

func (r routedLinks) Link(ctx context.Context, req paylink.Request) (string, error) {
	if p, ok := r.byCurrency[req.Amount.Currency]; ok {
		return p.Link(ctx, req)
	}
	return r.fallback.Link(ctx, req)
}

// webhooks sets the configured providers' webhooks on the web config. Only
// configured ones are set: a nil *Client in the interface would be mounted.
func (p *payments) webhooks(cfg *web.Config) {
	if p.stripe != nil {
		cfg.Stripe = p.stripe
	}
	if p.mercadoPago != nil {
		cfg.MercadoPago = p.mercadoPago
	}
}
