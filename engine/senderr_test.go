package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/engine"
	"acuerdo/store"
)

// provErr is a provider error with what engine.SendErrors reads from it.
type provErr struct {
	ambiguous  bool
	retryAfter time.Duration
	code       string
}

func (p *provErr) Error() string { return "provider error " + p.code }

func (f *fakeSender) Ambiguous(err error) bool {
	var p *provErr
	return errors.As(err, &p) && p.ambiguous
}

func (f *fakeSender) RetryAfter(err error) time.Duration {
	var p *provErr
	if errors.As(err, &p) {
		return p.retryAfter
	}
	return 0
}

func (f *fakeSender) Unsubscribed(err error) bool {
	var p *provErr
	return errors.As(err, &p) && p.code == "21610"
}

var _ engine.SendErrors = (*fakeSender)(nil)

// fixedTurner answers every turn with one message.
type fixedTurner struct{ reply string }

func (f fixedTurner) Turn(context.Context, int64, agent.Inbound) (agent.Result, error) {
	return agent.Result{Replies: []string{f.reply}, Handler: agent.HandledOffline}, nil
}

// attempts counts the create calls the fake sender got (failed ones included).
func (f *fakeSender) attempts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// A send the provider accepted but answered too late for (the call timed out)
// is not resent: it is reconciled with the provider's list, found there and
// recorded as sent. Sends per message: 1. (Issue 10, item 2: a debtor got one
// payment link five times in four minutes.) A send the provider never got is
// sent again, after the same check.
func TestAmbiguousSendReconciledNotResent(t *testing.T) {
	const link = "Tu link de pago: https://pay.example/x"
	for _, tc := range []struct {
		name     string
		accepted bool // the provider has the message despite the error
		attempts int  // create calls in all
	}{
		{"accepted, answer lost", true, 1},
		{"never reached the provider", false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, false, func(c *engine.Config) { c.Agent = fixedTurner{link} })
			r.snd.fail = func(n int) error {
				if n == 1 {
					return &provErr{ambiguous: true, code: "timeout"}
				}
				return nil
			}
			r.snd.found[link] = tc.accepted
			r.receive(t, "SM1", "quiero pagar")
			r.start()
			defer r.stop(t)
			eventually(t, "the first attempt", func() bool { return r.snd.attempts() >= 1 })
			// Retries would come within seconds; the outcome is unknown, so none.
			for i := 0; i < 5; i++ {
				r.advance(10 * time.Second)
				time.Sleep(20 * time.Millisecond)
			}
			if n := r.snd.attempts(); n != 1 {
				t.Fatalf("%d sends before reconciling; want 1", n)
			}
			r.advance(time.Minute) // past StaleSend: reconciled
			eventually(t, "reconciled", func() bool {
				r.snd.mu.Lock()
				defer r.snd.mu.Unlock()
				return r.snd.finds >= 1
			})
			if tc.accepted {
				eventually(t, "recorded as sent", func() bool {
					st, _, _ := r.db.MessageStatus(context.Background(), "SMfound")
					return st == "sent"
				})
			} else {
				eventually(t, "resent", func() bool { return len(r.snd.sent()) == 1 })
			}
			time.Sleep(100 * time.Millisecond)
			if n := r.snd.attempts(); n != tc.attempts {
				t.Fatalf("%d create calls; want %d", n, tc.attempts)
			}
		})
	}
}

// A provider's Retry-After is honoured: the first retry comes no sooner.
func TestRetryAfterHonoured(t *testing.T) {
	r := newRig(t, false, func(c *engine.Config) { c.Agent = fixedTurner{"hola"} })
	r.snd.fail = func(n int) error {
		if n == 1 {
			return &provErr{retryAfter: 30 * time.Second, code: "429"}
		}
		return nil
	}
	r.receive(t, "SM1", "hola")
	r.start()
	defer r.stop(t)
	eventually(t, "the first attempt", func() bool { return r.snd.attempts() >= 1 })
	r.advance(29 * time.Second) // the backoff alone (2 s) would have retried by now
	time.Sleep(200 * time.Millisecond)
	if n := r.snd.attempts(); n != 1 {
		t.Fatalf("retried %v before the provider's Retry-After of 30 s", 29*time.Second)
	}
	r.advance(2 * time.Second)
	eventually(t, "retried after Retry-After", func() bool { return len(r.snd.sent()) == 1 })
}

// Twilio's 21610 (the recipient unsubscribed) records an opt-out: the message
// fails for good, and no business-initiated message goes to the number again.
func TestUnsubscribedRecordsOptOut(t *testing.T) {
	var calls atomic.Int32
	r := newRig(t, false, func(c *engine.Config) { c.Agent = fixedTurner{"hola"} })
	r.snd.fail = func(int) error { calls.Add(1); return &provErr{code: "21610"} }
	r.receive(t, "SM1", "hola")
	r.start()
	defer r.stop(t)
	ctx := context.Background()
	// The opt-out and the failed message are two writes: wait for both.
	eventually(t, "opted out and the message failed", func() bool {
		conv, _ := r.db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234567")
		msgs, _ := r.db.Messages(ctx, conv.ID, 0)
		return conv.OptedOut && len(msgs) > 0 && msgs[len(msgs)-1].Status == acuerdo.MessageFailed
	})
	conv, _ := r.db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234567")
	msgs, _ := r.db.Messages(ctx, conv.ID, 0)
	last := msgs[len(msgs)-1]
	if last.Status != acuerdo.MessageFailed || last.ErrorCode != "21610" {
		t.Fatalf("last message %+v", last)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d attempts at a permanent failure", calls.Load())
	}
	audit, _ := r.db.Audit(ctx, store.AuditFilter{})
	found := false
	for _, a := range audit {
		found = found || a.Rule == "provider_unsubscribed"
	}
	if !found {
		t.Fatal("no audit line for the opt-out")
	}
}

// A status callback can beat the send's own answer (Twilio's sometimes does):
// it waits in the store until the send is recorded, and its error code then
// counts as it would have in order — here, WhatsApp saying it cannot deliver
// to the number marks the debtor unreachable.
func TestEarlyStatusMarksUnreachable(t *testing.T) {
	r := newRig(t, false, func(c *engine.Config) {
		c.Agent = fixedTurner{"hola"}
		c.Rank = func(s string) int { return map[string]int{"queued": 1, "undelivered": 5}[s] }
		c.Unreachable = func(code string) string {
			if code == "63024" {
				return acuerdo.UnreachableInvalidRecipient
			}
			return ""
		}
	})
	ctx := context.Background()
	r.snd.fail = func(n int) error {
		// The callback for the message being sent arrives before its answer.
		if err := r.eng.Status(ctx, fmt.Sprintf("SMout%d", n), "undelivered", "63024"); err != nil {
			t.Error(err)
		}
		return nil
	}
	r.receive(t, "SM1", "hola")
	r.start()
	defer r.stop(t)
	eventually(t, "the debtor marked unreachable", func() bool {
		d, err := r.db.DebtorByPhone(ctx, "+573001234567")
		return err == nil && d.Unreachable == acuerdo.UnreachableInvalidRecipient && d.UnreachableDetail == "63024"
	})
}
