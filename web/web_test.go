package web_test

import (
	"net/http"
	"testing"

	"acuerdo/web/internal/webtest"
	"acuerdo/whatsapp"
)

func TestHealthz(t *testing.T) {
	r := webtest.NewRig(t, webtest.RigOptions{NoEngine: true})
	resp := webtest.Must(r.Srv.Client().Get(r.Srv.URL + "/healthz"))
	if b := webtest.ReadAll(t, resp); resp.StatusCode != http.StatusOK || b != "ok\nwhatsapp: on\n" {
		t.Fatalf("healthz = %d %q", resp.StatusCode, b)
	}
	srv := r.Srv
	r.DB.Close()
	resp = webtest.Must(srv.Client().Get(srv.URL + "/healthz"))
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("healthz with the database closed = %d, want 503", resp.StatusCode)
	}
	// A store error while receiving is a 500, so Twilio delivers again.
	resp = r.Post(t, whatsapp.InboundPath, webtest.InboundForm("SM00000000000000000000000000000008", webtest.AnaPhone, "hola"))
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("inbound with the database closed = %d, want 500", resp.StatusCode)
	}
}
