//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestMakeDev runs `make dev` in a copy of the repository, as a user would, with
// the real CLI and plugins on the test node. Through the running watcher it edits a backend
// file, a frontend file and a chart template and checks each change is served (through the
// frontend's /api/status, which shows the backend's readiness answer too, and the rendered
// Service in the cluster), that only the changed component rolled, that editor droppings
// trigger nothing, and that Ctrl-C stops the watcher and leaves the deployment running.
func TestMakeDev(t *testing.T) {
	e := newEnv(t)
	e.p.t, e.k.T = t, t
	e.initDev("1")
	d := startDev(t, e)
	// The first deployment compiles the program (cold on a fresh Go cache) and builds both
	// images unless the engine's cache has them.
	d.expect(t, regexp.MustCompile(`watching backend/, frontend/, charts/ and the program`), 20*time.Minute)

	// Droppings and caches: nothing happens.
	for _, f := range []string{"backend/app/api/.health.py.swp", "backend/app/api/health.py~", "frontend/src/app/4913",
		"frontend/.next/cache/webpack/x.pack", "charts/todo-chatbot/templates/backend-service.yaml.swp"} {
		writeFile(t, filepath.Join(e.dir, f), "dropping\n")
	}
	d.expectQuiet(t, 3*time.Second)

	// Through the frontend's NodePort (kube-proxy routes only to Ready endpoints, as users
	// reach it): the watcher checked the new pods directly; the Service follows once the
	// endpoints of the old pods are gone, which may take a moment longer.
	url := e.nodePortURL(t, devNamespace)
	served := func(want string) {
		t.Helper()
		var last string
		if err := eventually(30*time.Second, func() error {
			var body map[string]any
			code, err := call("GET", url+"/api/status", nil, &body)
			last = fmt.Sprint(code, " ", body)
			if err == nil && (code != 200 || !strings.Contains(fmt.Sprint(body), want)) {
				err = fmt.Errorf("not yet")
			}
			return err
		}); err != nil {
			t.Errorf("/api/status through the NodePort does not show %q within 30s of the watcher's report: %s", want, last)
		}
	}

	for i, c := range []struct{ component, file, old, new string }{
		{"backend", "backend/app/api/health.py", `"database": "ok"`, `"database": "%s"`},
		{"frontend", "frontend/src/app/api/status/route.ts", `{ frontend: "ok", backend }`, `{ frontend: "%s", backend }`},
	} {
		before := e.k.Revisions()
		saved := time.Now()
		// A marker new to this run, so the edit builds an image the engine has never had (a
		// rebuild to an image it already holds would test less).
		marker := fmt.Sprintf("ok, make dev %d-%d", time.Now().UnixNano(), i)
		editLine(t, e.dir, c.file, c.old, fmt.Sprintf(c.new, marker))
		d.expect(t, regexp.MustCompile(`changed: `+regexp.QuoteMeta(c.file)), time.Minute)
		up := d.expect(t, regexp.MustCompile(`(update|replace) `+c.component+`-image \(Image\)`), 5*time.Minute)
		for _, other := range []string{"backend", "frontend"} {
			if other != c.component && strings.Contains(up, other+"-image") {
				t.Errorf("the %s edit also rebuilt the %s image: %s", c.component, other, up)
			}
		}
		line := d.expect(t, regexp.MustCompile(c.component+` answers with image sha256:[0-9a-f]+ \(pod [^)]+\): [0-9.]+s after the save`), 5*time.Minute)
		t.Logf("%s edit: watcher reports %q; the test saw the report %.1fs after the save", c.component, line, time.Since(saved).Seconds())
		served(marker)
		e.k.ExpectRolled(before, c.component)
	}

	// A chart template: the release is upgraded and the rendered Service carries the edit.
	before := e.k.Revisions()
	editLine(t, e.dir, "charts/todo-chatbot/templates/frontend-service.yaml", "metadata:\n", "metadata:\n  annotations:\n    todo-chatbot/dev-probe: \"edited\"\n")
	d.expect(t, regexp.MustCompile(`changed: charts/todo-chatbot/templates/frontend-service.yaml`), time.Minute)
	if line := d.expect(t, regexp.MustCompile(`update todo-chatbot \(Release\)`), 5*time.Minute); strings.Contains(line, "-image") {
		t.Errorf("a chart edit rebuilt an image (unchanged contexts must not be): %s", line)
	}
	d.expect(t, regexp.MustCompile(`frontend answers \(pod`), 5*time.Minute)
	svc, err := e.k.Client.CoreV1().Services(devNamespace).Get(e.k.Ctx(), release+"-frontend", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Annotations["todo-chatbot/dev-probe"] != "edited" {
		t.Errorf("after the chart edit the frontend Service's annotations are %v", svc.Annotations)
	}
	e.k.ExpectRolled(before) // a Service edit rolls no pod

	// Ctrl-C: the watcher stops, the deployment stays, the stack is not left locked or pending.
	d.interrupt(t)
	d.expect(t, regexp.MustCompile(`stopped watching; the deployment keeps running`), 30*time.Second)
	d.waitExit(t, time.Minute)
	for _, name := range []string{release + "-backend", release + "-frontend"} {
		if dep := e.k.Deployment(name); dep.Status.ReadyReplicas < 1 {
			t.Errorf("after Ctrl-C, Deployment %s has %d ready replicas", name, dep.Status.ReadyReplicas)
		}
	}
	e.p.ok("preview", "--stack", "dev", "--expect-no-changes", "--non-interactive")
}

// devProcess is a running `make dev` with its output lines.
type devProcess struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	next  int // first line not yet consumed by expect
	done  chan struct{}
}

