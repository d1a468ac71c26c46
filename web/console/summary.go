package console

import (
	"encoding/json"
	"fmt"
	"strings"

	"acuerdo"
	"acuerdo/tools"
)

// summaryLine is one line of a case's structured summary.
type summaryLine struct {
	Label, Text string
	Bad         bool // a refusal, shown as such
}

// negotiationTools are the tools whose outcomes are offers and agreements.
var negotiationTools = map[string]bool{tools.OfferPaymentPlan: true, tools.AcceptPaymentPlan: true, tools.ProposeDateChange: true,
	tools.ProposePause: true, tools.RecordPromiseToPay: true, tools.SendPaymentLink: true}

// caseSummary is what an operator needs when a case opens, built by code from
// the conversation's facts (no model), in the page's language: what the
// debtor asked, whether they proved who they are, balance and arrears, the
// offers made and refused, and the last tool outcomes.
func caseSummary(t map[string]string, conv acuerdo.Conversation, accts []accountView, msgs []acuerdo.Message) []summaryLine {
	var out []summaryLine
	var asked []string
	for i := len(msgs) - 1; i >= 0 && len(asked) < 2; i-- {
		if m := msgs[i]; m.Direction == acuerdo.Inbound && strings.TrimSpace(m.Body) != "" {
			asked = append([]string{"«" + clipText(strings.TrimSpace(m.Body), 140) + "»"}, asked...)
		}
	}
	if len(asked) > 0 {
		out = append(out, summaryLine{Label: t["sum_asked"], Text: strings.Join(asked, " · ")})
	}
	ver := t["sum_not_verified"]
	if conv.Verified {
		ver = t["sum_verified"]
	}
	out = append(out, summaryLine{Label: t["sum_identity"], Text: ver, Bad: !conv.Verified})
	for _, a := range accts {
		if a.Balance == "" {
			continue
		}
		out = append(out, summaryLine{Label: t["sum_balance"] + " " + a.Ref, Text: fmt.Sprintf(t["sum_balance_text"], a.Balance, a.DaysPastDue, a.NextDue)})
	}
	var offers, last []summaryLine
	for _, m := range msgs {
		if m.Direction != acuerdo.Internal || m.Author != acuerdo.AuthorTool {
			continue
		}
		var rec tools.Record
		if json.Unmarshal([]byte(m.Body), &rec) != nil || rec.Name == "" {
			continue
		}
		var res struct {
			OK        bool   `json:"ok"`
			RefusedBy string `json:"refused_by"`
		}
		_ = json.Unmarshal([]byte(rec.Result), &res)
		line := summaryLine{Label: toolLabel(t, rec.Name), Text: plainJSON(rec.Args), Bad: !res.OK}
		if res.OK {
			line.Text = strings.TrimSpace(t["sum_ok"] + " " + line.Text)
		} else {
			line.Text = strings.TrimSpace(t["sum_refused"] + " (" + res.RefusedBy + ") " + line.Text)
		}
		if rec.By != "" {
			line.Text += " · " + t["by"] + " " + rec.By
		}
		if negotiationTools[rec.Name] {
			offers = append(offers, line)
		}
		last = append(last, line)
	}
	if len(offers) > 4 {
		offers = offers[len(offers)-4:]
	}
	for _, o := range offers {
		o.Label = t["sum_offer"] + ": " + o.Label
		out = append(out, o)
	}
	if len(offers) == 0 {
		out = append(out, summaryLine{Label: t["sum_offer"], Text: t["sum_none"]})
	}
	// The last outcomes that are not already listed as offers.
	shown := 0
	for i := len(last) - 1; i >= 0 && shown < 3; i-- {
		if negotiationTools[toolName(t, last[i].Label)] {
			continue
		}
		out = append(out, summaryLine{Label: t["sum_last_tool"] + ": " + last[i].Label, Text: last[i].Text, Bad: last[i].Bad})
		shown++
	}
	return out
}

// toolLabel names a tool in words; toolName goes back.
func toolLabel(t map[string]string, name string) string {
	if l, ok := t["tool_"+name]; ok {
		return l
	}
	return name
}

func toolName(t map[string]string, label string) string {
	for n := range negotiationTools {
		if t["tool_"+n] == label || n == label {
			return n
		}
	}
	return ""
}
