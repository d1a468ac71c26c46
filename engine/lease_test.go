package engine_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"acuerdo/agent"
	"acuerdo/engine"
)

// slowTurner takes d (real time) to answer, or until its context ends, when it
// still returns its reply as a turn that ignored cancellation would.
type slowTurner struct {
	d      time.Duration
	calls  *atomic.Int32
	called chan struct{}
}

func (s slowTurner) Turn(ctx context.Context, _ int64, _ agent.Inbound) (agent.Result, error) {
	s.calls.Add(1)
	select {
	case s.called <- struct{}{}:
	default:
	}
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
	}
	return agent.Result{Replies: []string{"respuesta"}, Handler: agent.HandledLLM}, nil
}

// realTime makes the rig's clock follow the wall clock, for tests about leases
// renewed by a real-time heartbeat.
func (r *rig) realTime(t *testing.T) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		last := time.Now()
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			n := time.Now()
			r.advance(n.Sub(last))
			last = n
		}
	}()
}

// A turn slower than its lease keeps it by renewing it: a second worker never
// runs it, and the debtor gets one reply. (Issue 10, item 3: a 122 s model call
// against a 120 s lease ran turns two and three times.) The lease is 300 ms
// here, not the shipped 30 s, so that the turn outlives five leases in 1.5 s.
func TestSlowTurnKeepsItsLease(t *testing.T) {
	var calls atomic.Int32
	r := newRig(t, false, func(c *engine.Config) {
		c.Agent = slowTurner{d: 1500 * time.Millisecond, calls: &calls, called: make(chan struct{}, 1)}
		c.Lease, c.Workers = 300*time.Millisecond, 4
	})
	r.realTime(t)
	r.receive(t, "SM1", "hola")
	r.start()
	defer r.stop(t)
	eventually(t, "the reply", func() bool { return len(r.snd.sent()) >= 1 })
	time.Sleep(500 * time.Millisecond)
	if n, s := calls.Load(), r.snd.sent(); n != 1 || len(s) != 1 {
		t.Fatalf("the turn ran %d times and sent %d replies; want 1 and 1", n, len(s))
	}
}

// A worker whose lease was lost (it stalled, and another worker claimed the
// turn) discards its reply instead of queuing a second answer.
func TestLostLeaseDiscardsReply(t *testing.T) {
	var calls atomic.Int32
	called := make(chan struct{}, 1)
	r := newRig(t, false, func(c *engine.Config) {
		c.Agent = slowTurner{d: time.Hour, calls: &calls, called: called}
		c.Lease = 300 * time.Millisecond // renewals every 100 ms, so the loss is seen soon
	})
	r.receive(t, "SM1", "hola")
	r.start()
	defer r.stop(t)
	<-called
	r.takeOver(t)
	ctx := context.Background()
	time.Sleep(time.Second) // several heartbeats: the first worker sees the loss
	if n := len(r.snd.sent()); n != 0 {
		t.Fatalf("the worker that lost its lease sent %d messages", n)
	}
	if n, _ := r.db.OutboxDepth(ctx); n != 0 {
		t.Fatalf("the worker that lost its lease queued %d messages", n)
	}
}

// stallAfter runs the real agent, then stalls until its context ends (a lost
// lease cancels it), as a worker paused after the agent answered would.
type stallAfter struct {
	next     engine.Turner
	answered chan agent.Inbound
}

func (s stallAfter) Turn(ctx context.Context, id int64, in agent.Inbound) (agent.Result, error) {
	res, err := s.next.Turn(ctx, id, in)
	s.answered <- in
	<-ctx.Done()
	return res, err
}

// A turn's records are one write with its replies: a worker that lost its
// lease after the agent answered leaves the conversation as the turn found
// it (its language, step and verification), not only the outbox. Before, the
// agent saved them itself, so a stale worker's state landed beside the new
// owner's.
func TestLostLeaseLeavesTheConversationAsItWas(t *testing.T) {
	var answered chan agent.Inbound
	r := newRig(t, false, func(c *engine.Config) {
		answered = make(chan agent.Inbound, 1)
		c.Agent = stallAfter{next: c.Agent, answered: answered}
		c.Lease = 300 * time.Millisecond
	})
	r.receive(t, "SM1", "hola")
	ctx := context.Background()
	convID, err := r.db.MessageConversation(ctx, "SM1")
	if err != nil {
		t.Fatal(err)
	}
	before, err := r.db.ConversationByID(ctx, convID)
	if err != nil {
		t.Fatal(err)
	}
	r.start()
	defer r.stop(t)
	in := <-answered
	if !in.Defer || in.Conversation == nil || in.Conversation.ID != convID {
		t.Fatalf("the engine ran the agent with Defer %v and conversation %v; want its records deferred and the conversation it read", in.Defer, in.Conversation)
	}
	r.takeOver(t)
	time.Sleep(time.Second) // several heartbeats: the first worker sees the loss
	after, err := r.db.ConversationByID(ctx, convID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Locale != before.Locale || after.State != before.State || after.Verified != before.Verified {
		t.Fatalf("the worker that lost its lease saved the conversation: %q/%q before, %q/%q after", before.Locale, before.State, after.Locale, after.State)
	}
	msgs, err := r.db.Messages(ctx, convID, 0)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages %+v %v; want only the debtor's", msgs, err)
	}
}

// Shutdown is bounded: a turn still hung after the grace is cancelled and its
// claim given back untried, so the next start answers it at once. The grace is
// 200 ms here, not the shipped 20 s, which would only slow the test.
func TestShutdownCancelsHungTurns(t *testing.T) {
	var calls atomic.Int32
	called := make(chan struct{}, 1)
	r := newRig(t, false, func(c *engine.Config) {
		c.Agent = hungTurner{calls: &calls, called: called}
		c.ShutdownGrace = 200 * time.Millisecond
	})
	r.receive(t, "SM1", "hola")
	r.start()
	<-called
	start := time.Now()
	r.stop(t)
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("shutdown took %v with a hung turn", d)
	}
	claims, err := r.db.ClaimTurns(context.Background(), 1, time.Minute)
	if err != nil || len(claims) != 1 || claims[0].Attempts != 1 {
		t.Fatalf("after shutdown: claims %+v %v; want the turn back, untried", claims, err)
	}
}

// hungTurner never answers until its context ends.
type hungTurner struct {
	calls  *atomic.Int32
	called chan struct{}
}

func (h hungTurner) Turn(ctx context.Context, _ int64, _ agent.Inbound) (agent.Result, error) {
	h.calls.Add(1)
	select {
	case h.called <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return agent.Result{}, ctx.Err()
}

// takeOver claims the rig's pending turn for another worker, as if the one
// running it had stalled past its lease. A renewal may land between the
// clock's jump and the claim: it tries again.
func (r *rig) takeOver(t *testing.T) {
	t.Helper()
	for i := 0; ; i++ {
		r.advance(time.Minute)
		c, err := r.db.ClaimTurns(context.Background(), 1, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if len(c) == 1 {
			return
		}
		if i > 100 {
			t.Fatal("could not take the turn over")
		}
	}
}
