package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/experiments"
	"acuerdo/prompts"
	"acuerdo/store"
	"acuerdo/whatsapp"
)

// simConversation is one simulated debtor's exchange with the agent: what they
// write, from when.
type simConversation struct {
	unit  int // index into the simulation's units
	at    time.Time
	lines []string
	kind  string // for the summary only
}

// simPlan is what the simulation decides beyond experiments.Simulate: who
// answers the agent, what they say, and how each payer pays.
type simPlan struct {
	conversations []simConversation
	method        []string // payment method per unit
}

// Business-as-usual payment methods and their shares; a debtor who asked the
// agent for a link pays through it.
var simMethods = []struct {
	name  string
	share float64
}{{"bank_transfer", 0.40}, {"cash", 0.35}, {"card", 0.25}}

const simLinkMethod = "payment_link"

// planConversations decides, from the simulation's outcomes and its own random
// stream (so the payments stay exactly those of experiments.Simulate), which
// treatment debtors answer and what they say. Payers mostly answer on the day
// they pay and ask for a link; a minority of the others answer in the first
// two weeks: to look, move a date, ask for a person, tell of hardship or opt
// out. The replies are what the offline menu understands, in Spanish (the
// simulated portfolio is Colombian); with a language model they are ordinary
// messages.
func planConversations(sim *experiments.Sim, start time.Time) simPlan {
	rng := rand.New(rand.NewPCG(sim.Config.Seed, 0xc0ffee))
	n := len(sim.Units)
	first := make([]int32, n)
	firstAmount := make([]float64, n)
	for k, u := range sim.Payments.Unit {
		if d := sim.Payments.Day[k]; first[u] == 0 || d < first[u] {
			first[u], firstAmount[u] = d, sim.Payments.Amount[k]
		}
	}
	p := simPlan{method: make([]string, n)}
	for i := range n {
		u := rng.Float64()
		for _, m := range simMethods {
			if p.method[i] = m.name; u < m.share {
				break
			}
			u -= m.share
		}
		if sim.Assignments[i].Arm == acuerdo.ArmControl {
			continue
		}
		verify := []string{"hola", simDocument}
		c := simConversation{unit: i}
		r := rng.Float64()
		switch {
		case first[i] > 4 && r < 0.3:
			// A payer promises a few days ahead, in words, and confirms;
			// they pay on the day as usual.
			c.at = start.Add(time.Duration(first[i]-1-3)*day + 10*time.Hour)
			due := start.Add(time.Duration(first[i]-1) * day)
			pesos := int64(firstAmount[i]) / 100
			c.kind, c.lines = "promise", append(verify, fmt.Sprintf("te pago %d el %d de %s", pesos, due.Day(), simMonths[due.Month()-1]), "sí")
		case first[i] > 0 && r < 0.8:
			// A payer answers the morning of the day they pay.
			c.at = start.Add(time.Duration(first[i]-1)*day + 9*time.Hour)
			c.kind, c.lines = "link", append(verify, "1")
			if rng.Float64() < 0.4 {
				c.lines[len(c.lines)-1] = "3" // one installment
			}
			p.method[i] = simLinkMethod
		case first[i] == 0 && r < 0.35:
			c.at = start.Add(time.Duration(rng.IntN(min(14, sim.Config.Horizon)))*day + time.Duration(8+rng.IntN(10))*time.Hour)
			switch a := rng.Float64(); {
			case a < 0.35:
				c.kind, c.lines = "look", verify
			case a < 0.60:
				newDate := acuerdo.DateOf(c.at).AddDays(7)
				c.kind, c.lines = "date", append(verify, "6", newDate.String())
			case a < 0.75:
				c.kind, c.lines = "person", append(verify, "9")
			case a < 0.90:
				c.kind, c.lines = "hardship", append(verify, "perdí mi trabajo y ahora no tengo cómo pagar")
			default:
				c.kind, c.lines = "opt_out", []string{"BAJA"}
			}
		default:
			continue
		}
		p.conversations = append(p.conversations, c)
	}
	slices.SortStableFunc(p.conversations, func(a, b simConversation) int { return a.at.Compare(b.at) })
	return p
}

// simMonths are the month names the simulated (Colombian) debtors write dates with.
var simMonths = [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}

// simDocument in a planned line stands for the last four digits of the
// debtor's document, which only the database knows.
const simDocument = "{document}"

type convStats struct{ conversations, turns, escalated, optedOut int }

