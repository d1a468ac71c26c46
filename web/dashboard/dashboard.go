// Package dashboard is the analysts' read-only view of pilots (/dashboard):
// each experiment's report (pilot.Build) as a page with charts, and its tables
// as CSV downloads.
package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"acuerdo"
	"acuerdo/pilot"
	"acuerdo/store"
	"acuerdo/web/internal/httpx"
)

//go:embed dashboard.html
var dashboardFS embed.FS

var dashboardPage = template.Must(template.ParseFS(dashboardFS, "dashboard.html"))

// dashboardCookie carries a hash of the token, not the token, so that the
// cookie store never holds the secret itself.
const dashboardCookie = "acuerdo_dashboard"

// Store is what the dashboard reads: the experiments, and each one's report
// data (pilot.Source).
type Store interface {
	Experiments(ctx context.Context) ([]store.ExperimentInfo, error)
	pilot.Source
}

// Config is the dashboard's. Store, Clock and Logger are required.
type Config struct {
	Store  Store
	Clock  acuerdo.Clock
	Logger *slog.Logger
	// Token is the read-only token (Bearer, or ?token= which sets a cookie);
	// empty lets anyone in, so cmd only mounts the dashboard without one in
	// --demo.
	Token string
	// Resamples is the bootstrap's per report (default
	// experiments.DefaultBootstrap); tests make it small.
	Resamples int
	// Prices are the template and operator rates (ACUERDO_PRICES); nil is
	// pilot's built-in table.
	Prices *pilot.Prices
	// SignedIn, when set, lets a request in that it accepts: analysts may
	// also sign in through the operator console, which provides it.
	SignedIn func(*http.Request) bool
}

type server struct{ cfg Config }

// Mount serves GET /dashboard, /dashboard/{name} and
// /dashboard/{name}/export/{table}.csv on r, behind the token.
func Mount(r chi.Router, cfg Config) {
	s := &server{cfg: cfg}
	r.Group(func(r chi.Router) {
		r.Use(s.auth)
		r.Get("/dashboard", s.list)
		r.Get("/dashboard/{name}", s.experiment)
		r.Get("/dashboard/{name}/export/{table}.csv", s.export)
	})
}

