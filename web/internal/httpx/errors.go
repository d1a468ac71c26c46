// Package httpx is what the web doors share: the one mapping from acuerdo's
// error codes to HTTP (status, request id, localized plain-text answer), the
// request-body limits, the recoverer, path parameters and the language choice.
// It knows no door; each door (web/api, web/console, web/dashboard,
// web/sandbox, web/webhooks) imports it, and web assembles them.
package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"acuerdo"
)

// This file is the one home of how errors leave the web layer: which HTTP
// status an acuerdo error code becomes, the request id every error body and
// log line carries, and the localized plain-text answer of the doors that do
// not speak JSON or HTML. Internal error text never reaches a client: it goes
// to the log under the request id the client was shown.

// ErrorStatus maps an error to its HTTP status and the code of the root
// package's error.go (EINTERNAL for anything that is not an *acuerdo.Error).
func ErrorStatus(err error) (int, string) {
	code := acuerdo.ErrorCode(err)
	switch code {
	case acuerdo.EINVALID:
		return http.StatusUnprocessableEntity, code
	case acuerdo.ENOTFOUND:
		return http.StatusNotFound, code
	case acuerdo.ECONFLICT, acuerdo.EPOLICY:
		return http.StatusConflict, code
	case acuerdo.EUNAUTHORIZED:
		return http.StatusUnauthorized, code
	case acuerdo.EFORBIDDEN:
		return http.StatusForbidden, code
	case acuerdo.ENOTIMPLEMENTED:
		return http.StatusNotImplemented, code
	}
	return http.StatusInternalServerError, acuerdo.EINTERNAL
}

// requestIDKey keys a request's id in its context.
type requestIDKey struct{}

// validRequestID is what an incoming X-Request-Id must look like to be kept
// (a proxy's id ties its logs to ours); anything else is replaced, so a
// client cannot put arbitrary text into our logs.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// WithRequestID gives every request an id: the proxy's X-Request-Id when it
// is sane, else a new random one. It is echoed in the X-Request-Id response
// header, in every error body and in every log line of the request.
func WithRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// RequestID returns the id WithRequestID gave the request ("" outside it).
func RequestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}

// LogHandler adds the request id of a log call's context to the line,
// so a handler only has to log with r.Context().
type LogHandler struct{ slog.Handler }

func (h LogHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		rec.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h LogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return LogHandler{h.Handler.WithAttrs(as)}
}

func (h LogHandler) WithGroup(name string) slog.Handler {
	return LogHandler{h.Handler.WithGroup(name)}
}

