package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	twclient "github.com/twilio/twilio-go/client"
	twapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// Sent is Twilio's answer to an accepted message: its SID (the key status callbacks
// refer to) and its first status, usually "queued" ("accepted" with a messaging
// service).
type Sent struct {
	SID    string
	Status string
}

// SendText sends free-form text to a WhatsApp number ("+E164" or "whatsapp:+E164").
// Twilio accepts it only inside the 24-hour window (see WindowOpen); outside it the
// error is permanent with Code CodeOutsideWindow. One attempt; see SendError.
func (c *Client) SendText(ctx context.Context, to, body string) (Sent, error) {
	if strings.TrimSpace(body) == "" {
		return Sent{}, &SendError{Permanent: true, Message: "empty message body"}
	}
	params := &twapi.CreateMessageParams{}
	params.SetBody(body)
	return c.create(ctx, to, params)
}

var contentSID = regexp.MustCompile(`^HX[0-9a-fA-F]{32}$`)

// SendTemplate sends an approved WhatsApp template by its Content SID ("HX…") with
// its placeholder values, e.g. {"1": "Ana", "2": "15 de marzo"}. It sends
// ContentSid and ContentVariables and never Body: since April 2025 Twilio refuses
// templates sent as Body outside the window (63016). Empty values are refused here
// because WhatsApp rejects them (63013) only after Twilio accepted the message,
// which would turn a local bug into a failed status callback much later.
func (c *Client) SendTemplate(ctx context.Context, to, contentSid string, vars map[string]string) (Sent, error) {
	if !contentSID.MatchString(contentSid) {
		return Sent{}, &SendError{Permanent: true, Message: "content SID " + quoteShort(contentSid) + " is not HX followed by 32 hex digits"}
	}
	params := &twapi.CreateMessageParams{}
	params.SetContentSid(contentSid)
	if len(vars) > 0 {
		for k, v := range vars {
			if strings.TrimSpace(v) == "" {
				return Sent{}, &SendError{Permanent: true, Message: "template variable " + quoteShort(k) + " is empty"}
			}
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false) // payment links carry '&'; keep them readable in Twilio's logs
		if err := enc.Encode(vars); err != nil {
			return Sent{}, &SendError{Permanent: true, Message: "encode template variables", Err: err}
		}
		params.SetContentVariables(strings.TrimSuffix(buf.String(), "\n"))
	}
	return c.create(ctx, to, params)
}

// create fills the fields every message shares and makes the one request.
func (c *Client) create(ctx context.Context, to string, params *twapi.CreateMessageParams) (Sent, error) {
	addr, err := Address(to)
	if err != nil {
		return Sent{}, &SendError{Permanent: true, Message: "recipient is not an E.164 phone number", Err: err}
	}
	if c.sms {
		addr = strings.TrimPrefix(addr, "whatsapp:")
	}
	params.SetTo(addr)
	params.SetFrom(c.from)
	if c.cfg.MessagingServiceSID != "" {
		params.SetMessagingServiceSid(c.cfg.MessagingServiceSID)
	}
	if c.cfg.StatusCallback != "" {
		params.SetStatusCallback(c.cfg.StatusCallback)
	}
	if err := ctx.Err(); err != nil {
		return Sent{}, &SendError{Message: "not sent", Err: err}
	}

	api, rt := c.apiService(ctx)
	msg, err := api.CreateMessage(params)
	if err != nil {
		return Sent{}, c.sendError(ctx, rt, err)
	}
	if msg == nil || msg.Sid == nil || *msg.Sid == "" {
		// Twilio said 2xx but no SID: the message may exist, so this is not
		// permanent, and a retry may duplicate it (see SendError).
		return Sent{}, &SendError{Status: rt.status, Message: "Twilio accepted the request but returned no message SID"}
	}
	s := Sent{SID: *msg.Sid}
	if msg.Status != nil {
		s.Status = *msg.Status
	}
	return s, nil
}

