// Package api is the creditor's core-system API, /api/v1 (API-key auth):
// portfolio and payment batches, consents, erasure, reads per debtor, and the
// event log with redelivery. openapi.json is its contract.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"acuerdo"
	"acuerdo/phone"
	"acuerdo/store"
	"acuerdo/web/internal/httpx"
)

// openAPIDoc is the contract of /api/v1, served as is and checked against the
// handlers by the tests.
//
//go:embed openapi.json
var openAPIDoc []byte

// API error codes, stable and listed in openapi.json: the creditor's code
// branches on them, so a code is never renamed.
const (
	codeUnauthorized = "unauthorized"
	codeKeyRevoked   = "key_revoked"
	codeForbidden    = "forbidden"
	codeInvalid      = "invalid"
	codeInvalidItems = "invalid_items"
	codeNotFound     = "not_found"
	codeConflict     = "conflict"
	codeTooLarge     = "payload_too_large"
	codeMediaType    = "unsupported_media_type"
	codeMethod       = "method_not_allowed"
	codeInternal     = "internal"
)

const (
	// MaxBody and apiMaxItems bound one request: a core system sends its
	// portfolio in many batches, not one huge body held in memory.
	MaxBody     = 8 << 20
	apiMaxItems = 1000
)

// Store is what the API reads and writes.
type Store interface {
	APIKeyByKey(ctx context.Context, key string) (store.APIKey, error)
	TouchAPIKey(ctx context.Context, id int64) error
	AppendAudit(ctx context.Context, entries ...acuerdo.AuditEntry) error
	BeginPortfolioImport(ctx context.Context) (*store.PortfolioImport, error)
	BeginPaymentImport(ctx context.Context, source string) (*store.PaymentImport, error)
	DebtorByID(ctx context.Context, id int64) (acuerdo.Debtor, error)
	DebtorByPhone(ctx context.Context, phone string) (acuerdo.Debtor, error)
	Erase(ctx context.Context, phone string, audit ...acuerdo.AuditEntry) (store.Erased, error)
	EventDeliveries(ctx context.Context, f store.EventFilter) ([]store.EventDelivery, error)
	ExportDebtor(ctx context.Context, debtorID int64) (store.DebtorExport, error)
	RecordConsent(ctx context.Context, debtorID int64, r store.ConsentRecord, audit ...acuerdo.AuditEntry) (acuerdo.Consent, error)
	RedeliverEvent(ctx context.Context, eventID string, audit ...acuerdo.AuditEntry) error
}

// Config is the API's. Store, Clock and Logger are required.
type Config struct {
	Store  Store
	Clock  acuerdo.Clock
	Logger *slog.Logger
	// Events is kicked after the API records something that emits webhook
	// events (the hooks sender), so they go out now; may be nil.
	Events interface{ Kick() }
}

type server struct{ cfg Config }

// apiCtxKey keys the authenticated API key in a request's context.
type apiCtxKey string

const apiKeyContextKey = apiCtxKey("key")