// auth lets a request through with the read-only token as a Bearer
// header or as the cookie ?token= set. The token in a URL is swapped for the
// cookie at once and the browser sent back to the URL without it, so that it
// does not linger in history, logs or Referer headers. With no token
// configured everything passes: cmd only mounts the dashboard so in --demo.
func (s *server) auth(next http.Handler) http.Handler {
	want := s.cfg.Token
	sum := sha256.Sum256([]byte("acuerdo-dashboard\x00" + want))
	cookie := hex.EncodeToString(sum[:])
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if want == "" {
			next.ServeHTTP(w, r)
			return
		}
		// Analysts may also sign in through the operator console.
		if s.cfg.SignedIn != nil && s.cfg.SignedIn(r) {
			next.ServeHTTP(w, r)
			return
		}
		if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && eq(strings.TrimSpace(bearer), want) {
			next.ServeHTTP(w, r)
			return
		}
		q := r.URL.Query()
		if tok := q.Get("token"); tok != "" && eq(tok, want) {
			http.SetCookie(w, &http.Cookie{Name: dashboardCookie, Value: cookie, Path: "/dashboard", HttpOnly: true,
				Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https", SameSite: http.SameSiteStrictMode, MaxAge: 12 * 3600})
			q.Del("token")
			u := *r.URL
			u.RawQuery = q.Encode()
			http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
			return
		}
		if c, err := r.Cookie(dashboardCookie); err == nil && eq(c.Value, cookie) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="acuerdo dashboard"`)
		fail(w, r, http.StatusUnauthorized, "dash_token")
	})
}

// pageHeaders are the sandbox's: only this page's nonce'd style runs, nothing
// loads from elsewhere. The dashboard has no script at all.
func pageHeaders(w http.ResponseWriter) string {
	var nb [16]byte
	_, _ = rand.Read(nb[:])
	nonce := base64.StdEncoding.EncodeToString(nb[:])
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	return nonce
}

type listEntry struct {
	Name, Created, Currency string
	Horizon, Debtors        int
	Running                 bool
}

func (s *server) list(w http.ResponseWriter, r *http.Request) {
	lang := httpx.PickLang(r)
	xs, err := s.cfg.Store.Experiments(r.Context())
	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "dashboard: list experiments", "err", err)
		httpx.PlainFail(w, r, http.StatusServiceUnavailable, "db_down")
		return
	}
	now := s.cfg.Clock()
	entries := make([]listEntry, 0, len(xs))
	for _, x := range xs {
		n := 0
		for _, c := range x.Counts {
			n += c
		}
		entries = append(entries, listEntry{Name: x.Name, Created: x.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), Currency: x.Currency,
			Horizon: x.HorizonDays, Debtors: n, Running: x.Running(now)})
	}
	s.render(w, "list", map[string]any{"Lang": lang, "T": dashboardText[lang], "Langs": httpx.Langs, "Nonce": pageHeaders(w),
		"Experiments": entries, "Path": "/dashboard"})
}

// buildPilot computes the report the page and its exports show, as of ?as_of=
// (an RFC 3339 instant, which the page passes on to its download links so the
// files match what is on screen) or now.
func (s *server) buildPilot(w http.ResponseWriter, r *http.Request) (*pilot.Report, bool) {
	name := httpx.PathParam(r, "name")
	asOf := s.cfg.Clock().UTC().Truncate(time.Second)
	if v := r.URL.Query().Get("as_of"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			fail(w, r, http.StatusBadRequest, "bad_as_of")
			return nil, false
		}
		asOf = t.UTC()
	}
	rep, err := pilot.Build(r.Context(), s.cfg.Store, name, asOf, pilot.Options{Resamples: s.cfg.Resamples, Prices: s.cfg.Prices})
	switch {
	case acuerdo.ErrorCode(err) == acuerdo.ENOTFOUND:
		fail(w, r, http.StatusNotFound, "no_pilot")
		return nil, false
	case errors.Is(err, pilot.ErrEmpty):
		// Nothing to compute is the experiment's state, not a server fault.
		fail(w, r, http.StatusConflict, "no_assigned")
		return nil, false
	case err != nil:
		// The error's text (SQL, paths) stays in the log, under the request
		// id the analyst is shown.
		httpx.PlainError(s.cfg.Logger, w, r, "dashboard: build report "+name, err)
		return nil, false
	}
	return rep, true
}

func (s *server) export(w http.ResponseWriter, r *http.Request) {
	table := httpx.PathParam(r, "table")
	if !slices.Contains(pilot.Tables, table) {
		fail(w, r, http.StatusNotFound, "no_export", strings.Join(pilot.Tables, ", "))
		return
	}
	rep, ok := s.buildPilot(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.csv"`, safeFile(rep.Data.Name), table))
	if err := rep.WriteTable(w, table); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "dashboard: export", "table", table, "err", err)
	}
}

// safeFile keeps a download's name to characters every file system accepts.
func safeFile(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r == '-' || r == '_' || r == '.' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return r
		}
		return '_'
	}, s)
}

func (s *server) render(w http.ResponseWriter, name string, data map[string]any) {
	if err := dashboardPage.ExecuteTemplate(w, name, data); err != nil {
		s.cfg.Logger.Error("dashboard: render", "page", name, "err", err)
	}
}

// fmtNum shows an estimate with four significant digits; rates and shares as
// percentages. Undefined values are a dash, never "NaN".
func fmtNum(f float64, percent bool) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "–"
	}
	if percent {
		return strconv.FormatFloat(100*f, 'f', 2, 64) + "%"
	}
	if a := math.Abs(f); a >= 1e4 || a == math.Trunc(a) {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'g', 4, 64)
}

func fmtP(p float64) string {
	if math.IsNaN(p) {
		return "–"
	}
	return strconv.FormatFloat(p, 'g', 3, 64)
}
