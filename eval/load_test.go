package eval

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const good = `name: ok
locale: es
now: 2026-03-10T10:00:00-05:00
debtor:
  phone: "3001110001"
  name: Ana
  document: "1020304050"
  accounts: [{ref: CR-1, balance: "1000"}]
messages: [{text: hola}]
`

func TestParse(t *testing.T) {
	ss, err := Parse("x.yaml", []byte(good+"---\n"+strings.Replace(good, "name: ok", "name: ok2", 1)+"---\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 2 || ss[1].Name != "ok2" || ss[0].File != "x.yaml" {
		t.Fatalf("%+v", ss)
	}
	d := ss[0].Debtor
	// Defaults a scenario may leave out: the country, its zone and currency;
	// a national number becomes E.164.
	if d.Phone != "+573001110001" || d.Country != "CO" || d.TimeZone != "America/Bogota" || d.Accounts[0].Currency != "COP" {
		t.Errorf("defaults: %+v", d)
	}
}

// TestParseErrors checks that a broken scenario file says which file, which
// scenario and which field, and what to write instead.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"syntax", "name: a\nlocale: [es\n", []string{"bad.yaml: document 1: line 1: did not find expected"}},
		{"unknown field", strings.Replace(good, "locale: es", "locale: es\nlocal: es", 1),
			[]string{`bad.yaml: scenario "ok": line 3: unknown field "local" in the scenario`}},
		{"unknown nested field", strings.Replace(good, "{text: hola}", "{text: hola, expect: {tool: [x]}}", 1),
			[]string{`line 9: unknown field "tool" in expect`}},
		{"wrong type", strings.Replace(good, "messages: [{text: hola}]", "messages: hola", 1),
			[]string{"bad.yaml: scenario \"ok\": line 9: cannot unmarshal !!str `hola` into a list of messages[]"}},
		{"no name", strings.Replace(good, "name: ok\n", "", 1), []string{"bad.yaml: document 1: name: required"}},
		{"locale", strings.Replace(good, "locale: es", "locale: fr", 1), []string{`bad.yaml: scenario "ok": locale: "fr": use one of es, pt-BR, en`}},
		{"now", strings.Replace(good, "2026-03-10T10:00:00-05:00", "yesterday", 1), []string{`scenario "ok": now: "yesterday" is not an RFC 3339 time`}},
		{"phone", strings.Replace(good, `"3001110001"`, `"12"`, 1), []string{`scenario "ok": debtor.phone: "12"`}},
		{"balance", strings.Replace(good, `"1000"`, `"mil"`, 1), []string{`debtor.accounts[0].balance: "mil" is not an amount`}},
		{"no accounts", strings.Replace(good, `accounts: [{ref: CR-1, balance: "1000"}]`, "", 1), []string{"debtor.accounts: at least one account is required"}},
		{"unknown and name", strings.Replace(good, "  name: Ana", "  name: Ana\n  unknown: true", 1), []string{"debtor: an unknown number has no name, document or accounts"}},
		{"no messages", strings.Replace(good, "messages: [{text: hola}]", "messages: []", 1), []string{"messages: at least one message is required"}},
		{"empty message", strings.Replace(good, "{text: hola}", "{wait: 1h}", 1), []string{"messages[0].text: required (or media)"}},
		{"wait", strings.Replace(good, "{text: hola}", "{text: hola, wait: soon}", 1), []string{`messages[0].wait: "soon" is not a duration`}},
		{"tool", strings.Replace(good, "{text: hola}", "{text: hola, expect: {tools: [pay]}}", 1), []string{`messages[0].expect.tools: unknown tool "pay"`}},
		{"outcome", good + "expect: {outcomes: [{rule: pause_days}]}\n", []string{"expect.outcomes[0]: name exactly one of tool or guard"}},
		{"outcome value", good + "expect: {outcomes: [{tool: opt_out, outcome: ok}]}\n", []string{`expect.outcomes[0].outcome: "ok": use allowed, refused or error`}},
		{"handler", good + "expect: {handler: bot}\n", []string{`expect.handler: "bot": use one of guard, offline, llm, fallback, paused`}},
		{"regex", good + "expect: {matches: ['(']}\n", []string{`expect.matches: "(":`}},
		{"reason", good + "expect: {state: {escalation_reason: angry}}\n", []string{`expect.state.escalation_reason: "angry": use one of debtor_request`}},
		{"account", good + "expect: {state: {due_date: {account: CR-9, date: 2026-04-01}}}\n", []string{`expect.state.due_date.account: "CR-9" is not one of the debtor's accounts`}},
		{"date needs now", strings.Replace(good, "now: 2026-03-10T10:00:00-05:00\n", "", 1) + "expect: {state: {paused_until: {date: 2026-04-01}}}\n",
			[]string{"expect.state.paused_until.date: an absolute date needs the scenario's now"}},
		{"contradiction", good + "expect: {state: {nothing_changed: true, opted_out: true}}\n", []string{"expect.state.nothing_changed: contradicts"}},
		{"empty", "# nothing here\n", []string{"bad.yaml: no scenario in the file"}},
		{"second document", good + "---\n" + strings.Replace(good, "locale: es", "locale: de", 1), []string{`bad.yaml: scenario "ok": locale: "de"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.text))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", good)
	write("notes.txt", "not a scenario")
	ss, err := LoadDir(dir)
	if err != nil || len(ss) != 1 || ss[0].File != filepath.Join(dir, "a.yaml") {
		t.Fatalf("%v %+v", err, ss)
	}
	if one, err := LoadDir(filepath.Join(dir, "a.yaml")); err != nil || len(one) != 1 {
		t.Errorf("a single file: %v %d", err, len(one))
	}

	write("b.yml", good)
	write("c.yaml", "name: [")
	_, err = LoadDir(dir)
	for _, w := range []string{
		filepath.Join(dir, "b.yml") + `: scenario "ok": name: already used in ` + filepath.Join(dir, "a.yaml"),
		filepath.Join(dir, "c.yaml") + ": document 1:",
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v\nwant it to contain %q", err, w)
		}
	}

	if _, err := LoadDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing directory loaded")
	}
	if _, err := LoadDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no scenario files") {
		t.Errorf("empty directory: %v", err)
	}
}
