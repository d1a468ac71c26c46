package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

func init() {
	register(command{name: "healthcheck", summary: "ask a running server's /healthz; exit 0 when it answers ok (for container HEALTHCHECKs)", run: runHealthcheck})
}

const healthcheckAbout = `Asks a running "acuerdo serve" whether it is healthy: GET /healthz, which
answers 200 only when the server's database answers. Exits 0 when healthy and 1
otherwise, printing why. It exists for container images built FROM scratch,
which have no curl or wget:

  HEALTHCHECK CMD ["/acuerdo", "healthcheck"]

--addr is the address serve listens on (default :8080, as serve's); a host
left out or 0.0.0.0 means this machine. --url overrides it with a full URL.
--db is accepted, as by every command, and not used.`

func runHealthcheck(ctx context.Context, e *env, args []string) error {
	fs, _ := flags(e, "healthcheck", "healthcheck [--addr :8080] [--url URL] [--timeout 5s]", healthcheckAbout)
	addr := fs.String("addr", ":8080", "`address` serve listens on, host:port")
	rawURL := fs.String("url", "", "full `URL` of the health endpoint; overrides --addr")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this `duration`")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr("healthcheck takes no arguments, got %q", fs.Arg(0))
	}
	target := *rawURL
	if target == "" {
		u, err := healthURL(*addr)
		if err != nil {
			return usageErr("--addr %q: %v", *addr, err)
		}
		target = u
	} else if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErr("--url %q: want an http:// or https:// URL, e.g. http://127.0.0.1:8080/healthz", target)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return usageErr("%v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %s: %w (is acuerdo serve running on that address?)", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: %s answered %s: %s", target, resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(e.stdout, "healthy: %s\n", target)
	return nil
}

// healthURL turns a listen address (":8080", "0.0.0.0:8080", "[::]:8080",
// "10.0.0.5:8080") into the URL of its /healthz as seen from this machine.
func healthURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if port == "" {
		return "", fmt.Errorf("no port")
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
