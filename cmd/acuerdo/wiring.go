package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/agent/llm"
	"acuerdo/kb"
	"acuerdo/paylink"
	"acuerdo/policy"
	"acuerdo/store"
	"acuerdo/tools"
)

// config is everything read from the environment, once, in one place.
type config struct {
	model         string
	policyPath    string
	paylinkURL    string
	paylinkSecret string
}

func readConfig(e *env) config {
	c := config{
		model:         e.getenv("ACUERDO_MODEL"),
		policyPath:    e.getenv("ACUERDO_POLICY"),
		paylinkURL:    e.getenv("ACUERDO_PAYLINK_URL"),
		paylinkSecret: e.getenv("ACUERDO_PAYLINK_SECRET"),
	}
	if c.model == "" {
		c.model = "offline"
	}
	return c
}

// loadPolicy returns the built-in policy, overridden by ACUERDO_POLICY.
func loadPolicy(c config) (policy.Config, error) {
	if c.policyPath == "" {
		return policy.Default(), nil
	}
	return policy.Load(c.policyPath)
}

// newAgent wires the agent: policy, tools, payment links and the model. The
// returned closer releases the model's resources.
func newAgent(ctx context.Context, e *env, db *store.DB, clock acuerdo.Clock, logger *slog.Logger) (*agent.Agent, func(), error) {
	c := readConfig(e)
	pol, err := loadPolicy(c)
	if err != nil {
		return nil, nil, &exitError{2, err}
	}
	secret := []byte(c.paylinkSecret)
	if len(secret) == 0 {
		// Without a configured secret the links still carry a signature, but one
		// only this process can check; fine for the demo, not for a portal.
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
		logger.Warn("ACUERDO_PAYLINK_SECRET is not set: payment links are signed with a temporary key")
	}
	links := paylink.Template{URL: c.paylinkURL, Secret: secret, Clock: clock}
	// Stripe or MercadoPago replace the template for the portfolios routed to
	// them (cmd/acuerdo/paylinks.go).
	pay, err := paymentsFromEnv(e, db, clock, links, logger)
	if err != nil {
		return nil, nil, &exitError{2, err}
	}
	ts := tools.New(tools.Config{Store: db, Policy: pol, Links: pay.links, Clock: clock, Logger: logger})

	var model agent.Model
	closer := func() {}
	m, err := llm.FromSpec(c.model, e.getenv)
	switch {
	case errors.Is(err, llm.ErrOffline):
	case err != nil:
		return nil, nil, &exitError{2, fmt.Errorf("ACUERDO_MODEL: %w", err)}
	default:
		model = m
		if e.tracer != nil {
			model = tracedModel{next: m, t: e.tracer}
		}
		if cl, ok := m.(io.Closer); ok {
			closer = func() { cl.Close() }
		}
	}
	a := agent.New(agent.Config{Store: db, Tools: ts, Policy: pol, Model: model, Cost: llm.Cost, Clock: clock, Logger: logger,
		Knowledge: kb.NewSearcher(db)})
	return a, closer, nil
}
