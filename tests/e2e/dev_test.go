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

// TestMakeDev runs `make dev` in a copy of the repository, as a user would, with the real
// CLI and plugins on the test node. Live update is on (the default): through the running
// watcher it edits a backend file and a frontend file and checks each is served by the
// running pods without a rebuild or a rollout (through the frontend's /api/status, which
// shows the backend's readiness answer too); a dependency change (a comment appended to
// backend/requirements.txt) falls back to a rebuild that rolls only the backend and still
// serves the live edit; a chart template edit goes through pulumi up without rebuilding an
// image. Editor droppings trigger nothing; Ctrl-C stops the watcher and leaves the
// deployment running; one `pulumi up` afterwards puts back exactly what the code builds:
// the production images, read-only root filesystems and the images' own commands.
func TestMakeDev(t *testing.T) {
	e := newEnv(t)
	e.p.t, e.k.T = t, t
	e.initDev("1")
	d := startDev(t, e)
	d.expect(t, regexp.MustCompile(`live update on: `), 5*time.Minute)
	// The first deployment compiles the program (cold on a fresh Go cache) and builds both
	// images unless the engine's cache has them; then next dev compiles the page (pre-warm).
	d.expect(t, regexp.MustCompile(`frontend: next dev compiled / and /api/status in [0-9.]+s`), 20*time.Minute)
	d.expect(t, regexp.MustCompile(`watching backend/, frontend/, charts/ and the program`), time.Minute)
	for _, name := range []string{release + "-backend", release + "-frontend"} {
		c := e.k.Deployment(name).Spec.Template.Spec.Containers[0]
		if len(c.Command) == 0 {
			t.Errorf("make dev deployed %s without the live-update command (chart liveUpdate mode)", name)
		}
	}

	// Droppings and caches: nothing happens.
	for _, f := range []string{"backend/app/api/.health.py.swp", "backend/app/api/health.py~", "frontend/src/app/4913",
		"frontend/.next/cache/webpack/x.pack", "charts/todo-chatbot/templates/backend-service.yaml.swp"} {
		writeFile(t, filepath.Join(e.dir, f), "dropping\n")
	}
	d.expectQuiet(t, 3*time.Second)

	// Through the frontend's NodePort (kube-proxy routes only to Ready endpoints, as users
	// reach it): the watcher checked the pods directly; the Service may take a moment longer.
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

	// Live update: the saved file reaches the running pods; no image is built, nothing rolls.
	markers := map[string]string{}
	for i, c := range []struct{ component, file, old, new string }{
		{"backend", "backend/app/api/health.py", `"database": "ok"`, `"database": "%s"`},
		{"frontend", "frontend/src/app/api/status/route.ts", `{ frontend: "ok", backend }`, `{ frontend: "%s", backend }`},
	} {
		before := e.k.Revisions()
		saved := time.Now()
		marker := fmt.Sprintf("ok, make dev %d-%d", time.Now().UnixNano(), i)
		markers[c.component] = marker
		editLine(t, e.dir, c.file, c.old, fmt.Sprintf(c.new, marker))
		d.expect(t, regexp.MustCompile(`changed: `+regexp.QuoteMeta(c.file)), time.Minute)
		line := d.expect(t, regexp.MustCompile(c.component+` live-updated \S+ in \d+ pod\(s\) .*: new code answers.*: [0-9.]+s after the save`), 2*time.Minute)
		t.Logf("%s edit (live update): watcher reports %q; the test saw the report %.1fs after the save", c.component, line, time.Since(saved).Seconds())
		served(marker)
		t.Logf("%s edit (live update): served through the NodePort %.1fs after the save", c.component, time.Since(saved).Seconds())
		e.k.ExpectRolled(before) // live update rolls nothing
	}

	// A dependency change cannot be live-updated: it rebuilds the backend (only), which rolls,
	// and the rebuilt image holds the live-updated file too.
	before := e.k.Revisions()
	saved := time.Now()
	appendFile(t, filepath.Join(e.dir, "backend/requirements.txt"), fmt.Sprintf("# make dev fallback check %d\n", time.Now().UnixNano()))
	d.expect(t, regexp.MustCompile(`backend/requirements.txt: dependencies changed, rebuilding backend`), time.Minute)
	up := d.expect(t, regexp.MustCompile(`(update|replace) backend-image \(Image\)`), 10*time.Minute)
	if strings.Contains(up, "frontend-image") {
		t.Errorf("the backend's dependency change also rebuilt the frontend: %s", up)
	}
	line := d.expect(t, regexp.MustCompile(`backend answers with image sha256:[0-9a-f]+ \(pod [^)]+\): [0-9.]+s after the save`), 5*time.Minute)
	t.Logf("backend dependency change (fallback): watcher reports %q; the test saw it %.1fs after the save", line, time.Since(saved).Seconds())
	served(markers["backend"])
	e.k.ExpectRolled(before, "backend")

	// A chart template: the release is upgraded, no image is rebuilt (the frontend's, with
	// its live-updated file, is left as built) and the rendered Service carries the edit.
	before = e.k.Revisions()
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
	served(markers["frontend"])

	// Ctrl-C: the watcher stops, the deployment stays, the stack is not left locked or pending.
	d.interrupt(t)
	d.expect(t, regexp.MustCompile(`stopped watching; the deployment keeps running`), 30*time.Second)
	d.waitExit(t, time.Minute)
	for _, name := range []string{release + "-backend", release + "-frontend"} {
		if dep := e.k.Deployment(name); dep.Status.ReadyReplicas < 1 {
			t.Errorf("after Ctrl-C, Deployment %s has %d ready replicas", name, dep.Status.ReadyReplicas)
		}
	}

	// Leaving make dev: one `pulumi up` deploys exactly what the code builds. The synced
	// files are in no image the state records, so the pods must be replaced: production
	// images (with both edits built in), read-only root, the images' own commands.
	e.p.ok("up", "--stack", "dev", "--yes", "--non-interactive", "--skip-preview")
	e.expectProductionPods(t)
	served(markers["frontend"])
	served(markers["backend"])
	e.p.ok("preview", "--stack", "dev", "--expect-no-changes", "--non-interactive")
}