// itemError is one rejected item of a batch: where and what to do.
type itemError struct {
	Index   int    `json:"index"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

type apiErrorBody struct {
	Code      string      `json:"code"`
	Message   string      `json:"message"`
	Items     []itemError `json:"items,omitempty"`
	RequestID string      `json:"request_id,omitempty"`
}

// Mount serves /api/v1 on r.
func Mount(r chi.Router, cfg Config) {
	s := &server{cfg: cfg}
	r.Route("/api/v1", func(r chi.Router) {
		r.NotFound(func(w http.ResponseWriter, r *http.Request) {
			apiFail(w, r, http.StatusNotFound, codeNotFound, "no_route")
		})
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
			apiFail(w, r, http.StatusMethodNotAllowed, codeMethod, "method")
		})
		r.Get("/openapi.json", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-cache")
			_, _ = w.Write(openAPIDoc)
		})
		r.Group(func(r chi.Router) {
			r.Use(s.apiAuth(store.ScopeRead))
			r.Get("/debtors/{ref}", s.apiDebtor)
			r.Get("/debtors/{ref}/promises", s.apiPromises)
			r.Get("/debtors/{ref}/plans", s.apiPlans)
			r.Get("/debtors/{ref}/cases", s.apiCases)
			r.Get("/debtors/{ref}/outcomes", s.apiOutcomes)
			r.Get("/debtors/{ref}/export", s.apiExport)
			r.Get("/events", s.apiEvents)
		})
		r.Group(func(r chi.Router) {
			r.Use(s.apiAuth(store.ScopeWrite))
			r.Post("/debtors", s.apiUpsertDebtors)
			r.Post("/payments", s.apiPostPayments)
			r.Post("/debtors/{ref}/consents", s.apiPostConsent)
			r.Delete("/debtors/{ref}", s.apiErase)
			r.Post("/events/{id}/redeliver", s.apiRedeliver)
		})
	})
}

// apiAuth lets through requests whose Bearer key is known, not revoked and of
// a scope that covers need.
func (s *server) apiAuth(need string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The scheme is case-insensitive (RFC 7235); the key is not.
			scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
			ok = ok && strings.EqualFold(scheme, "Bearer")
			tok = strings.TrimSpace(tok)
			if !ok || tok == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="acuerdo api"`)
				apiFail(w, r, http.StatusUnauthorized, codeUnauthorized, "no_key")
				return
			}
			k, err := s.cfg.Store.APIKeyByKey(r.Context(), tok)
			switch {
			case acuerdo.ErrorCode(err) == acuerdo.EUNAUTHORIZED:
				w.Header().Set("WWW-Authenticate", `Bearer realm="acuerdo api", error="invalid_token"`)
				apiFail(w, r, http.StatusUnauthorized, codeUnauthorized, "unknown_key")
				return
			case err != nil:
				s.apiInternal(w, r, "authenticate", err)
				return
			case k.RevokedAt != nil:
				w.Header().Set("WWW-Authenticate", `Bearer realm="acuerdo api", error="invalid_token"`)
				apiFail(w, r, http.StatusUnauthorized, codeKeyRevoked, "revoked")
				return
			case !k.Allows(need):
				apiFail(w, r, http.StatusForbidden, codeForbidden, "read_only")
				return
			}
			if err := s.cfg.Store.TouchAPIKey(r.Context(), k.ID); err != nil {
				s.cfg.Logger.WarnContext(r.Context(), "api: record key use", "key", k.Prefix, "err", err)
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), apiKeyContextKey, k)))
		})
	}
}

// apiKeyOf returns the key that authenticated the request.
func apiKeyOf(r *http.Request) store.APIKey {
	k, _ := r.Context().Value(apiKeyContextKey).(store.APIKey)
	return k
}

// apiAudit is the audit line of a change made through the API; it names the
// key, never the data.
func apiAudit(r *http.Request, name, detail string) acuerdo.AuditEntry {
	k := apiKeyOf(r)
	return acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: name, Outcome: acuerdo.Allowed, Rule: "api_key",
		Detail: strings.TrimSpace("key " + strconv.FormatInt(k.ID, 10) + " (" + k.Prefix + ") " + detail)}
}

func apiJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// apiFail answers with a translated message from apiText.
func apiFail(w http.ResponseWriter, r *http.Request, status int, code, msgKey string, args ...any) {
	apiJSON(w, status, map[string]any{"error": apiErrorBody{Code: code, Message: apiMsg(r, msgKey, args...), RequestID: httpx.RequestID(r)}})
}

// apiFailMsg answers with a message that is already written, such as a
// validation message of the store.
func apiFailMsg(w http.ResponseWriter, r *http.Request, status int, code, msg string, items []itemError) {
	apiJSON(w, status, map[string]any{"error": apiErrorBody{Code: code, Message: msg, Items: items, RequestID: httpx.RequestID(r)}})
}

