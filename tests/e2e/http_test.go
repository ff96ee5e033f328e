//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

var forwarding = regexp.MustCompile(`Forwarding from 127\.0\.0\.1:(\d+) `)

// portForward runs `kubectl port-forward service/<svc> :<port>` (what users and make verify
// do) and returns the local base URL; the forward stops when the test ends.
func (e *env) portForward(t *testing.T, ns, svc string, port int) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "kubectl", "--kubeconfig", e.c.Kubeconfig, "--context", e.c.Context, "-n", ns,
		"port-forward", "--address", "127.0.0.1", "service/"+svc, fmt.Sprintf(":%d", port))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("kubectl port-forward: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := forwarding.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case p := <-found:
		return "http://127.0.0.1:" + p
	case <-time.After(20 * time.Second):
		t.Fatalf("kubectl port-forward to service/%s gave no local port in 20 s: %s", svc, stderr.String())
	}
	return ""
}

// client is a plain HTTP client for the app, bounded so a hung server fails the request.
var client = &http.Client{Timeout: 10 * time.Second}

// call sends one JSON request and decodes a JSON answer into out (if not nil).
func call(method, url string, body any, out any) (int, error) {
	code, _, err := callRaw(method, url, body, out)
	return code, err
}

// callRaw is call that also returns the answer's body as sent (for a failure's report).
func callRaw(method, url string, body any, out any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, b, err
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, b, fmt.Errorf("HTTP %d, not JSON: %.200s", resp.StatusCode, b)
		}
	}
	return resp.StatusCode, b, nil
}

// eventually retries check every 200 ms until it passes or timeout.
func eventually(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}