// startDev runs `make dev` in the project copy in a process group of its own, as a terminal
// runs a foreground job (Ctrl-C reaches every process in it).
func startDev(t *testing.T, e *env) *devProcess {
	t.Helper()
	cmd := exec.Command("make", "dev")
	cmd.Dir = e.dir
	// The harness's state backend and passphrase (PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE_FILE)
	// take precedence in deploy/pulumi.sh; PULUMI_TODO_HOME keeps it out of the user's home.
	cmd.Env = append(append([]string{}, e.p.env...), "STACK=dev", "DOCKER_HOST="+e.dockerHost, "PULUMI_TODO_HOME="+t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &devProcess{cmd: cmd, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			d.mu.Lock()
			d.lines = append(d.lines, sc.Text())
			d.mu.Unlock()
			t.Logf("make dev | %s", sc.Text())
		}
		_ = cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		select {
		case <-d.done:
			return
		default:
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-d.done:
		case <-time.After(time.Minute):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-d.done
		}
	})
	return d
}

// expect waits for the next output line matching re and returns it.
func (d *devProcess) expect(t *testing.T, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	// scan consumes the lines printed since the last match, up to the next matching one.
	scan := func() (string, bool) {
		d.mu.Lock()
		defer d.mu.Unlock()
		for ; d.next < len(d.lines); d.next++ {
			if re.MatchString(d.lines[d.next]) {
				d.next++
				return d.lines[d.next-1], true
			}
		}
		return "", false
	}
	for {
		if line, ok := scan(); ok {
			return line
		}
		select {
		case <-d.done:
			// Every line is in d.lines before done closes: look once more, then give up.
			if line, ok := scan(); ok {
				return line
			}
			t.Fatalf("make dev exited (%v) before printing a line matching %q", d.cmd.ProcessState, re)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("make dev printed no line matching %q within %s", re, timeout)
		}
	}
}

// expectQuiet checks that make dev prints nothing for a while (no update started).
func (d *devProcess) expectQuiet(t *testing.T, wait time.Duration) {
	t.Helper()
	d.mu.Lock()
	n := len(d.lines)
	d.mu.Unlock()
	time.Sleep(wait)
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.lines) > n {
		t.Errorf("make dev reacted to editor droppings and caches: %q", d.lines[n:])
	}
	d.next = len(d.lines)
}

// interrupt sends Ctrl-C to make dev's process group, as a terminal does.
func (d *devProcess) interrupt(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(-d.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
}

func (d *devProcess) waitExit(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-d.done:
		// make re-raises the interrupt after its child has finished: a signal exit is
		// what Ctrl-C under make looks like; what matters is that the watcher said it
		// stopped and that nothing is left running.
		if st := d.cmd.ProcessState; !st.Success() && !strings.Contains(st.String(), "interrupt") && st.ExitCode() != 2 && st.ExitCode() != 130 {
			t.Errorf("make dev exited with %v after Ctrl-C", st)
		}
	case <-time.After(timeout):
		t.Fatalf("make dev still running %s after Ctrl-C", timeout)
	}
	if out, err := exec.Command("pgrep", "-g", fmt.Sprint(d.cmd.Process.Pid)).Output(); err == nil && len(out) > 0 {
		t.Errorf("processes of make dev still running after Ctrl-C: %s", out)
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
