package console

import (
	"net/http/httptest"
	"testing"
)

// TestClientIP: X-Forwarded-For counts only when the peer is a trusted proxy,
// and is read from the right past every trusted hop (issue 10, item 9).
func TestClientIP(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.10 ,::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, peer, xff string
		trusted         bool
		want            string
	}{
		{"no proxies configured: header ignored", "10.1.2.3:5000", "198.51.100.7", false, "10.1.2.3"},
		{"untrusted peer: header ignored", "203.0.113.9:5000", "198.51.100.7", true, "203.0.113.9"},
		{"trusted proxy", "10.1.2.3:5000", "198.51.100.7", true, "198.51.100.7"},
		{"spoofed left entries skipped", "10.1.2.3:5000", "1.2.3.4, 198.51.100.7", true, "198.51.100.7"},
		{"two trusted hops", "10.1.2.3:5000", "198.51.100.7, 192.0.2.10", true, "198.51.100.7"},
		{"only trusted hops", "10.1.2.3:5000", "10.9.9.9", true, "10.1.2.3"},
		{"malformed hop", "10.1.2.3:5000", "198.51.100.7, bogus", true, "10.1.2.3"},
		{"IPv6 loopback proxy", "[::1]:5000", "2001:db8::1", true, "2001:db8::1"},
	} {
		r := httptest.NewRequest("POST", "/console/login", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		tr := trusted
		if !c.trusted {
			tr = nil
		}
		if got := clientIP(r, tr); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example.com", "10.0.0"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted", bad)
		}
	}
}
