package tools_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"acuerdo/tools"
)

var allTools = []string{
	tools.VerifyIdentity, tools.LookupDebt, tools.SendPaymentLink, tools.ProposeDateChange, tools.ProposePause,
	tools.OfferPaymentPlan, tools.AcceptPaymentPlan, tools.RecordPromiseToPay, tools.ReportPayment,
	tools.EscalateToHuman, tools.OptOut,
}

// validArgs are schema-valid arguments of each tool, the base the invalid ones
// are built from.
var validArgs = map[string]string{
	tools.VerifyIdentity:     `{"document_last4":"4050"}`,
	tools.LookupDebt:         `{}`,
	tools.SendPaymentLink:    `{"scope":"total"}`,
	tools.ProposeDateChange:  `{"new_date":"2026-03-25"}`,
	tools.ProposePause:       `{"days":10}`,
	tools.OfferPaymentPlan:   `{"installments":3}`,
	tools.AcceptPaymentPlan:  `{"plan_id":"1"}`,
	tools.RecordPromiseToPay: `{"amount":"1000","date":"2026-03-15"}`,
	tools.ReportPayment:      `{}`,
	tools.EscalateToHuman:    `{"reason":"hardship","summary":"lost her job"}`,
	tools.OptOut:             `{}`,
}

// with returns base (a JSON object) with key set to the raw JSON value v.
func with(base, key, v string) string {
	inner := strings.TrimSuffix(strings.TrimPrefix(base, "{"), "}")
	if inner != "" {
		inner += ","
	}
	return fmt.Sprintf("{%s%q:%s}", inner, key, v)
}

// without returns base with key removed.
func without(tb testing.TB, base, key string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(base), &m); err != nil {
		tb.Fatal(err)
	}
	delete(m, key)
	b, _ := json.Marshal(m)
	return string(b)
}

type badArgs struct {
	name, args, want string // want: a part of the message
}

