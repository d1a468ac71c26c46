package engine_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/engine"
)

// overlapTurner holds each turn until want turns have started (at most 10 s,
// so a loaded machine cannot fail the test), or for hold when want is 0, and
// records the most turns it saw at once; model says what it tells the engine
// through engine.ModelUser.
type overlapTurner struct {
	model          bool
	want           int32
	hold           time.Duration
	now, most      atomic.Int32
	started, total atomic.Int32
}

func (o *overlapTurner) UsesModel() bool { return o.model }

func (o *overlapTurner) Turn(ctx context.Context, _ int64, _ agent.Inbound) (agent.Result, error) {
	n := o.now.Add(1)
	defer o.now.Add(-1)
	for m := o.most.Load(); n > m && !o.most.CompareAndSwap(m, n); m = o.most.Load() {
	}
	o.started.Add(1)
	deadline := time.Now().Add(10 * time.Second)
	for o.started.Load() < o.want && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(2 * time.Millisecond)
	}
	time.Sleep(o.hold)
	o.total.Add(1)
	return agent.Result{Replies: []string{"ok"}, Handler: agent.HandledOffline}, nil
}

// Model slots bound turns that may call a model (a paid, rate-limited API),
// not the offline agent's: with 8 workers and 2 slots, eight conversations
// are answered eight at a time offline and two at a time with a model.
func TestModelSlotsBoundOnlyModelTurns(t *testing.T) {
	for _, tc := range []struct {
		model bool
		most  int32
		ag    *overlapTurner
	}{
		// Offline: each turn waits until all eight have started, which they
		// only can if none waits for a slot.
		{false, 8, &overlapTurner{want: 8}},
		// With a model: each turn takes 100 ms, time enough for the other six
		// workers to start theirs if slots did not stop them.
		{true, 2, &overlapTurner{model: true, hold: 100 * time.Millisecond}},
	} {
		t.Run(fmt.Sprintf("model=%v", tc.model), func(t *testing.T) {
			ag := tc.ag
			r := newRig(t, false, func(c *engine.Config) {
				c.Agent, c.Workers, c.ModelSlots = ag, 8, 2
			})
			for i := 0; i < 8; i++ {
				phone := fmt.Sprintf("+5730012345%02d", i)
				if _, err := r.eng.Receive(context.Background(), acuerdo.ChannelWhatsApp, phone, acuerdo.Message{ProviderID: fmt.Sprintf("SM%d", i), Body: "hola", CreatedAt: r.clock()}, nil); err != nil {
					t.Fatal(err)
				}
			}
			r.start()
			defer r.stop(t)
			eventually(t, "eight turns", func() bool { return ag.total.Load() == 8 })
			if got := ag.most.Load(); tc.model && got > tc.most || !tc.model && got < tc.most {
				t.Fatalf("%d turns ran at once; want %s %d", got, map[bool]string{true: "at most", false: "all"}[tc.model], tc.most)
			}
		})
	}
}
