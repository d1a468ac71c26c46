// Package tools is the agent's hands. Each tool has a name, a description and a
// JSON Schema the model sees, and a Run that validates its arguments, asks policy,
// and only then changes anything. Whether a language model or the offline menu
// engine calls a tool, the same checks run and the same audit line is written.
package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"time"
	"unicode/utf8"

	"acuerdo"
	"acuerdo/paylink"
	"acuerdo/policy"
	"acuerdo/store"
)

// Tool names, fixed by the design: integrations and evals rely on them.
const (
	VerifyIdentity     = "verify_identity"
	LookupDebt         = "lookup_debt"
	SendPaymentLink    = "send_payment_link"
	ProposeDateChange  = "propose_date_change"
	ProposePause       = "propose_pause"
	OfferPaymentPlan   = "offer_payment_plan"
	AcceptPaymentPlan  = "accept_payment_plan"
	RecordPromiseToPay = "record_promise_to_pay"
	ReportPayment      = "report_payment"
	EscalateToHuman    = "escalate_to_human"
	OptOut             = "opt_out"
)

// Store is what the tools need of the database.
type Store interface {
	Accounts(ctx context.Context, debtorID int64) ([]acuerdo.Account, error)
	CollectedSince(ctx context.Context, accountID int64, t time.Time) (int64, error)
	SaveConversation(ctx context.Context, c acuerdo.Conversation, audit ...acuerdo.AuditEntry) error
	LastNegotiation(ctx context.Context, accountID int64, kind string) (*time.Time, error)
	// ChangeDueDate and PauseAccount take the last negotiation of their kind
	// the policy decision saw, and refuse (ECONFLICT) when another was
	// recorded since: the frequency rules hold across replicas.
	ChangeDueDate(ctx context.Context, accountID, conversationID int64, newDate acuerdo.Date, seen *time.Time, audit ...acuerdo.AuditEntry) error
	PauseAccount(ctx context.Context, accountID, conversationID int64, until acuerdo.Date, seen *time.Time, audit ...acuerdo.AuditEntry) error
	CreatePromise(ctx context.Context, p acuerdo.Promise, audit ...acuerdo.AuditEntry) (acuerdo.Promise, error)
	OfferPlan(ctx context.Context, p acuerdo.Plan, audit ...acuerdo.AuditEntry) (acuerdo.Plan, error)
	Plan(ctx context.Context, id int64) (acuerdo.Plan, error)
	AcceptPlan(ctx context.Context, id int64, audit ...acuerdo.AuditEntry) (acuerdo.Plan, error)
	OpenCase(ctx context.Context, c acuerdo.Case, audit ...acuerdo.AuditEntry) (acuerdo.Case, error)
	OpenCases(ctx context.Context, conversationID int64) ([]acuerdo.Case, error)
	AttachMediaToCase(ctx context.Context, caseID int64, urls []string) (int, error)
	OptOut(ctx context.Context, conversationID, debtorID int64, audit ...acuerdo.AuditEntry) error
	RecordPaymentLink(ctx context.Context, accountID, conversationID int64, amount acuerdo.Money, scope, url string, audit ...acuerdo.AuditEntry) error
	AppendAudit(ctx context.Context, entries ...acuerdo.AuditEntry) error
}

var _ Store = (*store.DB)(nil)

// PaymentLinks makes payment links; paylink.Template is the default, payment
// providers plug in here.
type PaymentLinks interface {
	Link(ctx context.Context, r paylink.Request) (string, error)
}

// Env is the conversation a tool acts in. Tools update Conv in place (a
// successful verify_identity marks it verified) so the agent sees the change.
type Env struct {
	Conv   *acuerdo.Conversation
	Debtor *acuerdo.Debtor // nil when the number is not in the portfolio
	Media  []string        // URLs of the receipts the debtor attached this turn
	// Operator, when set, is the console user who calls the tool on the
	// debtor's behalf (an agreement made with them by phone or chat); the
	// agent never sets it.
	Operator *Operator
}

// Operator is a console user acting through the tools. The same policy
// decides as for the agent; two things differ. The operator has spoken with
// the debtor and answers for who they are, so the identity gate does not ask
// for the conversation to be verified (the third-party lock still holds).
// And an admin may grant a documented exception to the negotiation limits
// (never to the arithmetic: sums, dates in the past, amounts above the
// balance), which the audit records with its reason.
type Operator struct {
	// Ref names the user in the audit as the console does: "user 3 <ana@x>".
	Ref string
	// Exception is an admin's reason to go past a negotiation limit; empty
	// lets policy decide. The console only sets it for admins.
	Exception string
}

