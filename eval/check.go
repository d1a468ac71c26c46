package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/tools"
)

// checker holds what expectations are checked against: the scenario's database
// and how the accounts looked before the first message.
type checker struct {
	db        *store.DB
	s         *Scenario
	lastAudit int64
	before    map[string]accountState
}

type accountState struct {
	id          int64
	due, paused acuerdo.Date
}

// changes are the tools whose allowed calls change the debt or the contact.
var changes = []string{tools.ProposeDateChange, tools.ProposePause, tools.AcceptPaymentPlan, tools.RecordPromiseToPay,
	tools.ReportPayment, tools.EscalateToHuman, tools.OptOut}

func (c *checker) snapshot(ctx context.Context) error {
	c.before = map[string]accountState{}
	for _, a := range c.s.Debtor.Accounts {
		st, err := c.account(ctx, a.Ref)
		if err != nil {
			return err
		}
		c.before[a.Ref] = st
	}
	_, err := c.newAudit(ctx) // setup writes no audit today, but skip it if it ever does
	return err
}

func (c *checker) account(ctx context.Context, ref string) (accountState, error) {
	a, err := c.db.AccountByRef(ctx, ref)
	if err != nil {
		return accountState{}, err
	}
	paused, err := c.db.PausedUntil(ctx, a.ID)
	return accountState{id: a.ID, due: a.NextDueDate, paused: paused}, err
}

// newAudit returns the audit lines written since the last call.
func (c *checker) newAudit(ctx context.Context) ([]acuerdo.AuditEntry, error) {
	entries, err := c.db.Audit(ctx, store.AuditFilter{After: c.lastAudit})
	if len(entries) > 0 {
		c.lastAudit = entries[len(entries)-1].ID
	}
	return entries, err
}

// check returns the expectations of e that the turns do not meet. single says
// the turns are one message's (the handler is then that turn's); for the whole
// conversation every turn must have had the expected handler.
func (c *checker) check(ctx context.Context, e Expect, turns []Turn, single bool) ([]string, error) {
	var fails []string
	fail := func(format string, args ...any) { fails = append(fails, fmt.Sprintf(format, args...)) }
	var replies, called []string
	var audit []acuerdo.AuditEntry
	for _, t := range turns {
		replies = append(replies, t.Replies...)
		called = append(called, t.Tools...)
		audit = append(audit, t.Audit...)
	}
	for _, n := range e.Tools {
		if !slices.Contains(called, n) {
			fail("tools: %s was not called (called: %s)", n, list(called))
		}
	}
	for _, n := range e.NoTools {
		if slices.Contains(called, n) {
			fail("no_tools: %s was called (called: %s)", n, list(called))
		}
	}
	for _, o := range e.Outcomes {
		if !slices.ContainsFunc(audit, o.matches) {
			fail("outcomes: no %s (audit: %s)", o, auditList(audit))
		}
	}
	if e.Handler != "" {
		for _, t := range turns {
			if t.Handler != e.Handler {
				if single {
					fail("handler: %s answered, want %s", t.Handler, e.Handler)
				} else {
					fail("handler: message %s was answered by %s, want %s", quote(t.Text), t.Handler, e.Handler)
				}
			}
		}
	}
	fails = append(fails, checkReplies(e, replies)...)
	if e.State != nil {
		f, err := c.checkState(ctx, *e.State)
		if err != nil {
			return nil, err
		}
		fails = append(fails, f...)
	}
	return fails, nil
}

func checkReplies(e Expect, replies []string) []string {
	var fails []string
	fail := func(format string, args ...any) { fails = append(fails, fmt.Sprintf(format, args...)) }
	n := len(replies)
	switch {
	case e.Replies != nil && n != *e.Replies:
		fail("replies: %d, want exactly %d", n, *e.Replies)
	case e.MinReplies != nil && n < *e.MinReplies:
		fail("replies: %d, want at least %d", n, *e.MinReplies)
	case e.MaxReplies != nil && n > *e.MaxReplies:
		fail("replies: %d, want at most %d", n, *e.MaxReplies)
	}
	all := strings.ToLower(strings.Join(replies, "\n"))
	for _, p := range e.Contains {
		if !strings.Contains(all, strings.ToLower(p)) {
			fail("contains: no reply says %q", p)
		}
	}
	for _, p := range e.Absent {
		if i := strings.Index(all, strings.ToLower(p)); i >= 0 {
			fail("absent: a reply says %q (%s)", p, excerpt(all, i, len(p)))
		}
	}
	if e.StartsWith != "" && (n == 0 || !strings.HasPrefix(strings.ToLower(replies[0]), strings.ToLower(e.StartsWith))) {
		fail("starts_with: the first reply does not start with %q", e.StartsWith)
	}
	for _, r := range e.Matches {
		if !regexp.MustCompile("(?i)" + r).MatchString(all) { // compiled once in validate
			fail("matches: no reply matches %s", r)
		}
	}
	for _, r := range e.NotMatches {
		if loc := regexp.MustCompile("(?i)" + r).FindStringIndex(all); loc != nil {
			fail("not_matches: a reply matches %s (%s)", r, excerpt(all, loc[0], loc[1]-loc[0]))
		}
	}
	if e.MaxChars > 0 {
		for _, r := range replies {
			if l := utf8.RuneCountInString(r); l > e.MaxChars {
				fail("max_chars: a reply has %d characters, want at most %d", l, e.MaxChars)
			}
		}
	}
	return fails
}

