package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// DefaultMaxMedia bounds DownloadMedia when maxBytes is not positive: WhatsApp's
// largest media (video, documents) are around 16 MB, and a payment receipt is far
// smaller.
const DefaultMaxMedia int64 = 16 << 20

// maxRedirects bounds the redirect chain of a media download; Twilio uses one hop.
const maxRedirects = 5

// ErrMediaTooLarge is wrapped by DownloadMedia's error when the media exceeds
// maxBytes.
var ErrMediaTooLarge = errors.New("media larger than the allowed size")

// DownloadMedia fetches an inbound attachment (Media.URL) and returns its bytes and
// content type. Twilio media URLs live on the REST API and, when the account
// enforces HTTP auth on media, need the account's credentials; they answer with a
// redirect to a CDN. The credentials are therefore sent only to the API host
// (APIURL's scheme and host) and are dropped on any redirect that leaves it, so
// neither a CDN nor a URL planted in a webhook ever sees the auth token.
//
// Errors are *SendError: a 404 or a too-large file is permanent, 5xx and network
// failures are not. One attempt; no retries.
func (c *Client) DownloadMedia(ctx context.Context, mediaURL string, maxBytes int64) (data []byte, contentType string, err error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxMedia
	}
	u, err := url.Parse(mediaURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, "", &SendError{Permanent: true, Message: "media URL is not an absolute http(s) URL"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", &SendError{Permanent: true, Message: "build media request", Err: err}
	}
	if c.sameOrigin(u) {
		req.SetBasicAuth(c.cfg.AccountSID, c.cfg.AuthToken)
	}

	hc := *c.http // shallow copy: same Transport and Timeout, our redirect policy
	hc.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		// net/http already drops Authorization when the host name changes, but
		// not when only the port or the scheme does; this check covers both and
		// compares with the API origin, not just the previous hop.
		if !c.sameOrigin(next.URL) {
			next.Header.Del("Authorization")
		}
		return nil
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, "", &SendError{Message: "media download abandoned", Err: ctxErr}
		}
		return nil, "", &SendError{Message: "media download failed", Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		se := errorFromResponse(resp.StatusCode, resp.Header, b)
		se.Message = "media download: " + se.Message
		return nil, "", se
	}
	if resp.ContentLength > maxBytes {
		return nil, "", tooLarge(maxBytes)
	}
	data, err = io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, "", &SendError{Status: resp.StatusCode, Message: "media download interrupted", Err: err}
	}
	if int64(len(data)) > maxBytes {
		return nil, "", tooLarge(maxBytes)
	}
	contentType = resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		contentType = mt
	} else {
		contentType = http.DetectContentType(data)
		if mt, _, err := mime.ParseMediaType(contentType); err == nil {
			contentType = mt
		}
	}
	return data, contentType, nil
}

func tooLarge(max int64) *SendError {
	return &SendError{Permanent: true, Message: fmt.Sprintf("media exceeds %d bytes", max), Err: ErrMediaTooLarge}
}

// sameOrigin reports whether u has the API's scheme and host (port included).
func (c *Client) sameOrigin(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, c.api.Scheme) && strings.EqualFold(u.Host, c.api.Host)
}