// expectProductionPods checks that every live pod of both Deployments runs the production
// image as `make up` deploys it: tag v1 (not the -dev build), no command override (the
// image's CMD: no reload), read-only root filesystem, no live-code volume.
func (e *env) expectProductionPods(t *testing.T) {
	t.Helper()
	for _, comp := range []string{"backend", "frontend"} {
		pods, err := e.k.Client.CoreV1().Pods(devNamespace).List(e.k.Ctx(), metav1.ListOptions{
			LabelSelector: "app.kubernetes.io/instance=" + release + ",app.kubernetes.io/component=" + comp})
		if err != nil {
			t.Fatal(err)
		}
		live := 0
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil {
				continue
			}
			live++
			for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
				where := fmt.Sprintf("after leaving make dev and pulumi up, pod %s container %s", p.Name, c.Name)
				if want := "todo-" + comp + ":v1"; c.Image != want {
					t.Errorf("%s runs %s, want %s", where, c.Image, want)
				}
				if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
					t.Errorf("%s: readOnlyRootFilesystem is not true", where)
				}
				if c.Name == comp && len(c.Command) != 0 {
					t.Errorf("%s runs command %q, want the image's own (no reload, no next dev)", where, c.Command)
				}
				if cmd := strings.Join(append(c.Command, c.Args...), " "); strings.Contains(cmd, "--reload") || strings.Contains(cmd, "app.devserver") {
					t.Errorf("%s still reloads: %q %q", where, c.Command, c.Args)
				}
			}
			for _, v := range p.Spec.Volumes {
				if v.Name == "live-code" {
					t.Errorf("after leaving make dev, pod %s still mounts the live-code volume", p.Name)
				}
			}
		}
		if live == 0 {
			t.Errorf("after leaving make dev and pulumi up, no %s pod runs", comp)
		}
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
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
// extraEnv is more of its environment, e.g. LIVE_UPDATE=0.
func startDev(t *testing.T, e *env, extraEnv ...string) *devProcess {
	t.Helper()
	cmd := exec.Command("make", "dev")
	cmd.Dir = e.dir
	// The harness's state backend and passphrase (PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE_FILE)
	// take precedence in deploy/pulumi.sh; PULUMI_TODO_HOME keeps it out of the user's home.
	cmd.Env = append(append(append([]string{}, e.p.env...), "STACK=dev", "DOCKER_HOST="+e.dockerHost, "PULUMI_TODO_HOME="+t.TempDir()), extraEnv...)
	// Pdeathsig: a test binary killed outright (a timeout, a killed run) takes make with it,
	// and the watcher stops when make goes, so no orphan keeps deploying to a node that is
	// gone or holds the node lock it inherited.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
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
