package pilot

import (
	"acuerdo"
	"acuerdo/prompts"
	"acuerdo/store"
)

// DebtorCost is what serving one debtor cost since assignment, in USD, by
// component (DESIGN §5: model tokens, WhatsApp templates, operator minutes).
type DebtorCost struct {
	LLMUSD           float64
	TemplateMessages int // templates the provider accepted (sent, delivered or read)
	TemplateUSD      float64
	OperatorCases    int
	OperatorMessages int
	OperatorMinutes  float64
	OperatorUSD      float64
}

// Total is the debtor's whole cost.
func (c DebtorCost) Total() float64 { return c.LLMUSD + c.TemplateUSD + c.OperatorUSD }

// templateCategory is a catalogue template's Meta category; a name no longer
// in the catalogue (renamed since) is priced as utility, the category every
// collections template of the catalogue has.
func templateCategory(name string) string {
	if t, ok := prompts.LookupTemplate(name); ok && t.Category != "" {
		return t.Category
	}
	return "utility"
}

// costsOf prices each debtor's template messages and operator work at the
// rates in force when they happened, and adds the model cost the agent
// recorded. It also returns how many template messages no price covered.
//
// A template counts once the provider took it (status sent, delivered or
// read): Meta charges on delivery, and a message stuck at "sent" usually just
// lacks its callback, so this errs on the side of more cost, not less.
// Operator time is a model, not a stopwatch: minutes per case a person took
// plus minutes per message an operator wrote, from the dated operator rates.
func costsOf(data store.ExperimentData, p Prices, category func(string) string) ([]DebtorCost, int) {
	costs := make([]DebtorCost, len(data.Rows))
	unpriced := 0
	for i, row := range data.Rows {
		costs[i].LLMUSD = row.CostUSD
		costs[i].OperatorCases = row.OperatorCases
		if row.OperatorCases > 0 {
			if r, ok := p.OperatorAt(row.AssignedAt); ok {
				m := float64(row.OperatorCases) * r.MinutesPerCase
				costs[i].OperatorMinutes += m
				costs[i].OperatorUSD += m / 60 * r.USDPerHour
			}
		}
	}
	for _, m := range data.Messages {
		c := &costs[m.Row]
		switch {
		case m.Direction == acuerdo.Outbound && m.Author == acuerdo.AuthorOperator:
			c.OperatorMessages++
			if r, ok := p.OperatorAt(m.At); ok {
				c.OperatorMinutes += r.MinutesPerMessage
				c.OperatorUSD += r.MinutesPerMessage / 60 * r.USDPerHour
			}
		}
		if m.Direction != acuerdo.Outbound || m.TemplateID == "" || !charged(m.Status) {
			continue
		}
		c.TemplateMessages++
		usd, ok := p.Template(data.Rows[m.Row].Country, category(m.Template), m.At)
		if !ok {
			unpriced++
		}
		c.TemplateUSD += usd
	}
	return costs, unpriced
}

// charged reports whether a message in status s was taken by the provider.
func charged(s string) bool {
	return s == acuerdo.MessageSent || s == acuerdo.MessageDelivered || s == acuerdo.MessageRead
}
