package engine

import (
	"context"
	"time"

	"acuerdo"
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
	quiet, err := e.cfg.Store.QuietConversations(ctx, now.Add(-e.cfg.NudgeAfter), now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	for _, q := range quiet {
		conv, err := e.cfg.Store.ConversationByID(ctx, q.ID)
		if err != nil {
			return err
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
	today := acuerdo.DateOf(now)
	due, err := e.cfg.Store.PendingPromises(ctx, today.AddDays(1))
	if err != nil {
		return err
	}
	for _, p := range due {
		conv, err := e.cfg.Store.ConversationByID(ctx, p.ConversationID)
		if err != nil {
			return err
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
