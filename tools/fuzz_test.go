package tools_test

import (
	"encoding/json"
	"strings"
	"testing"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/tools"
)

// FuzzCall feeds arbitrary tool names and raw arguments to a verified
// conversation: Call never panics, audits every call exactly once, and never
// acts on arguments that are not JSON.
func FuzzCall(f *testing.F) {
	for _, tool := range allTools {
		f.Add(tool, validArgs[tool])
		f.Add(tool, validArgs[tool]+"}")
		f.Add(tool, "")
		f.Add(tool, "null")
	}
	for _, seed := range [][2]string{
		{tools.SendPaymentLink, `{"scope":"custom","amount":"850000.07"}`},
		{tools.SendPaymentLink, `{"scope":"custom","amount":"0.001"}`},
		{tools.ProposeDateChange, `{"new_date":"2026-02-30"}`},
		{tools.ProposePause, `{"days":1e1}`},
		{tools.ProposePause, `{"days":30,"days":400}`},
		{tools.OfferPaymentPlan, `{"installments":12}`},
		{tools.AcceptPaymentPlan, `{"plan_id":"999999999999"}`},
		{tools.RecordPromiseToPay, `{"amount":"1","date":"2026-04-09"}`},
		{tools.EscalateToHuman, `{"reason":"legal","summary":"\u0000"}`},
		{tools.VerifyIdentity, "{\"document_last4\":\"\xff\xfe45\"}"},
		{tools.LookupDebt, "\v{}"},
		{tools.LookupDebt, `{} {}`},
		{tools.LookupDebt, `[]`},
		{"no_such_tool", `{}`},
		{"", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	fx := newFixture(f)
	base := fx.verified(f, anaPhone)
	f.Fuzz(func(t *testing.T, name, args string) {
		conv := *base.Conv
		e := &tools.Env{Conv: &conv, Debtor: base.Debtor, Media: []string{"https://example.com/receipt.jpg"}}
		before := fx.lastAuditID(t)
		r := fx.set.Call(fx.ctx, e, name, args)
		if r.Tool != name {
			t.Errorf("result names tool %q, called %q", r.Tool, name)
		}
		if !json.Valid([]byte(r.JSON())) {
			t.Errorf("result JSON %q", r.JSON())
		}
		trimmed := strings.TrimSpace(args)
		if trimmed != "" && !json.Valid([]byte(trimmed)) {
			if r.OK {
				t.Fatalf("%s acted on invalid JSON %q: %+v", name, args, r)
			}
			if r.Rule != "invalid_arguments" && r.Rule != "unknown_tool" {
				t.Errorf("%s %q: rule %q", name, args, r.Rule)
			}
		}
		if !r.OK && (r.Rule == "" || r.Message == "") {
			t.Errorf("%s %q: refusal without rule or message: %+v", name, args, r)
		}
		entries, err := fx.db.Audit(fx.ctx, store.AuditFilter{After: before})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Fatalf("%s %q: %d audit entries", name, args, len(entries))
		}
		if a := entries[0]; a.Kind != acuerdo.AuditTool || a.Name != name || (r.OK != (a.Outcome == acuerdo.Allowed)) {
			t.Errorf("%s %q: audit %+v for result %+v", name, args, a, r)
		}
		if a := entries[0]; len(a.Args) > 0 && !json.Valid(a.Args) {
			t.Errorf("%s %q: audited args %q are not JSON", name, args, a.Args)
		}
	})
}
