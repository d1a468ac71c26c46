package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/whatsapp"
)

// repoRoot is where the Dockerfile and deploy/ live, seen from this package.
const repoRoot = "../.."

func TestHealthURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/healthz",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/healthz",
		"[::]:8080":      "http://127.0.0.1:8080/healthz",
		"10.0.0.5:8080":  "http://10.0.0.5:8080/healthz",
		"localhost:8081": "http://localhost:8081/healthz",
	} {
		if got, err := healthURL(addr); err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	for _, bad := range []string{"8080", "host:", ""} {
		if got, err := healthURL(bad); err == nil {
			t.Errorf("healthURL(%q) = %q, want an error", bad, got)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	db := filepath.Join(t.TempDir(), "h.db")
	s := startServe(t, serveEnv(t, newFakeTwilio(t)), db)
	u, _ := url.Parse(s.url)

	if code, out, errOut := runCLI(t, "healthcheck", "--addr", u.Host); code != 0 || !strings.Contains(out, "healthy: http://"+u.Host+"/healthz") {
		t.Errorf("healthcheck of a running server: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "healthcheck", "--url", s.url+"/healthz"); code != 0 {
		t.Errorf("healthcheck --url: %d %q", code, errOut)
	}

	// A port nobody listens on: unhealthy, exit 1, saying where it looked.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if code, _, errOut := runCLI(t, "healthcheck", "--addr", closed, "--timeout", "3s"); code != 1 || !strings.Contains(errOut, "unhealthy: http://"+closed+"/healthz") {
		t.Errorf("healthcheck of nothing: %d %q", code, errOut)
	}
	// A server whose database is gone answers 503: unhealthy too.
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
	}))
	defer sick.Close()
	if code, _, errOut := runCLI(t, "healthcheck", "--url", sick.URL+"/healthz"); code != 1 || !strings.Contains(errOut, "503 Service Unavailable: database unavailable") {
		t.Errorf("healthcheck of a 503: %d %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "healthcheck", "--url", "ftp://x"); code != 2 || !strings.Contains(errOut, "want an http:// or https:// URL") {
		t.Errorf("healthcheck --url ftp://x: %d %q", code, errOut)
	}
}

// dashboardMetric finds the series names a PromQL expression reads.
var dashboardMetric = regexp.MustCompile(`\b((?:acuerdo|go|process)_[a-z0-9_]+)\b`)

// dashboardMetrics returns every metric name the Grafana dashboard's queries
// use, with a histogram's _bucket, _sum and _count folded into its family.
func dashboardMetrics(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "deploy/grafana/dashboards/acuerdo.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	if dash.UID == "" {
		t.Error("dashboard has no uid: provisioning would duplicate it")
	}
	seen := map[string]bool{}
	for _, p := range dash.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			names := dashboardMetric.FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: query %q reads no acuerdo metric", p.Title, tg.Expr)
			}
			for _, n := range names {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if strings.HasSuffix(n, "_seconds"+suffix) {
						n = strings.TrimSuffix(n, suffix)
					}
				}
				seen[n] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// scrapedFamilies reads the metric families a /metrics page declares.
func scrapedFamilies(body string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			out[f[2]] = true
		}
	}
	return out
}

