package main

import (
	"database/sql"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"acuerdo/experiments"
)

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func count(t *testing.T, raw *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := raw.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// TestSimulateReportFindsTheLift runs a simulated pilot end to end: the report's
// treatment − control liquidation intervals must cover the model's true values,
// the exports must parse with their headers, and launching again contacts nobody.
func TestSimulateReportFindsTheLift(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sim.db")
	// The conversations are checked on a smaller pilot below (they are
	// slow under -race); this one is about the statistics and the exports.
	code, out, errOut := runCLI(t, "simulate", "--db", db, "--debtors", "2000", "--lift", "0.3", "--seed", "1", "--converse=false")
	if code != 0 || !strings.Contains(out, "1000 first contacts queued") || !strings.Contains(out, "covers truth") {
		t.Fatalf("simulate: %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "simulate", "--db", db, "--debtors", "100"); code != 2 || !strings.Contains(errOut, "sim-1 already exists") {
		t.Fatalf("simulate the same pilot again: %d %q", code, errOut)
	}

	exports := filepath.Join(dir, "out")
	code, out, errOut = runCLI(t, "report", "sim-1", "--db", db, "--format", "csv", "--out", exports, "--fx", "4000")
	if code != 0 || !strings.Contains(errOut, "sample ratio:") || strings.Contains(errOut, "WARNING") {
		t.Fatalf("report: %d %q", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || !slices.Equal(recs[0], experiments.Columns) {
		t.Fatalf("results csv: %v %v", recs[:1], err)
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	cfg := experiments.SimConfig{Lift: 0.3, Horizon: 90}
	checked := 0
	for _, r := range recs[1:] {
		var d int
		if r[col["arm"]] != experiments.ArmDifference || !sscanDay(r[col["metric"]], &d) || r[col["segment"]] != "" {
			continue // segment rows are exploratory, not the pilot's estimate
		}
		truth := cfg.TrueLiquidation(experiments.Treatment, d) - cfg.TrueLiquidation(experiments.Control, d)
		lo, _ := strconv.ParseFloat(r[col["ci_low"]], 64)
		hi, _ := strconv.ParseFloat(r[col["ci_high"]], 64)
		if lo > truth || truth > hi {
			t.Errorf("%s cuped=%s: interval [%g, %g] misses the true difference %g", r[col["metric"]], r[col["cuped"]], lo, hi, truth)
		}
		checked++
	}
	if checked != 6 {
		t.Fatalf("checked %d liquidation differences, want 6 (d30/60/90, plain and CUPED)", checked)
	}

	headers := map[string]string{
		"assignments.csv":     "experiment,debtor_id,arm,bucket,stratum,assigned_at,launched_at",
		"debtor_outcomes.csv": "experiment,debtor_id,arm,stratum,assigned_at,follow_up_days,days_past_due,currency,placed_minor,prior_payments_minor,collected_d30_minor,collected_d60_minor,collected_d90_minor,collected_minor,paid,first_payment_day,llm_cost_usd,template_messages,template_cost_usd,operator_cases,operator_messages,operator_minutes,operator_cost_usd,cost_usd,cost_minor",
		"payments.csv":        "experiment,debtor_id,arm,account_ref,paid_at,day,amount_minor,currency,method,observed",
		"messages.csv":        "experiment,debtor_id,arm,message_id,sent_at,day,direction,author,status,error_code,template,template_sent,chars",
		"llm_calls.csv":       "experiment,debtor_id,arm,called_at,day,model,provider,outcome,prompt_tokens,completion_tokens,cached_tokens,latency_ms,cost_usd",
		"results.csv":         strings.Join(experiments.Columns, ","),
	}
	for file, want := range headers {
		recs := readCSV(t, filepath.Join(exports, file))
		if got := strings.Join(recs[0], ","); got != want {
			t.Errorf("%s header %q, want %q", file, got, want)
		}
		switch file {
		case "assignments.csv", "debtor_outcomes.csv":
			if len(recs) != 2001 {
				t.Errorf("%s has %d rows, want 2000", file, len(recs)-1)
			}
		case "payments.csv":
			if len(recs) < 100 || !strings.HasSuffix(recs[1][4], "Z") || recs[1][7] != "COP" {
				t.Errorf("payments.csv: %d rows, first %v", len(recs)-1, recs[1])
			}
		case "messages.csv":
			// Without conversations, each treatment debtor has exactly its
			// delivered first contact; control has no message at all.
			arms := map[string]int{}
			for _, r := range recs[1:] {
				if r[11] == "true" && r[8] == "delivered" && r[6] == "outbound" {
					arms[r[2]]++
				}
			}
			if arms["control"] != 0 || arms["treatment"] != 1000 || len(recs) != 1001 {
				t.Errorf("messages.csv: %d rows, delivered templates by arm %v; want 1000 treatment, 0 control", len(recs)-1, arms)
			}
		}
	}

	// Launching again queues nobody; control never had a message.
	code, out, _ = runCLI(t, "experiment", "launch", "sim-1", "--db", db)
	if code != 0 || !strings.Contains(out, "0 first contacts queued") || !strings.Contains(out, "1000 already queued") {
		t.Fatalf("second launch: %d %q", code, out)
	}
	raw := rawDB(t, db)
	if n := count(t, raw, `SELECT COUNT(*) FROM outbox WHERE template = 'first_contact' AND business`); n != 1000 {
		t.Errorf("%d first contacts queued, want 1000", n)
	}
	if n := count(t, raw, `SELECT COUNT(*) FROM outbox o JOIN conversations c ON c.id = o.conversation_id
		JOIN assignments s ON s.debtor_id = c.debtor_id WHERE s.arm = 'control'`); n != 0 {
		t.Errorf("%d messages queued for control debtors", n)
	}
}

// TestSimulateConversations: in a simulated pilot the treatment debtors who
// answer talk to the real (offline) agent, so the report's messages, funnel
// and scenarios are the agent's own; control is never contacted. A second
// pilot fits in the same database beside the first.
func TestSimulateConversations(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sim.db")
	code, out, errOut := runCLI(t, "simulate", "--db", db, "--debtors", "300", "--days", "60", "--seed", "3", "--resamples", "100")
	if code != 0 || !strings.Contains(out, "151 first contacts delivered") || !strings.Contains(out, "talked to the agent") {
		t.Fatalf("simulate: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut = runCLI(t, "simulate", "--db", db, "--debtors", "100", "--days", "30", "--seed", "4", "--resamples", "100"); code != 0 {
		t.Fatalf("a second pilot in the same database: %d\n%s\n%s", code, out, errOut)
	}
	raw := rawDB(t, db)
	byArm := func(query string) map[string]int {
		rows, err := raw.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]int{}
		for rows.Next() {
			var arm string
			var n int
			if err := rows.Scan(&arm, &n); err != nil {
				t.Fatal(err)
			}
			out[arm] = n
		}
		return out
	}
	inbound := byArm(`SELECT s.arm, COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id
		JOIN assignments s ON s.debtor_id = c.debtor_id JOIN experiments x ON x.id = s.experiment_id
		WHERE x.name = 'sim-3' AND m.direction = 'inbound' GROUP BY s.arm`)
	if inbound["control"] != 0 || inbound["treatment"] < 60 {
		t.Errorf("inbound messages by arm %v: treatment debtors should talk, control never", inbound)
	}
	tools := byArm(`SELECT name, COUNT(*) FROM audit WHERE kind = 'tool' AND outcome = 'allowed' GROUP BY name`)
	for _, tool := range []string{"verify_identity", "lookup_debt", "send_payment_link", "record_promise_to_pay"} {
		if tools[tool] == 0 {
			t.Errorf("no allowed %s call in the simulated conversations: %v", tool, tools)
		}
	}
	if n := count(t, raw, `SELECT COUNT(*) FROM debtors`); n != 400 {
		t.Errorf("%d debtors after two pilots of 300 and 100", n)
	}
	code, out, _ = runCLI(t, "report", "sim-3", "--db", db, "--format", "csv", "--resamples", "100")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	for _, r := range recs[1:] {
		switch metric, arm := r[col["metric"]], r[col["arm"]]; {
		case metric == "funnel_promised" && arm == "treatment":
			// Some payers promise a date first: the funnel shows promises.
			if p, _ := strconv.ParseFloat(r[col["estimate"]], 64); p <= 0 {
				t.Errorf("treatment funnel shows no promise to pay: %v", r)
			}
		case metric == "recovery_per_debtor" && arm == "control":
			// Money rows carry their currency and major units: a simulated
			// Colombian debt is hundreds of thousands of pesos, so recovery
			// per debtor is thousands of pesos, not tens.
			est, _ := strconv.ParseFloat(r[col["estimate"]], 64)
			major, _ := strconv.ParseFloat(r[col["estimate_major"]], 64)
			if r[col["unit"]] != "COP" || math.Abs(major*100-est) > 1e-6*est || major < 1000 {
				t.Errorf("recovery per debtor %v: want unit COP and the estimate in pesos", r)
			}
		}
	}
	for _, want := range []string{"conversion_method_payment_link,treatment", "conversion_dpd_001_030,difference",
		"operator_minutes_per_debtor,treatment", "funnel_useful_escalations,treatment"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("report lacks %s: %d\n%s", want, code, out)
		}
	}
	// The simulated operator worked every escalation of the pilot.
	if n := count(t, raw, `SELECT COUNT(*) FROM cases WHERE closed_at IS NULL AND debtor_id IN
		(SELECT debtor_id FROM assignments s JOIN experiments x ON x.id = s.experiment_id WHERE x.name = 'sim-3')`); n != 0 {
		t.Errorf("%d open cases left in the simulated pilot", n)
	}
}

func TestExperimentCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	if code, _, errOut := runCLI(t, "demo", "--db", db, "--debtors", "300"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	code, out, errOut := runCLI(t, "experiment", "create", "p1", "--db", db, "--filter", "CURRENCY=COP", "--horizon", "60d", "--treatment", "0.4")
	if code != 0 || !strings.Contains(out, "sample ratio check: chi-square p = ") || !strings.Contains(out, "planned 40.0%") {
		t.Fatalf("create: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "experiment", "list", "--db", db)
	if code != 0 || !strings.Contains(out, "p1") || !strings.Contains(out, "60d") || !strings.Contains(out, "running") {
		t.Fatalf("list: %d %q", code, out)
	}
	code, out, _ = runCLI(t, "experiment", "launch", "p1", "--db", db)
	if code != 0 || !strings.Contains(out, "first contacts queued") {
		t.Fatalf("launch: %d %q", code, out)
	}
	raw := rawDB(t, db)
	queued := count(t, raw, `SELECT COUNT(*) FROM outbox`)
	if code, _, _ = runCLI(t, "experiment", "launch", "p1", "--db", db); code != 0 || count(t, raw, `SELECT COUNT(*) FROM outbox`) != queued {
		t.Fatalf("second launch changed the outbox")
	}

	code, out, _ = runCLI(t, "report", "p1", "--db", db, "--resamples", "200", "--as-of", "2099-01-01")
	if code != 0 || !strings.HasPrefix(strings.SplitN(out, "\n", 2)[1], "sample ratio:") || strings.Contains(out, "WARNING") || !strings.Contains(out, "liquidation_rate_d60") || strings.Contains(out, "d90") {
		t.Fatalf("report: %d %q", code, out)
	}
	// Break the split behind the report's back: the warning must be loud and first.
	if _, err := raw.Exec(`UPDATE assignments SET arm = 'treatment' WHERE arm = 'control' AND debtor_id % 3 = 0`); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, "report", "p1", "--db", db, "--resamples", "200")
	lines := strings.Split(out, "\n")
	if code != 0 || !strings.HasPrefix(lines[2], "!!! WARNING: SAMPLE RATIO MISMATCH") {
		t.Fatalf("SRM warning: %d %q", code, out)
	}

	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"experiment", "create", "p1", "--filter", "CURRENCY=COP"}, 1}, // exists
		{[]string{"experiment", "create", "p9"}, 1},                             // several currencies
		{[]string{"experiment", "create"}, 2},
		{[]string{"experiment", "create", "p2", "--treatment", "1.5"}, 2},
		{[]string{"experiment", "create", "p2", "--filter", "AGE>3"}, 2},
		{[]string{"experiment", "create", "p2", "--stratify", "age"}, 2},
		{[]string{"experiment", "launch", "nope"}, 1},
		{[]string{"experiment", "frobnicate"}, 2},
		{[]string{"experiment"}, 2},
		{[]string{"report", "nope"}, 1},
		{[]string{"report", "p1", "--format", "xml"}, 2},
		{[]string{"report", "p1", "--as-of", "yesterday"}, 2},
	} {
		if code, _, errOut := runCLI(t, append(c.args, "--db", db)...); code != c.code || errOut == "" {
			t.Errorf("%v: exit %d %q; want %d with a message", c.args, code, errOut, c.code)
		}
	}
}

// TestExperimentArms: a three-arm pilot from the command line. Each arm's
// debtors get that arm's first-contact template (control none), the arms and
// variants are stored, and the report compares every arm with control, with
// the SRM over all three arms and Holm-adjusted p-values.
func TestExperimentArms(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	if code, _, errOut := runCLI(t, "demo", "--db", db, "--debtors", "300"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	code, out, errOut := runCLI(t, "experiment", "create", "tone", "--db", db, "--filter", "CURRENCY=COP", "--horizon", "60d",
		"--arms", "control=0.34,warm=0.33,brief=0.33", "--variant", "warm:template=first_contact_warm",
		"--variant", "brief:template=first_contact_brief,window=18-20", "--primary", "liquidation_rate_d60", "--guardrail", "opt_outs")
	if code != 0 || !strings.Contains(out, "brief: template=first_contact_brief,window=18-20") || !strings.Contains(out, "primary metric: liquidation_rate_d60") {
		t.Fatalf("create: %d %q %q", code, out, errOut)
	}
	if code, out, _ = runCLI(t, "experiment", "launch", "tone", "--db", db); code != 0 {
		t.Fatalf("launch: %d %q", code, out)
	}
	raw := rawDB(t, db)
	rows, err := raw.Query(`SELECT s.arm, o.template, COUNT(*) FROM outbox o JOIN conversations c ON c.id = o.conversation_id
		JOIN assignments s ON s.debtor_id = c.debtor_id GROUP BY s.arm, o.template`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var arm, tmpl string
		var n int
		if err := rows.Scan(&arm, &tmpl, &n); err != nil {
			t.Fatal(err)
		}
		if got[arm] != "" {
			t.Errorf("arm %s got two templates: %s and %s", arm, got[arm], tmpl)
		}
		got[arm] = tmpl
	}
	rows.Close()
	if want := map[string]string{"warm": "first_contact_warm", "brief": "first_contact_brief"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("first contacts by arm %v, want %v (control never contacted)", got, want)
	}
	code, out, errOut = runCLI(t, "report", "tone", "--db", db, "--format", "csv", "--resamples", "100", "--as-of", "2099-01-01")
	if code != 0 {
		t.Fatalf("report: %d %q", code, errOut)
	}
	if !strings.Contains(errOut, "control") || !strings.Contains(errOut, "warm") || !strings.Contains(errOut, "(df 2)") {
		t.Errorf("sample ratio line %q: want all three arms and 2 degrees of freedom", errOut)
	}
	for _, want := range []string{",difference:warm,", ",difference:brief,", ",relative:brief,", "sample_ratio,brief,"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	code, out, errOut = runCLI(t, "experiment", "rollout", "tone", "--db", db, "--arm", "warm", "--segment", "dpd_031_060")
	if code != 0 || !strings.Contains(out, "rolled out warm of tone for dpd_031_060") || !strings.Contains(out, "10% holdout") {
		t.Fatalf("rollout: %d %q %q", code, out, errOut)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"--arm", "warm", "--segment", "late"}, 2},
		{[]string{"--segment", "dpd_031_060"}, 2},
		{[]string{"--arm", "cold"}, 1},
		{[]string{"--arm", "control"}, 1},
		{[]string{"--arm", "warm", "--holdout", "0"}, 1},
	} {
		if code, _, errOut := runCLI(t, append([]string{"experiment", "rollout", "tone", "--db", db}, c.args...)...); code != c.code || errOut == "" {
			t.Errorf("rollout %v: exit %d %q; want %d with a message", c.args, code, errOut, c.code)
		}
	}
	for _, c := range [][]string{
		{"--arms", "warm=0.5,brief=0.5"},
		{"--arms", "control=0.5,warm=0.5", "--variant", "warm:template=nope"},
		{"--arms", "control=0.5,warm=0.5", "--variant", "control:window=8-9"},
		{"--arms", "control=0.5,warm=0.5", "--variant", "cold:window=8-9"},
		{"--arms", "control=0.5,warm=0.5", "--variant", "warm:prompt=shouty"},
		{"--variant", "warm:window=8-9"},
		{"--guardrail", "happiness"},
		{"--primary", "vibes"},
	} {
		if code, _, errOut := runCLI(t, append([]string{"experiment", "create", "t2", "--db", db}, c...)...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d %q; want 2 with a message", c, code, errOut)
		}
	}
}