// invalidArgs lists, for a tool, arguments its schema must refuse.
func invalidArgs(tb testing.TB, tool string) []badArgs {
	valid := validArgs[tool]
	long := func(n int) string { return fmt.Sprintf("%q", strings.Repeat("x", n)) }
	cases := []badArgs{
		{"truncated", `{`, "not a JSON object"},
		{"truncated value", strings.TrimSuffix(valid, "}") + `,"x":`, "not a JSON object"},
		{"no colon", `{"a" 1}`, "not a JSON object"},
		{"bare word", `not json`, "not a JSON object"},
		{"single quotes", `{'scope':'total'}`, "not a JSON object"},
		{"array", `[]`, "not a JSON object"},
		{"array of the args", "[" + valid + "]", "not a JSON object"},
		{"string", `"total"`, "not a JSON object"},
		{"JSON-encoded args", fmt.Sprintf("%q", valid), "not a JSON object"},
		{"number", `42`, "not a JSON object"},
		{"boolean", `true`, "not a JSON object"},
		{"two objects", valid + ` {}`, "trailing data"},
		{"stray brace", valid + `}`, "trailing data"},
		{"stray bracket", valid + `]`, "trailing data"},
		{"trailing word", valid + ` ok`, "trailing data"},
		{"unknown argument", with(valid, "zzz", `"1"`), `unknown argument "zzz"`},
		{"unknown argument, case", with(valid, "Account_ID", `"CR-0001"`), "unknown argument"},
		{"unknown nested", with(valid, "extra", `{"a":1}`), "unknown argument"},
	}
	add := func(name, args, want string) { cases = append(cases, badArgs{name, args, want}) }
	var m map[string]any
	if err := json.Unmarshal([]byte(valid), &m); err != nil {
		tb.Fatal(err)
	}
	for k := range m {
		add("missing "+k, without(tb, valid, k), fmt.Sprintf("missing required argument %q", k))
		add(k+" null", with(without(tb, valid, k), k, "null"), "")
	}
	if len(m) > 0 {
		add("empty arguments", ``, "missing required argument")
		add("null arguments", `null`, "missing required argument")
		add("empty object", `{}`, "missing required argument")
	}
	accountID := func() {
		add("account_id number", with(valid, "account_id", `1`), "account_id must be a string")
		add("account_id array", with(valid, "account_id", `["CR-0001"]`), "account_id must be a string")
		add("account_id over-long", with(valid, "account_id", long(501)), "account_id is longer than 500")
	}
	date := func(k string) {
		for _, v := range []string{`"2026/04/01"`, `"20260401"`, `"2026-4-1"`, `"next week"`, `"2026-04-01T00:00:00Z"`, `"2026-04-01 "`, `"٢٠٢٦-٠٤-٠١"`} {
			add(k+" "+v, with(without(tb, valid, k), k, v), "does not match")
		}
		add(k+" number", with(without(tb, valid, k), k, `20260401`), "must be a string")
		add(k+" over-long", with(without(tb, valid, k), k, long(41)), "longer than 40")
	}
	amount := func(k string) {
		for _, v := range []string{`"1,000"`, `"-5"`, `"1e5"`, `"1000.1234"`, `""`, `" 100"`, `"1234567890123456"`, `"$100"`, `"100."`, `".5"`, `"NaN"`} {
			add(k+" "+v, with(without(tb, valid, k), k, v), "does not match")
		}
		add(k+" number", with(without(tb, valid, k), k, `1000`), "must be a string")
	}
	integer := func(k string, lo, hi int) {
		for _, v := range []string{fmt.Sprint(lo - 1), fmt.Sprint(hi + 1), `-1`, `99999999999999999999`} {
			add(fmt.Sprintf("%s %s", k, v), with(without(tb, valid, k), k, v), "")
		}
		for _, v := range []string{`"10"`, `10.5`, `10.0`, `1e1`, `true`, `[10]`} {
			add(fmt.Sprintf("%s %s", k, v), with(without(tb, valid, k), k, v), "whole number")
		}
	}
	switch tool {
	case tools.VerifyIdentity:
		for _, v := range []string{`"405"`, `"40501"`, `"40-5"`, `"4 50"`, `""`, `"٤٠٥٠"`} {
			add("document_last4 "+v, `{"document_last4":`+v+`}`, "does not match")
		}
		add("document_last4 number", `{"document_last4":4050}`, "must be a string")
		add("document_last4 over-long", `{"document_last4":`+long(41)+`}`, "longer than 40")
		add("full document", `{"document_last4":"1020304050"}`, "does not match")
	case tools.LookupDebt:
		accountID()
	case tools.SendPaymentLink:
		accountID()
		for _, v := range []string{`"half"`, `"TOTAL"`, `""`, `"total "`} {
			add("scope "+v, with(without(tb, valid, "scope"), "scope", v), "must be one of total, overdue, installment, custom")
		}
		add("scope number", `{"scope":1}`, "scope must be a string")
		for _, v := range []string{`"1,000"`, `"-5"`, `"1e5"`, `"1000.1234"`, `""`} {
			add("amount "+v, `{"scope":"custom","amount":`+v+`}`, "does not match")
		}
		add("amount number", `{"scope":"custom","amount":1000}`, "amount must be a string")
	case tools.ProposeDateChange:
		accountID()
		date("new_date")
	case tools.ProposePause:
		accountID()
		integer("days", 1, 366)
	case tools.OfferPaymentPlan:
		accountID()
		integer("installments", 1, 60)
	case tools.AcceptPaymentPlan:
		for _, v := range []string{`"abc"`, `"-1"`, `""`, `"1234567890123"`, `"1.0"`, `" 1"`} {
			add("plan_id "+v, `{"plan_id":`+v+`}`, "does not match")
		}
		add("plan_id number", `{"plan_id":1}`, "plan_id must be a string")
	case tools.RecordPromiseToPay:
		accountID()
		amount("amount")
		date("date")
	case tools.ReportPayment:
		amount("amount")
		date("date")
		add("note over-long", `{"note":`+long(501)+`}`, "note is longer than 500")
		add("note number", `{"note":5}`, "note must be a string")
		add("receipt url", `{"receipt":"https://x"}`, "unknown argument")
	case tools.EscalateToHuman:
		for _, v := range []string{`"angry"`, `"Hardship"`, `""`, `"payment_report"`} {
			add("reason "+v, with(without(tb, valid, "reason"), "reason", v), "must be one of debtor_request, hardship, dispute, complaint, legal, out_of_policy, other")
		}
		add("reason number", with(without(tb, valid, "reason"), "reason", `3`), "reason must be a string")
		add("summary over-long", with(without(tb, valid, "summary"), "summary", long(501)), "summary is longer than 500")
		add("summary over-long in runes", with(without(tb, valid, "summary"), "summary", fmt.Sprintf("%q", strings.Repeat("ñ", 501))), "summary is longer than 500")
		add("summary object", with(without(tb, valid, "summary"), "summary", `{"text":"x"}`), "summary must be a string")
	case tools.OptOut:
		add("confirm", `{"confirm":true}`, `unknown argument "confirm"`)
	}
	return cases
}

