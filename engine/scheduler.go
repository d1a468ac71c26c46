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
	tick := time.NewTicker(max(e.cfg.Poll, time.Second))
	defer tick.Stop()
	for {
		if err := e.schedule(ctx); err != nil && ctx.Err() == nil {
			e.cfg.Logger.Error("scheduler", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

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
	quiet, err := e.cfg.Store.QuietConversations(ctx, now.Add(-shortest), now.Add(-window))
	if err != nil {
		return err
	}
	for _, q := range quiet {
		conv, err := e.cfg.Store.ConversationByID(ctx, q.ID)
		if err != nil {
			return err
		}
		wait := e.cfg.NudgeAfter
		if conv.DebtorID != 0 {
			v, _, err := e.cfg.Store.DebtorVariant(ctx, conv.DebtorID)
			if err != nil {
				return err
			}
			if v.NudgeMinutes > 0 {
				wait = time.Duration(v.NudgeMinutes) * time.Minute
			}
		}
		if wait > shortest && !q.LastAt.Before(now.Add(-wait)) {
			continue // not quiet long enough for this debtor's cadence
		}
		if q.Nudges >= 1 {
			// The second silence ends the conversation: close politely and, while
			// the window is still open, ask how it went.
			err = e.cfg.Store.CloseConversation(ctx, q.ID, prompts.T(conv.Locale, "close"), prompts.T(conv.Locale, "survey"))
		} else {
			err = e.cfg.Store.Nudge(ctx, q.ID, prompts.T(conv.Locale, "nudge"), false)
		}
		if err != nil {
			return err
		}
		wake(e.outWake)
	}

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