func (c *checker) checkState(ctx context.Context, st State) ([]string, error) {
	var fails []string
	fail := func(format string, args ...any) { fails = append(fails, fmt.Sprintf(format, args...)) }
	conv, err := c.db.Conversation(ctx, channel, c.s.Debtor.Phone)
	if err != nil {
		return nil, err
	}
	flag := func(name string, want *bool, got bool) {
		if want != nil && *want != got {
			fail("state.%s: %t, want %t", name, got, *want)
		}
	}
	flag("verified", st.Verified, conv.Verified)
	flag("paused", st.Paused, conv.Paused)
	flag("opted_out", st.OptedOut, conv.OptedOut)
	if st.FailedChecks != nil && conv.FailedChecks != *st.FailedChecks {
		fail("state.failed_checks: %d, want %d", conv.FailedChecks, *st.FailedChecks)
	}
	cases, err := c.db.OpenCases(ctx, conv.ID)
	if err != nil {
		return nil, err
	}
	var escalations []string
	reported := false
	for _, cs := range cases {
		if cs.Reason == acuerdo.ReasonPaymentReport {
			reported = true
		} else {
			escalations = append(escalations, cs.Reason)
		}
	}
	flag("escalated", st.Escalated, len(escalations) > 0)
	flag("payment_reported", st.PaymentReported, reported)
	if st.EscalationReason != "" && !slices.Contains(escalations, st.EscalationReason) {
		fail("state.escalation_reason: no %s case (open escalations: %s)", st.EscalationReason, list(escalations))
	}
	audit, err := c.db.Audit(ctx, store.AuditFilter{})
	if err != nil {
		return nil, err
	}
	if st.Promise != nil {
		f, err := c.checkPromise(ctx, *st.Promise)
		if err != nil {
			return nil, err
		}
		fails = append(fails, f...)
	}
	if st.PlanAccepted != nil {
		f, err := c.checkPlan(ctx, *st.PlanAccepted, audit)
		if err != nil {
			return nil, err
		}
		fails = append(fails, f...)
	}
	for _, ad := range []struct {
		name string
		want *AccountDate
	}{{"due_date", st.DueDate}, {"paused_until", st.PausedUntil}} {
		if ad.want == nil {
			continue
		}
		a, err := c.account(ctx, c.ref(ad.want.Account))
		if err != nil {
			return nil, err
		}
		got := a.due
		if ad.name == "paused_until" {
			got = a.paused
		}
		if got.String() != ad.want.Date {
			fail("state.%s: %s is %s, want %s", ad.name, c.ref(ad.want.Account), orNone(got), ad.want.Date)
		}
	}
	if st.NothingChanged {
		f, err := c.checkUnchanged(ctx, conv, cases, audit)
		if err != nil {
			return nil, err
		}
		fails = append(fails, f...)
	}
	return fails, nil
}

