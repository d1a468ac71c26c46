package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/store"
)

// Wiring builds the agent a scenario talks to, over the scenario's own database
// and clock. cmd/acuerdo passes its own wiring (ACUERDO_MODEL, ACUERDO_POLICY),
// so an eval exercises exactly what `acuerdo serve` would run. The returned
// function releases what the agent holds.
type Wiring func(ctx context.Context, db *store.DB, clock acuerdo.Clock) (*agent.Agent, func(), error)

// Options tune Run.
type Options struct {
	// Wire builds the agent; nil means the offline engine under the default
	// policy (see NewAgent).
	Wire Wiring
	// Dir is where the temporary databases go; "" is the system's temp dir.
	Dir string
	// RequireModel says a language model is under test: a turn the offline
	// engine answered because the model failed makes the run an error, not
	// a pass the menu engine earned.
	RequireModel bool
}

// Turn is what one of the debtor's messages produced.
type Turn struct {
	Text         string
	Media        []string
	Replies      []string
	Handler      string
	ModelCalls   int
	PromptTokens int
	Refusals     []string // the rules of the tool calls policy refused
	Tools        []string
	Audit        []acuerdo.AuditEntry
}

// Result is one scenario's run.
type Result struct {
	Scenario *Scenario
	Turns    []Turn
	// Failures are the expectations that did not hold, each saying which
	// message and what was seen instead.
	Failures []string
	// Err is a failure to run at all: the database, the wiring, a turn that
	// returned an error.
	Err     error
	Elapsed time.Duration
	// Run is which of the scenario's runs this is (1-based) and Of how many
	// there are, with `acuerdo eval -k`.
	Run, Of int
	// ModelFailed says the run could not test the model: it did not answer.
	ModelFailed bool
}

// Passed reports whether the scenario ran and every expectation held.
func (r Result) Passed() bool { return r.Err == nil && len(r.Failures) == 0 }

// channel is the channel the scenarios' conversations run on: the one without
// an outbox, as for the terminal chat.
const channel = acuerdo.ChannelSandbox

// step is how far apart the debtor's messages are, unless a message waits.
const step = time.Minute

// Run plays one scenario in a fresh database and checks its expectations.
func Run(ctx context.Context, s *Scenario, opt Options) Result {
	start := time.Now()
	res := Result{Scenario: s}
	// Scenarios from Parse are valid already; one built in code gets its
	// defaults and checks here.
	if !s.validated {
		res.Err = s.validate()
	}
	if res.Err == nil {
		res.Err = run(ctx, s, opt, &res)
	}
	res.Elapsed = time.Since(start)
	return res
}

func run(ctx context.Context, s *Scenario, opt Options, res *Result) error {
	dir, err := os.MkdirTemp(opt.Dir, "acuerdo-eval-*")
	if err != nil {
		return fmt.Errorf("temporary database: %w", err)
	}
	defer os.RemoveAll(dir)

	base := s.now
	if base.IsZero() {
		base = time.Now()
	}
	// The clock is read by the agent, the tools and the store; an atomic offset
	// keeps it race-free should any of them read it from another goroutine.
	var offset atomic.Int64
	clock := func() time.Time { return base.Add(time.Duration(offset.Load())).UTC() }

	db, err := store.Open(ctx, filepath.Join(dir, "eval.db"), store.Options{Clock: clock})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := seed(ctx, db, s); err != nil {
		return fmt.Errorf("load the debtor: %w", err)
	}
	wire := opt.Wire
	if wire == nil {
		wire = offlineWiring
	}
	a, release, err := wire(ctx, db, clock)
	if err != nil {
		return err
	}
	defer release()

	c := &checker{db: db, s: s}
	if err := c.snapshot(ctx); err != nil {
		return err
	}
	for i, m := range s.Messages {
		if i > 0 {
			offset.Add(int64(step))
		}
		offset.Add(int64(m.wait))
		r, err := a.Converse(ctx, channel, s.Debtor.Phone, agent.Inbound{Text: m.Text, Media: m.Media})
		t := Turn{Text: m.Text, Media: m.Media, Replies: r.Replies, Handler: r.Handler, ModelCalls: r.ModelCalls,
			PromptTokens: r.PromptTokens, Refusals: r.Refusals, Tools: r.Tools}
		if err != nil {
			res.Turns = append(res.Turns, t)
			return fmt.Errorf("message %d: %w", i+1, err)
		}
		if t.Audit, err = c.newAudit(ctx); err != nil {
			return err
		}
		res.Turns = append(res.Turns, t)
		if opt.RequireModel && r.Handler == agent.HandledFallback {
			res.ModelFailed = true
			return fmt.Errorf("message %d: the model did not answer (%s); the offline engine did, so this run tested nothing", i+1, modelError(t.Audit))
		}
		fails, err := c.check(ctx, m.Expect, []Turn{t}, true)
		if err != nil {
			return err
		}
		for _, f := range fails {
			res.Failures = append(res.Failures, fmt.Sprintf("message %d %s: %s", i+1, quote(m.Text), f))
		}
	}
	fails, err := c.check(ctx, s.Expect, res.Turns, false)
	if err != nil {
		return err
	}
	for _, f := range fails {
		res.Failures = append(res.Failures, "conversation: "+f)
	}
	return nil
}

