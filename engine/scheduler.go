package engine

import (
	"cmp"
	"context"
	"time"

	"acuerdo"
	"acuerdo/policy"
	"acuerdo/prompts"
	"acuerdo/store"
)

// scheduler sends what time, not a message, triggers: nudges to debtors who went
// quiet mid-conversation, reminders the day before a promised payment, and a
// follow-up when a promise is missed. All of it goes through the outbox, so the
// window and the contact policy apply as to anything else.
func (e *Engine) scheduler(ctx context.Context) {
	every := max(e.cfg.Poll, time.Second)
	for {
		start := time.Now()
		if err := e.schedule(ctx); err != nil && ctx.Err() == nil {
			e.cfg.Logger.Error("scheduler", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(roundGap(every, time.Since(start))):
		}
	}
}

// roundGap is the pause after a scheduler round that took took: the poll
// interval, or 20 times the round, at most 30 s. With a few thousand active
// conversations a round takes milliseconds and runs every second; with a
// hundred thousand it reads them all, and running it back to back would keep
// a core busy for nudges whose time is counted in minutes. Bounded this way
// the sweep takes at most 5 % of a core, and a nudge or a reminder is late by
// at most the gap.
func roundGap(every, took time.Duration) time.Duration {
	return min(max(every, 20*took), 30*time.Second)
}

// variantWaits remembers the nudge silence of each debtor's pilot arm that
// the scheduler looked up, so the sweep does not read a debtor's arm again
// every second while the conversation waits for it (a minute to several).
// Only the scheduler's goroutine touches it.
type variantWaits struct {
	m     map[int64]variantWait
	epoch time.Time // what variantWait.read counts from
}

// variantWait is kept small: with 100,000 quiet conversations the map holds
// as many entries, and serve's memory target is 200 MB.
type variantWait struct {
	minutes int32 // the arm's nudge silence; 0: the engine's NudgeAfter
	read    int32 // seconds from epoch (real time); an arm that changes is seen within variantTTL
	seen    bool  // in the latest round's sweep; others are forgotten
}

// variantTTL is how long a debtor's arm read by the sweep is trusted: pilots
// start and stop rarely, and a minute late is within a nudge's precision.
const variantTTL = time.Minute

// MinVariantNudge and MaxReminderDays bound what a pilot arm may set
// (acuerdo.ParseVariant): the scheduler reads that far ahead.
const (
	MinVariantNudge = time.Minute
	MaxReminderDays = 14
)

// schedule runs one round of scheduled work. Replicas sharing a PostgreSQL
// database take turns (an advisory lock): each round runs on one of them, and
// the next round, on whichever replica, sees what it wrote.
func (e *Engine) schedule(ctx context.Context) error {
	_, err := e.cfg.Store.Exclusively(ctx, "schedule", e.scheduleRound)
	return err
}

func (e *Engine) scheduleRound(ctx context.Context) error {
	now := e.cfg.Clock()
	// Cases nobody took within 48 hours turn VENCIDO here, so the console's
	// life cycle holds whether or not anyone has it open.
	if _, err := e.cfg.Store.ExpireCases(ctx, now.Add(-store.CaseExpiry)); err != nil {
		return err
	}
	// A pilot arm may nudge sooner than the default: conversations quiet for
	// the shortest silence any arm uses are read, and each waits for its own.
	shortest := min(e.cfg.NudgeAfter, MinVariantNudge)
	// Nudges are free text: only inside the configured service window.
	window := cmp.Or(e.cfg.Policy.ServiceWindow, policy.Default().ServiceWindow)
	waits := e.waits.m
	if waits == nil {
		waits, e.waits.epoch = map[int64]variantWait{}, time.Now()
	}
	sec := int32(time.Since(e.waits.epoch) / time.Second)
	for after := int64(0); ; {
		quiet, err := e.cfg.Store.QuietConversations(ctx, now.Add(-shortest), now.Add(-window), after, quietPage)
		if err != nil {
			return err
		}
		for _, q := range quiet {
			if err := e.nudgeQuiet(ctx, q, now, shortest, waits, sec); err != nil {
				return err
			}
			after = q.ID
		}
		if len(quiet) < quietPage {
			break
		}
	}
	for id, w := range waits {
		if !w.seen {
			delete(waits, id) // no longer quiet: its next silence reads the arm again
			continue
		}
		w.seen = false
		waits[id] = w
	}
	e.waits.m = waits

	// Promises due tomorrow get a reminder; those past due, a follow-up. Dates are
	// compared in UTC: a day's difference in zone only shifts a reminder by hours.
	// A pilot arm may remind earlier than the day before (Variant.ReminderDays).
	today := acuerdo.DateOf(now)
	due, err := e.cfg.Store.PendingPromises(ctx, today.AddDays(MaxReminderDays))
	if err != nil {
		return err
	}
	for _, p := range due {
		conv, err := e.cfg.Store.ConversationByID(ctx, p.ConversationID)
		if err != nil {
			return err
		}
		lead := 1
		if conv.DebtorID != 0 {
			v, _, err := e.cfg.Store.DebtorVariant(ctx, conv.DebtorID)
			if err != nil {
				return err
			}
			if v.ReminderDays > 0 {
				lead = v.ReminderDays
			}
		}
		if today.AddDays(lead).Before(p.Promise.DueDate) {
			continue // too early for this debtor's reminder
		}
		name := ""
		if conv.DebtorID != 0 {
			if d, err := e.cfg.Store.DebtorByID(ctx, conv.DebtorID); err == nil {
				name = firstName(d.Name)
			}
		}
		vars := map[string]string{"name": name, "amount": prompts.Money(conv.Locale, p.Promise.Amount), "date": prompts.Date(conv.Locale, p.Promise.DueDate)}
		tmpl := "promise_reminder"
		if p.Promise.DueDate.Before(today) {
			tmpl = "promise_missed"
		}
		t, _ := prompts.LookupTemplate(tmpl)
		out := store.Outgoing{Body: t.Render(conv.Locale, vars), Author: acuerdo.AuthorBot, Template: tmpl, Variables: vars, Business: true}
		if tmpl == "promise_missed" {
			err = e.cfg.Store.BreakPromise(ctx, p, out)
		} else if !p.Reminded {
			err = e.cfg.Store.RemindPromise(ctx, p, out)
		}
		if err != nil {
			return err
		}
		wake(e.outWake)
	}
	return nil
}

// quietPage is how many quiet conversations the sweep reads at once.
const quietPage = 1000

// nudgeQuiet nudges or closes one quiet conversation whose silence reached its
// debtor's cadence (the pilot arm's, else NudgeAfter), reading the arm only
// when waits has not got it.
func (e *Engine) nudgeQuiet(ctx context.Context, q store.QuietConversation, now time.Time, shortest time.Duration, waits map[int64]variantWait, sec int32) error {
	wait := e.cfg.NudgeAfter
	if q.DebtorID != 0 {
		w, ok := waits[q.DebtorID]
		if !ok || time.Duration(sec-w.read)*time.Second > variantTTL {
			v, _, err := e.cfg.Store.DebtorVariant(ctx, q.DebtorID)
			if err != nil {
				return err
			}
			w = variantWait{minutes: int32(max(0, v.NudgeMinutes)), read: sec}
		}
		w.seen = true
		waits[q.DebtorID] = w
		if w.minutes > 0 {
			wait = time.Duration(w.minutes) * time.Minute
		}
	}
	if wait > shortest && !q.LastAt.Before(now.Add(-wait)) {
		return nil // not quiet long enough for this debtor's cadence
	}
	var err error
	if q.Nudges >= 1 {
		// The second silence ends the conversation: close politely and, while
		// the window is still open, ask how it went.
		err = e.cfg.Store.CloseConversation(ctx, q.ID, prompts.T(q.Locale, "close"), prompts.T(q.Locale, "survey"))
	} else {
		err = e.cfg.Store.Nudge(ctx, q.ID, prompts.T(q.Locale, "nudge"), false)
	}
	if err == nil {
		wake(e.outWake)
	}
	return err
}
