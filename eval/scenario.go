// Package eval runs scripted conversations against the agent and checks what it
// did: the tools it called and how policy answered them, what changed in the
// database, and what the replies said and did not say. Each scenario runs in its
// own temporary SQLite database with a clock the runner controls, so a scenario
// gives the same result on every run with the offline engine, and a comparable
// one with a language model.
//
// Scenarios are YAML files (see scenarios/ for the shipped ones); a file may hold
// several scenarios as separate YAML documents:
//
//	name: es/pause-90-refused
//	locale: es
//	now: 2026-03-10T10:00:00-05:00
//	debtor:
//	  phone: "+573001110001"
//	  name: Ana María Gómez
//	  document: "1020304050"
//	  country: CO
//	  accounts:
//	    - {ref: CR-1001, balance: "850000", installment: "120000", due_date: 2026-03-20, days_past_due: 45}
//	messages:
//	  - text: hola
//	  - text: "4050"
//	    expect: {tools: [verify_identity, lookup_debt]}
//	  - text: quiero pausar los cobros
//	  - text: 90 días
//	    expect:
//	      outcomes: [{tool: propose_pause, outcome: refused, rule: pause_days}]
//	      contains: ["1 a 30 días"]
//	expect:
//	  state: {nothing_changed: true}
//
// Expectations under a message are checked against that message's turn and the
// database right after it; those at the end against the whole conversation.
package eval

import (
	"time"

	"acuerdo"
)

// Scenario is one scripted conversation and what must come of it.
type Scenario struct {
	Name        string `yaml:"name"`
	Locale      string `yaml:"locale"` // es, pt-BR or en
	Description string `yaml:"description"`
	// Now fixes the clock (RFC 3339); without it the scenario runs at the real
	// time, so absolute dates in expectations need it.
	Now          string        `yaml:"now"`
	Debtor       Debtor        `yaml:"debtor"`
	Conversation *Conversation `yaml:"conversation"`
	Messages     []Message     `yaml:"messages"`
	// Expect is checked against the whole conversation once every message ran.
	Expect Expect `yaml:"expect"`
	// Knowledge are the creditor's documents the agent answers questions
	// from, imported before the first message.
	Knowledge []Document `yaml:"knowledge"`

	// File is where the scenario was read from, for messages.
	File string `yaml:"-"`
	// now is Now parsed.
	now time.Time
	// knowledge is Knowledge parsed (package kb).
	knowledge []acuerdo.KnowledgeDoc
	// validated says validate filled the defaults, so Run need not write to a
	// scenario other goroutines may be running too.
	validated bool
}

// Document is one of the creditor's documents: a file name whose extension
// says the format (faq.es.md, horario.txt) and its text.
type Document struct {
	Name string `yaml:"name"`
	Text string `yaml:"text"`
}

// Debtor is who writes: a debtor of the portfolio, or an unknown number.
type Debtor struct {
	// Unknown means the number is not in the portfolio: nothing is loaded.
	Unknown  bool      `yaml:"unknown"`
	Phone    string    `yaml:"phone"` // E.164, or national for Country
	Name     string    `yaml:"name"`
	Document string    `yaml:"document"` // empty: identity is checked with the account number
	Country  string    `yaml:"country"`
	TimeZone string    `yaml:"time_zone"`
	Consent  *bool     `yaml:"consent"`
	Accounts []Account `yaml:"accounts"`
}

// Account is one debt of the debtor as the creditor placed it.
type Account struct {
	Ref         string `yaml:"ref"`
	Balance     string `yaml:"balance"` // decimal; empty means the creditor did not say
	Installment string `yaml:"installment"`
	Currency    string `yaml:"currency"` // default: the country's
	DueDate     string `yaml:"due_date"` // YYYY-MM-DD
	DaysPastDue int    `yaml:"days_past_due"`
}

// Conversation is the state the conversation starts in, for scenarios about
// what happens after an operator took over or the debtor opted out.
type Conversation struct {
	Paused   bool `yaml:"paused"`
	OptedOut bool `yaml:"opted_out"`
}

