package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
)

// unmatchedRoute labels requests no route matched (404s, scanners), so that
// made-up paths cannot grow the number of series without bound.
const unmatchedRoute = "unmatched"

// InstrumentRoutes counts the requests h (the router New returns) serves and
// times them, by route pattern (/console/cases/{id}, never the path with its
// IDs), method and status: acuerdo_http_requests_total and
// acuerdo_http_request_seconds on reg.
//
// It gives chi a routing context before the router runs, which chi then uses
// instead of a pooled one, so the matched pattern can be read once the
// request is served.
func InstrumentRoutes(reg prometheus.Registerer, h http.Handler) http.Handler {
	const ns = "acuerdo"
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "http_requests_total",
		Help: "HTTP requests served, by route pattern, method and status code."}, []string{"route", "method", "code"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "http_request_seconds",
		Help:    "Time to serve an HTTP request, by route pattern and method.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"route", "method"})
	reg.MustRegister(requests, latency)
	routes, _ := h.(chi.Routes)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rctx := chi.NewRouteContext()
		rctx.Routes = routes
		r = r.WithContext(context.WithValue(r.Context(), chi.RouteCtxKey, rctx))
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		defer func() {
			route := rctx.RoutePattern()
			if route == "" {
				route = unmatchedRoute
			}
			method := r.Method
			switch method {
			case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
			default:
				method = "other" // like unmatched paths, invented methods are one series
			}
			code := ww.Status()
			if code == 0 {
				code = http.StatusOK // nothing written: net/http answers 200
			}
			requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
			latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		}()
		h.ServeHTTP(ww, r)
	})
}
