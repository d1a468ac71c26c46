package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"acuerdo"
	"acuerdo/policy"
	"acuerdo/prompts"
	"acuerdo/tools"
)

// toolTurns is how many of the latest debtor turns keep their tool calls in the
// model's window.
const toolTurns = 3

// llmTurn runs the model's tool loop. It returns false, with no error, when the
// model cannot be used for this turn (an error, a timeout, unusable tool calls):
// the caller then lets the offline engine answer.
func (a *Agent) llmTurn(ctx context.Context, t *turn) (bool, error) {
	msgs, facts, err := a.history(ctx, t)
	if err != nil {
		return false, err
	}
	specs := a.specs()
	sys := a.system(t)
	unusable := 0
	for round := 0; ; round++ {
		req := Request{System: sys, Messages: msgs, Tools: specs}
		if round >= a.cfg.MaxRounds {
			req.Tools = nil // the rounds are spent: the model must answer now
		}
		resp, ok := a.generate(ctx, t, req)
		if !ok {
			return false, nil
		}
		if len(resp.ToolCalls) == 0 || req.Tools == nil {
			if strings.TrimSpace(resp.Content) == "" {
				return false, nil
			}
			return a.checkReply(ctx, t, sys, msgs, resp.Content, facts)
		}
		msgs = append(msgs, Message{Role: RoleAssistant, Content: resp.Content, ToolCalls: resp.ToolCalls})
		bad := 0
		for _, tc := range resp.ToolCalls {
			r := a.callTool(ctx, t, tc.ID, tc.Name, tc.Arguments)
			if r.Rule == "unknown_tool" || r.Rule == "invalid_arguments" {
				bad++
			}
			facts.Merge(r.Facts)
			msgs = append(msgs, Message{Role: RoleTool, ToolCallID: tc.ID, Name: tc.Name, Content: r.JSON()})
		}
		if bad == len(resp.ToolCalls) {
			// One round of mistakes the model can learn from; two, and the menu answers.
			if unusable++; unusable >= 2 {
				return false, a.guardAudit(ctx, t, "unusable_tool_calls", acuerdo.Refused, "fallback_to_offline")
			}
		}
	}
}

// generate makes one model call and audits it with its tokens, latency and cost.
func (a *Agent) generate(ctx context.Context, t *turn, req Request) (Response, bool) {
	start := time.Now()
	mctx, cancel := context.WithDeadline(ctx, t.modelBy)
	resp, err := a.cfg.Model.Generate(mctx, req)
	cancel()
	t.res.ModelCalls++
	u := resp.Usage
	if u.Latency == 0 {
		u.Latency = time.Since(start)
	}
	t.res.PromptTokens += u.PromptTokens
	detail := map[string]any{"provider": u.Provider, "prompt_tokens": u.PromptTokens, "completion_tokens": u.CompletionTokens,
		"cached_tokens": u.CachedTokens, "latency_ms": u.Latency.Milliseconds(), "attempts": u.Attempts}
	if a.cfg.Cost != nil {
		if usd, ok := a.cfg.Cost(u, a.cfg.Clock()); ok {
			detail["cost_usd"] = usd
			t.res.CostUSD += usd
		}
	}
	outcome, rule := acuerdo.Allowed, "model_call"
	if err != nil {
		outcome, rule = acuerdo.Failed, "model_error"
		detail["error"] = err.Error()
		a.cfg.Logger.Warn("model call failed; the offline engine answers", "conversation", t.conv.ID, "err", err)
	}
	b, _ := json.Marshal(detail)
	name := u.Model
	if name == "" {
		name = "model"
	}
	if aerr := a.cfg.Store.AppendAudit(ctx, acuerdo.AuditEntry{Time: a.cfg.Clock(), ConversationID: t.conv.ID, Kind: acuerdo.AuditModel,
		Name: name, Outcome: outcome, Rule: rule, Detail: string(b)}); aerr != nil {
		a.cfg.Logger.Error("audit model call", "err", aerr)
	}
	return resp, err == nil
}

