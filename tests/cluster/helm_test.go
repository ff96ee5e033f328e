//go:build cluster

package cluster

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/release"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// helmRelease drives one release through Helm's Go SDK, the library the helm CLI and
// pulumi-kubernetes' helm.Release are built on, against the cluster's kubeconfig and
// context (so it authenticates exactly as `helm --kube-context minikube` would).
type helmRelease struct {
	Namespace string
	Release   string
	cfg       *action.Configuration
	log       *helmLog
}

// newHelm prepares Helm for release in namespace, through kubeContext of the cluster's
// kubeconfig: pass the stack's kubeContext setting, so the test proves the program's
// configured context reaches this cluster unchanged.
func (c *Cluster) newHelm(t *testing.T, kubeContext, namespace, releaseName string) *helmRelease {
	t.Helper()
	if kubeContext != ContextName {
		t.Fatalf("kubeContext %q is not a context of the test cluster's kubeconfig (it has %q)", kubeContext, ContextName)
	}
	kubeconfig, context, cacheDir := c.Kubeconfig, kubeContext, filepath.Join(c.dir, "kube-cache")
	getter := genericclioptions.NewConfigFlags(false)
	getter.KubeConfig, getter.Context, getter.Namespace = &kubeconfig, &context, &namespace
	getter.CacheDir = &cacheDir // discovery cache with the cluster, not in ~/.kube
	h := &helmRelease{Namespace: namespace, Release: releaseName, cfg: new(action.Configuration), log: &helmLog{}}
	if err := h.cfg.Init(getter, namespace, "secret", h.log.printf); err != nil {
		t.Fatalf("helm init: %v", err)
	}
	return h
}

// Install is `helm install --wait --wait-for-jobs --atomic --timeout`.
func (h *helmRelease) Install(ch *chart.Chart, values map[string]any, timeout time.Duration) (*release.Release, error) {
	in := action.NewInstall(h.cfg)
	in.ReleaseName, in.Namespace = h.Release, h.Namespace
	in.Wait, in.WaitForJobs, in.Atomic, in.Timeout = true, true, true, timeout
	return in.Run(ch, values)
}

// Upgrade is `helm upgrade --wait --wait-for-jobs --atomic --cleanup-on-fail
// --history-max 10 --timeout` with exactly the given values (no --reuse-values: the program
// always sends the full set). Atomic, CleanupOnFail and MaxHistory are what the program's
// helm.Release sets (infra/release.go).
func (h *helmRelease) Upgrade(ch *chart.Chart, values map[string]any, timeout time.Duration) (*release.Release, error) {
	up := action.NewUpgrade(h.cfg)
	up.Namespace = h.Namespace
	up.Wait, up.WaitForJobs, up.Atomic, up.Timeout = true, true, true, timeout
	up.CleanupOnFail, up.MaxHistory = true, 10
	return up.Run(h.Release, ch, values)
}

// Uninstall is `helm uninstall --wait`.
func (h *helmRelease) Uninstall(timeout time.Duration) error {
	un := action.NewUninstall(h.cfg)
	un.Wait, un.Timeout = true, timeout
	_, err := un.Run(h.Release)
	return err
}

// Status returns the latest revision of the release.
func (h *helmRelease) Status() (*release.Release, error) {
	return action.NewStatus(h.cfg).Run(h.Release)
}

// History returns every stored revision, oldest first.
func (h *helmRelease) History() ([]*release.Release, error) {
	return action.NewHistory(h.cfg).Run(h.Release)
}

// LogTail returns Helm's last debug lines (what it waited for and why it gave up).
func (h *helmRelease) LogTail(n int) string { return h.log.tail(n) }

// helmLog keeps Helm's debug output in memory: it is verbose (one line per unready
// resource every two seconds while waiting), so tests print its tail only when useful.
type helmLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *helmLog) printf(format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, time.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, v...))
}

func (l *helmLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := l.lines
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Test is `helm test --timeout`: runs the chart's test hooks and fails unless each pod
// succeeds.
func (h *helmRelease) Test(timeout time.Duration) (*release.Release, error) {
	rt := action.NewReleaseTesting(h.cfg)
	rt.Namespace, rt.Timeout = h.Namespace, timeout
	return rt.Run(h.Release)
}