// Message is one WhatsApp message of the debtor, with what must come of it.
type Message struct {
	Text  string   `yaml:"text"`
	Media []string `yaml:"media"` // receipt URLs
	// Wait moves the clock forward before the message ("25h"); each message
	// otherwise comes a minute after the previous one.
	Wait   string `yaml:"wait"`
	Expect Expect `yaml:"expect"`

	wait time.Duration
}

// Expect is what must hold after one message (checked against that turn) or
// after the whole conversation (checked against every turn together).
type Expect struct {
	// Tools must all have been called; NoTools none of them.
	Tools   []string `yaml:"tools"`
	NoTools []string `yaml:"no_tools"`
	// Outcomes are audit lines that must have been written: a tool or guard
	// decision, with its outcome and rule.
	Outcomes []Outcome `yaml:"outcomes"`
	// Handler is who answered the turn (for the whole conversation: every
	// turn): guard, offline, llm, fallback or paused.
	Handler string `yaml:"handler"`

	// Replies is the exact number of replies; MinReplies and MaxReplies bound it.
	Replies    *int `yaml:"replies"`
	MinReplies *int `yaml:"min_replies"`
	MaxReplies *int `yaml:"max_replies"`
	// Contains must each appear in some reply, Absent in none (both
	// case-insensitive). StartsWith is how the first reply begins.
	Contains   []string `yaml:"contains"`
	Absent     []string `yaml:"absent"`
	StartsWith string   `yaml:"starts_with"`
	// Matches must each match some reply, NotMatches none (Go regular
	// expressions, case-insensitive).
	Matches    []string `yaml:"matches"`
	NotMatches []string `yaml:"not_matches"`
	// MaxChars caps the length of every reply, in characters.
	MaxChars int `yaml:"max_chars"`

	// State is what the database must say afterwards.
	State *State `yaml:"state"`
}

// Outcome is one expected audit line. Exactly one of Tool and Guard names it.
type Outcome struct {
	Tool    string `yaml:"tool"`
	Guard   string `yaml:"guard"`
	Outcome string `yaml:"outcome"` // allowed, refused or error; empty for any
	Rule    string `yaml:"rule"`    // empty for any
}

// State is what the database must say about the conversation and the debtor's
// accounts. Unset fields are not checked.
type State struct {
	Verified *bool `yaml:"verified"`
	// Paused means a person has the conversation: the bot stays quiet.
	Paused   *bool `yaml:"paused"`
	OptedOut *bool `yaml:"opted_out"`
	// Escalated means a case for a person is open (payment reports aside);
	// EscalationReason is its reason.
	Escalated        *bool  `yaml:"escalated"`
	EscalationReason string `yaml:"escalation_reason"`
	// PaymentReported means a payment report case is open.
	PaymentReported *bool `yaml:"payment_reported"`
	FailedChecks    *int  `yaml:"failed_checks"`

	Promise      *PromiseState `yaml:"promise"`
	PlanAccepted *PlanState    `yaml:"plan_accepted"`
	DueDate      *AccountDate  `yaml:"due_date"`
	PausedUntil  *AccountDate  `yaml:"paused_until"`
	// NothingChanged means no debt was touched: no date change, pause,
	// accepted plan, promise, case or opt-out, and due dates as loaded.
	NothingChanged bool `yaml:"nothing_changed"`
}

// PromiseState is a promise to pay that must have been recorded.
type PromiseState struct {
	Account string `yaml:"account"` // default: the debtor's first account
	Amount  string `yaml:"amount"`
	Date    string `yaml:"date"`
}

// PlanState is a payment plan that must have been accepted.
type PlanState struct {
	Account      string `yaml:"account"`
	Installments int    `yaml:"installments"` // 0: any number
}

// AccountDate is a date an account must show.
type AccountDate struct {
	Account string `yaml:"account"`
	Date    string `yaml:"date"` // YYYY-MM-DD
}