// seed loads the debtor and their accounts through the store's portfolio
// import, the path every real debtor takes, and sets the conversation's
// starting state.
func seed(ctx context.Context, db *store.DB, s *Scenario) error {
	d := s.Debtor
	if !d.Unknown {
		im, err := db.BeginPortfolioImport(ctx)
		if err != nil {
			return err
		}
		debtor := acuerdo.Debtor{Phone: d.Phone, Name: d.Name, DocumentID: d.Document, Country: d.Country, TimeZone: d.TimeZone, Locale: s.Locale}
		for _, a := range d.Accounts {
			acct := acuerdo.Account{Ref: a.Ref, InstallmentAmount: acuerdo.Money{Currency: a.Currency}, DaysPastDue: a.DaysPastDue, Status: acuerdo.AccountOpen}
			if a.Balance != "" {
				m, _ := acuerdo.ParseMoney(a.Balance, a.Currency) // validated
				acct.Balance = &m
			}
			if a.Installment != "" {
				acct.InstallmentAmount, _ = acuerdo.ParseMoney(a.Installment, a.Currency)
			}
			if a.DueDate != "" {
				acct.NextDueDate, _ = acuerdo.ParseDate(a.DueDate)
			}
			if err := im.Add(store.PortfolioRow{Debtor: debtor, Account: acct, Consent: d.Consent, KnownDaysPastDue: true}); err != nil {
				im.Rollback()
				return err
			}
		}
		if _, err := im.Commit(); err != nil {
			return err
		}
	}
	if len(s.knowledge) > 0 {
		if err := db.ReplaceKnowledge(ctx, s.knowledge); err != nil {
			return fmt.Errorf("the documents: %w", err)
		}
	}
	if s.Conversation == nil {
		return nil
	}
	conv, err := db.Conversation(ctx, channel, d.Phone)
	if err != nil {
		return err
	}
	if s.Conversation.OptedOut {
		debtorID := conv.DebtorID
		if err := db.OptOut(ctx, conv.ID, debtorID); err != nil {
			return err
		}
		conv.OptedOut = true
	}
	conv.Paused = s.Conversation.Paused
	return db.SaveConversation(ctx, conv)
}

// modelError is the error of the turn's failed model call, from its audit line.
func modelError(audit []acuerdo.AuditEntry) string {
	for _, e := range audit {
		if e.Kind == acuerdo.AuditModel && e.Outcome == acuerdo.Failed {
			var d struct {
				Error string `json:"error"`
			}
			if json.Unmarshal([]byte(e.Detail), &d) == nil && d.Error != "" {
				return d.Error
			}
		}
	}
	return "no error recorded"
}

// quote shows a message in a failure, shortened: a very long message is a
// scenario of its own, not something to repeat on every line.
func quote(s string) string { return quoteN(s, 40) }

func quoteN(s string, n int) string {
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
