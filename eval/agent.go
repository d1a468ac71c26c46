package eval

import (
	"context"
	"io"
	"log/slog"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/kb"
	"acuerdo/paylink"
	"acuerdo/policy"
	"acuerdo/store"
	"acuerdo/tools"
)

// linkSecret signs the payment links of evals: a fixed key makes the links, and
// so the transcripts, the same on every run. Nobody pays through them.
var linkSecret = []byte("acuerdo-eval-payment-links")

// NewAgent wires an agent the way cmd/acuerdo does (tools under pol, payment
// links from the default portal template, the given model; nil runs the offline
// engine), over db and clock. cmd/acuerdo's own wiring stays the source of truth
// for `acuerdo eval`; this is for tests and programs outside cmd.
func NewAgent(db *store.DB, clock acuerdo.Clock, model agent.Model, pol policy.Config, logger *slog.Logger) *agent.Agent {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	links := paylink.Template{Secret: linkSecret, Clock: clock}
	ts := tools.New(tools.Config{Store: db, Policy: pol, Links: links, Clock: clock, Logger: logger})
	return agent.New(agent.Config{Store: db, Tools: ts, Policy: pol, Model: model, Clock: clock, Logger: logger, Knowledge: kb.NewSearcher(db)})
}

func offlineWiring(_ context.Context, db *store.DB, clock acuerdo.Clock) (*agent.Agent, func(), error) {
	return NewAgent(db, clock, nil, policy.Default(), nil), func() {}, nil
}