// Record is a tool call and its result as stored in the conversation (an
// internal message): the model reads it in later turns, the console shows it.
type Record struct {
	ID     string `json:"id,omitempty"`
	Name   string `json:"name"`
	Args   string `json:"args"`
	Result string `json:"result"`
	Facts  Facts  `json:"facts,omitempty"`
	// By is the operator who made the call from the console; empty for the agent.
	By string `json:"by,omitempty"`
}

// Facts are the amounts, dates, links and plan ids a tool produced. The agent
// lets a reply mention only facts some tool of the conversation produced.
type Facts struct {
	Amounts []acuerdo.Money `json:"amounts,omitempty"`
	Dates   []acuerdo.Date  `json:"dates,omitempty"`
	URLs    []string        `json:"urls,omitempty"`
	PlanIDs []string        `json:"plan_ids,omitempty"`
}

// Merge adds o's facts to f.
func (f *Facts) Merge(o Facts) {
	f.Amounts = append(f.Amounts, o.Amounts...)
	f.Dates = append(f.Dates, o.Dates...)
	f.URLs = append(f.URLs, o.URLs...)
	f.PlanIDs = append(f.PlanIDs, o.PlanIDs...)
}

// Result is what a tool returns: Data goes back to the model as JSON; a refusal
// carries the rule and a short explanation with what policy does allow.
type Result struct {
	Tool    string         `json:"tool"`
	OK      bool           `json:"ok"`
	Rule    string         `json:"rule,omitempty"`
	Message string         `json:"message,omitempty"`
	Data    map[string]any `json:"data,omitempty"`
	Facts   Facts          `json:"facts,omitempty"`
	// Escalated and OptedOut tell the agent the conversation changed hands or
	// stopped; the agent's reply must acknowledge it.
	Escalated bool `json:"escalated,omitempty"`
	OptedOut  bool `json:"opted_out,omitempty"`

	committed bool // the audit line was written in the change's own transaction
}

