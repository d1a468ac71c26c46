package httpx

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"
)

// PathParam returns the path parameter name, percent-decoded. chi matches on
// the raw (escaped) path whenever the request has one, so chi.URLParam hands
// back "%2B573001234567" for a phone number an HTTP client encoded; every
// handler reads parameters through here so none has to remember. A value that
// does not decode is returned raw, for the handler to refuse as it would any
// other malformed value.
func PathParam(r *http.Request, name string) string {
	raw := chi.URLParam(r, name)
	v, err := url.PathUnescape(raw)
	if err != nil {
		return raw
	}
	return v
}
