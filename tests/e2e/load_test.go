//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// loader is a bounded load loop against the frontend: a few workers, each at most one
// request every interval, reading the todo list and creating todos (every 201 is recorded,
// so a later check can prove no stored todo was lost).
type loader struct {
	base     string
	workers  int
	interval time.Duration

	mu       sync.Mutex
	total    int
	failed   int
	samples  []string
	firstBad time.Time
	lastBad  time.Time
	created  []int
	stop     chan struct{}
	wg       sync.WaitGroup
}

func newLoader(base string) *loader {
	return &loader{base: base, workers: 4, interval: 50 * time.Millisecond}
}

func (l *loader) start() {
	l.stop = make(chan struct{})
	for w := 0; w < l.workers; w++ {
		l.wg.Add(1)
		go func(w int) {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				case <-time.After(l.interval):
				}
				if i%5 == 4 {
					var todo struct{ ID int }
					code, err := call("POST", l.base+"/api/todos", map[string]string{"title": fmt.Sprintf("load %d-%d", w, i)}, &todo)
					l.record("POST /api/todos", code, 201, err)
					if err == nil && code == 201 {
						l.mu.Lock()
						l.created = append(l.created, todo.ID)
						l.mu.Unlock()
					}
				} else {
					code, err := call("GET", l.base+"/api/todos", nil, nil)
					l.record("GET /api/todos", code, 200, err)
				}
			}
		}(w)
	}
}

func (l *loader) record(what string, code, want int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total++
	if err == nil && code == want {
		return
	}
	now := time.Now()
	l.failed++
	if l.firstBad.IsZero() {
		l.firstBad = now
	}
	l.lastBad = now
	if len(l.samples) < 5 {
		msg := fmt.Sprintf("HTTP %d", code)
		if err != nil {
			msg = err.Error()
		}
		l.samples = append(l.samples, fmt.Sprintf("%s %s: %s", now.Format("15:04:05.000"), what, msg))
	}
}

// finish stops the loop and returns a one-line report: requests, failures, failure window.
func (l *loader) finish() (total, failed int, window time.Duration, report string) {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failed > 0 {
		window = l.lastBad.Sub(l.firstBad)
	}
	report = fmt.Sprintf("%d requests, %d failed", l.total, l.failed)
	if l.failed > 0 {
		report += fmt.Sprintf(" (failures over %s; first: %s)", window.Round(10*time.Millisecond), strings.Join(l.samples, "; "))
	}
	return l.total, l.failed, window, report
}

// nodePortURL is the frontend's NodePort on the test node's InternalIP: a Service load
// balanced by kube-proxy across ready pods, as users reach it (`minikube service`).
func (e *env) nodePortURL(t *testing.T, ns string) string {
	t.Helper()
	svc, err := e.k.Client.CoreV1().Services(ns).Get(e.k.Ctx(), release+"-frontend", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ip := e.nodeIP(t)
	if ip == "" || len(svc.Spec.Ports) == 0 || svc.Spec.Ports[0].NodePort == 0 {
		t.Fatalf("no InternalIP (%q) or node port on Service %s", ip, svc.Name)
	}
	base := "http://" + net.JoinHostPort(ip, strconv.Itoa(int(svc.Spec.Ports[0].NodePort)))
	if err := eventually(30*time.Second, func() error {
		code, err := call("GET", base+"/api/status", nil, nil)
		if err == nil && code != 200 {
			err = fmt.Errorf("HTTP %d", code)
		}
		return err
	}); err != nil {
		t.Fatalf("the frontend's NodePort %s does not answer: %v", base, err)
	}
	return base
}

// nodeIP is the test node's InternalIP, where kube-proxy answers NodePorts.
func (e *env) nodeIP(t *testing.T) string {
	t.Helper()
	nodes, err := e.k.Client.CoreV1().Nodes().List(e.k.Ctx(), metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("no node: %v", err)
	}
	for _, a := range nodes.Items[0].Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address
		}
	}
	t.Fatalf("node %s has no InternalIP", nodes.Items[0].Name)
	return ""
}

// upgradesUnderLoad rolls a backend change, then a frontend change, with `pulumi up` while
// the load loop runs through the NodePort, and counts failed requests (goal: 0).
func (e *env) upgradesUnderLoad(t *testing.T) {
	base := e.nodePortURL(t, devNamespace)
	for _, c := range []struct {
		component, file, old, new, marker string
	}{
		{"backend", "backend/app/api/health.py", fmt.Sprintf(`"database": %q`, backendMarker(1)), fmt.Sprintf(`"database": %q`, backendMarker(2)), backendMarker(2)},
		{"frontend", "frontend/src/app/api/status/route.ts", `{ frontend: "ok", backend }`, `{ frontend: "ok, e2e edit 1", backend }`, "ok, e2e edit 1"},
	} {
		editLine(t, e.dir, c.file, c.old, c.new)
		before := e.k.Revisions()
		l := newLoader(base)
		l.start()
		start := time.Now()
		e.p.ok("up", "--stack", "dev", "--yes", "--skip-preview", "--non-interactive")
		took := time.Since(start)
		// Keep loading a moment after the roll, while the old pods finish terminating.
		time.Sleep(3 * time.Second)
		_, failed, _, report := l.finish()
		e.k.ExpectRolled(before, c.component)
		t.Logf("LOAD during the %s roll (pulumi up %s, 2 replicas): %s", c.component, took.Round(100*time.Millisecond), report)
		if failed > 0 {
			t.Errorf("%d requests failed while pulumi up rolled the %s (goal 0)", failed, c.component)
		}
		// The old pods keep serving the connections the frontend holds open to them until
		// their preStop pause and graceful shutdown end (then the frontend reconnects to a
		// new pod), so the new code is the only answer within the termination grace period.
		answered := time.Now()
		if err := eventually(40*time.Second, func() error {
			for i := 0; i < 10; i++ {
				var status map[string]any
				if _, err := call("GET", base+"/api/status", nil, &status); err != nil || !strings.Contains(fmt.Sprint(status), c.marker) {
					return fmt.Errorf("/api/status does not show the new code (%q): %v %v", c.marker, status, err)
				}
			}
			return nil
		}); err != nil {
			t.Errorf("after the %s roll: %v", c.component, err)
		}
		t.Logf("after the %s roll, only the new code answered (10 in a row) %s after pulumi up returned",
			c.component, time.Since(answered).Round(100*time.Millisecond)+3*time.Second)
	}
}

func podReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// replacementTimeline watches a deleted StatefulSet pod (name, uid) until its replacement
// under the same name is Ready, and returns when, after deleted, the old pod was gone and the
// new one Ready (0 if not within 3 minutes).
func (e *env) replacementTimeline(name string, uid types.UID, selector string, deleted time.Time) (gone, replaced time.Duration) {
	for time.Since(deleted) < 3*time.Minute {
		list, err := e.k.Client.CoreV1().Pods(devNamespace).List(e.k.Ctx(), metav1.ListOptions{LabelSelector: selector})
		if err == nil {
			old := false
			for _, p := range list.Items {
				if p.UID == uid {
					old = true
				} else if gone != 0 && p.Name == name && podReady(p) {
					return gone, time.Since(deleted)
				}
			}
			if !old && gone == 0 {
				gone = time.Since(deleted)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return gone, 0
}

// faultsUnderLoad deletes a backend pod, then the PostgreSQL pod, under load, reports how
// long requests failed, and proves every todo stored before or during the faults is still
// there.
func (e *env) faultsUnderLoad(t *testing.T) {
	base := e.nodePortURL(t, devNamespace)
	var stored []int
	for i := 0; i < 10; i++ {
		var todo struct{ ID int }
		if code, err := call("POST", base+"/api/todos", map[string]string{"title": fmt.Sprintf("kept %d", i)}, &todo); err != nil || code != 201 {
			t.Fatalf("storing a todo before the faults: HTTP %d %v", code, err)
		}
		stored = append(stored, todo.ID)
	}
	for _, c := range []struct {
		what, selector string
		statefulSet    bool
	}{
		{"a backend pod", "app.kubernetes.io/component=backend", false},
		{"the PostgreSQL pod", "app.kubernetes.io/component=postgresql", true},
	} {
		pods, err := e.k.Client.CoreV1().Pods(devNamespace).List(e.k.Ctx(), metav1.ListOptions{LabelSelector: c.selector})
		if err != nil || len(pods.Items) == 0 {
			t.Fatalf("no pod for %s (%s): %v", c.what, c.selector, err)
		}
		l := newLoader(base)
		l.start()
		time.Sleep(2 * time.Second)
		victim, victimUID := pods.Items[0].Name, pods.Items[0].UID
		deleted := time.Now()
		if err := e.k.Client.CoreV1().Pods(devNamespace).Delete(e.k.Ctx(), victim, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		// The timeline of a StatefulSet pod's replacement (it keeps the name and starts only
		// once the old pod is gone), to say what the failure window is made of.
		var gone, replaced time.Duration
		watchDone := make(chan struct{})
		go func() {
			defer close(watchDone)
			if c.statefulSet {
				gone, replaced = e.replacementTimeline(victim, victimUID, c.selector, deleted)
			}
		}()
		// Until everything is ready again, then a few seconds more.
		err = eventually(3*time.Minute, func() error {
			for _, d := range []string{release + "-backend", release + "-frontend"} {
				if dep := e.k.Deployment(d); dep.Status.ReadyReplicas != *dep.Spec.Replicas || dep.Status.UpdatedReplicas != *dep.Spec.Replicas {
					return fmt.Errorf("%s not ready", d)
				}
			}
			code, err := call("GET", base+"/api/status", nil, nil)
			if err == nil && code != 200 {
				err = fmt.Errorf("status HTTP %d", code)
			}
			return err
		})
		time.Sleep(3 * time.Second)
		_, _, window, report := l.finish()
		<-watchDone
		t.Logf("FAULT: deleted %s (%s) under load: %s; requests failed for %s", c.what, victim, report, window.Round(10*time.Millisecond))
		if replaced != 0 {
			t.Logf("FAULT timeline: the old pod was gone %s after the delete (its shutdown), the new one Ready %s after it",
				gone.Round(100*time.Millisecond), replaced.Round(100*time.Millisecond))
		}
		if err != nil {
			t.Fatalf("the app did not recover after deleting %s: %v", c.what, err)
		}
		stored = append(stored, l.created...)
	}
	lost := 0
	for _, id := range stored {
		if code, err := call("GET", base+"/api/todos/"+strconv.Itoa(id), nil, nil); err != nil || code != 200 {
			lost++
			t.Errorf("todo %d, stored before or during the faults (201), is gone: HTTP %d %v", id, code, err)
		}
	}
	t.Logf("all %d todos stored before and during the faults are still there (%d lost)", len(stored), lost)
}
