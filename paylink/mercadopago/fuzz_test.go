package mercadopago

import (
	"errors"
	"net/url"
	"strconv"
	"testing"
	"time"

	"acuerdo/paylink"
)

func FuzzMercadoPagoNotification(f *testing.F) {
	f.Add("data.id=123&type=payment", []byte(`{"id":1,"type":"payment","action":"payment.updated","data":{"id":"123"}}`))
	f.Add("", []byte(`{"id":"x","type":"merchant_order","data":{"id":"ABC"}}`))
	f.Add("data.id=1e9&type=payment", []byte(`{"data":{"id":1e9}}`))
	f.Add("data.id=%zz", []byte(`null`))
	f.Fuzz(func(t *testing.T, query string, body []byte) {
		q, _ := url.ParseQuery(query)
		n, dataID, err := ParseNotification(q, body)
		if err != nil {
			if !errors.Is(err, paylink.ErrMalformed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if n.EventID == "" || dataID == "" || n.Object != dataID {
			t.Fatalf("accepted without ids: %+v (data.id %q)", n, dataID)
		}
		if n.Relevant {
			if id, err := strconv.ParseInt(n.Object, 10, 64); err != nil || id <= 0 {
				t.Fatalf("payment notification with id %q", n.Object)
			}
		}
	})
}

func FuzzMercadoPagoSignature(f *testing.F) {
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	ts := strconv.FormatInt(now.Unix(), 10)
	f.Add("ts="+ts+",v1="+Sign("s", Manifest("123", "r", ts)), "r", "123")
	f.Add("ts=,v1=", "", "")
	f.Add("v1=ab,ts=1", "x", "ABC")
	f.Fuzz(func(t *testing.T, header, requestID, dataID string) {
		err := VerifySignature(header, requestID, dataID, "s", now, 10*time.Minute)
		if err == nil {
			ts, v1, perr := parseSignature(header)
			if perr != nil || v1 == "" || Sign("s", Manifest(dataID, requestID, ts)) != normalize(v1) {
				t.Fatalf("accepted %q for %q/%q", header, requestID, dataID)
			}
			return
		}
		if !errors.Is(err, paylink.ErrSignature) && !errors.Is(err, paylink.ErrStale) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
