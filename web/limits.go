package web

import (
	"mime"
	"net/http"
	"strings"
)

// defaultMaxBody bounds a request body where no route says otherwise: the
// console's forms (a reply is at most a few KB of text) and the sandbox.
const defaultMaxBody = 64 << 10

// bodyLimits are the routes that need more than defaultMaxBody, by path
// prefix. Each handler may bound its body further.
var bodyLimits = []struct {
	prefix string
	max    int64
}{
	{"/api/v1/", apiMaxBody},                   // batches of up to apiMaxItems debtors
	{"/webhooks/twilio/", maxWebhookBody},      // Twilio's forms
	{"/webhooks/", maxPayhookBody},             // payment providers' events
	{"/sandbox/", maxSandboxFile*4/3 + 64<<10}, // a receipt of up to 5 MB in base64
}

// maxBody returns the body limit of a path.
func maxBody(path string) int64 {
	for _, l := range bodyLimits {
		if strings.HasPrefix(path, l.prefix) {
			return l.max
		}
	}
	return defaultMaxBody
}

// limitBodies bounds every request body (issue 10, item 8) and refuses
// multipart bodies, which no route takes: Go's form parsing writes the files
// of a multipart body to the temporary directory, so an unauthenticated POST
// to /console/login could fill the disk. A body declared too large is
// refused before it is read; one that only turns out too large (chunked)
// fails its handler's read at the limit.
func (s *Server) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		max := maxBody(r.URL.Path)
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); strings.HasPrefix(mt, "multipart/") {
			s.cfg.Logger.WarnContext(r.Context(), "multipart body refused", "path", r.URL.Path, "bytes", r.ContentLength)
			s.refuseBody(w, r, http.StatusUnsupportedMediaType, max)
			return
		}
		if r.ContentLength > max {
			s.refuseBody(w, r, http.StatusRequestEntityTooLarge, max)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

// refuseBody answers a refused body in the door's own format, and closes the
// connection so the unread body is not drained.
func (s *Server) refuseBody(w http.ResponseWriter, r *http.Request, status int, max int64) {
	w.Header().Set("Connection", "close")
	if strings.HasPrefix(r.URL.Path, "/api/v1/") {
		if status == http.StatusUnsupportedMediaType {
			apiFail(w, r, status, codeMediaType, "media_type")
		} else {
			apiFail(w, r, status, codeTooLarge, "too_large", max>>20)
		}
		return
	}
	if status == http.StatusUnsupportedMediaType {
		plainFail(w, r, status, "multipart")
	} else {
		plainFail(w, r, status, "too_large", max>>10)
	}
}
