//go:build e2e

package e2e

import (
	"encoding/json"
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
					code, body, err := callRaw("POST", l.base+"/api/todos", map[string]string{"title": fmt.Sprintf("load %d-%d", w, i)}, &todo)
					l.record("POST /api/todos", code, 201, body, err)
					if err == nil && code == 201 {
						l.mu.Lock()
						l.created = append(l.created, todo.ID)
						l.mu.Unlock()
					}
				} else {
					code, body, err := callRaw("GET", l.base+"/api/todos", nil, nil)
					l.record("GET /api/todos", code, 200, body, err)
				}
			}
		}(w)
	}
}

// record counts one request; a failure's sample keeps the answer's "detail" (the frontend's
// proxy says there whether the backend refused, reset or timed out), so a report explains itself.
func (l *loader) record(what string, code, want int, body []byte, err error) {
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
		var answer struct{ Detail any }
		if json.Unmarshal(body, &answer) == nil && answer.Detail != nil {
			msg += fmt.Sprintf(" (%v)", answer.Detail)
		}
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
// the load loop runs through the NodePort, and fails on any failed request. The count runs
// from before `pulumi up` until the old pods have all exited: through the polling for "only
// the new code answers" (whose own requests count too) and the old pods' preStop pause and
// graceful shutdown, which go on after `pulumi up` returns.
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
		e.k.ExpectRolled(before, c.component)
		returned := time.Now()
		// The old pods keep serving the connections the frontend holds open to them until
		// their preStop pause and graceful shutdown end (then the frontend reconnects to a
		// new pod), so the new code is the only answer within the termination grace period.
		if err := eventually(40*time.Second, func() error {
			for i := 0; i < 10; i++ {
				var status map[string]any
				code, body, err := callRaw("GET", base+"/api/status", nil, &status)
				l.record("GET /api/status", code, 200, body, err)
				if err != nil || !strings.Contains(fmt.Sprint(status), c.marker) {
					return fmt.Errorf("/api/status does not show the new code (%q): %v %v", c.marker, status, err)
				}
			}
			return nil
		}); err != nil {
			t.Errorf("after the %s roll: %v", c.component, err)
		}
		newCode := time.Since(returned)
		exited, err := e.terminatingPodsGone(2 * time.Minute)
		if err != nil {
			t.Errorf("after the %s roll: %v", c.component, err)
		}
		_, failed, _, report := l.finish()
		t.Logf("LOAD during the %s roll (pulumi up %s, 2 replicas), counted until the old pods exited %s after pulumi up returned: %s",
			c.component, took.Round(100*time.Millisecond), (newCode + exited).Round(100*time.Millisecond), report)
		t.Logf("after the %s roll, only the new code answered (10 in a row) %s after pulumi up returned",
			c.component, newCode.Round(100*time.Millisecond))
		if failed > 0 {
			t.Errorf("%d requests failed while pulumi up rolled the %s and its old pods shut down (goal 0)", failed, c.component)
		}
	}
}