// playConversations runs the planned conversations through the real agent,
// in time order, with the shared clock set to each message's time.
func playConversations(ctx context.Context, e *env, db *store.DB, clock *simClock, sim *experiments.Sim, plan simPlan) (convStats, error) {
	var st convStats
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a, closeModel, err := newAgent(ctx, e, db, clock.now, logger)
	if err != nil {
		return st, err
	}
	defer closeModel()
	for _, c := range plan.conversations {
		d, err := db.DebtorByID(ctx, sim.Units[c.unit].DebtorID)
		if err != nil {
			return st, err
		}
		st.conversations++
		for k, line := range c.lines {
			if line == simDocument {
				line = d.DocumentLast4()
			}
			clock.set(c.at.Add(time.Duration(k) * 2 * time.Minute))
			res, err := a.Converse(ctx, acuerdo.ChannelWhatsApp, d.Phone, agent.Inbound{Text: line})
			if err != nil {
				return st, fmt.Errorf("simulate: conversation with debtor %d: %w", d.ID, err)
			}
			st.turns++
			if res.Escalated {
				st.escalated++
			}
			if res.OptedOut {
				st.optedOut++
			}
		}
	}
	return st, nil
}

// deliverFirstContacts stands in for the engine and Twilio on a simulated
// pilot: every queued first contact is sent as its approved template and
// counted as delivered, through the same store calls the engine's sender
// makes, so nothing is left in the outbox to go out for real later. Only the
// simulated debtors' messages (by number) are touched: anyone else's stay
// queued for the real sender, after the short lease this claim took.
func deliverFirstContacts(ctx context.Context, db *store.DB, simulated map[string]bool) (int, error) {
	n := 0
	for {
		items, err := db.ClaimOutbox(ctx, 500, time.Minute)
		if err != nil || len(items) == 0 {
			return n, err
		}
		mine := 0
		for _, it := range items {
			if !simulated[it.Recipient] {
				continue
			}
			mine++
			text := it.Body
			if t, ok := prompts.LookupTemplate(it.Template); ok {
				text = t.Render("es", it.Variables)
			}
			if err := db.MarkSending(ctx, it, text); err != nil {
				return n, err
			}
			sid := fmt.Sprintf("SMsim%026d", it.ID)
			if _, err := db.MarkSent(ctx, it, sid, acuerdo.MessageDelivered, "HXsimulated"+it.Template, whatsapp.StatusRank); err != nil {
				return n, err
			}
			n++
		}
		if mine == 0 {
			return n, nil
		}
	}
}

// workEscalations stands in for the collections team on a simulated pilot:
// a simulated operator takes each case the conversations opened two hours
// after it was opened, writes to the debtor, and closes it, judging most
// escalations useful. It uses the console's own store calls, so operator
// minutes and useful escalations in the report come from real case rows.
func workEscalations(ctx context.Context, db *store.DB, clock *simClock, name string, seed uint64) (int, error) {
	rng := rand.New(rand.NewPCG(seed, 0x0be7a70))
	op, err := db.CreateUser(ctx, store.User{Email: "operator@" + name + ".simulated.invalid", Name: "Operador simulado", Role: store.RoleOperator,
		PasswordHash: "!", Disabled: true}) // "!" matches no password: nobody can sign in as it
	if err != nil {
		return 0, err
	}
	cases, err := db.Cases(ctx, store.CaseFilter{Limit: 100000})
	if err != nil {
		return 0, err
	}
	segment := simSegment(experiments.SimConfig{Salt: name})
	worked := 0
	for _, c := range cases {
		if c.DebtorID == 0 {
			continue
		}
		d, err := db.DebtorByID(ctx, c.DebtorID)
		if err != nil {
			return worked, err
		}
		if d.Segment != segment {
			continue
		}
		at := c.CreatedAt.Add(2 * time.Hour)
		clock.set(at)
		if err := db.ClaimCase(ctx, c.ID, op.ID, false); err != nil {
			return worked, err
		}
		msgs := []acuerdo.Message{{ConversationID: c.ConversationID, Direction: acuerdo.Outbound, Author: acuerdo.AuthorOperator,
			Body: "Hola, soy del equipo de cobranza. Leí tu mensaje y quiero ayudarte a encontrar una salida.", Status: acuerdo.MessageDelivered, CreatedAt: at}}
		if rng.Float64() < 0.6 {
			msgs = append(msgs, acuerdo.Message{ConversationID: c.ConversationID, Direction: acuerdo.Outbound, Author: acuerdo.AuthorOperator,
				Body: "Quedamos así entonces. Cualquier cosa, escríbeme por aquí.", Status: acuerdo.MessageDelivered, CreatedAt: at.Add(20 * time.Minute)})
		}
		if _, err := db.AppendMessages(ctx, msgs...); err != nil {
			return worked, err
		}
		clock.set(at.Add(30 * time.Minute))
		useful := rng.Float64() < 0.7
		state := acuerdo.CaseResolved
		if rng.Float64() < 0.2 {
			state = acuerdo.CaseNoAnswer
		}
		if err := db.CloseCase(ctx, c.ID, state, &useful, "simulated"); err != nil {
			return worked, err
		}
		worked++
	}
	return worked, nil
}
