package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// mediaServers starts a CDN and an API server whose media URL redirects to it, as
// Twilio does, and a client whose APIURL is the API server.
func mediaServers(t *testing.T, cdn http.HandlerFunc) (api *httptest.Server, c *Client) {
	t.Helper()
	cdnSrv := httptest.NewServer(cdn)
	t.Cleanup(cdnSrv.Close)
	api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != testSID || pass != testToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch {
		case strings.HasSuffix(r.URL.Path, "/gone"):
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"code": 20404, "message": "The requested resource was not found", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}`))
		case strings.HasSuffix(r.URL.Path, "/loop"):
			http.Redirect(w, r, r.URL.String(), http.StatusFound)
		case strings.HasSuffix(r.URL.Path, "/busy"):
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			// Twilio answers 307 to a signed CDN URL on another host.
			http.Redirect(w, r, cdnSrv.URL+"/cdn"+r.URL.Path+"?sig=abc", http.StatusTemporaryRedirect)
		}
	}))
	t.Cleanup(api.Close)
	c, err := New(Config{AccountSID: testSID, AuthToken: testToken, From: testFrom, APIURL: api.URL})
	if err != nil {
		t.Fatal(err)
	}
	return api, c
}

// noCredentials is a CDN that fails the test if the account credentials reach it.
func noCredentials(t *testing.T, body []byte, contentType string, chunked bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if auth := r.Header.Get("Authorization"); auth != "" {
			t.Errorf("CDN received Authorization %q: credentials leaked to another host", auth)
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		if !chunked {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.Write(body[:len(body)/2])
		if chunked {
			w.(http.Flusher).Flush() // forces chunked encoding: no Content-Length
		}
		w.Write(body[len(body)/2:])
	}
}

func TestDownloadMediaRedirect(t *testing.T) {
	img := bytes.Repeat([]byte{0xff, 0xd8, 0xff, 0xe0}, 256)
	api, c := mediaServers(t, noCredentials(t, img, "image/jpeg", false))
	mediaURL := api.URL + "/2010-04-01/Accounts/" + testSID + "/Messages/MM1/Media/ME1"
	data, ct, err := c.DownloadMedia(context.Background(), mediaURL, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, img) || ct != "image/jpeg" {
		t.Errorf("got %d bytes %q", len(data), ct)
	}
}

func TestDownloadMediaForeignHostGetsNoCredentials(t *testing.T) {
	// A URL that is not on the API host (say, planted in a forged webhook) is
	// fetched without credentials.
	pdf := []byte("%PDF-1.4 receipt")
	cdn := httptest.NewServer(noCredentials(t, pdf, "", false))
	defer cdn.Close()
	_, c := mediaServers(t, noCredentials(t, nil, "", false))
	data, ct, err := c.DownloadMedia(context.Background(), cdn.URL+"/receipt", 0)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != string(pdf) || ct != "application/pdf" {
		t.Errorf("got %q %q (content type should be sniffed when absent)", data, ct)
	}
}

func TestDownloadMediaLimits(t *testing.T) {
	body := bytes.Repeat([]byte("a"), 1000)
	for _, chunked := range []bool{false, true} {
		name := "content-length"
		if chunked {
			name = "chunked"
		}
		t.Run(name, func(t *testing.T) {
			api, c := mediaServers(t, noCredentials(t, body, "application/octet-stream", chunked))
			_, _, err := c.DownloadMedia(context.Background(), api.URL+"/media", 999)
			if !errors.Is(err, ErrMediaTooLarge) || !IsPermanent(err) {
				t.Errorf("err = %v, want permanent ErrMediaTooLarge", err)
			}
			data, _, err := c.DownloadMedia(context.Background(), api.URL+"/media", 1000)
			if err != nil || len(data) != 1000 {
				t.Errorf("exact size: %d bytes, %v", len(data), err)
			}
		})
	}
}

func TestDownloadMediaErrors(t *testing.T) {
	api, c := mediaServers(t, noCredentials(t, []byte("x"), "", false))
	ctx := context.Background()
	tests := []struct {
		url       string
		permanent bool
		code      int
	}{
		{api.URL + "/gone", true, 20404},
		{api.URL + "/busy", false, 0},
		{api.URL + "/loop", false, 0},
		{"ftp://api.twilio.com/x", true, 0},
		{"/relative", true, 0},
	}
	for _, tt := range tests {
		_, _, err := c.DownloadMedia(ctx, tt.url, 0)
		if err == nil || IsPermanent(err) != tt.permanent || ErrorCode(err) != tt.code {
			t.Errorf("%s: err = %v, want permanent=%v code %d", tt.url, err, tt.permanent, tt.code)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := c.DownloadMedia(cctx, api.URL+"/media", 0); !errors.Is(err, context.Canceled) || IsPermanent(err) {
		t.Errorf("canceled: err = %v", err)
	}
}
