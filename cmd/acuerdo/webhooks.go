package main

import (
	"context"
	"log/slog"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"acuerdo"
	"acuerdo/hooks"
	"acuerdo/store"
)

// webhooksFromEnv builds the event webhook sender from ACUERDO_WEBHOOK_URLS
// (comma-separated) and ACUERDO_WEBHOOK_SECRET. Neither set means no
// webhooks (nil, nil): events still accumulate in the outbox and go out once
// URLs are configured. URLs without a secret is a mistake worth stopping
// for: unsigned events would be unverifiable.
func webhooksFromEnv(e *env, db *store.DB, reg prometheus.Registerer, clock acuerdo.Clock, logger *slog.Logger) (*hooks.Sender, error) {
	urls := hooks.ParseURLs(e.getenv("ACUERDO_WEBHOOK_URLS"))
	secret := strings.TrimSpace(e.getenv("ACUERDO_WEBHOOK_SECRET"))
	m := hooks.NewMetrics(reg, db)
	if len(urls) == 0 {
		if secret != "" {
			logger.Warn("ACUERDO_WEBHOOK_SECRET is set but ACUERDO_WEBHOOK_URLS is not: no events are sent")
		} else {
			logger.Info("event webhooks off: set ACUERDO_WEBHOOK_URLS and ACUERDO_WEBHOOK_SECRET to send events to the creditor's system")
		}
		return nil, nil
	}
	if secret == "" {
		return nil, usageErr("ACUERDO_WEBHOOK_URLS is set but ACUERDO_WEBHOOK_SECRET is not: set a shared secret of at least 16 characters, which receivers use to verify events")
	}
	s, err := hooks.New(hooks.Config{Store: db, URLs: urls, Secret: []byte(secret), Clock: clock, Logger: logger, Metrics: m})
	if err != nil {
		return nil, &exitError{2, err}
	}
	return s, nil
}

// startWebhooks runs the sender until the returned stop is called, which
// waits for the delivery in flight to be recorded. It outlives ctx: events
// written while the service drains still go out.
func startWebhooks(ctx context.Context, s *hooks.Sender) (stop func()) {
	if s == nil {
		return func() {}
	}
	run, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = s.Run(run) }()
	return func() { cancel(); wg.Wait() }
}
