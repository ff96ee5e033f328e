//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/todo-chatbot/todo-chatbot/tests/cluster"
)

const (
	ingressHost      = "todo.e2e.test"
	ingressTLSSecret = "todo-chatbot-tls"
)

// ingressObservability puts the promoted prod stack behind the node's Ingress controller
// (Traefik) with a certificate from a test CA, the way a cloud cluster is reached, and checks
// what an operator relies on there: `make verify` through the Ingress, the served chain,
// plain HTTP redirected, an unknown Host answered by the controller, one request id in both
// apps' JSON log lines, and a real Prometheus scraping both apps through their Services.
func (e *env) ingressObservability(t *testing.T) {
	ctx := context.Background()
	tr, err := e.c.InstallTraefik(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := cluster.NewTestCA(t.TempDir(), "todo-e2e-ca")
	if err != nil {
		t.Fatal(err)
	}
	crt, key, err := ca.IssueServer(ingressHost)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Client.CoreV1().Secrets(prodNamespace).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: ingressTLSSecret}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{"tls.crt": crt, "tls.key": key}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The Secret is the user's, not the stack's: removed here so that destroying the stack
	// leaves the namespace as empty as the destroy step checks.
	t.Cleanup(func() {
		_ = e.c.Client.CoreV1().Secrets(prodNamespace).Delete(context.Background(), ingressTLSSecret, metav1.DeleteOptions{})
	})
	for k, v := range map[string]string{"ingressHost": ingressHost, "ingressClassName": cluster.TraefikClass, "ingressCertificate": ingressTLSSecret} {
		e.p.ok("config", "set", "--stack", prodStack, k, v)
	}
	e.p.ok("up", "--stack", prodStack, "--yes", "--skip-preview", "--non-interactive")
	if got, want := fmt.Sprint(e.outputs(t, prodStack)["ingressUrl"]), "https://"+ingressHost+"/"; got != want {
		t.Errorf("stack output ingressUrl = %q, want %q", got, want)
	}

	// `make verify` through the Ingress: the address the host name resolves to is Traefik's
	// NodePort, and curl trusts only the test CA.
	cmd := exec.Command("make", "--no-print-directory", "verify", "STACK="+prodStack)
	cmd.Dir = e.dir
	cmd.Env = append(append([]string{}, e.p.env...), "PATH="+pathWithout(e.p.env, "helm"),
		"VERIFY_INGRESS_ADDRESS="+tr.HTTPSAddr, "VERIFY_CA="+ca.CertFile)
	out, err := cmd.CombinedOutput()
	t.Logf("make verify STACK=%s through the Ingress:\n%s", prodStack, e.p.redact(string(out)))
	e.p.record("make-verify-ingress", out)
	if err != nil {
		t.Fatalf("make verify through the Ingress failed: %v", err)
	}

	https := ingressClient(tr.HTTPSAddr, &tls.Config{RootCAs: ca.Pool()})
	base := "https://" + ingressHost
	var state *tls.ConnectionState
	if err := eventually(time.Minute, func() error {
		resp, err := https.Get(base + "/api/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("GET %s/api/healthz: HTTP %d", base, resp.StatusCode)
		}
		state = resp.TLS
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if leaf := state.PeerCertificates[0]; leaf.Issuer.String() != ca.Subject() || leaf.VerifyHostname(ingressHost) != nil {
		t.Errorf("served certificate: issuer %q for %v; want the test CA's for %s", leaf.Issuer, leaf.DNSNames, ingressHost)
	}

	// Plain HTTP is redirected permanently to the same URL over https: Traefik's entry-point
	// redirect answers 301 to a GET and 308 to other methods (so a POST stays a POST).
	plain := ingressClient(tr.HTTPAddr, nil)
	plain.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for method, want := range map[string]int{"GET": http.StatusMovedPermanently, "POST": http.StatusPermanentRedirect} {
		req, err := http.NewRequest(method, "http://"+ingressHost+"/api/todos", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := plain.Do(req)
		if err != nil {
			t.Error(err)
			continue
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != want || loc != base+"/api/todos" {
			t.Errorf("plain HTTP %s: HTTP %d to %q, want %d to %s/api/todos", method, resp.StatusCode, loc, want, base)
		}
	}
	wrong := ingressClient(tr.HTTPSAddr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // which answer comes back is the point
	if resp, err := wrong.Get("https://wrong.e2e.test/api/todos"); err != nil {
		t.Error(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || strings.TrimSpace(string(b)) != "404 page not found" {
			t.Errorf("unknown Host: HTTP %d %q, want the controller's 404", resp.StatusCode, b)
		}
	}

	e.requestIDInBothApps(t, https, base)
	e.prometheusScrapesBothApps(t, https, base)
}

// ingressClient dials addr whatever the URL's host is, as curl --connect-to does.
func ingressClient(addr string, tlsConf *tls.Config) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: tlsConf,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
		},
	}}
}

// requestIDInBothApps sends one request with its own X-Request-ID through the Ingress: the
// answer returns it, and the frontend's and the backend's JSON log lines of that request
// carry it. Every line either app wrote is one JSON object.
func (e *env) requestIDInBothApps(t *testing.T, c *http.Client, base string) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	id := "e2e-" + hex.EncodeToString(b)
	req, _ := http.NewRequest("POST", base+"/api/todos", bytes.NewReader([]byte(`{"title":"through the Ingress"}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", id)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("X-Request-ID") != id {
		t.Errorf("POST /api/todos through the Ingress: HTTP %d, X-Request-ID %q; want 201 and %q", resp.StatusCode, resp.Header.Get("X-Request-ID"), id)
	}
	seen := map[string]bool{}
	err = eventually(30*time.Second, func() error {
		for name, text := range e.k.In(prodNamespace).Logs() {
			app := ""
			switch {
			case strings.Contains(name, release+"-backend-"):
				app = "backend"
			case strings.Contains(name, release+"-frontend-"):
				app = "frontend"
			default:
				continue
			}
			for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
				if line == "" {
					continue
				}
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Errorf("%s: a line that is not one JSON object: %.300s", name, line)
					continue
				}
				if rec["request_id"] == id {
					seen[app] = true
				}
			}
		}
		if !seen["backend"] || !seen["frontend"] {
			return fmt.Errorf("request id %s in the log lines of: %v (want the frontend and the backend)", id, seen)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	} else {
		t.Logf("request id %s: in the frontend's and the backend's JSON log lines", id)
	}
}

// prometheusScrapesBothApps starts a real Prometheus in the node's namespace scraping both
// apps' metrics ports through their Services, sends requests through the Ingress, and
// queries it: every target up, the request counters moved, the histograms consistent.
func (e *env) prometheusScrapesBothApps(t *testing.T, c *http.Client, base string) {
	var targets []cluster.ScrapeTarget
	for job, svc := range map[string]string{"backend": release + "-backend", "frontend": release + "-frontend-metrics"} {
		s, err := e.c.Client.CoreV1().Services(prodNamespace).Get(context.Background(), svc, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		port := int32(0)
		for _, p := range s.Spec.Ports {
			if p.Name == "metrics" {
				port = p.Port
			}
		}
		if port == 0 {
			t.Fatalf("Service %s has no port named metrics: %+v", svc, s.Spec.Ports)
		}
		targets = append(targets, cluster.ScrapeTarget{Job: job, Addr: net.JoinHostPort(s.Spec.ClusterIP, fmt.Sprint(port))})
	}
	prom := e.c.StartPrometheus(t, time.Second, targets)
	const n = 40
	for i := 0; i < n; i++ {
		resp, err := c.Get(base + "/api/todos")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET /api/todos through the Ingress: HTTP %d", resp.StatusCode)
		}
	}
	queries := []struct{ what, expr string }{
		{"every target up", `min(up{job=~"backend|frontend"}) == 1 and count(up{job=~"backend|frontend"}) == 2`},
		{"backend requests by route template", fmt.Sprintf(`sum(http_requests_total{job="backend",handler="/api/todos",method="GET",status=~"2.."}) >= %d`, n)},
		{"frontend proxied requests", fmt.Sprintf(`sum(todo_frontend_proxy_requests_total{job="frontend"}) >= %d`, n)},
		{"backend latency histogram: +Inf bucket equals the count", `sum(http_request_duration_seconds_bucket{job="backend",le="+Inf"}) == sum(http_request_duration_seconds_count{job="backend"})`},
		{"frontend upstream latency histogram: +Inf bucket equals the count", `sum(todo_frontend_upstream_duration_seconds_bucket{job="frontend",le="+Inf"}) == sum(todo_frontend_upstream_duration_seconds_count{job="frontend"})`},
		{"backend p99 under 5 s", `histogram_quantile(0.99, sum by (le) (http_request_duration_seconds_bucket{job="backend"})) < 5`},
	}
	for _, q := range queries {
		err := eventually(30*time.Second, func() error {
			got, err := prom.Query(q.expr)
			if err != nil {
				return err
			}
			if len(got) == 0 {
				return fmt.Errorf("%s: %s is empty", q.what, q.expr)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		} else {
			t.Logf("Prometheus: %s (%s)", q.what, q.expr)
		}
	}
}