// TestDashboardMetricsExist runs the service as shipped (Twilio fake, an event
// webhook receiver), drives enough traffic that every labelled series has a
// child (a counter vector shows on /metrics only once it has one), and checks
// both ways: every metric the Grafana dashboard queries is one the binary
// exports, and every acuerdo_* metric it exports has a chart.
func TestDashboardMetricsExist(t *testing.T) {
	f := newFakeTwilio(t)
	var events atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		events.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	db := filepath.Join(t.TempDir(), "m.db")
	importDebtors(t, db, "CR-1,3001234567,Ana Pérez,1020304050\nCR-2,3001234568,Luis Gómez,79876543\nCR-3,3001234569,Marta Ruiz,52345678\n")
	vars := serveEnv(t, f)
	vars["ACUERDO_WEBHOOK_URLS"] = receiver.URL
	vars["ACUERDO_WEBHOOK_SECRET"] = "a-shared-secret-of-some-length"
	s := startServe(t, vars, db)

	// A conversation: greeting, a wrong document (a refused tool call), the
	// right one, then BAJA (an opt-out, which is an event for the webhook).
	for i, body := range []string{"hola", "0000", "4050", "BAJA"} {
		n := len(f.to(ana))
		if c := s.post(t, whatsapp.InboundPath, inbound("SMf00000000000000000000000000000"+string(rune('1'+i)), ana, body)); c != http.StatusOK {
			t.Fatalf("inbound %q: %d", body, c)
		}
		s.waitFor(t, "a reply to "+body, func() bool { return len(f.to(ana)) > n })
	}
	// A delivery status and a forged request.
	if c := s.post(t, whatsapp.StatusPath, url.Values{"MessageSid": {f.to(ana)[0].SID}, "MessageStatus": {"delivered"}, "AccountSid": {fakeSID}}); c != http.StatusOK {
		t.Fatalf("status callback: %d", c)
	}
	req, _ := http.NewRequest(http.MethodPost, s.url+whatsapp.InboundPath, strings.NewReader("From=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	// A message to Marta, who never wrote, under a template the server has
	// no approved ContentSid for: outside the 24-hour window it is held.
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := st.Conversation(context.Background(), acuerdo.ChannelWhatsApp, marta)
	if err == nil {
		err = st.Enqueue(context.Background(), conv.ID, []store.Outgoing{{Body: "Hola Marta", Author: acuerdo.AuthorOperator, Template: "reminder"}})
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "the opt-out event delivered", func() bool { return events.Load() > 0 })

	want := dashboardMetrics(t)
	var scraped map[string]bool
	// The held message and the webhook's counters land asynchronously.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		scraped = scrapedFamilies(get(t, s.url+"/metrics"))
		var missing []string
		for _, n := range want {
			if !scraped[n] {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dashboard queries metrics the binary does not export (or this traffic did not produce): %s", strings.Join(missing, ", "))
		}
	}
	charted := map[string]bool{}
	for _, n := range want {
		charted[n] = true
	}
	for n := range scraped {
		// Process metrics beyond memory, CPU and open files are standard
		// and left to the operator's own dashboards.
		if strings.HasPrefix(n, "acuerdo_") && !strings.HasPrefix(n, "acuerdo_process_") && !charted[n] {
			t.Errorf("/metrics exports %s but the dashboard does not chart it", n)
		}
	}
	t.Logf("dashboard charts %d metrics: %s", len(want), strings.Join(want, " "))
}

// TestDockerImage builds the Dockerfile and runs the image: the binary starts
// in an empty (FROM scratch) image and its HEALTHCHECK turns healthy.
func TestDockerImage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: building an image takes minutes")
	}
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker is not installed: the Dockerfile is not built by this run")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, docker, "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		t.Skipf("no Docker daemon reachable (%v: %s): the Dockerfile is not built by this run", err, strings.TrimSpace(string(out)))
	}
	tag := "acuerdo-test:" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) + "-" + time.Now().Format("150405")
	dockerRun := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, docker, args...)
		cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	dockerRun("build", "-t", tag, repoRoot)
	t.Cleanup(func() { _ = exec.Command(docker, "rmi", "-f", tag).Run() })

	if out := dockerRun("run", "--rm", tag, "--help"); !strings.Contains(out, "healthcheck") {
		t.Errorf("acuerdo --help in the image:\n%s", out)
	}
	id := dockerRun("run", "-d", "--health-interval", "2s", "--health-start-period", "60s", tag, "serve", "--addr", ":8080", "--demo")
	t.Cleanup(func() { _ = exec.Command(docker, "rm", "-f", id).Run() })
	deadline := time.Now().Add(3 * time.Minute)
	for {
		status := dockerRun("inspect", "-f", "{{.State.Health.Status}}", id)
		if status == "healthy" {
			break
		}
		if time.Now().After(deadline) || status == "unhealthy" {
			logs, _ := exec.Command(docker, "logs", id).CombinedOutput()
			t.Fatalf("container health %q; logs:\n%s", status, logs)
		}
		time.Sleep(2 * time.Second)
	}
	// SIGTERM drains and exits 0 well inside the grace period the unit and
	// compose file give it.
	dockerRun("stop", "-t", "60", id)
	if code := dockerRun("inspect", "-f", "{{.State.ExitCode}}", id); code != "0" {
		logs, _ := exec.Command(docker, "logs", id).CombinedOutput()
		t.Errorf("exit code after docker stop = %s; logs:\n%s", code, logs)
	}
}