func (c *checker) checkPromise(ctx context.Context, want PromiseState) ([]string, error) {
	ref := c.ref(want.Account)
	a, err := c.db.AccountByRef(ctx, ref)
	if err != nil {
		return nil, err
	}
	ps, err := c.db.Promises(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	var seen []string
	for _, p := range ps {
		seen = append(seen, p.Amount.Decimal()+" on "+p.DueDate.String())
		if want.Amount != "" {
			if m, err := acuerdo.ParseMoney(want.Amount, p.Amount.Currency); err != nil || m.Amount != p.Amount.Amount {
				continue
			}
		}
		if want.Date != "" && p.DueDate.String() != want.Date {
			continue
		}
		return nil, nil
	}
	return []string{fmt.Sprintf("state.promise: no promise of %s on %s for %s (promises: %s)", or(want.Amount, "any amount"), or(want.Date, "any date"), ref, list(seen))}, nil
}

func (c *checker) checkPlan(ctx context.Context, want PlanState, audit []acuerdo.AuditEntry) ([]string, error) {
	ref := c.ref(want.Account)
	var seen []string
	for _, e := range audit {
		if e.Kind != acuerdo.AuditTool || e.Name != tools.AcceptPaymentPlan || e.Outcome != acuerdo.Allowed {
			continue
		}
		var args struct {
			PlanID string `json:"plan_id"`
		}
		_ = json.Unmarshal(e.Args, &args)
		id, _ := strconv.ParseInt(args.PlanID, 10, 64)
		p, err := c.db.Plan(ctx, id)
		if err != nil {
			return nil, err
		}
		seen = append(seen, fmt.Sprintf("plan %d: %d installments, %s", id, len(p.Installments), p.Status))
		if p.Status == acuerdo.PlanAccepted && p.AccountID == c.before[ref].id && (want.Installments == 0 || len(p.Installments) == want.Installments) {
			return nil, nil
		}
	}
	n := "a"
	if want.Installments > 0 {
		n = strconv.Itoa(want.Installments) + "-installment"
	}
	return []string{fmt.Sprintf("state.plan_accepted: no %s plan accepted for %s (%s)", n, ref, list(seen))}, nil
}

func (c *checker) checkUnchanged(ctx context.Context, conv acuerdo.Conversation, cases []acuerdo.Case, audit []acuerdo.AuditEntry) ([]string, error) {
	var changed []string
	if conv.Paused {
		changed = append(changed, "the conversation is paused")
	}
	if conv.OptedOut {
		changed = append(changed, "the debtor opted out")
	}
	for _, cs := range cases {
		changed = append(changed, "a "+cs.Reason+" case is open")
	}
	for _, e := range audit {
		if e.Kind == acuerdo.AuditTool && e.Outcome == acuerdo.Allowed && slices.Contains(changes, e.Name) {
			changed = append(changed, e.Name+" was allowed")
		}
	}
	for _, a := range c.s.Debtor.Accounts {
		now, err := c.account(ctx, a.Ref)
		if err != nil {
			return nil, err
		}
		was := c.before[a.Ref]
		if now.due != was.due {
			changed = append(changed, fmt.Sprintf("%s's due date moved from %s to %s", a.Ref, orNone(was.due), orNone(now.due)))
		}
		if now.paused != was.paused {
			changed = append(changed, fmt.Sprintf("%s is paused until %s", a.Ref, orNone(now.paused)))
		}
		ps, err := c.db.Promises(ctx, now.id)
		if err != nil {
			return nil, err
		}
		if len(ps) > 0 {
			changed = append(changed, fmt.Sprintf("%s has %d promise(s)", a.Ref, len(ps)))
		}
	}
	if len(changed) == 0 {
		return nil, nil
	}
	return []string{"state.nothing_changed: " + strings.Join(changed, "; ")}, nil
}

// ref is the account an expectation is about: the one it names, or the
// debtor's first.
func (c *checker) ref(r string) string {
	if r == "" && len(c.s.Debtor.Accounts) > 0 {
		return c.s.Debtor.Accounts[0].Ref
	}
	return r
}

func (o Outcome) matches(e acuerdo.AuditEntry) bool {
	kind, name := acuerdo.AuditTool, o.Tool
	if o.Guard != "" {
		kind, name = acuerdo.AuditGuard, o.Guard
	}
	return e.Kind == kind && e.Name == name && (o.Outcome == "" || e.Outcome == o.Outcome) && (o.Rule == "" || e.Rule == o.Rule)
}

func (o Outcome) String() string {
	s := o.Tool
	if o.Guard != "" {
		s = "guard " + o.Guard
	}
	s += " " + or(o.Outcome, "allowed or refused")
	if o.Rule != "" {
		s += " by " + o.Rule
	}
	return s
}

func auditList(entries []acuerdo.AuditEntry) string {
	var out []string
	for _, e := range entries {
		if e.Kind == acuerdo.AuditTool || e.Kind == acuerdo.AuditGuard {
			out = append(out, e.Name+" "+e.Outcome+" by "+e.Rule)
		}
	}
	return list(out)
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orNone(d acuerdo.Date) string {
	if d.IsZero() {
		return "none"
	}
	return d.String()
}

// excerpt quotes the replies around a match, so a failure shows what was
// said without repeating whole replies.
func excerpt(all string, at, n int) string {
	from, to := max(0, at-30), min(len(all), at+n+30)
	for from > 0 && !utf8.RuneStart(all[from]) {
		from--
	}
	for to < len(all) && !utf8.RuneStart(all[to]) {
		to++
	}
	return fmt.Sprintf("…%s…", strings.ReplaceAll(all[from:to], "\n", " "))
}
