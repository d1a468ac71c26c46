package hooks_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"acuerdo/hooks"
)

// TestSignMatchesSpec computes the documented signature by hand:
// hex(HMAC-SHA256(secret, t + "." + body)).
func TestSignMatchesSpec(t *testing.T) {
	at := time.Unix(1772463600, 0)
	body := []byte(`{"id":"evt_1","type":"promise.created"}`)
	m := hmac.New(sha256.New, secret)
	fmt.Fprintf(m, "%d.%s", at.Unix(), body)
	want := fmt.Sprintf("t=%d,v1=%s", at.Unix(), hex.EncodeToString(m.Sum(nil)))
	if got := hooks.Sign(secret, at, body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	for _, tc := range []struct {
		name, header string
		body         []byte
		now          time.Time
		want         string
	}{
		{"valid", want, body, at.Add(time.Minute), ""},
		{"rotated secret, second signature", want + ",v1=" + strings.Repeat("0", 64), body, at, ""},
		{"body changed", want, []byte(`{"id":"evt_2"}`), at, "does not match"},
		{"replayed later", want, body, at.Add(10 * time.Minute), "away from now"},
		{"no signature", fmt.Sprintf("t=%d", at.Unix()), body, at, "want t=TIMESTAMP"},
		{"garbage", "nonsense", body, at, "not key=value"},
		{"bad time", "t=yesterday,v1=00", body, at, "not a number"},
	} {
		err := hooks.Verify(secret, tc.header, tc.body, tc.now, 5*time.Minute)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: Verify = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// FuzzVerify: no header, however malformed, panics Verify or passes it
// without carrying the true signature of the body for its timestamp.
func FuzzVerify(f *testing.F) {
	at := time.Unix(1772463600, 0)
	body := []byte(`{"id":"evt_1"}`)
	f.Add(hooks.Sign(secret, at, body), body)
	f.Add("t=1772463600,v1=zz,v1=", body)
	f.Add(",,=,t==", []byte{})
	f.Fuzz(func(t *testing.T, header string, b []byte) {
		if hooks.Verify(secret, header, b, at, 5*time.Minute) != nil {
			return
		}
		var ts string
		var sigs []string
		for _, part := range strings.Split(header, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "t":
				ts = v
			case "v1":
				sigs = append(sigs, v)
			}
		}
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(ts + "."))
		m.Write(b)
		want := hex.EncodeToString(m.Sum(nil))
		for _, s := range sigs {
			if s == want {
				return
			}
		}
		t.Fatalf("Verify accepted %q for body %q", header, b)
	})
}
