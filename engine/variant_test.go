package engine_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/engine"
	"acuerdo/store"
)

// putInArm makes an experiment whose only arm besides control takes the rig's
// debtor, with the variant given.
func putInArm(t *testing.T, r *rig, v acuerdo.Variant) {
	t.Helper()
	arms := []acuerdo.Arm{{Name: acuerdo.ArmControl, Share: 0.5}, {Name: "brief", Share: 0.5, Variant: v}}
	_, err := r.db.CreateExperiment(context.Background(), store.NewExperiment{Name: "tone", Salt: "s", Arms: arms, HorizonDays: 60},
		func(cs []store.Candidate) []acuerdo.Assignment {
			var out []acuerdo.Assignment
			for _, c := range cs {
				out = append(out, acuerdo.Assignment{DebtorID: c.DebtorID, Arm: "brief", Stratum: "all"})
			}
			return out
		})
	if err != nil {
		t.Fatal(err)
	}
}

// A pilot arm's nudge cadence replaces the engine's: two minutes of silence
// instead of five.
func TestVariantNudgeCadence(t *testing.T) {
	r := newRig(t, false, nil)
	putInArm(t, r, acuerdo.Variant{NudgeMinutes: 2})
	r.start()
	defer r.stop(t)
	r.receive(t, "SM1", "hola")
	eventually(t, "greeting", func() bool { return len(r.snd.sent()) == 2 })
	r.advance(3 * time.Minute)
	eventually(t, "nudge after the arm's two minutes", func() bool { return len(r.snd.sent()) == 3 })
	if s := r.snd.sent()[2]; !strings.Contains(s, "¿Sigues ahí?") {
		t.Fatalf("nudge %q", s)
	}
}

// A pilot arm's send window holds business-initiated messages inside the
// contact policy's hours until the window opens, in the debtor's time.
func TestVariantSendWindow(t *testing.T) {
	r := newRig(t, false, nil)
	putInArm(t, r, acuerdo.Variant{WindowStart: 18, WindowEnd: 20})
	ctx := context.Background()
	conv, _ := r.db.Conversation(ctx, acuerdo.ChannelWhatsApp, "+573001234567")
	_ = r.db.Enqueue(ctx, conv.ID, []store.Outgoing{{Body: "recordatorio", Template: "promise_reminder", Business: true,
		Variables: map[string]string{"name": "Ana", "amount": "$1", "date": "30/11/2026"}}})
	r.start()
	defer r.stop(t)
	// Tuesday 10:00 in Bogotá: the policy allows it, the arm does not.
	eventually(t, "held for the arm's window", func() bool {
		a, _ := r.db.Audit(ctx, store.AuditFilter{})
		return len(a) > 0 && a[len(a)-1].Rule == "variant_window"
	})
	r.snd.mu.Lock()
	n := len(r.snd.tmpls) + len(r.snd.texts)
	r.snd.mu.Unlock()
	if n != 0 {
		t.Fatal("sent outside the arm's window")
	}
	r.now.Store(time.Date(2026, 11, 24, 23, 5, 0, 0, time.UTC).UnixMicro()) // 18:05 in Bogotá
	eventually(t, "sent in the window", func() bool { r.snd.mu.Lock(); defer r.snd.mu.Unlock(); return len(r.snd.tmpls) == 1 })
}

// variantCounter is the rig's database, counting the reads of pilot arms
// and the sweeps' first pages.
type variantCounter struct {
	*store.DB
	reads, sweeps atomic.Int32
}

func (v *variantCounter) DebtorVariant(ctx context.Context, debtorID int64) (acuerdo.Variant, string, error) {
	v.reads.Add(1)
	return v.DB.DebtorVariant(ctx, debtorID)
}

func (v *variantCounter) QuietConversations(ctx context.Context, quietSince, windowSince time.Time, afterID int64, limit int) ([]store.QuietConversation, error) {
	if afterID == 0 {
		v.sweeps.Add(1)
	}
	return v.DB.QuietConversations(ctx, quietSince, windowSince, afterID, limit)
}

// The scheduler sweeps every second, and a conversation quiet for longer
// than the shortest cadence an arm may set (a minute) but not yet its own is
// in every sweep: its arm is read once, not once a second (at 100,000 active
// conversations those reads kept most of a core busy), and the nudge still
// comes at the arm's time.
func TestSweepReadsArmOnce(t *testing.T) {
	var vc *variantCounter
	r := newRig(t, false, func(c *engine.Config) {
		vc = &variantCounter{DB: c.Store.(*store.DB)}
		c.Store = vc
	})
	putInArm(t, r, acuerdo.Variant{NudgeMinutes: 4})
	r.start()
	defer r.stop(t)
	r.receive(t, "SM1", "hola")
	eventually(t, "greeting", func() bool { return len(r.snd.sent()) == 2 })
	before := vc.reads.Load()
	r.advance(2 * time.Minute) // quiet for the sweep, not for the arm
	// Rounds pause longer when they take longer (a loaded machine): count
	// them rather than the seconds. The round that saw the advance may have
	// begun before it, so wait for four.
	sweeps := vc.sweeps.Load()
	eventually(t, "four sweeps", func() bool { return vc.sweeps.Load()-sweeps >= 4 })
	if n := vc.reads.Load() - before; n != 1 {
		t.Fatalf("the arm was read %d times in %d sweeps; want once", n, vc.sweeps.Load()-sweeps)
	}
	if n := len(r.snd.sent()); n != 2 {
		t.Fatalf("%d messages sent before the arm's four minutes; want 2", n)
	}
	r.advance(150 * time.Second)
	eventually(t, "nudge at the arm's four minutes", func() bool { return len(r.snd.sent()) == 3 })
}
