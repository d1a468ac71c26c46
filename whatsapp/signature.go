package whatsapp

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// SignatureHeader is the header Twilio signs every webhook request with.
const SignatureHeader = "X-Twilio-Signature"

// Signature computes Twilio's X-Twilio-Signature for a form-encoded POST: the
// base64 HMAC-SHA1, keyed with the auth token, of the full URL Twilio called
// followed by every POST parameter as name+value with no separators, sorted by
// name (byte order). A name sent several times contributes each distinct value,
// sorted, as Twilio's own helper libraries do.
//
// It is exported so that tests and local fakes of Twilio can sign requests.
func Signature(authToken, url string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(url))
	for _, k := range keys {
		for _, v := range distinctSorted(form[k]) {
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func distinctSorted(vs []string) []string {
	if len(vs) < 2 {
		return vs
	}
	out := append([]string(nil), vs...)
	sort.Strings(out)
	n := 1
	for i := 1; i < len(out); i++ {
		if out[i] != out[n-1] {
			out[n] = out[i]
			n++
		}
	}
	return out[:n]
}

// VerifySignature reports whether signature is Twilio's signature of a POST to url
// with the parameters form, under authToken. url must be the URL Twilio was
// configured to call, query string included (see RequestURL); form must hold every
// POST parameter received, not just the known ones, since Twilio adds parameters
// over time.
//
// Like Twilio's helper libraries, it also accepts the signature of the same URL
// with the port removed or with the scheme's default port added, because Twilio's
// back-end is not consistent about ports. Comparisons are constant-time. An empty
// token or signature never verifies.
func VerifySignature(authToken, url string, form url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	ok := false
	for _, u := range urlVariants(url) {
		want := Signature(authToken, u, form)
		// No early return: every candidate is computed and compared so the time
		// taken does not depend on which one matched.
		if subtle.ConstantTimeCompare([]byte(want), []byte(signature)) == 1 {
			ok = true
		}
	}
	return ok
}

// urlVariants returns raw as given plus raw without its port and raw with the
// scheme's default port, without duplicates. It edits the authority in place rather
// than re-serialising a url.URL, so the path and query keep Twilio's exact bytes.
func urlVariants(raw string) []string {
	out := []string{raw}
	i := strings.Index(raw, "://")
	if i < 0 {
		return out
	}
	scheme, rest := strings.ToLower(raw[:i]), raw[i+3:]
	j := strings.IndexAny(rest, "/?#")
	if j < 0 {
		j = len(rest)
	}
	authority, suffix := rest[:j], rest[j:]
	userinfo := ""
	if k := strings.LastIndexByte(authority, '@'); k >= 0 {
		userinfo, authority = authority[:k+1], authority[k+1:]
	}
	host, port := authority, ""
	if k := strings.LastIndexByte(authority, ':'); k >= 0 && !strings.Contains(authority[k:], "]") {
		host, port = authority[:k], authority[k+1:]
	}
	build := func(hostport string) string { return raw[:i+3] + userinfo + hostport + suffix }
	if port != "" {
		out = append(out, build(host))
	} else if def := map[string]string{"https": "443", "http": "80"}[scheme]; def != "" && host != "" {
		out = append(out, build(host+":"+def))
	}
	return out
}

// RequestURL reconstructs the URL Twilio called, which is what the signature covers.
//
// Behind a proxy or tunnel the server sees a different scheme and host than Twilio
// used. With publicURL (ACUERDO_PUBLIC_URL, e.g. "https://cobros.example.com") the
// result is publicURL followed by the request URI as the server received it; it is
// the reliable choice in production. Without it, the scheme and host come from the
// first X-Forwarded-Proto and X-Forwarded-Host values, then from the connection
// (TLS or not) and the Host header.
//
// Trusting X-Forwarded-* here is safe for authentication: the signature is keyed by
// the auth token, so a client that lies about the host only makes verification fail.
func RequestURL(r *http.Request, publicURL string) string {
	uri := requestURI(r)
	if publicURL = strings.TrimSpace(publicURL); publicURL != "" {
		return strings.TrimRight(publicURL, "/") + uri
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := strings.ToLower(firstValue(r.Header.Get("X-Forwarded-Proto"))); p == "http" || p == "https" {
		scheme = p
	}
	host := firstValue(r.Header.Get("X-Forwarded-Host"))
	if host == "" {
		host = r.Host
	}
	if host == "" && r.URL != nil {
		host = r.URL.Host
	}
	return scheme + "://" + host + uri
}

// requestURI is the path and query exactly as the client sent them: the signature
// covers Twilio's spelling, so re-encoding r.URL could break it.
func requestURI(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" && r.URL != nil {
		uri = r.URL.RequestURI() // a request built in a test, not read from the wire
	}
	if strings.HasPrefix(uri, "http://") || strings.HasPrefix(uri, "https://") {
		// absolute-form request target (RFC 9112 §3.2.2), as a forward proxy sends
		if u, err := url.Parse(uri); err == nil {
			uri = u.RequestURI()
		}
	}
	if uri == "" || uri[0] != '/' {
		uri = "/" + uri
	}
	return uri
}

// firstValue returns the first of a comma-separated header value (each proxy in a
// chain appends its own), trimmed.
func firstValue(v string) string {
	if i := strings.IndexByte(v, ','); i >= 0 {
		v = v[:i]
	}
	v = strings.TrimSpace(v)
	// A host with spaces or slashes is not a host; ignore it rather than build a
	// URL that can never match.
	if strings.ContainsAny(v, " /\\") {
		return ""
	}
	return v
}
