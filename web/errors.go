package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"

	"acuerdo"
)

// This file is the one home of how errors leave the web layer: which HTTP
// status an acuerdo error code becomes, the request id every error body and
// log line carries, and the localized plain-text answer of the doors that do
// not speak JSON or HTML. Internal error text never reaches a client: it goes
// to the log under the request id the client was shown.

// errorStatus maps an error to its HTTP status and the code of the root
// package's error.go (EINTERNAL for anything that is not an *acuerdo.Error).
func errorStatus(err error) (int, string) {
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

// withRequestID gives every request an id: the proxy's X-Request-Id when it
// is sane, else a new random one. It is echoed in the X-Request-Id response
// header, in every error body and in every log line of the request.
func withRequestID(next http.Handler) http.Handler {
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

// requestID returns the id withRequestID gave the request ("" outside it).
func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}

// requestIDHandler adds the request id of a log call's context to the line,
// so a handler only has to log with r.Context().
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, rec slog.Record) error {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		rec.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// errorText is the plain-text doors' messages (webhooks, dashboard, health),
// per language; the API (api_i18n.go) and the console (console_i18n.go) have
// their own, in the same three languages.
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
		"bad_as_of":         "as_of must be an RFC 3339 time, e.g. 2026-01-31T00:00:00Z.",
		"no_export":         "No such export; try one of %s.",
		"no_pilot":          "No such experiment.",
		"no_assigned":       "This experiment has no assigned debtors yet: launch it first (acuerdo experiment launch).",
		"dash_token":        "Unauthorized: send Authorization: Bearer $ACUERDO_DASHBOARD_TOKEN, or open /dashboard?token=…",
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
		"bad_as_of":         "as_of debe ser una hora RFC 3339, p. ej. 2026-01-31T00:00:00Z.",
		"no_export":         "No existe esa exportación; prueba una de %s.",
		"no_pilot":          "No existe ese experimento.",
		"no_assigned":       "Este experimento aún no tiene deudores asignados: lánzalo primero (acuerdo experiment launch).",
		"dash_token":        "No autorizado: envía Authorization: Bearer $ACUERDO_DASHBOARD_TOKEN, o abre /dashboard?token=…",
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
		"bad_as_of":         "as_of deve ser um horário RFC 3339, p. ex. 2026-01-31T00:00:00Z.",
		"no_export":         "Essa exportação não existe; tente uma de %s.",
		"no_pilot":          "Esse experimento não existe.",
		"no_assigned":       "Este experimento ainda não tem devedores atribuídos: lance-o primeiro (acuerdo experiment launch).",
		"dash_token":        "Não autorizado: envie Authorization: Bearer $ACUERDO_DASHBOARD_TOKEN, ou abra /dashboard?token=…",
	},
}

// codeText is the plain-text message key of each acuerdo error code.
var codeText = map[string]string{
	acuerdo.EINVALID: "invalid", acuerdo.ENOTFOUND: "not_found", acuerdo.ECONFLICT: "conflict", acuerdo.EPOLICY: "conflict",
	acuerdo.EUNAUTHORIZED: "signin", acuerdo.EFORBIDDEN: "forbidden", acuerdo.ENOTIMPLEMENTED: "no_impl", acuerdo.EINTERNAL: "internal",
}

// plainFail answers a plain-text error in the client's language with the
// request id, for the doors that speak neither JSON nor HTML.
func plainFail(w http.ResponseWriter, r *http.Request, status int, key string, args ...any) {
	lang := pickLang(r)
	msg, ok := errorText[lang][key]
	if !ok {
		msg = errorText["en"][key]
	}
	if len(args) > 0 {
		msg = fmt.Sprintf(msg, args...)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "%s\nrequest id: %s\n", msg, requestID(r))
}

// plainError answers err through the mapping: its status, a localized
// message for its code, and, for an internal error, a log line (with the
// request id) holding the text the client does not see.
func (s *Server) plainError(w http.ResponseWriter, r *http.Request, what string, err error) {
	status, code := errorStatus(err)
	if status == http.StatusInternalServerError {
		s.cfg.Logger.ErrorContext(r.Context(), what, "path", r.URL.Path, "err", err)
	}
	plainFail(w, r, status, codeText[code])
}
