package chart

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/cli/values"
	corev1 "k8s.io/api/core/v1"
)

// TestHelmTestPodScript runs the `helm test` pod's own Python script, as rendered, against a
// stand-in for the frontend's /api/status: it must pass only when the backend is ready.
func TestHelmTestPodScript(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("SKIPPED LOUDLY: python3 is not on PATH, so the helm test pod's script cannot be run here")
	}
	pod := find[*corev1.Pod](t, mustRender(t, nil, values.Options{}), "todo-chatbot-test-connection")
	c := pod.Spec.Containers[0]
	if len(c.Command) != 4 || c.Command[0] != "python3" || c.Command[1] != "-c" {
		t.Fatalf("test pod command %q, want python3 -c <script> <url>", c.Command)
	}
	script := c.Command[2]
	if e, ok := envVar(c, "TIMEOUT_SECONDS"); !ok || e.Value != "90" {
		t.Errorf("TIMEOUT_SECONDS = %+v, want the default 90", e)
	}

	const ready = `{"frontend":"ok","backend":{"url":"http://todo-chatbot-backend:8000","reachable":true,"ready":true,"detail":"ok"}}`
	const notReady = `{"frontend":"ok","backend":{"url":"http://todo-chatbot-backend:8000","reachable":true,"ready":false,"detail":"database: connection refused"}}`
	cases := []struct {
		name     string
		respond  func(n int64, w http.ResponseWriter) // n counts requests from 1
		timeout  string
		pass     bool
		mentions string
	}{
		{"backend ready", func(_ int64, w http.ResponseWriter) { _, _ = w.Write([]byte(ready)) }, "10", true, "ok:"},
		{"ready after one 503", func(n int64, w http.ResponseWriter) {
			if n == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(notReady))
				return
			}
			_, _ = w.Write([]byte(ready))
		}, "20", true, "ok:"},
		{"backend never ready", func(_ int64, w http.ResponseWriter) {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(notReady))
		}, "1", false, "HTTP 503"},
		{"200 without backend.ready", func(_ int64, w http.ResponseWriter) { _, _ = w.Write([]byte(notReady)) }, "1", false, "without backend.ready"},
		{"frontend unreachable", nil, "1", false, "check failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/status" {
					http.NotFound(w, r)
					return
				}
				tc.respond(requests.Add(1), w)
			}))
			url := srv.URL + "/api/status"
			if tc.respond == nil {
				srv.Close()
			} else {
				defer srv.Close()
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, python, "-c", script, url)
			cmd.Env = []string{"TIMEOUT_SECONDS=" + tc.timeout}
			out, err := cmd.CombinedOutput()
			if passed := err == nil; passed != tc.pass {
				t.Fatalf("script passed=%v, want %v; output:\n%s", passed, tc.pass, out)
			}
			if !strings.Contains(string(out), tc.mentions) {
				t.Errorf("output does not mention %q:\n%s", tc.mentions, out)
			}
		})
	}
}
