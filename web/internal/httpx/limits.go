package httpx

import (
	"log/slog"
	"mime"
	"net/http"
	"strings"
)

// DefaultMaxBody bounds a request body where no route says otherwise: the
// console's forms (a reply is at most a few KB of text).
const DefaultMaxBody = 64 << 10

// BodyLimit is a door's body limit, by path prefix. Refuse answers a refused
// body in the door's own format; nil answers plain text (PlainFail).
type BodyLimit struct {
	Prefix string
	Max    int64
	Refuse func(w http.ResponseWriter, r *http.Request, status int, max int64)
}

// LimitBodies bounds every request body (issue 10, item 8) and refuses
// multipart bodies, which no route takes: Go's form parsing writes the files
// of a multipart body to the temporary directory, so an unauthenticated POST
// to /console/login could fill the disk. A body declared too large is
// refused before it is read; one that only turns out too large (chunked)
// fails its handler's read at the limit. The first limit whose prefix
// matches applies, else DefaultMaxBody; each handler may bound its body
// further.
func LimitBodies(log *slog.Logger, limits []BodyLimit) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			l := LimitOf(limits, r.URL.Path)
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); strings.HasPrefix(mt, "multipart/") {
				log.WarnContext(r.Context(), "multipart body refused", "path", r.URL.Path, "bytes", r.ContentLength)
				refuseBody(w, r, l, http.StatusUnsupportedMediaType)
				return
			}
			if r.ContentLength > l.Max {
				refuseBody(w, r, l, http.StatusRequestEntityTooLarge)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, l.Max)
			next.ServeHTTP(w, r)
		})
	}
}

// LimitOf is the limit of path: the first of limits whose prefix matches,
// else DefaultMaxBody with plain-text refusals.
func LimitOf(limits []BodyLimit, path string) BodyLimit {
	for _, l := range limits {
		if strings.HasPrefix(path, l.Prefix) {
			return l
		}
	}
	return BodyLimit{Max: DefaultMaxBody}
}

// refuseBody answers a refused body in the door's own format, and closes the
// connection so the unread body is not drained.
func refuseBody(w http.ResponseWriter, r *http.Request, l BodyLimit, status int) {
	w.Header().Set("Connection", "close")
	if l.Refuse != nil {
		l.Refuse(w, r, status, l.Max)
		return
	}
	if status == http.StatusUnsupportedMediaType {
		PlainFail(w, r, status, "multipart")
	} else {
		PlainFail(w, r, status, "too_large", l.Max>>10)
	}
}