// checkReply lets a reply out only if it passes the content rules: no forbidden
// language, and no amount, date, link or plan that no tool of this conversation
// produced. A failing reply is regenerated once with the reasons; if it fails
// again the debtor gets a safe reply and a person takes over.
func (a *Agent) checkReply(ctx context.Context, t *turn, sys string, msgs []Message, text string, facts tools.Facts) (bool, error) {
	allowed := a.allowed(t, facts)
	for attempt := 0; ; attempt++ {
		// Length first: a reply too long for a phone is a model gone wrong, and
		// the content checks would spend seconds on it. Nothing of it is sent;
		// a person takes over, as the safe reply says.
		parts, fits := policy.FitReplies([]string{text}, policy.MaxReplyMessages)
		if !fits {
			b, _ := json.Marshal(map[string]any{"reply_chars": len([]rune(text)), "max_messages": policy.MaxReplyMessages})
			if err := a.cfg.Store.AppendAudit(ctx, acuerdo.AuditEntry{Time: a.cfg.Clock(), ConversationID: t.conv.ID, Kind: acuerdo.AuditGuard,
				Name: "output_check", Outcome: acuerdo.Refused, Rule: policy.RuleTooLong, Detail: string(b)}); err != nil {
				return false, err
			}
			t.res.Refusals = append(t.res.Refusals, policy.RuleTooLong)
			break
		}
		v := violations(text, allowed)
		if len(v) == 0 {
			t.res.Handler = HandledLLM
			for _, part := range parts {
				t.reply(part)
			}
			return true, nil
		}
		var reasons []string
		for _, x := range v {
			reasons = append(reasons, x.Rule+": "+x.Reason)
			t.res.Refusals = append(t.res.Refusals, x.Rule)
		}
		// The reply itself is not kept: it may quote the debtor, and the audit log
		// is append-only. The violations say what was wrong.
		var frags []string
		for _, x := range v {
			if x.Rule != "forbidden_language" {
				frags = append(frags, clip(x.Text, 80))
			}
		}
		b, _ := json.Marshal(map[string]any{"reply_chars": len([]rune(text)), "violations": reasons, "fragments": frags})
		if err := a.cfg.Store.AppendAudit(ctx, acuerdo.AuditEntry{Time: a.cfg.Clock(), ConversationID: t.conv.ID, Kind: acuerdo.AuditGuard,
			Name: "output_check", Outcome: acuerdo.Refused, Rule: v[0].Rule, Detail: string(b)}); err != nil {
			return false, err
		}
		if attempt == 1 {
			break
		}
		retry := append(append([]Message(nil), msgs...),
			Message{Role: RoleAssistant, Content: text},
			Message{Role: RoleUser, Content: "[automatic check, not from the debtor] That reply was not sent because: " + strings.Join(reasons, "; ") +
				". Write it again: only amounts, dates and links that tools returned, no pressure or legal language, under 1,600 characters."})
		resp, ok := a.generate(ctx, t, Request{System: sys, Messages: retry})
		if !ok || strings.TrimSpace(resp.Content) == "" {
			break
		}
		text = resp.Content
	}
	t.res.Handler = HandledLLM
	t.reply(prompts.T(t.locale, "safe_reply"))
	return true, a.escalateQuiet(ctx, t, acuerdo.ReasonOther, "The assistant's reply failed the content checks or was too long to send; please answer the debtor.")
}

// violations are the content rule breaks that block a reply. Length is not one:
// a long reply is split into several messages instead.
func violations(text string, a policy.Allowed) []policy.Violation {
	var out []policy.Violation
	for _, v := range policy.CheckReply(text, a) {
		if v.Rule != "too_long" {
			out = append(out, v)
		}
	}
	return out
}

func (a *Agent) allowed(t *turn, f tools.Facts) policy.Allowed {
	al := policy.Allowed{Dates: f.Dates, URLs: f.URLs, PlanIDs: f.PlanIDs}
	for _, m := range f.Amounts {
		al.Amounts = append(al.Amounts, m.Decimal())
	}
	if t.debtor != nil {
		al.Verbatim = append(al.Verbatim, t.debtor.Name, firstName(t.debtor.Name))
		if t.debtor.Email != "" {
			al.Verbatim = append(al.Verbatim, t.debtor.Email)
		}
	}
	return al
}

func (a *Agent) specs() []ToolSpec {
	var out []ToolSpec
	for _, s := range a.cfg.Tools.Specs() {
		out = append(out, ToolSpec{Name: s.Name, Description: s.Description, Parameters: s.Parameters})
	}
	return out
}

func (a *Agent) system(t *turn) string {
	v := prompts.SystemVars{Creditor: a.cfg.Policy.CreditorName, Locale: t.locale, Today: a.today(t), Verified: t.conv.Verified}
	if t.debtor != nil {
		v.Name = firstName(t.debtor.Name)
		v.AccountDigits = t.debtor.DocumentID == ""
	}
	return prompts.System(v)
}

// history turns the stored conversation into the model's message window, and
// gathers the facts every tool of the conversation produced.
func (a *Agent) history(ctx context.Context, t *turn) ([]Message, tools.Facts, error) {
	var facts tools.Facts
	all, err := a.cfg.Store.Messages(ctx, t.conv.ID, 0)
	if err != nil {
		return nil, facts, err
	}
	for _, m := range all {
		if m.Direction == acuerdo.Internal && m.Author == acuerdo.AuthorTool {
			var rec toolRecord
			if json.Unmarshal([]byte(m.Body), &rec) == nil {
				facts.Merge(rec.Facts)
			}
		}
	}
	window := all
	if len(window) > a.cfg.History {
		window = window[len(window)-a.cfg.History:]
	}
	// Tool records older than the last few debtor turns are left out of the
	// window: what they produced lives on in the replies that used it, and the
	// output checks still know every fact of the conversation.
	keepFrom, users := 0, 0
	for i := len(window) - 1; i >= 0; i-- {
		if window[i].Direction == acuerdo.Inbound {
			if users++; users == toolTurns {
				keepFrom = i
				break
			}
		}
	}
	var out []Message
	for i, m := range window {
		if m.Direction == acuerdo.Internal && i < keepFrom {
			continue
		}
		switch m.Direction {
		case acuerdo.Inbound:
			out = append(out, Message{Role: RoleUser, Content: m.Body})
		case acuerdo.Outbound:
			out = append(out, Message{Role: RoleAssistant, Content: m.Body})
		case acuerdo.Internal:
			// An operator's internal note is for the team, not the model.
			var rec toolRecord
			if m.Author != acuerdo.AuthorTool || json.Unmarshal([]byte(m.Body), &rec) != nil || rec.Name == "" {
				continue
			}
			id := rec.ID
			if id == "" {
				id = fmt.Sprintf("call_%d", m.ID)
			}
			out = append(out,
				Message{Role: RoleAssistant, ToolCalls: []ToolCall{{ID: id, Name: rec.Name, Arguments: rec.Args}}},
				Message{Role: RoleTool, ToolCallID: id, Name: rec.Name, Content: rec.Result})
		}
	}
	return out, facts, nil
}
