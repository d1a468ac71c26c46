package engine_test

import (
	"context"
	"strings"
	"testing"

	"acuerdo"
)

// Under the engine the agent's records of a turn land with its replies: after
// "hola" and the document's last four digits, the conversation is verified
// and at the menu, and the turn's tool calls are stored before its replies,
// in the order they ran.
func TestTurnRecordsLandWithTheReplies(t *testing.T) {
	r := newRig(t, true, nil)
	defer r.stop(t)
	r.receive(t, "SM1", "hola")
	eventually(t, "the greeting", func() bool { return len(r.snd.sent()) >= 2 })
	ctx := context.Background()
	conv, err := r.db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234567")
	if err != nil {
		t.Fatal(err)
	}
	if conv.Locale != "es" || conv.State != "verify" {
		t.Fatalf("after the greeting: locale %q, state %q; want es and verify", conv.Locale, conv.State)
	}
	r.receive(t, "SM2", "4050")
	eventually(t, "the menu", func() bool {
		c, err := r.db.ConversationByID(ctx, conv.ID)
		return err == nil && strings.HasPrefix(c.State, "menu")
	})
	if c, _ := r.db.ConversationByID(ctx, conv.ID); !c.Verified || c.VerifiedAt == nil {
		t.Fatalf("not verified after the right digits: %+v", c)
	}
	msgs, err := r.db.Messages(ctx, conv.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var order []string // after the digits: tool records, then replies
	seen := false
	for _, m := range msgs {
		seen = seen || m.Body == "4050"
		if !seen || m.Direction == acuerdo.Inbound {
			continue
		}
		switch {
		case m.Direction == acuerdo.Internal && strings.Contains(m.Body, `"name":"verify_identity"`):
			order = append(order, "verify_identity")
		case m.Direction == acuerdo.Internal:
			order = append(order, "tool")
		case m.Direction == acuerdo.Outbound:
			order = append(order, "reply")
		}
	}
	if len(order) < 2 || order[0] != "verify_identity" || order[len(order)-1] != "reply" || strings.Contains(strings.Join(order, " "), "reply tool") {
		t.Fatalf("the turn's messages in order: %v; want its tool records (verify_identity first), then its replies", order)
	}
}
