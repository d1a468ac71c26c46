package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"acuerdo"
	"acuerdo/policy"
	"acuerdo/store"
	"acuerdo/web"
	"acuerdo/web/internal/webtest"
)

var apiT0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// apiRig is /api/v1 over a real store, with the OpenAPI document loaded into
// a real validator: every exchange is checked against it, and the rig counts
// which documented responses the tests produced.
type apiRig struct {
	t      testing.TB
	db     *store.DB
	srv    *httptest.Server
	router routers.Router
	doc    *openapi3.T
	keys   map[string]string // write, read, revoked
	kicks  *webtest.Kicker

	cov *coverage
}

// coverage collects, across rigs, which documented responses were produced.
type coverage struct {
	mu      sync.Mutex
	covered map[string]bool // "METHOD /path STATUS"
}

func newAPIRig(t testing.TB, cov *coverage) *apiRig {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "api.db"), store.Options{Clock: func() time.Time { return apiT0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	k := &webtest.Kicker{}
	h := web.New(web.Config{Store: db, API: true, Events: k, Clock: func() time.Time { return apiT0 }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		t.Fatalf("openapi.json does not load: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: srv.URL + "/api/v1"}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	r := &apiRig{t: t, db: db, srv: srv, router: router, doc: doc, keys: map[string]string{}, kicks: k, cov: cov}
	for _, s := range []string{"write", "read", "revoked"} {
		scope := store.ScopeWrite
		if s == "read" {
			scope = store.ScopeRead
		}
		key, rec, err := db.CreateAPIKey(ctx, "test-"+s, scope)
		if err != nil {
			t.Fatal(err)
		}
		r.keys[s] = key
		if s == "revoked" {
			if _, err := db.RevokeAPIKey(ctx, rec.Prefix); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.keys["unknown"] = "acu_" + strings.Repeat("a", 32)
	return r
}

// call is one request: key names one of rig.keys ("" sends none); strict
// validates the request against the document too (requests built to be
// wrong skip that, but their responses are always checked).
type call struct {
	key, method, path, body, ctype string
	strict                         bool
}

type reply struct {
	status int
	body   map[string]any
	raw    []byte
}

func (r *apiRig) do(c call) reply {
	r.t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, r.srv.URL+c.path, body)
	if err != nil {
		r.t.Fatal(err)
	}
	if c.body != "" {
		ct := c.ctype
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.keys[c.key])
	}
	route, params, routeErr := r.router.FindRoute(req)
	var in *openapi3filter.RequestValidationInput
	if routeErr == nil {
		in = &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		if c.strict {
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				r.t.Errorf("%s %s: request does not match openapi.json: %v", c.method, c.path, err)
			}
			if c.body != "" {
				req.Body = io.NopCloser(strings.NewReader(c.body))
			}
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out := reply{status: resp.StatusCode, raw: raw}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		r.t.Errorf("%s %s: Content-Type %q, want JSON", c.method, c.path, resp.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(raw, &out.body); err != nil {
		r.t.Errorf("%s %s: body is not a JSON object: %s", c.method, c.path, raw)
	}
	if in != nil {
		rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
			Body: io.NopCloser(bytes.NewReader(raw)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		if err := openapi3filter.ValidateResponse(context.Background(), rin); err != nil {
			r.t.Errorf("%s %s: response %d does not match openapi.json: %v\n%s", c.method, c.path, resp.StatusCode, err, raw)
		}
		r.cov.mu.Lock()
		r.cov.covered[fmt.Sprintf("%s %s %d", c.method, route.Path, resp.StatusCode)] = true
		r.cov.mu.Unlock()
	}
	return out
}

// expect runs c and checks its status and, for errors, the stable code.
func (r *apiRig) expect(c call, status int, code string) reply {
	r.t.Helper()
	rep := r.do(c)
	if rep.status != status {
		r.t.Fatalf("%s %s: status %d, want %d: %s", c.method, c.path, rep.status, status, rep.raw)
	}
	if code != "" {
		e, _ := rep.body["error"].(map[string]any)
		if e["code"] != code || e["message"] == "" {
			r.t.Fatalf("%s %s: error %v, want code %s with a message", c.method, c.path, rep.body, code)
		}
	}
	return rep
}

func errItems(t *testing.T, rep reply, key string) []string {
	t.Helper()
	var list []any
	if key == "error" {
		e, _ := rep.body["error"].(map[string]any)
		list, _ = e["items"].([]any)
	} else {
		list, _ = rep.body[key].([]any)
	}
	var out []string
	for _, it := range list {
		m := it.(map[string]any)
		out = append(out, fmt.Sprintf("%v:%v", m["index"], m["field"]))
	}
	sort.Strings(out)
	return out
}

const anaItem = `{"account_ref":"CR-1","phone":"+573001234567","name":"Ana Pérez","balance":"850000.07","installment_amount":"100000","due_date":"2026-03-10","days_past_due":12,"document_id":"1020304050","consent":true}`

// seed upserts two debtors: Ana (CR-1) and Bruno (CR-2, a national number).
func (r *apiRig) seed() {
	r.t.Helper()
	rep := r.expect(call{key: "write", method: "POST", path: "/api/v1/debtors?country=CO", strict: true,
		body: `{"items":[` + anaItem + `,{"account_ref":"CR-2","phone":"310 987 6543","name":"Bruno Díaz","balance":"120000"}]}`}, 200, "")
	if rep.body["created"] != 2.0 || rep.body["rejected"] != 0.0 {
		r.t.Fatalf("seed: %s", rep.raw)
	}
}

func apiAuth(t *testing.T, r *apiRig) {
	r.seed()
	batch := `{"items":[` + anaItem + `]}`
	r.expect(call{method: "POST", path: "/api/v1/debtors", body: batch}, 401, "unauthorized")
	r.expect(call{key: "unknown", method: "POST", path: "/api/v1/debtors", body: batch}, 401, "unauthorized")
	r.expect(call{key: "revoked", method: "POST", path: "/api/v1/debtors", body: batch}, 401, "key_revoked")
	r.expect(call{key: "revoked", method: "GET", path: "/api/v1/debtors/+573001234567"}, 401, "key_revoked")
	r.expect(call{key: "read", method: "POST", path: "/api/v1/debtors", body: batch}, 403, "forbidden")
	r.expect(call{key: "read", method: "DELETE", path: "/api/v1/debtors/+573001234567"}, 403, "forbidden")
	r.expect(call{key: "read", method: "GET", path: "/api/v1/debtors/+573001234567", strict: true}, 200, "")
	// The scheme is case-insensitive; the key is not.
	req0, _ := http.NewRequest("GET", r.srv.URL+"/api/v1/debtors/1", nil)
	req0.Header.Set("Authorization", "bearer "+r.keys["read"])
	if resp, err := http.DefaultClient.Do(req0); err != nil || resp.StatusCode != 200 {
		t.Fatalf("lower-case bearer: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	req0.Header.Set("Authorization", "Bearer "+strings.ToUpper(r.keys["read"]))
	if resp, err := http.DefaultClient.Do(req0); err != nil || resp.StatusCode != 401 {
		t.Fatalf("upper-cased key: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	// Messages follow Accept-Language.
	req, _ := http.NewRequest("GET", r.srv.URL+"/api/v1/debtors/1", nil)
	req.Header.Set("Accept-Language", "pt-BR,pt;q=0.9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(b), "Envie uma chave de API") {
		t.Fatalf("pt-BR 401: %d %s", resp.StatusCode, b)
	}
	// Every key use is recorded, never the key.
	keys, _ := r.db.APIKeys(context.Background())
	for _, k := range keys {
		if k.Name == "test-read" && k.LastUsedAt == nil {
			t.Errorf("read key's last use not recorded: %+v", k)
		}
	}
}

// apiDebtorBatch: a batch with some invalid items writes the valid ones
// and names every invalid one by index and field; atomic=true writes none.
func apiDebtorBatch(t *testing.T, r *apiRig) {
	r.seed()
	mixed := `{"items":[
		{"account_ref":"CR-1","phone":"+573001234567","name":"Ana Pérez","balance":"700000"},
		{"account_ref":"CR-3","phone":"12345","name":"Nadie"},
		{"account_ref":"CR-4","phone":"+573001112233","name":"Carla","balance":"1.500,00"},
		{"account_ref":"CR-5","phone":"+573001112244","name":"Dario","colour":"blue","days_past_due":"3"},
		{"account_ref":"CR-1","phone":"+573001234567","name":"Ana again"},
		{"account_ref":"CR-6","phone":"+573001112255","name":"","due_date":"10/03/2026"},
		42,
		{"account_ref":"CR-7","phone":"+5511987654321","name":"Eva Souza","balance":"99.90","due_date":"2026-04-01"}
	]}`
	atomicRep := r.expect(call{key: "write", method: "POST", path: "/api/v1/debtors?atomic=true", body: mixed}, 422, "invalid_items")
	a, _ := r.db.AccountByRef(context.Background(), "CR-1")
	if a.Balance.Amount != 85000007 {
		t.Fatalf("atomic batch with invalid items wrote: balance %v", a.Balance)
	}
	rep := r.expect(call{key: "write", method: "POST", path: "/api/v1/debtors", body: mixed}, 200, "")
	want := []string{"1:phone", "2:balance", "3:colour", "3:days_past_due", "4:account_ref", "5:due_date", "5:name", "6:<nil>"}
	sort.Strings(want)
	if got := errItems(t, rep, "errors"); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("errors %v, want %v\n%s", got, want, rep.raw)
	}
	if got := errItems(t, atomicRep, "error"); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("atomic error items %v, want %v", got, want)
	}
	if rep.body["accepted"] != 2.0 || rep.body["rejected"] != 6.0 || rep.body["created"] != 1.0 || rep.body["updated"] != 1.0 {
		t.Fatalf("counts: %s", rep.raw)
	}
	a, _ = r.db.AccountByRef(context.Background(), "CR-1")
	e, err := r.db.AccountByRef(context.Background(), "CR-7")
	if a.Balance.Amount != 70000000 || err != nil || e.Balance.Amount != 9990 || e.Balance.Currency != "BRL" || e.NextDueDate.String() != "2026-04-01" {
		t.Fatalf("written: CR-1 %v, CR-7 %+v %v", a.Balance, e, err)
	}
	for _, ref := range []string{"CR-3", "CR-4", "CR-5", "CR-6"} {
		if _, err := r.db.AccountByRef(context.Background(), ref); acuerdo.ErrorCode(err) != acuerdo.ENOTFOUND {
			t.Errorf("invalid item %s was written", ref)
		}
	}
	// The same validation messages as the importer's.
	if !strings.Contains(string(rep.raw), `is not an amount: write it like 150000 or 150000.50`) {
		t.Errorf("balance message: %s", rep.raw)
	}
	// A batch of only invalid items writes nothing, also without atomic.
	r.expect(call{key: "write", method: "POST", path: "/api/v1/debtors", body: `{"items":[{"account_ref":"X","phone":"1","name":"x"}]}`}, 422, "invalid_items")
	// API consent (from the consent field) is recorded with source api.
	d, _ := r.db.DebtorByPhone(context.Background(), "+573001234567")
	if c, err := r.db.Consent(context.Background(), d.ID); err != nil || c.Source != "api" || !c.Active() {
		t.Fatalf("consent %+v %v", c, err)
	}
}

func apiRequestErrors(t *testing.T, r *apiRig) {
	big := `{"items":[` + strings.TrimSuffix(strings.Repeat(anaItem+",", 1001), ",") + `]}`
	for _, tc := range []struct {
		name, method, path, body, ctype string
		status                          int
		code                            string
	}{
		{"not JSON", "POST", "/api/v1/debtors", `{"items":[`, "", 400, "invalid"},
		{"no items", "POST", "/api/v1/debtors", `{"items":[]}`, "", 400, "invalid"},
		{"unknown envelope field", "POST", "/api/v1/debtors", `{"items":[` + anaItem + `],"mode":"x"}`, "", 400, "invalid"},
		{"two values", "POST", "/api/v1/payments", `{"items":[{}]} {}`, "", 400, "invalid"},
		{"bad atomic", "POST", "/api/v1/payments?atomic=maybe", `{"items":[{}]}`, "", 400, "invalid"},
		{"bad country", "POST", "/api/v1/debtors?country=Colombia", `{"items":[` + anaItem + `]}`, "", 400, "invalid"},
		{"form body", "POST", "/api/v1/debtors", `items=1`, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
		{"form body, payments", "POST", "/api/v1/payments", `items=1`, "text/plain", 415, "unsupported_media_type"},
		{"too many items", "POST", "/api/v1/debtors", big, "", 413, "payload_too_large"},
		{"too many payments", "POST", "/api/v1/payments", strings.ReplaceAll(big, anaItem, `{}`), "", 413, "payload_too_large"},
		{"too large", "POST", "/api/v1/payments", `{"items":["` + strings.Repeat("x", 9<<20) + `"]}`, "", 413, "payload_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.expect(call{key: "write", method: tc.method, path: tc.path, body: tc.body, ctype: tc.ctype}, tc.status, tc.code)
		})
	}
	// Outside the document: still JSON errors with stable codes.
	r.expect(call{key: "write", method: "PUT", path: "/api/v1/debtors"}, 405, "method_not_allowed")
	r.expect(call{key: "write", method: "GET", path: "/api/v1/nothing"}, 404, "not_found")
}

// apiPayments: idempotent on external id, per-item results, promises kept,
// and events emitted for the creditor.
func apiPayments(t *testing.T, r *apiRig) {
	r.seed()
	ctx := context.Background()
	a, _ := r.db.AccountByRef(ctx, "CR-1")
	if _, err := r.db.CreatePromise(ctx, acuerdo.Promise{AccountID: a.ID, Amount: acuerdo.Money{Amount: 5000000, Currency: "COP"}, DueDate: acuerdo.Date{Year: 2026, Month: 3, Day: 5}}); err != nil {
		t.Fatal(err)
	}
	p1 := `{"external_id":"PAY-1","account_ref":"CR-1","amount":"50000","paid_at":"2026-03-02T10:02:00-05:00","method":"PSE"}`
	rep := r.expect(call{key: "write", method: "POST", path: "/api/v1/payments", body: `{"items":[` + p1 + `]}`, strict: true}, 200, "")
	if rep.body["created"] != 1.0 || statusOf(rep, 0) != "recorded" {
		t.Fatalf("first: %s", rep.raw)
	}
	kicks := r.kicks.Count()
	rep = r.expect(call{key: "write", method: "POST", path: "/api/v1/payments", strict: true, body: `{"items":[` + p1 + `,
		{"external_id":"PAY-2","account_ref":"CR-2","amount":"1000.5","paid_at":"2026-03-01T10:00:00Z"}]}`}, 200, "")
	if rep.body["created"] != 1.0 || rep.body["already_recorded"] != 1.0 || statusOf(rep, 0) != "already_recorded" || statusOf(rep, 1) != "recorded" {
		t.Fatalf("repeat: %s", rep.raw)
	}
	if r.kicks.Count() <= kicks {
		t.Errorf("events sender not kicked after payments")
	}
	rep = r.expect(call{key: "write", method: "POST", path: "/api/v1/payments", body: `{"items":[
		{"external_id":"PAY-1","account_ref":"CR-1","amount":"60000","paid_at":"2026-03-02T10:02:00-05:00"},
		{"external_id":"PAY-3","account_ref":"NOPE","amount":"10","paid_at":"2026-03-02T09:30:00Z"},
		{"external_id":"PAY-4","account_ref":"CR-1","amount":"-5","paid_at":"2026-03-09T09:30:00Z"},
		{"account_ref":"CR-1","amount":"1.234","paid_at":"yesterday"},
		{"external_id":"PAY-5","account_ref":"CR-2","amount":"7","paid_at":"2026-03-02T00:00:00Z"}]}`}, 200, "")
	want := "0:external_id 1:account_ref 2:amount 2:paid_at 3:amount 3:external_id 3:paid_at"
	if got := strings.Join(errItems(t, rep, "errors"), " "); got != want {
		t.Fatalf("errors %s, want %s\n%s", got, want, rep.raw)
	}
	n, _ := r.db.Count(ctx)
	if n.Payments != 3 {
		t.Fatalf("%d payments stored, want 3", n.Payments)
	}
	ps, _ := r.db.Promises(ctx, a.ID)
	if len(ps) != 1 || ps[0].Status != acuerdo.PromiseKept {
		t.Fatalf("promise after payment: %+v", ps)
	}
	evs, _ := r.db.EventDeliveries(ctx, store.EventFilter{})
	types := map[string]int{}
	for _, e := range evs {
		types[e.Type]++
	}
	if types[store.EventPaymentRegistered] != 3 || types[store.EventPromiseCreated] != 1 {
		t.Fatalf("events %v", types)
	}
	r.expect(call{key: "write", method: "POST", path: "/api/v1/payments?atomic=true", body: `{"items":[{"external_id":"PAY-9","account_ref":"NOPE","amount":"1","paid_at":"2026-03-02T00:00:00Z"},
		{"external_id":"PAY-10","account_ref":"CR-2","amount":"1","paid_at":"2026-03-02T00:00:00Z"}]}`}, 422, "invalid_items")
	if n2, _ := r.db.Count(ctx); n2.Payments != 3 {
		t.Fatalf("atomic batch wrote a payment")
	}
}

func statusOf(rep reply, i int) any {
	res, _ := rep.body["results"].([]any)
	if i >= len(res) {
		return nil
	}
	return res[i].(map[string]any)["status"]
}

// apiConsent: consent records posted through the API are what the
// contact policy enforces, and the newest decision wins.
func apiConsent(t *testing.T, r *apiRig) {
	r.seed()
	ctx := context.Background()
	bruno, _ := r.db.DebtorByPhone(ctx, "+573109876543")
	path := fmt.Sprintf("/api/v1/debtors/%d/consents", bruno.ID)
	if _, err := r.db.Consent(ctx, bruno.ID); acuerdo.ErrorCode(err) != acuerdo.ENOTFOUND {
		t.Fatalf("Bruno has consent before any was posted: %v", err)
	}
	rep := r.expect(call{key: "write", method: "POST", path: path, strict: true,
		body: `{"channel":"whatsapp","scope":"collections","source":"web_form","granted_at":"2026-02-20T10:00:00-05:00"}`}, 200, "")
	if rep.body["active"] != true || rep.body["source"] != "web_form" || rep.body["granted_at"] != "2026-02-20T15:00:00Z" {
		t.Fatalf("grant: %s", rep.raw)
	}
	c, err := r.db.Consent(ctx, bruno.ID)
	if err != nil || !c.Active() || c.Source != "web_form" {
		t.Fatalf("the store's consent (what the engine enforces): %+v %v", c, err)
	}
	// The record the engine reads is what the contact policy decides on.
	monday := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC) // 10:00 in Bogotá
	ct := policy.Contact{Country: "CO", TimeZone: "America/Bogota", Consent: &c}
	if d := policy.Default().BusinessInitiated(ct, monday); !d.Allowed {
		t.Fatalf("contact with API consent refused: %+v", d)
	}
	rep = r.expect(call{key: "write", method: "POST", path: path, strict: true,
		body: `{"channel":"whatsapp","scope":"collections","source":"call_center","revoked_at":"2026-02-25T10:00:00Z"}`}, 200, "")
	if rep.body["active"] != false {
		t.Fatalf("revoke: %s", rep.raw)
	}
	c, _ = r.db.Consent(ctx, bruno.ID)
	if d := policy.Default().BusinessInitiated(policy.Contact{Country: "CO", TimeZone: "America/Bogota", Consent: &c}, monday); d.Allowed || d.Rule != policy.RuleConsent {
		t.Fatalf("contact after the API revoked consent: %+v", d)
	}
	r.expect(call{key: "write", method: "POST", path: path, strict: true,
		body: `{"channel":"whatsapp","scope":"collections","source":"web_form","granted_at":"2026-02-21T10:00:00Z"}`}, 409, "conflict")
	for _, body := range []string{
		`{"channel":"email","scope":"collections","source":"x","granted_at":"2026-02-21T10:00:00Z"}`,
		`{"channel":"whatsapp","scope":"marketing","source":"x","granted_at":"2026-02-21T10:00:00Z"}`,
		`{"channel":"whatsapp","scope":"collections","source":"","granted_at":"2026-02-21T10:00:00Z"}`,
		`{"channel":"whatsapp","scope":"collections","source":"x"}`,
		`{"channel":"whatsapp","scope":"collections","source":"x","granted_at":"2026-02-21T10:00:00Z","revoked_at":"2026-02-21T10:00:00Z"}`,
		`{"channel":"whatsapp","scope":"collections","source":"x","granted_at":"2027-01-01T00:00:00Z"}`,
	} {
		r.expect(call{key: "write", method: "POST", path: path, body: body}, 422, "invalid")
	}
	r.expect(call{key: "write", method: "POST", path: path, body: `{"channel":"whatsapp","when":"now"}`}, 400, "invalid")
	r.expect(call{key: "write", method: "POST", path: path, body: `channel=whatsapp`, ctype: "text/plain"}, 415, "unsupported_media_type")
	// A debtor who stopped messages on WhatsApp cannot be re-consented by the creditor.
	ana, _ := r.db.DebtorByPhone(ctx, "+573001234567")
	conv, _ := r.db.Conversation(ctx, acuerdo.ChannelWhatsApp, ana.Phone)
	if err := r.db.OptOut(ctx, conv.ID, ana.ID); err != nil {
		t.Fatal(err)
	}
	r.expect(call{key: "write", method: "POST", path: "/api/v1/debtors/+573001234567/consents",
		body: `{"channel":"whatsapp","scope":"collections","source":"web_form","granted_at":"2026-03-02T14:00:00Z"}`}, 409, "conflict")
}

// apiReads: promises, plans, cases and outcomes of a debtor, the export,
// and the erase, through the API.
func apiReads(t *testing.T, r *apiRig) {
	r.seed()
	ctx := context.Background()
	ana, _ := r.db.DebtorByPhone(ctx, "+573001234567")
	a, _ := r.db.AccountByRef(ctx, "CR-1")
	conv, _ := r.db.Conversation(ctx, acuerdo.ChannelWhatsApp, ana.Phone)
	if _, _, err := r.db.Receive(ctx, acuerdo.ChannelWhatsApp, ana.Phone, acuerdo.Message{ProviderID: "SM1", Body: "hola, quiero pagar"}, []store.InboundMedia{{URL: "https://api.twilio.com/m/1", ContentType: "image/jpeg"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.db.CreatePromise(ctx, acuerdo.Promise{AccountID: a.ID, ConversationID: conv.ID, Amount: acuerdo.Money{Amount: 10000000, Currency: "COP"}, DueDate: acuerdo.Date{Year: 2026, Month: 3, Day: 6}}); err != nil {
		t.Fatal(err)
	}
	plan, err := r.db.OfferPlan(ctx, acuerdo.Plan{AccountID: a.ID, ConversationID: conv.ID, Total: acuerdo.Money{Amount: 85000007, Currency: "COP"},
		Installments: []acuerdo.Installment{{Seq: 1, DueDate: acuerdo.Date{Year: 2026, Month: 3, Day: 10}, Amount: acuerdo.Money{Amount: 42500004, Currency: "COP"}},
			{Seq: 2, DueDate: acuerdo.Date{Year: 2026, Month: 4, Day: 10}, Amount: acuerdo.Money{Amount: 42500003, Currency: "COP"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.db.AcceptPlan(ctx, plan.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.db.OpenCase(ctx, acuerdo.Case{ConversationID: conv.ID, DebtorID: ana.ID, Reason: acuerdo.ReasonHardship, Summary: "perdió el empleo"}); err != nil {
		t.Fatal(err)
	}
	// HTTP clients percent-encode "+" in a path (issue 10, item 6): the
	// encoded reference finds the same debtor.
	for _, ref := range []string{"+573001234567", "%2B573001234567", fmt.Sprint(ana.ID)} {
		rep := r.expect(call{key: "read", method: "GET", path: "/api/v1/debtors/" + ref, strict: true}, 200, "")
		accts, _ := rep.body["accounts"].([]any)
		if rep.body["name"] != "Ana Pérez" || rep.body["document_last4"] != "4050" || len(accts) != 1 || accts[0].(map[string]any)["balance"] != "850000.07" {
			t.Fatalf("debtor %s: %s", ref, rep.raw)
		}
	}
	rep := r.expect(call{key: "read", method: "GET", path: "/api/v1/debtors/%2B573001234567/promises", strict: true}, 200, "")
	if !strings.Contains(string(rep.raw), `"amount":"100000.00"`) || !strings.Contains(string(rep.raw), `"account_ref":"CR-1"`) {
		t.Fatalf("promises: %s", rep.raw)
	}
	rep = r.expect(call{key: "read", method: "GET", path: "/api/v1/debtors/+573001234567/plans", strict: true}, 200, "")
	if !strings.Contains(string(rep.raw), `"status":"accepted"`) || !strings.Contains(string(rep.raw), `"amount":"425000.03"`) {
		t.Fatalf("plans: %s", rep.raw)
	}
	rep = r.expect(call{key: "read", method: "GET", path: "/api/v1/debtors/+573001234567/cases", strict: true}, 200, "")
	if !strings.Contains(string(rep.raw), `"reason":"hardship"`) || !strings.Contains(string(rep.raw), `"closed":false`) {
		t.Fatalf("cases: %s", rep.raw)
	}
	rep = r.expect(call{key: "read", method: "GET", path: "/api/v1/debtors/+573001234567/outcomes", strict: true}, 200, "")
	out, _ := rep.body["outcomes"].([]any)
	if len(out) != 1 {
		t.Fatalf("outcomes: %s", rep.raw)
	}
	o := out[0].(map[string]any)
	if o["messages_in"] != 1.0 || o["promises"] != 1.0 || o["plans_accepted"] != 1.0 || o["cases_open"] != 1.0 || o["handed_to_person"] != true {
		t.Fatalf("outcome: %v", o)
	}
	rep = r.expect(call{key: "read", method: "GET", path: "/api/v1/debtors/+573001234567/export", strict: true}, 200, "")
	for _, want := range []string{"hola, quiero pagar", "perdió el empleo", "1020304050", `"events":[`, "promise.created", "plan.accepted", "case.opened", `"content_type":"image/jpeg"`, `"negotiations":[`, `"assignments":[`} {
		if !strings.Contains(string(rep.raw), want) {
			t.Errorf("export lacks %q", want)
		}
	}
	// Bad and unknown references, on every debtor endpoint.
	for _, p := range []string{"", "/promises", "/plans", "/cases", "/outcomes", "/export"} {
		r.expect(call{key: "read", method: "GET", path: "/api/v1/debtors/abc" + p}, 400, "invalid")
		r.expect(call{key: "read", method: "GET", path: "/api/v1/debtors/+573009999999" + p}, 404, "not_found")
	}
	r.expect(call{key: "write", method: "POST", path: "/api/v1/debtors/abc/consents", body: `{}`}, 400, "invalid")
	r.expect(call{key: "write", method: "POST", path: "/api/v1/debtors/999/consents", body: `{}`}, 404, "not_found")
	r.expect(call{key: "write", method: "DELETE", path: "/api/v1/debtors/abc"}, 400, "invalid")

	// Erase: the personal data goes, the numbers stay, and the debtor is gone for the API.
	rep = r.expect(call{key: "write", method: "DELETE", path: "/api/v1/debtors/+573001234567", strict: true}, 200, "")
	if e, _ := rep.body["erased"].(map[string]any); e["messages"] != 1.0 || e["cases"] != 1.0 {
		t.Fatalf("erase: %s", rep.raw)
	}
	r.expect(call{key: "write", method: "DELETE", path: "/api/v1/debtors/+573001234567"}, 404, "not_found")
	r.expect(call{key: "read", method: "GET", path: fmt.Sprintf("/api/v1/debtors/%d", ana.ID)}, 404, "not_found")
	x, err := r.db.ExportDebtor(ctx, ana.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(x)
	for _, gone := range []string{"Ana", "hola, quiero pagar", "perdió", "1020304050", "3001234567"} {
		if strings.Contains(string(b), gone) {
			t.Errorf("after erase the data still holds %q", gone)
		}
	}
	for _, e := range x.Events {
		if p, _ := r.db.EventPayload(ctx, e.EventID); strings.Contains(string(p), "3001234567") {
			t.Errorf("event %s still names the phone: %s", e.EventID, p)
		}
	}
	if len(x.Promises) != 1 || len(x.Plans) != 1 || len(x.Events) != 3 {
		t.Errorf("erase lost aggregates: %d promises, %d plans, %d events", len(x.Promises), len(x.Plans), len(x.Events))
	}
}

// apiUnauthorized sends every secured operation without a key, with a revoked
// key and, for writes, with a read-only key.
func apiUnauthorized(t *testing.T, r *apiRig) {
	r.expect(call{method: "GET", path: "/api/v1/openapi.json", strict: true}, 200, "")
	r.seed()
	for path, item := range r.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && len(*op.Security) == 0 {
				continue // public
			}
			p := "/api/v1" + strings.NewReplacer("{ref}", "+573001234567", "{id}", "evt_0").Replace(path)
			body := ""
			if method == "POST" {
				body = `{}`
			}
			r.expect(call{method: method, path: p, body: body}, 401, "unauthorized")
			r.expect(call{key: "unknown", method: method, path: p, body: body}, 401, "unauthorized")
			r.expect(call{key: "revoked", method: method, path: p, body: body}, 401, "key_revoked")
			if method != "GET" {
				r.expect(call{key: "read", method: method, path: p, body: body}, 403, "forbidden")
			}
		}
	}
}

// TestAPI runs every scenario on its own database, validating each exchange
// against openapi.json, then checks that every documented operation and
// response status (but 500, which cannot be provoked from outside) was
// produced: the document and the handlers cannot drift apart unnoticed.
func TestAPI(t *testing.T) {
	cov := &coverage{covered: map[string]bool{}}
	scenarios := []struct {
		name string
		run  func(*testing.T, *apiRig)
	}{
		{"unauthorized", apiUnauthorized}, {"auth", apiAuth}, {"debtor_batch", apiDebtorBatch}, {"request_errors", apiRequestErrors},
		{"payments", apiPayments}, {"consent", apiConsent}, {"reads", apiReads}, {"events", apiEvents},
	}
	ran := 0
	var doc *openapi3.T
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			ran++
			r := newAPIRig(t, cov)
			doc = r.doc
			sc.run(t, r)
		})
	}
	if ran < len(scenarios) || t.Failed() {
		return // coverage means something only when every scenario ran and passed
	}
	var missing []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status := range op.Responses.Map() {
				if key := fmt.Sprintf("%s %s %s", method, path, status); status != "500" && !cov.covered[key] {
					missing = append(missing, key)
				}
			}
		}
	}
	t.Logf("%d distinct documented responses produced and validated", len(cov.covered))
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("documented responses no test produced:\n%s", strings.Join(missing, "\n"))
	}
}

// apiEvents: the creditor sees each event's delivery and can send a failed
// one again.
func apiEvents(t *testing.T, r *apiRig) {
	r.seed()
	ctx := context.Background()
	r.expect(call{key: "write", method: "POST", path: "/api/v1/payments", strict: true,
		body: `{"items":[{"external_id":"E-1","account_ref":"CR-1","amount":"10","paid_at":"2026-03-01T00:00:00Z"},{"external_id":"E-2","account_ref":"CR-2","amount":"20","paid_at":"2026-03-01T00:00:00Z"}]}`}, 200, "")
	rep := r.expect(call{key: "read", method: "GET", path: "/api/v1/events?limit=10", strict: true}, 200, "")
	evs, _ := rep.body["events"].([]any)
	if len(evs) != 2 {
		t.Fatalf("events: %s", rep.raw)
	}
	first := evs[1].(map[string]any)["id"].(string)
	// Give up on the first, as the sender does after its last attempt.
	claimed, err := r.db.ClaimEvents(ctx, 10, time.Minute)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	for _, e := range claimed {
		a := store.EventAttempt{Done: true}
		if e.EventID == first {
			a.Error, a.Status = "gave up after 15 attempts: HTTP 503", 503
		}
		if err := r.db.RecordEventAttempt(ctx, e.ID, a); err != nil {
			t.Fatal(err)
		}
	}
	rep = r.expect(call{key: "read", method: "GET", path: "/api/v1/events?state=failed", strict: true}, 200, "")
	evs, _ = rep.body["events"].([]any)
	if len(evs) != 1 || evs[0].(map[string]any)["id"] != first || evs[0].(map[string]any)["last_status"] != 503.0 {
		t.Fatalf("failed events: %s", rep.raw)
	}
	r.expect(call{key: "read", method: "GET", path: "/api/v1/events?state=lost"}, 400, "invalid")
	r.expect(call{key: "read", method: "GET", path: "/api/v1/events?limit=0"}, 400, "invalid")
	kicks := r.kicks.Count()
	r.expect(call{key: "write", method: "POST", path: "/api/v1/events/" + first + "/redeliver", strict: true}, 202, "")
	if r.kicks.Count() == kicks {
		t.Error("sender not kicked after a redelivery")
	}
	again, _ := r.db.ClaimEvents(ctx, 10, time.Minute)
	if len(again) != 1 || again[0].EventID != first || again[0].Attempts != 1 {
		t.Fatalf("redelivered event not claimable from its first attempt: %+v", again)
	}
	r.expect(call{key: "write", method: "POST", path: "/api/v1/events/" + first + "/redeliver"}, 409, "conflict")
	r.expect(call{key: "write", method: "POST", path: "/api/v1/events/evt_nothing/redeliver"}, 404, "not_found")
}
