package dashboard_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/experiments"
	"acuerdo/pilot"
	"acuerdo/store"
	"acuerdo/web"
)

const dashToken = "analyst-read-only-token"

// simPilot builds a simulated pilot in a fresh database, as "acuerdo simulate"
// does but with the store alone: n debtors imported (ids 1..n), an experiment
// assigned from experiments.Simulate, and the payments of 60 days of
// follow-up. skew moves that many control debtors to treatment, to break the
// sample ratio on purpose.
func simPilot(t testing.TB, name string, n, skew int) *store.DB {
	t.Helper()
	ctx := context.Background()
	const days = 60
	now := time.Now().UTC().Truncate(time.Second)
	start := now.Add(-days*24*time.Hour - time.Hour)
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "pilot.db"), store.Options{Clock: func() time.Time { return start }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sim := experiments.Simulate(experiments.SimConfig{N: n, Seed: 7, Salt: name, Lift: 0.5, Horizon: days})
	im, err := db.BeginPortfolioImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	for i, u := range sim.Units {
		err := im.Add(store.PortfolioRow{
			Debtor: acuerdo.Debtor{Phone: fmt.Sprintf("+57300%07d", i+1), Name: fmt.Sprintf("Deudor %d", i+1), Country: "CO",
				TimeZone: "America/Bogota", Locale: "es"},
			Account: acuerdo.Account{Ref: fmt.Sprintf("SIM-%d", i+1), Balance: &acuerdo.Money{Amount: u.Balance, Currency: "COP"}, DaysPastDue: u.DaysPastDue},
			Consent: &yes, KnownDaysPastDue: true,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	assign := func([]store.Candidate) []acuerdo.Assignment {
		as := slices.Clone(sim.Assignments)
		for i := range as {
			if skew > 0 && as[i].Arm == acuerdo.ArmControl {
				as[i].Arm = acuerdo.ArmTreatment
				skew--
			}
		}
		return as
	}
	if _, err := db.CreateExperiment(ctx, store.NewExperiment{Name: name, Salt: name, Treatment: 0.5, Stratify: []string{"dpd", "balance"}, HorizonDays: days}, assign); err != nil {
		t.Fatal(err)
	}
	pi, err := db.BeginPaymentImport(ctx, "simulation")
	if err != nil {
		t.Fatal(err)
	}
	p := sim.Payments
	for k := range p.Unit {
		if p.Amount[k] < 1 {
			continue
		}
		acct, cur, err := pi.Account(fmt.Sprintf("SIM-%d", p.Unit[k]+1))
		if err != nil {
			t.Fatal(err)
		}
		at := start.Add(time.Duration(p.Day[k]-1)*24*time.Hour + 12*time.Hour)
		if err := pi.Add(acuerdo.Payment{AccountID: acct, Amount: acuerdo.Money{Amount: int64(p.Amount[k]), Currency: cur}, PaidAt: at,
			ExternalID: fmt.Sprintf("sim-%d", k), Method: "simulated"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pi.Commit(); err != nil {
		t.Fatal(err)
	}
	// A few treatment debtors got their first contact and talked to a model,
	// so the messages and llm_calls exports have rows.
	talked := 0
	for i, a := range sim.Assignments {
		if a.Arm != acuerdo.ArmTreatment || talked == 5 {
			continue
		}
		talked++
		conv, err := db.Conversation(ctx, acuerdo.ChannelWhatsApp, fmt.Sprintf("+57300%07d", i+1))
		if err != nil {
			t.Fatal(err)
		}
		at := start.Add(time.Hour)
		if _, err := db.AppendMessages(ctx,
			acuerdo.Message{ConversationID: conv.ID, Direction: acuerdo.Outbound, Author: acuerdo.AuthorBot, Body: "Hola", TemplateID: "HX1", Status: acuerdo.MessageDelivered, CreatedAt: at},
			acuerdo.Message{ConversationID: conv.ID, Direction: acuerdo.Inbound, Author: acuerdo.AuthorDebtor, Body: "hola", Status: acuerdo.MessageReceived, CreatedAt: at.Add(time.Hour)},
		); err != nil {
			t.Fatal(err)
		}
		if err := db.AppendAudit(ctx, acuerdo.AuditEntry{Time: at.Add(time.Hour), ConversationID: conv.ID, Kind: acuerdo.AuditModel, Name: "gpt-4o-mini",
			Outcome: acuerdo.Allowed, Rule: "model_call", Detail: `{"provider":"openai","prompt_tokens":1200,"completion_tokens":80,"cost_usd":0.00023}`}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func dashboardServer(t testing.TB, db *store.DB, token string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(web.New(web.Config{Store: db, Dashboard: true, DashboardToken: token, DashboardResamples: 200}))
	t.Cleanup(srv.Close)
	return srv
}

// get fetches a dashboard URL with the token as a Bearer header ("" sends none).
func get(t *testing.T, url, token string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func TestDashboardAuth(t *testing.T) {
	srv := dashboardServer(t, simPilot(t, "p1", 200, 0), dashToken)
	for _, path := range []string{"/dashboard", "/dashboard/p1", "/dashboard/p1/export/results.csv"} {
		if code, _, _ := get(t, srv.URL+path, ""); code != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d, want 401", path, code)
		}
		if code, _, _ := get(t, srv.URL+path, "wrong"); code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token: %d, want 401", path, code)
		}
	}
	if code, _, body := get(t, srv.URL+"/dashboard", dashToken); code != 200 || !strings.Contains(body, `href="/dashboard/p1?lang=es"`) {
		t.Fatalf("list: %d\n%s", code, body)
	}
	if code, _, _ := get(t, srv.URL+"/dashboard/nope", dashToken); code != http.StatusNotFound {
		t.Errorf("unknown experiment: %d, want 404", code)
	}

	// ?token= trades the token for an HttpOnly cookie and drops it from the URL.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(srv.URL + "/dashboard?lang=en&token=" + dashToken)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cookies := res.Cookies()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard?lang=en" || len(cookies) != 1 || !cookies[0].HttpOnly {
		t.Fatalf("?token=: %d, Location %q, cookies %v", res.StatusCode, res.Header.Get("Location"), cookies)
	}
	if strings.Contains(cookies[0].Value, dashToken) {
		t.Error("the cookie carries the token itself")
	}
	req, _ := http.NewRequest("GET", srv.URL+"/dashboard?lang=en", nil)
	req.AddCookie(cookies[0])
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("with the cookie: %d", res.StatusCode)
	}
	if code, _, _ := get(t, srv.URL+"/dashboard?token=wrong", ""); code != http.StatusUnauthorized {
		t.Errorf("wrong ?token=: %d, want 401", code)
	}
}

// TestDashboardDisabled: without Dashboard the routes do not exist.
func TestDashboardDisabled(t *testing.T) {
	srv := httptest.NewServer(web.New(web.Config{Store: simPilot(t, "p1", 20, 0)}))
	defer srv.Close()
	if code, _, _ := get(t, srv.URL+"/dashboard", ""); code != http.StatusNotFound {
		t.Errorf("/dashboard when off: %d, want 404", code)
	}
}

func TestDashboardExperimentPage(t *testing.T) {
	srv := dashboardServer(t, simPilot(t, "p1", 400, 0), dashToken)
	for _, lang := range []string{"es", "pt-BR", "en"} {
		code, h, body := get(t, srv.URL+"/dashboard/p1?lang="+lang, dashToken)
		if code != 200 {
			t.Fatalf("%s: %d\n%s", lang, code, body)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
			t.Errorf("CSP %q", csp)
		}
		if !strings.Contains(body, `<html lang="`+lang+`">`) {
			t.Errorf("%s: page not in that language", lang)
		}
		srm := strings.Index(body, `id="srm"`)
		if srm < 0 || strings.Contains(body, `class="srm bad"`) || srm > strings.Index(body, `id="lift"`) {
			t.Errorf("%s: want a calm SRM banner above the lift table", lang)
		}
		for _, arm := range []string{"control", "treatment"} {
			if !strings.Contains(body, `<path class="curve" data-arm="`+arm+`" d="M`) || !strings.Contains(body, `<path class="band" data-arm="`+arm+`"`) {
				t.Errorf("%s: no curve or band for %s", lang, arm)
			}
		}
		for _, want := range []string{"<svg", `id="at-risk"`, `id="cost"`, `id="funnel"`, `id="scenarios"`, "log-rank p = ", "/dashboard/p1/export/debtor_outcomes.csv?as_of="} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: page lacks %q", lang, want)
			}
		}
		if strings.Contains(body, "NaN") {
			t.Errorf("%s: page shows NaN", lang)
		}
	}
	_, _, body := get(t, srv.URL+"/dashboard/p1?lang=en", dashToken)
	for _, want := range []string{"Liquidation by day 30", "Recovery per debtor", "Sample ratio as planned", "need an exchange rate"} {
		if !strings.Contains(body, want) {
			t.Errorf("en page lacks %q", want)
		}
	}
	// Without an exchange rate cost counts nothing: no row pretends to measure it.
	for _, absent := range []string{"Recovery net of cost per debtor", "Cost to collect"} {
		if strings.Contains(body, absent) {
			t.Errorf("en page shows %q although no cost was counted", absent)
		}
	}
}

func TestDashboardSRMBannerIsLoud(t *testing.T) {
	srv := dashboardServer(t, simPilot(t, "skewed", 400, 60), dashToken)
	_, _, body := get(t, srv.URL+"/dashboard/skewed?lang=en", dashToken)
	banner := strings.Index(body, `<div id="srm" class="srm bad" role="alert">`)
	if banner < 0 || !strings.Contains(body, "SAMPLE RATIO MISMATCH") {
		t.Fatalf("no loud SRM banner:\n%s", body)
	}
	if banner > strings.Index(body, "<section") {
		t.Error("the SRM banner must come before every result")
	}
}

func TestDashboardExports(t *testing.T) {
	srv := dashboardServer(t, simPilot(t, "p1", 200, 0), dashToken)
	heads := map[string][]string{"assignments": pilot.AssignmentsHeader, "debtor_outcomes": pilot.OutcomesHeader,
		"payments": pilot.PaymentsHeader, "messages": pilot.MessagesHeader, "llm_calls": pilot.LLMCallsHeader, "results": experiments.Columns}
	for _, table := range pilot.Tables {
		code, h, body := get(t, srv.URL+"/dashboard/p1/export/"+table+".csv", dashToken)
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), `filename="p1-`+table+`.csv"`) {
			t.Fatalf("%s: %d %v", table, code, h)
		}
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if !slices.Equal(recs[0], heads[table]) {
			t.Errorf("%s header %v, want %v", table, recs[0], heads[table])
		}
		if table == "assignments" || table == "debtor_outcomes" {
			if len(recs) != 201 {
				t.Errorf("%s: %d rows, want 200", table, len(recs)-1)
			}
		}
		if len(recs) < 2 {
			t.Errorf("%s: no rows", table)
		}
	}
	if code, _, _ := get(t, srv.URL+"/dashboard/p1/export/secrets.csv", dashToken); code != http.StatusNotFound {
		t.Errorf("unknown table: %d", code)
	}
	if code, _, _ := get(t, srv.URL+"/dashboard/p1/export/results.csv?as_of=yesterday", dashToken); code != http.StatusBadRequest {
		t.Errorf("bad as_of: %d", code)
	}
}
