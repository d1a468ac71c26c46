package whatsapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// listFake answers Twilio's Messages list (GET …/Messages.json) from a fixed set
// of messages, applying To, From and DateSent> as Twilio does, newest first, in
// pages of PageSize with next_page_uri.
type listFake struct {
	t       *testing.T
	mu      sync.Mutex
	queries []url.Values
	msgs    []map[string]any // newest first
}

func (f *listFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != "/2010-04-01/Accounts/"+testSID+"/Messages.json" {
		f.t.Errorf("%s %s, want GET of the account's Messages.json", r.Method, r.URL.Path)
	}
	if u, p, ok := r.BasicAuth(); !ok || u != testSID || p != testToken {
		f.t.Errorf("no account credentials on the list request")
	}
	q := r.URL.Query()
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.mu.Unlock()
	var after time.Time
	if v := q.Get("DateSent>"); v != "" {
		var err error
		if after, err = time.Parse(time.RFC3339, v); err != nil {
			f.t.Errorf("DateSent> = %q: %v", v, err)
		}
	}
	var out []map[string]any
	for _, m := range f.msgs {
		if m["to"] != q.Get("To") || m["from"] != q.Get("From") {
			continue
		}
		if !after.IsZero() {
			ds, _ := m["date_sent"].(string)
			t, err := time.Parse(time.RFC1123Z, ds)
			if err != nil || t.Before(after) {
				continue
			}
		}
		out = append(out, m)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"messages": out, "page": 0, "page_size": 50, "next_page_uri": nil,
		"uri": r.URL.RequestURI(), "first_page_uri": r.URL.RequestURI(), "previous_page_uri": nil, "start": 0, "end": len(out)})
}

func listed(sid, to, body, status string, created time.Time, sent bool) map[string]any {
	m := map[string]any{"sid": sid, "to": to, "from": testFrom, "body": body, "status": status,
		"date_created": created.Format(time.RFC1123Z), "date_sent": nil, "account_sid": testSID, "direction": "outbound-api"}
	if sent {
		m["date_sent"] = created.Add(time.Second).Format(time.RFC1123Z)
	}
	return m
}

func TestFind(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	to := "whatsapp:+573001234567"
	f := &listFake{t: t, msgs: []map[string]any{
		listed("SMqueued", to, "Tu link de pago", "queued", now.Add(-5*time.Second), false),
		listed("SMnew", to, "Hola Ana", "delivered", now.Add(-10*time.Second), true),
		listed("SMother", "whatsapp:+573009999999", "Hola Ana", "sent", now.Add(-10*time.Second), true),
		listed("SMold", to, "Hola Ana", "read", now.Add(-2*time.Hour), true),
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c, err := New(Config{AccountSID: testSID, AuthToken: testToken, From: testFrom, APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	since := now.Add(-time.Minute)

	s, ok, err := c.Find(ctx, "+573001234567", "Hola Ana", since)
	if err != nil || !ok || s.SID != "SMnew" || s.Status != "delivered" {
		t.Fatalf("Find = %+v %v %v, want SMnew delivered", s, ok, err)
	}
	q := f.queries[0]
	if q.Get("To") != to || q.Get("From") != testFrom || q.Get("DateSent>") != since.Format(time.RFC3339) {
		t.Errorf("query = %v, want To, From and DateSent> filters", q)
	}

	// Accepted but not yet sent: no date_sent, found by the undated second look.
	if s, ok, err := c.Find(ctx, "+573001234567", "Tu link de pago", since); err != nil || !ok || s.SID != "SMqueued" {
		t.Errorf("queued message: %+v %v %v", s, ok, err)
	}
	// Only an old copy exists: not this send.
	if _, ok, err := c.Find(ctx, "+573001234567", "Hola Ana", now.Add(-time.Second)); err != nil || ok {
		t.Errorf("old message matched: %v %v", ok, err)
	}
	if _, ok, err := c.Find(ctx, "+573001234567", "otro texto", since); err != nil || ok {
		t.Errorf("different body matched: %v %v", ok, err)
	}
	// Both copies when the window covers them, newest first.
	if all, err := c.FindAll(ctx, "+573001234567", "Hola Ana", now.Add(-3*time.Hour)); err != nil || len(all) != 2 || all[0].SID != "SMnew" || all[1].SID != "SMold" {
		t.Errorf("FindAll = %+v %v, want SMnew then SMold", all, err)
	}
	if _, _, err := c.Find(ctx, "3001234567", "x", since); !IsPermanent(err) {
		t.Errorf("bad recipient: %v, want a permanent error", err)
	}
}

func TestFindError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		twilioErr(http.StatusUnauthorized, 20003, "Authenticate")(w, nil)
	}))
	defer srv.Close()
	c, err := New(Config{AccountSID: testSID, AuthToken: testToken, From: testFrom, APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Find(context.Background(), "+573001234567", "x", time.Now())
	if ErrorCode(err) != 20003 || !IsPermanent(err) {
		t.Fatalf("err = %v, want Twilio's 20003, permanent", err)
	}
}