// errorText is the plain-text doors' messages (webhooks, sandbox, dashboard,
// health), per language; the API (web/api/i18n.go), the console
// (web/console/i18n.go) and the dashboard's own refusals have their own texts,
// in the same three languages, over the same status mapping.
var errorText = map[string]map[string]string{
	"en": {
		"internal":          "Internal error. Retry later; if it persists, give the operator of acuerdo this request id.",
		"too_large":         "The request body is larger than %d KiB, more than this address accepts.",
		"multipart":         "This address does not accept file uploads (multipart/form-data). Send the form as application/x-www-form-urlencoded, or JSON where the address expects JSON.",
		"bad_form":          "The request body could not be read as a form.",
		"too_large_webhook": "The request body is larger than a webhook may be.",
		"retry":             "Could not store this now; retry.",
		"db_down":           "The database is unavailable; retry later.",
		"not_found":         "Not found.",
		"conflict":          "The request conflicts with the current state.",
		"invalid":           "The request is not valid.",
		"forbidden":         "Forbidden.",
		"signin":            "Sign in first.",
		"no_impl":           "Not available here.",
	},
	"es": {
		"internal":          "Error interno. Reintenta más tarde; si continúa, da este identificador de solicitud al operador de acuerdo.",
		"too_large":         "El cuerpo de la solicitud supera %d KiB, más de lo que acepta esta dirección.",
		"multipart":         "Esta dirección no acepta archivos (multipart/form-data). Envía el formulario como application/x-www-form-urlencoded, o JSON donde la dirección espera JSON.",
		"bad_form":          "El cuerpo de la solicitud no se pudo leer como formulario.",
		"too_large_webhook": "El cuerpo de la solicitud es más grande de lo que puede ser un webhook.",
		"retry":             "No se pudo guardar ahora; reintenta.",
		"db_down":           "La base de datos no está disponible; reintenta más tarde.",
		"not_found":         "No existe.",
		"conflict":          "La solicitud contradice el estado actual.",
		"invalid":           "La solicitud no es válida.",
		"forbidden":         "No permitido.",
		"signin":            "Inicia sesión primero.",
		"no_impl":           "No disponible aquí.",
	},
	"pt-BR": {
		"internal":          "Erro interno. Tente mais tarde; se continuar, informe este identificador de requisição ao operador do acuerdo.",
		"too_large":         "O corpo da requisição passa de %d KiB, mais do que este endereço aceita.",
		"multipart":         "Este endereço não aceita arquivos (multipart/form-data). Envie o formulário como application/x-www-form-urlencoded, ou JSON onde o endereço espera JSON.",
		"bad_form":          "O corpo da requisição não pôde ser lido como formulário.",
		"too_large_webhook": "O corpo da requisição é maior do que um webhook pode ser.",
		"retry":             "Não foi possível gravar agora; tente de novo.",
		"db_down":           "O banco de dados está indisponível; tente mais tarde.",
		"not_found":         "Não encontrado.",
		"conflict":          "A requisição contradiz o estado atual.",
		"invalid":           "A requisição não é válida.",
		"forbidden":         "Não permitido.",
		"signin":            "Entre primeiro.",
		"no_impl":           "Não disponível aqui.",
	},
}

// CodeText is the plain-text message key of each acuerdo error code.
var CodeText = map[string]string{
	acuerdo.EINVALID: "invalid", acuerdo.ENOTFOUND: "not_found", acuerdo.ECONFLICT: "conflict", acuerdo.EPOLICY: "conflict",
	acuerdo.EUNAUTHORIZED: "signin", acuerdo.EFORBIDDEN: "forbidden", acuerdo.ENOTIMPLEMENTED: "no_impl", acuerdo.EINTERNAL: "internal",
}

// PlainFail answers a plain-text error in the client's language with the
// request id, for the doors that speak neither JSON nor HTML.
func PlainFail(w http.ResponseWriter, r *http.Request, status int, key string, args ...any) {
	lang := PickLang(r)
	msg, ok := errorText[lang][key]
	if !ok {
		msg = errorText["en"][key]
	}
	if len(args) > 0 {
		msg = fmt.Sprintf(msg, args...)
	}
	PlainText(w, r, status, msg)
}

// PlainText answers msg, already in the client's language, as a plain-text
// error with the request id.
func PlainText(w http.ResponseWriter, r *http.Request, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "%s\nrequest id: %s\n", msg, RequestID(r))
}

// PlainError answers err through the mapping: its status, a localized
// message for its code, and, for an internal error, a log line (with the
// request id) holding the text the client does not see.
func PlainError(log *slog.Logger, w http.ResponseWriter, r *http.Request, what string, err error) {
	status, code := ErrorStatus(err)
	if status == http.StatusInternalServerError {
		log.ErrorContext(r.Context(), what, "path", r.URL.Path, "err", err)
	}
	PlainFail(w, r, status, CodeText[code])
}

// Recoverer turns a panic into a 500 and a log line instead of a dropped
// connection, keeping the stack out of the response.
func Recoverer(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					log.ErrorContext(r.Context(), "panic in handler", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
					PlainFail(w, r, http.StatusInternalServerError, "internal")
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// MaskPhone keeps a country prefix and the last four digits, for logs and the
// sandbox picker: "+57•••••4567".
func MaskPhone(p string) string {
	if len(p) <= 7 {
		return "•••"
	}
	head := 3
	return p[:head] + "•••••" + p[len(p)-4:]
}

// StoreCtx is the context of the durable write behind an acknowledgement. It
// does not end when the client hangs up: a write that started should finish,
// so that the retry a provider (or the sandbox page) sends finds the message
// instead of racing it.
func StoreCtx(r *http.Request, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), timeout)
}
