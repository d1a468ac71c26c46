package agent_test

import (
	"context"
	"slices"
	"testing"

	"acuerdo"
	"acuerdo/agent"
)

// TestTypedAhead: "4050" and "1" folded into one turn (the debtor typed the
// option before the menu arrived) verify and then send the link, instead of
// the "1" being swallowed; a folded greeting and question stay one text.
func TestTypedAhead(t *testing.T) {
	f := setup(t)
	f.say(t, "hola")
	ctx := context.Background()
	res, err := f.agent.Converse(ctx, acuerdo.ChannelSandbox, debtorPhone, agent.Inbound{Text: "4050\n1", Parts: []string{"4050", "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Tools, "verify_identity") || !slices.Contains(res.Tools, "send_payment_link") {
		t.Fatalf("tools %v, replies %q: want verification then the link", res.Tools, res.Replies)
	}
	g := setup(t)
	res, err = g.agent.Converse(ctx, acuerdo.ChannelSandbox, debtorPhone, agent.Inbound{Text: "hola\nnecesito ayuda", Parts: []string{"hola", "necesito ayuda"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Replies) != 2 {
		t.Fatalf("replies %q: want the greeting and one identity question", res.Replies)
	}
}