func (s *server) apiInternal(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.cfg.Logger.ErrorContext(r.Context(), "api: "+what, "path", r.URL.Path, "err", err)
	apiFail(w, r, http.StatusInternalServerError, codeInternal, "internal")
}

// apiStoreError answers an error of the store through the one mapping
// (httpx.ErrorStatus), with the API's stable code for it.
func (s *server) apiStoreError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client left
	}
	status, code := httpx.ErrorStatus(err)
	apiCode, ok := apiCodes[code]
	if !ok || status == http.StatusInternalServerError {
		s.apiInternal(w, r, what, err)
		return
	}
	apiFailMsg(w, r, status, apiCode, acuerdo.ErrorMessage(err), nil)
}

// apiCodes are the API's stable codes (openapi.json) for acuerdo's error
// codes that reach it.
var apiCodes = map[string]string{
	acuerdo.EINVALID: codeInvalid, acuerdo.ENOTFOUND: codeNotFound, acuerdo.ECONFLICT: codeConflict, acuerdo.EPOLICY: codeConflict,
	acuerdo.EUNAUTHORIZED: codeUnauthorized, acuerdo.EFORBIDDEN: codeForbidden,
}

// decodeBody reads a JSON request body of at most MaxBody bytes into v,
// answering the error itself when it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		apiFail(w, r, http.StatusUnsupportedMediaType, codeMediaType, "media_type")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			apiFail(w, r, http.StatusRequestEntityTooLarge, codeTooLarge, "too_large", MaxBody>>20)
			return false
		}
		apiFail(w, r, http.StatusBadRequest, codeInvalid, "bad_json", err.Error())
		return false
	}
	if dec.More() {
		apiFail(w, r, http.StatusBadRequest, codeInvalid, "bad_json", "more than one JSON value")
		return false
	}
	return true
}

// apiDebtorRef finds the debtor a path's {ref} names: a phone number in E.164
// (+573001234567) or acuerdo's numeric debtor id.
func (s *server) apiDebtorRef(w http.ResponseWriter, r *http.Request) (acuerdo.Debtor, bool) {
	ref := httpx.PathParam(r, "ref")
	var d acuerdo.Debtor
	var err error
	switch {
	case strings.HasPrefix(ref, "+"):
		n, perr := phone.Normalize(ref, "")
		if perr != nil {
			apiFail(w, r, http.StatusBadRequest, codeInvalid, "bad_ref", ref)
			return d, false
		}
		d, err = s.cfg.Store.DebtorByPhone(r.Context(), n.E164)
	default:
		id, perr := strconv.ParseInt(ref, 10, 64)
		if perr != nil || id <= 0 {
			apiFail(w, r, http.StatusBadRequest, codeInvalid, "bad_ref", ref)
			return d, false
		}
		d, err = s.cfg.Store.DebtorByID(r.Context(), id)
	}
	if acuerdo.ErrorCode(err) == acuerdo.ENOTFOUND {
		apiFail(w, r, http.StatusNotFound, codeNotFound, "no_debtor", ref)
		return d, false
	} else if err != nil {
		s.apiInternal(w, r, "find debtor", err)
		return d, false
	}
	if strings.HasPrefix(d.Phone, "erased:") {
		apiFail(w, r, http.StatusNotFound, codeNotFound, "no_debtor", ref)
		return d, false
	}
	return d, true
}

// apiTime renders an instant as the API does: RFC 3339 in UTC.
func apiTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func apiTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return apiTime(*t)
}

// RefuseBody answers, in the API's JSON, a body the assembler's limits
// refused (httpx.BodyLimit.Refuse).
func RefuseBody(w http.ResponseWriter, r *http.Request, status int, max int64) {
	if status == http.StatusUnsupportedMediaType {
		apiFail(w, r, status, codeMediaType, "media_type")
	} else {
		apiFail(w, r, status, codeTooLarge, "too_large", max>>20)
	}
}
