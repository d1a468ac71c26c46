package tools_test

import (
	"encoding/json"
	"strings"
	"testing"

	"acuerdo/tools"
)

// wroteOnly checks that since before the only writes (audit aside) were the
// given ones, e.g. "INSERT events": a payment link stores nothing but the
// event that tells the creditor about it.
func (s snapshot) wroteOnly(tb testing.TB, f *fixture, what string, want ...string) {
	tb.Helper()
	rows, err := f.raw.QueryContext(f.ctx, `SELECT op || ' ' || tbl FROM test_writes WHERE id > ? ORDER BY id`, s.writes)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			tb.Fatal(err)
		}
		got = append(got, w)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		tb.Errorf("%s: wrote %v, want %v", what, got, want)
	}
}

// TestPaymentLinkEvent: the creditor's webhook event for a link carries the
// account, amount, scope and the link itself.
func TestPaymentLinkEvent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ana := f.verified(t, anaPhone)
	r := f.allow(t, ana, tools.SendPaymentLink, `{"scope":"installment"}`, "allowed")
	var payload string
	if err := f.raw.QueryRowContext(f.ctx, `SELECT payload FROM events WHERE type = 'payment_link.sent'`).Scan(&payload); err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal([]byte(payload), &ev); err != nil {
		t.Fatal(err)
	}
	d := ev.Data
	if d["account_ref"] != "CR-0001" || d["amount"] != "100000.00" || d["currency"] != "COP" || d["scope"] != "installment" || d["url"] != data(t, r)["url"] {
		t.Fatalf("event data %v", d)
	}
	if deb, _ := d["debtor"].(map[string]any); deb["phone"] != anaPhone || d["conversation_id"] != float64(ana.Conv.ID) {
		t.Fatalf("event names %v, conversation %v", d["debtor"], d["conversation_id"])
	}
}
