package web

import (
	"testing"

	"acuerdo/web/api"
	"acuerdo/web/internal/httpx"
	"acuerdo/web/sandbox"
	"acuerdo/web/webhooks"
)

// TestBodyLimits: every route has a limit, large only where the route needs
// it (the sandbox's 5 MB receipts, the API's batches, webhooks).
func TestBodyLimits(t *testing.T) {
	for path, want := range map[string]int64{
		"/console/login":            httpx.DefaultMaxBody,
		"/console/cases/1/reply":    httpx.DefaultMaxBody,
		"/sandbox/api/send":         sandbox.MaxBody,
		"/api/v1/debtors":           api.MaxBody,
		"/webhooks/twilio/inbound":  webhooks.MaxTwilioBody,
		"/webhooks/stripe":          webhooks.MaxPaymentBody,
		"/dashboard/pilot/export/x": httpx.DefaultMaxBody,
	} {
		if got := httpx.LimitOf(bodyLimits, path).Max; got != want {
			t.Errorf("limit of %s = %d, want %d", path, got, want)
		}
	}
}
