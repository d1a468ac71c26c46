package agent_test

import (
	"context"
	"strings"
	"testing"

	"acuerdo"
	"acuerdo/agent"
)

// With Inbound.Defer the agent writes none of its own records of the turn
// (its state, its tool-call messages, its audit lines): they come back in
// Result.Writes for the caller to save with the replies (the engine's
// CompleteTurn). What the tools do is still written by them: a verified
// identity stands even if the turn is never recorded.
func TestDeferLeavesTheTurnsRecordsToTheCaller(t *testing.T) {
	f := setup(t)
	f.say(t, "hola") // standalone: saved at once, the step now asks for the digits
	ctx := context.Background()
	conv := mustConv(t, f)
	if conv.State != "verify" {
		t.Fatalf("after hola, state %q; want verify", conv.State)
	}
	if _, err := f.db.AppendMessages(ctx, acuerdo.Message{ConversationID: conv.ID, Direction: acuerdo.Inbound, Author: acuerdo.AuthorDebtor,
		Body: "4050", Status: acuerdo.MessageReceived}); err != nil {
		t.Fatal(err)
	}
	before, err := f.db.Messages(ctx, conv.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.agent.Turn(ctx, conv.ID, agent.Inbound{Text: "4050", Conversation: &conv, Defer: true})
	if err != nil {
		t.Fatal(err)
	}
	w := res.Writes
	if w.State == nil || !w.State.Verified || !strings.HasPrefix(w.State.State, "menu") || w.State.Locale != "es" {
		t.Fatalf("deferred state %+v; want verified, at the menu, in Spanish", w.State)
	}
	var tools []string
	for _, m := range w.Messages {
		if m.Direction != acuerdo.Internal || m.ConversationID != conv.ID {
			t.Fatalf("deferred message %+v; want the conversation's internal tool records", m)
		}
		tools = append(tools, m.Body)
	}
	if len(tools) == 0 || !strings.Contains(tools[0], `"name":"verify_identity"`) {
		t.Fatalf("deferred tool records %q; want verify_identity first", tools)
	}
	after, err := f.db.Messages(ctx, conv.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("%d messages stored during a deferred turn; want none", len(after)-len(before))
	}
	got := mustConv(t, f)
	if got.State != "verify" {
		t.Fatalf("the agent saved its state itself: %q", got.State)
	}
	if !got.Verified || len(findAudit(f.audit(t), acuerdo.AuditTool, "verify_identity")) == 0 {
		t.Fatal("the tool's own write (the verification and its audit line) is missing")
	}

	// Without Defer, the same kind of turn saves its records itself.
	res = f.say(t, "1")
	if res.Writes.State != nil || len(res.Writes.Messages) != 0 || len(res.Writes.Audit) != 0 {
		t.Fatalf("a standalone turn left writes to a caller: %+v", res.Writes)
	}
}
