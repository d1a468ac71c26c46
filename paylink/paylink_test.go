package paylink

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"acuerdo"
)

func TestLinkSignedAndTamperProof(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tp := Template{Secret: []byte("s3cret"), Clock: func() time.Time { return now }}
	link, err := tp.Link(context.Background(), Request{AccountRef: "CR 1/2", Amount: acuerdo.Money{Amount: 15000050, Currency: "COP"}, Scope: "total"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	if q := u.Query(); q.Get("amount") != "150000.50" || q.Get("ref") != "CR 1/2" || q.Get("currency") != "COP" || q.Get("sig") == "" {
		t.Fatalf("link %s", link)
	}
	if err := tp.Verify(link); err != nil {
		t.Fatalf("Verify(own link) = %v", err)
	}
	tampered := strings.Replace(link, "amount=150000.50", "amount=1.00", 1)
	if err := tp.Verify(tampered); err == nil || !strings.Contains(err.Error(), "altered") {
		t.Fatalf("Verify(tampered) = %v", err)
	}
	later := Template{Secret: tp.Secret, Clock: func() time.Time { return now.Add(73 * time.Hour) }}
	if err := later.Verify(link); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("Verify(expired) = %v", err)
	}
	if _, err := (Template{}).Link(context.Background(), Request{Amount: acuerdo.Money{Amount: 1, Currency: "COP"}}); err == nil {
		t.Fatal("a link without a secret")
	}
	if _, err := tp.Link(context.Background(), Request{Amount: acuerdo.Money{Amount: 0, Currency: "COP"}}); err == nil {
		t.Fatal("a link for zero")
	}
}