// TestInvalidArguments: every tool checks its arguments against its schema
// before anything else, refuses with invalid_arguments, changes nothing and
// audits the raw arguments, malformed ones as a JSON string.
func TestInvalidArguments(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	verified := f.verified(t, anaPhone)
	for _, tool := range allTools {
		t.Run(tool, func(t *testing.T) {
			for _, tc := range invalidArgs(t, tool) {
				t.Run(tc.name, func(t *testing.T) {
					r := f.refuse(t, verified, tool, tc.args, "invalid_arguments")
					if !strings.Contains(r.Message, tc.want) {
						t.Errorf("message %q; want it to contain %q", r.Message, tc.want)
					}
					if r.Data != nil || len(r.Facts.Amounts)+len(r.Facts.Dates)+len(r.Facts.URLs)+len(r.Facts.PlanIDs) > 0 {
						t.Errorf("refusal carries data %v or facts %+v", r.Data, r.Facts)
					}
					if got := data(t, r); got["ok"] != false || got["refused_by"] != "invalid_arguments" {
						t.Errorf("model sees %v", got)
					}
				})
			}
		})
	}
	// Schema checks come before identity: an unverified conversation gets
	// invalid_arguments too, and still nothing about the debt.
	unverified := f.env(t, anaPhone)
	for _, tool := range allTools {
		r := f.refuse(t, unverified, tool, with(validArgs[tool], "zzz", "1"), "invalid_arguments")
		if strings.Contains(r.JSON(), "850000") {
			t.Errorf("%s: %s", tool, r.JSON())
		}
	}
}

// TestLongStringsCountCharacters: maxLength is JSON Schema's, in characters:
// a 500-character summary in Spanish passes even when it takes more bytes.
func TestLongStringsCountCharacters(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	e := f.env(t, anaPhone)
	summary := strings.Repeat("ñ", 500)
	f.allow(t, e, tools.ReportPayment, fmt.Sprintf(`{"note":%q}`, summary), "payment_report")
	f.allow(t, e, tools.EscalateToHuman, fmt.Sprintf(`{"reason":"hardship","summary":%q}`, summary), "escalation_hardship")
}

// TestSpecs: the model sees every tool of the design, sorted, with an object
// schema naming exactly the arguments of §3 and which are required. (Bounds,
// patterns and additionalProperties are enforced in code, not sent.)
func TestSpecs(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	specs := f.set.Specs()
	type args struct{ props, required string }
	want := map[string]args{
		tools.VerifyIdentity:     {"document_last4", "document_last4"},
		tools.LookupDebt:         {"account_id", ""},
		tools.SendPaymentLink:    {"account_id,amount,scope", "scope"},
		tools.ProposeDateChange:  {"account_id,new_date", "new_date"},
		tools.ProposePause:       {"account_id,days", "days"},
		tools.OfferPaymentPlan:   {"account_id,first_date,installments", "installments"},
		tools.AcceptPaymentPlan:  {"plan_id", "plan_id"},
		tools.RecordPromiseToPay: {"account_id,amount,date", "amount,date"},
		tools.ReportPayment:      {"amount,date,note", ""},
		tools.EscalateToHuman:    {"reason,summary", "reason,summary"},
		tools.OptOut:             {"", ""},
		tools.RequestCallback:    {"phone,preferred_time", "preferred_time"},
	}
	enums := map[string]string{
		tools.SendPaymentLink + ".scope":  "total,overdue,installment,custom",
		tools.EscalateToHuman + ".reason": "debtor_request,hardship,dispute,complaint,legal,out_of_policy,other",
	}
	if len(specs) != len(want) {
		t.Fatalf("%d specs, want %d", len(specs), len(want))
	}
	if !sort.SliceIsSorted(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name }) {
		t.Error("specs are not sorted by name")
	}
	for _, s := range specs {
		var sc struct {
			Type       string `json:"type"`
			Properties map[string]struct {
				Type string   `json:"type"`
				Enum []string `json:"enum"`
			} `json:"properties"`
			Required []string `json:"required"`
		}
		if err := json.Unmarshal(s.Parameters, &sc); err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		w, ok := want[s.Name]
		if !ok {
			t.Errorf("unexpected tool %s", s.Name)
			continue
		}
		var props []string
		for k := range sc.Properties {
			props = append(props, k)
		}
		sort.Strings(props)
		sort.Strings(sc.Required)
		if sc.Type != "object" || sc.Properties == nil || strings.Join(props, ",") != w.props || strings.Join(sc.Required, ",") != w.required {
			t.Errorf("%s: schema %s; want properties %q, required %q", s.Name, s.Parameters, w.props, w.required)
		}
		for k, p := range sc.Properties {
			wantType := "string"
			if k == "days" || k == "installments" {
				wantType = "integer"
			}
			if p.Type != wantType {
				t.Errorf("%s.%s: type %q, want %q", s.Name, k, p.Type, wantType)
			}
			if got, want := strings.Join(p.Enum, ","), enums[s.Name+"."+k]; got != want {
				t.Errorf("%s.%s: enum %q, want %q", s.Name, k, got, want)
			}
		}
		if s.Description == "" {
			t.Errorf("%s: no description", s.Name)
		}
	}
}
