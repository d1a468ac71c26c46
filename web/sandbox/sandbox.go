// Package sandbox is the demo chat over the sandbox channel (acuerdo serve
// --demo): a page to pick a debtor of the demo portfolio and talk to the agent
// through the same engine intake as WhatsApp, and the Sender that "delivers"
// the replies by leaving them in the database for the page to read.
package sandbox

import (
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"context"
	"log/slog"

	"github.com/go-chi/chi/v5"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/web/internal/httpx"
	"acuerdo/whatsapp"
)

// Store is what the sandbox reads: the picker's debtors and a conversation's
// messages.
type Store interface {
	Debtors(ctx context.Context, limit int) ([]acuerdo.Debtor, error)
	Thread(ctx context.Context, channel, phone string, afterID int64, limit int) ([]acuerdo.Message, error)
}

// Engine is the intake a typed message goes through, as a WhatsApp webhook's
// does.
type Engine interface {
	Receive(ctx context.Context, channel, phone string, m acuerdo.Message, media []store.InboundMedia) (bool, error)
}

// Config is the sandbox's. Store, Engine, Clock and Logger are required.
type Config struct {
	Store  Store
	Engine Engine
	Clock  acuerdo.Clock
	Logger *slog.Logger
	// StoreTimeout bounds the durable write behind an acknowledgement.
	StoreTimeout time.Duration
}

// MaxBody is the sandbox's request-body limit: a receipt of up to 5 MB in
// base64, and the rest.
const MaxBody = maxFile*4/3 + 64<<10

type server struct{ cfg Config }

//go:embed sandbox.html
var pageFS embed.FS

var pageTmpl = template.Must(template.ParseFS(pageFS, "sandbox.html"))

// UnknownNumber is the sandbox's number outside the portfolio, to try the
// customer-service flow that discloses nothing. It is Twilio's documented
// test number, so it can be no real debtor's.
const UnknownNumber = "+15005550006"

// pickerDebtors bounds the picker: the demo portfolio has 200.
const pickerDebtors = 500

// maxText is WhatsApp's limit on one message's text.
const maxText = 4096

// Mount serves GET /sandbox, POST /sandbox/api/send and GET
// /sandbox/api/messages on r.
func Mount(r chi.Router, cfg Config) {
	s := &server{cfg: cfg}
	r.Get("/sandbox", s.page)
	r.Post("/sandbox/api/send", s.send)
	r.Get("/sandbox/api/messages", s.messages)
}

type pickerEntry struct {
	ID       string
	Name     string
	Phone    string // full, for the chat; shown masked
	Masked   string
	Locale   string
	DocLast4 string
	Selected bool
}

// page renders the picker and, for the chosen debtor, the chat. Everything
// the debtor or the agent wrote is inserted by html/template or, in the page's
// script, as textContent: never as markup.
func (s *server) page(w http.ResponseWriter, r *http.Request) {
	lang := httpx.PickLang(r)
	debtors, err := s.cfg.Store.Debtors(r.Context(), pickerDebtors)
	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "sandbox: list debtors", "err", err)
		httpx.PlainFail(w, r, http.StatusServiceUnavailable, "db_down")
		return
	}
	sel := r.URL.Query().Get("debtor")
	entries := make([]pickerEntry, 0, len(debtors)+1)
	entries = append(entries, pickerEntry{ID: "unknown", Name: pageText[lang]["unknown"], Phone: UnknownNumber,
		Masked: httpx.MaskPhone(UnknownNumber), Selected: sel == "unknown"})
	var chosen *pickerEntry
	for _, d := range debtors {
		id := strconv.FormatInt(d.ID, 10)
		entries = append(entries, pickerEntry{ID: id, Name: d.Name, Phone: d.Phone, Masked: httpx.MaskPhone(d.Phone),
			Locale: d.Locale, DocLast4: lastDigits(d.DocumentID, 4), Selected: sel == id})
	}
	for i := range entries {
		if entries[i].Selected {
			chosen = &entries[i]
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// Only this page's own inline script and style run, by nonce; nothing loads
	// from elsewhere, so even an escaping mistake could not run injected code.
	var nb [16]byte
	_, _ = rand.Read(nb[:])
	nonce := base64.StdEncoding.EncodeToString(nb[:])
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'nonce-"+nonce+"'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	err = pageTmpl.Execute(w, map[string]any{
		"Lang": lang, "T": pageText[lang], "Langs": httpx.Langs, "Debtors": entries, "Chosen": chosen,
		"HasDebtors": len(debtors) > 0, "Nonce": nonce,
	})
	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "sandbox: render", "err", err)
	}
}