// apiService builds a twilio-go API service for one call. twilio-go has no base-URL
// option and creates its requests with context.Background(), so the documented
// extension point — a client.Client with our own *http.Client (twilio-go's
// advanced-examples/custom-http-client.md) — carries a per-call RoundTripper that
// points requests at APIURL and attaches ctx. Building it per call costs a few small
// structs and keeps Client free of shared mutable state.
func (c *Client) apiService(ctx context.Context) (*twapi.ApiService, *apiTransport) {
	base := c.http.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	rt := &apiTransport{base: base, target: c.api, ctx: ctx}
	tc := &twclient.Client{
		Credentials: twclient.NewCredentials(c.cfg.AccountSID, c.cfg.AuthToken),
		HTTPClient: &http.Client{
			Transport: rt,
			Timeout:   c.http.Timeout,
			// Like twilio-go's default: a redirect from the REST API is an answer,
			// not something to follow with credentials attached.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	tc.SetAccountSid(c.cfg.AccountSID)
	api := twapi.NewApiServiceWithClient(tc)
	// NewRequestHandler reads TWILIO_EDGE and TWILIO_REGION from the process
	// environment; APIURL is the one place that decides where requests go.
	api.RequestHandler().Edge = ""
	api.RequestHandler().Region = ""
	return api, rt
}

// sendError turns what twilio-go returned into a classified SendError.
func (c *Client) sendError(ctx context.Context, rt *apiTransport, err error) *SendError {
	if rt.status >= 400 {
		// Our transport kept the raw error response; parse it ourselves so that a
		// non-JSON body (a proxy's 502 page) still yields a status to classify.
		return errorFromResponse(rt.status, rt.header, rt.body)
	}
	var te *twclient.TwilioRestError
	if errors.As(err, &te) {
		// twilio-go refused before sending (credential format), or decoded an
		// error we did not capture.
		se := &SendError{Code: te.Code, Status: te.Status, Message: te.Message, MoreInfo: te.MoreInfo}
		se.Permanent = classify(se.Code, se.Status)
		return se
	}
	if rt.status == 0 {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return &SendError{Message: "request abandoned", Err: ctxErr}
		}
		return &SendError{Message: "no response from Twilio", Err: unwrapURLError(err)}
	}
	// A 2xx/3xx whose body twilio-go could not decode: the message may exist.
	return &SendError{Status: rt.status, Message: "unreadable response from Twilio", Err: err}
}

// unwrapURLError drops net/http's "Post \"https://…\":" prefix, which repeats the
// account SID in every log line, and keeps the cause (timeout, refused, reset).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// maxErrorBody bounds how much of an error response is read; Twilio's are a few
// hundred bytes, anything larger is not worth keeping.
const maxErrorBody = 64 << 10

// apiTransport rewrites twilio-go's requests from https://api.twilio.com to APIURL,
// binds them to the caller's context and remembers the response status. Error
// bodies are read here and replaced by an in-memory copy, because twilio-go never
// closes the body of an error response; reading and closing it lets the
// connection go back to the pool.
type apiTransport struct {
	base   http.RoundTripper
	target *url.URL
	ctx    context.Context

	// Written by RoundTrip, read after CreateMessage returns; one call per
	// transport, so no lock.
	status int
	header http.Header
	body   []byte
}

func (t *apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(t.ctx)
	r.URL.Scheme = t.target.Scheme
	r.URL.Host = t.target.Host
	r.URL.Path = t.target.Path + req.URL.Path
	r.URL.RawPath = ""
	r.Host = t.target.Host
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	t.status, t.header = resp.StatusCode, resp.Header
	if resp.StatusCode >= 400 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		t.body = b
		resp.Body = io.NopCloser(bytes.NewReader(b))
	}
	return resp, nil
}

// quoteShort quotes s for an error message, cut so a hostile value cannot flood logs.
func quoteShort(s string) string {
	const max = 40
	if len(s) > max {
		s = s[:max] + "…"
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}