// terminatingPodsGone waits until no pod of the release is terminating (all old pods of a
// roll have exited), and returns how long that took.
func (e *env) terminatingPodsGone(timeout time.Duration) (time.Duration, error) {
	began := time.Now()
	var left []string
	err := eventually(timeout, func() error {
		list, err := e.k.Client.CoreV1().Pods(devNamespace).List(e.k.Ctx(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + release})
		if err != nil {
			return err
		}
		left = left[:0]
		for _, p := range list.Items {
			if p.DeletionTimestamp != nil {
				left = append(left, p.Name)
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("pods still terminating after %s: %v", time.Since(began).Round(time.Second), left)
		}
		return nil
	})
	return time.Since(began), err
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

// restartTimeline watches a pod whose container was killed until the kubelet has restarted
// it (restartCount above restarts) and the pod is Ready again, and returns when, after
// killed, that was (0 if not within 3 minutes).
func (e *env) restartTimeline(name string, restarts int32, killed time.Time) time.Duration {
	for time.Since(killed) < 3*time.Minute {
		p, err := e.k.Client.CoreV1().Pods(devNamespace).Get(e.k.Ctx(), name, metav1.GetOptions{})
		if err == nil && len(p.Status.ContainerStatuses) > 0 && p.Status.ContainerStatuses[0].RestartCount > restarts && podReady(*p) {
			return time.Since(killed)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return 0
}

// todoTotal is how many todos the app stores (GET /api/todos reports the total).
func todoTotal(t *testing.T, base string) int {
	t.Helper()
	var list struct{ Total int }
	if code, err := call("GET", base+"/api/todos?limit=1", nil, &list); err != nil || code != 200 {
		t.Fatalf("counting the todos: HTTP %d %v", code, err)
	}
	return list.Total
}

// fault is one fault the app must survive under load, with the bounds the chart's README
// states (figures.go).
type fault struct {
	what, selector string
	inject         func(t *testing.T, p corev1.Pod) error
	// timeline is how long after the injection the faulted component was Ready again (0 if
	// never; nil: not measured for this fault). It runs beside the load.
	timeline func(t *testing.T, p corev1.Pod, injected time.Time) time.Duration
	failures int           // at most this many failed requests (-1: bounded by failing instead)
	ready    time.Duration // Ready again within this after the injection (0: not bounded)
	failing  time.Duration // requests fail for at most this long (0: not bounded)
}

// faultsUnderLoad, under load through the NodePort: deletes a backend pod, deletes the
// PostgreSQL pod, and kills the PostgreSQL container's process with SIGKILL. For each it
// asserts the chart README's bounds (failed requests, time to Ready, failure window), and
// that no todo stored before or during it is lost: each one stored is still there by its ID,
// and the total grew by at least the todos created during the fault.
func (e *env) faultsUnderLoad(t *testing.T) {
	base := e.nodePortURL(t, devNamespace)
	del := func(t *testing.T, p corev1.Pod) error {
		return e.k.Client.CoreV1().Pods(devNamespace).Delete(e.k.Ctx(), p.Name, metav1.DeleteOptions{})
	}
	postgres := "app.kubernetes.io/component=postgresql"
	for _, f := range []fault{
		{what: "a backend pod deleted", selector: "app.kubernetes.io/component=backend", inject: del,
			failures: BackendPodDeletedFailures},
		{what: "the PostgreSQL pod deleted", selector: postgres, inject: del,
			timeline: func(t *testing.T, p corev1.Pod, at time.Time) time.Duration {
				gone, replaced := e.replacementTimeline(p.Name, p.UID, postgres, at)
				t.Logf("FAULT timeline: the old pod was gone %s after the delete (its shutdown), the new one Ready %s after it",
					gone.Round(100*time.Millisecond), replaced.Round(100*time.Millisecond))
				return replaced
			},
			failures: -1, ready: PostgresPodDeletedReady, failing: PostgresPodDeletedFailing},
		{what: "the PostgreSQL container's process killed (SIGKILL)", selector: postgres,
			inject: func(t *testing.T, p corev1.Pod) error {
				if len(p.Status.ContainerStatuses) != 1 {
					return fmt.Errorf("pod %s has %d containers, want the one postgresql", p.Name, len(p.Status.ContainerStatuses))
				}
				return e.c.KillContainer(e.k.Ctx(), p.Status.ContainerStatuses[0].ContainerID)
			},
			timeline: func(t *testing.T, p corev1.Pod, at time.Time) time.Duration {
				return e.restartTimeline(p.Name, p.Status.ContainerStatuses[0].RestartCount, at)
			},
			failures: -1, ready: PostgresKilledReady, failing: PostgresKilledFailing},
	} {
		t.Run(f.what, func(t *testing.T) { e.k.T = t; e.faultUnderLoad(t, base, f) })
	}
}

func (e *env) faultUnderLoad(t *testing.T, base string, f fault) {
	var stored []int
	for i := 0; i < 10; i++ {
		var todo struct{ ID int }
		if code, err := call("POST", base+"/api/todos", map[string]string{"title": fmt.Sprintf("kept %d", i)}, &todo); err != nil || code != 201 {
			t.Fatalf("storing a todo before the fault: HTTP %d %v", code, err)
		}
		stored = append(stored, todo.ID)
	}
	totalBefore := todoTotal(t, base)
	pods, err := e.k.Client.CoreV1().Pods(devNamespace).List(e.k.Ctx(), metav1.ListOptions{LabelSelector: f.selector})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("no pod for %s (%s): %v", f.what, f.selector, err)
	}
	victim := pods.Items[0]
	l := newLoader(base)
	l.start()
	time.Sleep(2 * time.Second)
	injected := time.Now()
	if err := f.inject(t, victim); err != nil {
		l.finish()
		t.Fatal(err)
	}
	ready := time.Duration(0)
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		if f.timeline != nil {
			ready = f.timeline(t, victim, injected)
		}
	}()
	// Until everything is ready again, then a few seconds more.
	err = eventually(3*time.Minute, func() error {
		for _, d := range []string{release + "-backend", release + "-frontend"} {
			if dep, err := e.k.Client.AppsV1().Deployments(devNamespace).Get(e.k.Ctx(), d, metav1.GetOptions{}); err != nil {
				return err
			} else if dep.Status.ReadyReplicas != *dep.Spec.Replicas || dep.Status.UpdatedReplicas != *dep.Spec.Replicas {
				return fmt.Errorf("%s not ready", d)
			}
		}
		code, err := call("GET", base+"/api/status", nil, nil)
		if err == nil && code != 200 {
			err = fmt.Errorf("status HTTP %d", code)
		}
		return err
	})
	<-watchDone
	time.Sleep(3 * time.Second)
	_, failed, window, report := l.finish()
	t.Logf("FAULT: %s (%s) under load: %s; requests failed for %s", f.what, victim.Name, report, window.Round(10*time.Millisecond))
	if err != nil {
		t.Fatalf("the app did not recover after %s: %v", f.what, err)
	}
	if f.failures >= 0 && failed > f.failures {
		t.Errorf("%s: %d requests failed, the chart's README states at most %d", f.what, failed, f.failures)
	}
	if f.failing > 0 && window > f.failing {
		t.Errorf("%s: requests failed for %s, the chart's README states at most %s", f.what, window.Round(10*time.Millisecond), Seconds(f.failing))
	}
	if f.ready > 0 {
		switch {
		case ready == 0:
			t.Errorf("%s: %s was not Ready again within 3 minutes", f.what, victim.Name)
		case ready > f.ready:
			t.Errorf("%s: Ready again %s after it, the chart's README states within %s", f.what, ready.Round(100*time.Millisecond), Seconds(f.ready))
		default:
			t.Logf("%s: Ready again %s after it (bound %s)", f.what, ready.Round(100*time.Millisecond), Seconds(f.ready))
		}
	}
	stored = append(stored, l.created...)
	lost := 0
	for _, id := range stored {
		if code, err := call("GET", base+"/api/todos/"+strconv.Itoa(id), nil, nil); err != nil || code != 200 {
			lost++
			t.Errorf("todo %d, stored before or during the fault (201), is gone: HTTP %d %v", id, code, err)
		}
	}
	// A POST whose answer was lost may still have stored its todo, so at least, not exactly.
	totalAfter := todoTotal(t, base)
	if totalAfter < totalBefore+len(l.created) {
		t.Errorf("%s: %d todos before, %d created during it (201), %d after: some stored todo is gone",
			f.what, totalBefore, len(l.created), totalAfter)
	}
	t.Logf("all %d todos stored before and during the fault are still there (%d lost); %d todos before, %d created during it, %d after",
		len(stored), lost, totalBefore, len(l.created), totalAfter)
}
