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
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// kube reads the test cluster with client-go: what the CLI did, seen from the API server.
type kube struct {
	t          *testing.T
	client     kubernetes.Interface
	kubeconfig string
	context    string
}

func (k kube) ctx() context.Context { return context.Background() }

// revisions maps each Deployment of ns to its rollout revision (deployment.kubernetes.io/
// revision), which goes up exactly when its pod template changes, i.e. when it rolls.
func (k kube) revisions(ns string) map[string]string {
	k.t.Helper()
	list, err := k.client.AppsV1().Deployments(ns).List(k.ctx(), metav1.ListOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	m := map[string]string{}
	for _, d := range list.Items {
		m[d.Name] = d.Annotations["deployment.kubernetes.io/revision"]
	}
	return m
}

// expectRolled checks that exactly the deployments in rolled got a new revision.
func (k kube) expectRolled(ns string, before map[string]string, rolled ...string) {
	k.t.Helper()
	after := k.revisions(ns)
	for name, rev := range after {
		want := false
		for _, r := range rolled {
			want = want || strings.HasSuffix(name, "-"+r)
		}
		if got := rev != before[name]; got != want {
			k.t.Errorf("Deployment %s: revision %s -> %s; rolled: %v, want rolled: %v", name, before[name], rev, got, want)
		}
	}
}

func (k kube) deployment(ns, name string) *appsv1.Deployment {
	k.t.Helper()
	d, err := k.client.AppsV1().Deployments(ns).Get(k.ctx(), name, metav1.GetOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	return d
}

func (k kube) secretData(ns, name string) map[string][]byte {
	k.t.Helper()
	s, err := k.client.CoreV1().Secrets(ns).Get(k.ctx(), name, metav1.GetOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	return s.Data
}

// logs returns the logs of every container of every pod of ns (for the secret scan).
func (k kube) logs(ns string) map[string]string {
	k.t.Helper()
	pods, err := k.client.CoreV1().Pods(ns).List(k.ctx(), metav1.ListOptions{})
	if err != nil {
		k.t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range pods.Items {
		for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
			b, err := k.client.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{Container: c.Name}).DoRaw(k.ctx())
			if err == nil {
				out["log of pod "+p.Name+" container "+c.Name] = string(b)
			}
		}
	}
	return out
}

var forwarding = regexp.MustCompile(`Forwarding from 127\.0\.0\.1:(\d+) `)

// portForward runs `kubectl port-forward service/<svc> :<port>` (what users and make verify
// do) and returns the local base URL; the forward stops when the test ends.
func (k kube) portForward(ns, svc string, port int) string {
	k.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "kubectl", "--kubeconfig", k.kubeconfig, "--context", k.context, "-n", ns,
		"port-forward", "--address", "127.0.0.1", "service/"+svc, fmt.Sprintf(":%d", port))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		k.t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		k.t.Fatalf("kubectl port-forward: %v", err)
	}
	k.t.Cleanup(func() { cancel(); _ = cmd.Wait() })
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
		k.t.Fatalf("kubectl port-forward to service/%s gave no local port in 20 s: %s", svc, stderr.String())
	}
	return ""
}

// client is a plain HTTP client for the app, bounded so a hung server fails the request.
var client = &http.Client{Timeout: 10 * time.Second}

// call sends one JSON request and decodes a JSON answer into out (if not nil).
func call(method, url string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("HTTP %d, not JSON: %.200s", resp.StatusCode, b)
		}
	}
	return resp.StatusCode, nil
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