type sendRequest struct {
	Phone string `json:"phone"`
	Text  string `json:"text"`
	// Attachment is a receipt as WhatsApp would bring it: an image or a PDF.
	Attachment *attachment `json:"attachment,omitempty"`
}

type attachment struct {
	Name string `json:"name"`
	Data []byte `json:"data"` // base64 in the JSON
}

// maxFile is WhatsApp's limit for an image (5 MB); documents may be
// larger there, but a receipt is not.
const maxFile = 5 << 20

// mediaType is the attachment's type from its bytes, not from what the
// browser claims: a receipt is an image or a PDF, nothing else.
func mediaType(data []byte) (string, bool) {
	ct := http.DetectContentType(data)
	switch ct {
	case "image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf":
		return ct, true
	}
	return ct, false
}

// send takes a message typed in the sandbox through the same intake as a
// WhatsApp webhook: engine.Receive, on the sandbox channel, with a fresh
// provider id. Requiring a JSON body keeps other sites' forms from posting here.
func (s *server) send(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		jsonError(w, http.StatusUnsupportedMediaType, "send JSON: {\"phone\": \"+57…\", \"text\": \"hola\"}")
		return
	}
	var req sendRequest
	// Room for a 5 MB file in base64 (4/3) and the rest.
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody)).Decode(&req); err != nil {
		jsonError(w, http.StatusBadRequest, "invalid JSON, or an attachment over 5 MB")
		return
	}
	phone, err := whatsapp.E164(req.Phone)
	if err != nil {
		jsonError(w, http.StatusBadRequest, "phone must be E.164, e.g. +573001234567")
		return
	}
	text := strings.TrimSpace(strings.ToValidUTF8(req.Text, "\uFFFD"))
	var media []store.InboundMedia
	if a := req.Attachment; a != nil {
		if len(a.Data) == 0 || len(a.Data) > maxFile {
			jsonError(w, http.StatusBadRequest, "the attachment must have 1 byte to 5 MB")
			return
		}
		ct, ok := mediaType(a.Data)
		if !ok {
			jsonError(w, http.StatusUnsupportedMediaType, "attach a receipt as an image (JPEG, PNG, WebP, GIF) or a PDF; this file is "+ct)
			return
		}
		media = []store.InboundMedia{{ContentType: ct, Data: a.Data}}
	}
	if (text == "" && media == nil) || utf8.RuneCountInString(text) > maxText {
		jsonError(w, http.StatusBadRequest, "text must have 1 to 4096 characters (or attach a file)")
		return
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	id := "SBX" + hex.EncodeToString(b[:])
	for i := range media {
		media[i].URL = fmt.Sprintf("sandbox:%s/%d", id, i)
	}
	ctx, cancel := httpx.StoreCtx(r, s.cfg.StoreTimeout)
	defer cancel()
	if _, err := s.cfg.Engine.Receive(ctx, acuerdo.ChannelSandbox, phone, acuerdo.Message{ProviderID: id, Body: text, CreatedAt: s.cfg.Clock()}, media); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "sandbox: store message", "err", err)
		jsonError(w, http.StatusInternalServerError, "could not store the message")
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"ok": true, "id": id})
}

type message struct {
	ID        int64     `json:"id"`
	Direction string    `json:"direction"`
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// messages returns the conversation after a message id. Replies still
// queued (the outbox has not "delivered" them) end the list, so the page never
// shows a message before the one the engine sends first, and its cursor never
// skips one.
func (s *server) messages(w http.ResponseWriter, r *http.Request) {
	phone, err := whatsapp.E164(r.URL.Query().Get("phone"))
	if err != nil {
		jsonError(w, http.StatusBadRequest, "phone must be E.164, e.g. +573001234567")
		return
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	msgs, err := s.cfg.Store.Thread(r.Context(), acuerdo.ChannelSandbox, phone, after, 200)
	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "sandbox: read messages", "err", err)
		jsonError(w, http.StatusServiceUnavailable, "database unavailable")
		return
	}
	out := make([]message, 0, len(msgs))
	for _, m := range msgs {
		if m.Direction == acuerdo.Outbound && m.Status == acuerdo.MessageQueued {
			break
		}
		out = append(out, message{ID: m.ID, Direction: m.Direction, Author: m.Author, Body: m.Body, Status: m.Status, CreatedAt: m.CreatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// lastDigits returns the last n digits of s, or "" when it has fewer: the hint
// the sandbox shows so the tester can pass the identity check.
func lastDigits(s string, n int) string {
	var d []byte
	for i := len(s) - 1; i >= 0 && len(d) < n; i-- {
		if '0' <= s[i] && s[i] <= '9' {
			d = append([]byte{s[i]}, d...)
		}
	}
	if len(d) < n {
		return ""
	}
	return string(d)
}
