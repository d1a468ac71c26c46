package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"acuerdo/agent"
	"acuerdo/engine"
)

// floodTurner answers every turn with n long replies.
type floodTurner struct{ n int }

func (f floodTurner) Turn(context.Context, int64, agent.Inbound) (agent.Result, error) {
	out := make([]string, f.n)
	for i := range out {
		out[i] = strings.Repeat("texto ", 300)
	}
	return agent.Result{Replies: out, Handler: agent.HandledLLM}, nil
}

// However a turn's replies were produced, what the engine queues fits
// WhatsApp: over the per-turn cap the debtor gets one safe reply and a person
// the case; within it, an over-long message is split, never cut off.
func TestTurnRepliesCapped(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replies int
		want    int
	}{
		{"a flood", 370, 1},
		{"within the cap", 2, 4}, // 1,799 characters each: two messages each
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, false, func(c *engine.Config) { c.Agent = floodTurner{tc.replies} })
			r.receive(t, "SM1", "hola")
			r.start()
			defer r.stop(t)
			eventually(t, "replies sent", func() bool { return len(r.snd.sent()) >= tc.want })
			time.Sleep(100 * time.Millisecond)
			sent := r.snd.sent()
			if len(sent) != tc.want {
				t.Fatalf("%d messages sent; want %d", len(sent), tc.want)
			}
			for _, s := range sent {
				if n := len([]rune(s)); n > 1600+len("+573001234567|") {
					t.Fatalf("a message of %d characters", n)
				}
			}
			if tc.want == 1 && !strings.Contains(sent[0], "una persona de nuestro equipo") {
				t.Fatalf("sent %q; want the safe reply", sent[0])
			}
			var cases int
			_ = r.sqlRow(t, `SELECT COUNT(*) FROM cases`).Scan(&cases)
			if (tc.want == 1) != (cases == 1) {
				t.Fatalf("%d cases opened", cases)
			}
		})
	}
}