// JSON is the tool result as the model sees it: no facts bookkeeping.
func (r Result) JSON() string {
	m := map[string]any{"ok": r.OK}
	if r.Rule != "" && !r.OK {
		m["refused_by"] = r.Rule
	}
	if r.Message != "" {
		m["message"] = r.Message
	}
	for k, v := range r.Data {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// Spec describes a tool to a model.
type Spec struct {
	Name        string
	Description string
	Parameters  json.RawMessage
}

type tool struct {
	name, desc string
	schema     *schema
	run        func(ctx context.Context, s *Set, c *call) (Result, error)
}

// call is one tool invocation in progress.
type call struct {
	*Env
	name string
	raw  string
	args map[string]any
	now  time.Time
}

// allowed is the audit line of a change that succeeds, written by the store in
// the same transaction as the change so neither exists without the other.
func (s *Set) allowed(c *call, rule, detail string) acuerdo.AuditEntry {
	return s.entry(c.Env, Result{Tool: c.name, OK: true, Rule: rule}, c.raw, acuerdo.Allowed, detail)
}

// Config builds a Set.
type Config struct {
	Store  Store
	Policy policy.Config
	Links  PaymentLinks
	Clock  acuerdo.Clock
	Logger *slog.Logger
}

// Set is the tools, bound to their dependencies.
type Set struct {
	Config
	tools map[string]tool
}

// New returns the tools of §3 of the design.
func New(cfg Config) *Set {
	if cfg.Clock == nil {
		cfg.Clock = acuerdo.SystemClock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Set{Config: cfg, tools: map[string]tool{}}
	for _, t := range all() {
		s.tools[t.name] = t
	}
	return s
}

// Specs lists the tools for a model, sorted by name.
func (s *Set) Specs() []Spec {
	out := make([]Spec, 0, len(s.tools))
	for _, t := range s.tools {
		b, _ := json.Marshal(t.schema.forModel())
		out = append(out, Spec{Name: t.name, Description: t.desc, Parameters: b})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Call runs one tool call from raw JSON arguments and audits it. It never returns
// an error for the model's mistakes: unknown tools, malformed arguments and policy
// refusals are results the model is told about.
func (s *Set) Call(ctx context.Context, e *Env, name, rawArgs string) Result {
	t, ok := s.tools[name]
	if !ok {
		r := Result{Tool: name, Rule: "unknown_tool", Message: fmt.Sprintf("there is no tool %q", name)}
		s.audit(ctx, e, r, rawArgs)
		return r
	}
	args, err := t.schema.parseArgs(rawArgs)
	if err != nil {
		r := Result{Tool: name, Rule: "invalid_arguments", Message: err.Error()}
		s.audit(ctx, e, r, rawArgs)
		return r
	}
	r, err := t.run(ctx, s, &call{Env: e, name: name, raw: rawArgs, args: args, now: s.Clock()})
	r.Tool = name
	if err != nil {
		s.Logger.Error("tool failed", "tool", name, "conversation", e.Conv.ID, "err", err)
		r = Result{Tool: name, Rule: "tool_error", Message: "the action could not be completed; offer to connect the debtor with a person"}
		s.auditEntry(ctx, e, r, rawArgs, acuerdo.Failed, err.Error())
		return r
	}
	if !r.committed {
		s.audit(ctx, e, r, rawArgs)
	}
	return r
}

func (s *Set) entry(e *Env, r Result, rawArgs, outcome, detail string) acuerdo.AuditEntry {
	rule := r.Rule
	if rule == "" {
		rule = "allowed"
	}
	var args json.RawMessage
	if json.Valid([]byte(rawArgs)) {
		args = redact(rawArgs)
	} else if rawArgs != "" {
		b, _ := json.Marshal(rawArgs) // keep malformed arguments, as a string
		args = b
	}
	if detail == "" {
		detail = r.Message
	}
	if e.Operator != nil {
		// The operator is the actor; the rule stays the policy's.
		by := "by " + e.Operator.Ref
		if detail != "" {
			by += ": " + detail
		}
		detail = by
	}
	return acuerdo.AuditEntry{Time: s.Clock(), ConversationID: e.Conv.ID, Kind: acuerdo.AuditTool, Name: r.Tool, Outcome: outcome, Rule: rule, Args: args, Detail: detail}
}

func (s *Set) audit(ctx context.Context, e *Env, r Result, rawArgs string) {
	outcome := acuerdo.Allowed
	if !r.OK {
		outcome = acuerdo.Refused
	}
	s.auditEntry(ctx, e, r, rawArgs, outcome, "")
}

func (s *Set) auditEntry(ctx context.Context, e *Env, r Result, rawArgs, outcome, detail string) {
	if err := s.Store.AppendAudit(ctx, s.entry(e, r, rawArgs, outcome, detail)); err != nil {
		s.Logger.Error("audit failed", "tool", r.Tool, "err", err)
	}
}

func refused(rule, format string, args ...any) (Result, error) {
	return Result{Rule: rule, Message: fmt.Sprintf(format, args...)}, nil
}

func fromDecision(d policy.Decision) (Result, error) {
	return Result{Rule: d.Rule, Message: d.Reason}, nil
}

// redact keeps personal data out of the audit log, which is append-only and so
// could never honour an erasure request: identity digits are masked, and free
// text the debtor or the model wrote is reduced to its length, wherever in the
// arguments it appears (a hostile model may nest them).
func redact(raw string) json.RawMessage {
	var v any
	if json.Unmarshal([]byte(raw), &v) != nil {
		return json.RawMessage(raw)
	}
	v, changed := redactValue("", v)
	if !changed {
		return json.RawMessage(raw)
	}
	b, _ := json.Marshal(v)
	return b
}

func redactValue(key string, v any) (any, bool) {
	switch x := v.(type) {
	case string:
		switch key {
		case "document_last4":
			return "****", true
		case "summary", "note":
			return fmt.Sprintf("[%d characters]", utf8.RuneCountInString(x)), true
		}
	case map[string]any:
		changed := false
		for k, e := range x {
			if r, c := redactValue(k, e); c {
				x[k], changed = r, true
			}
		}
		return x, changed
	case []any:
		changed := false
		for i, e := range x {
			if r, c := redactValue(key, e); c {
				x[i], changed = r, true
			}
		}
		return x, changed
	}
	return v, false
}
