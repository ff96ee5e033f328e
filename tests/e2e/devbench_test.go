//go:build e2e && bench

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestBenchmarkDevLoop (bench/devloop.sh, part of `make bench`) times the dev loop
// through the real CLI and plugins on the test node:
//   - a one-line backend and frontend change, save to the new code answering through the
//     NodePort: with make dev's live update (the default), with the rebuild and roll of
//     `make dev LIVE_UPDATE=0`, and the raw floor of live update on a second release of the
//     same chart and values (`kubectl cp` into the pod, the dev server reloads: Tilt's way),
//     each against the goal (backend <= 2 s, frontend <= 3 s);
//   - a no-op `pulumi preview` with runtime.options.buildTarget (as committed) and without;
//   - the program build as the language host does it: the first preview on an empty Go
//     build cache (BENCH_DEVLOOP_COLD=0 skips it), after a one-line edit of the program,
//     and the size of the binary the host wrote (build/pulumi-program).
func TestBenchmarkDevLoop(t *testing.T) {
	e := newEnv(t)
	e.p.t, e.k.T = t, t
	reps := 3
	nonce := time.Now().UnixNano()
	floorDir := copyRepo(t, repoRoot(t))
	took := func(f func()) time.Duration { s := time.Now(); f(); return time.Since(s) }
	var rows []devRow

	e.initDev("1")
	// Cold program build: the first preview with an empty GOCACHE, less a warm no-op one.
	var cold time.Duration
	if os.Getenv("BENCH_DEVLOOP_COLD") != "0" {
		env := e.p.env
		e.p.env = append(append([]string{}, env...), "GOCACHE="+t.TempDir())
		cold = took(func() { e.p.previewJSON("dev") })
		e.p.env = env
	}

	d := startDev(t, e)
	d.expect(t, regexp.MustCompile(`watching backend/, frontend/, charts/ and the program`), 20*time.Minute)
	// The raw floor: a second release of the same chart with the same (live-update) values,
	// updated by hand the Tilt way: `kubectl cp` of the saved file into the pod, whose dev
	// server reloads it (uvicorn --reload, next dev), with no watcher in between.
	e.run(t, "helm", "install", release, filepath.Join(floorDir, "charts", "todo-chatbot"), "-n", floorNamespace,
		"--create-namespace", "--wait", "--timeout", "5m", "-f", e.releaseValues(t), "--kubeconfig", e.c.Kubeconfig,
		"--kube-context", "minikube")
	devURL, floorURL := e.nodePortURL(t, devNamespace), e.nodePortURL(t, floorNamespace)
	waitFor(t, floorURL, "ok") // next dev's first compile of the floor's routes

	edits := []struct {
		component, file, old, marker string
		goal                         time.Duration
	}{
		{"backend", "backend/app/api/health.py", `"database": "ok"`, "ok, devbench %d-%d", 2 * time.Second},
		{"frontend", "frontend/src/app/api/status/route.ts", `{ frontend: "ok", backend }`, "ok, devbench %d-%d", 3 * time.Second},
	}
	cur := map[string]string{}
	edit := func(dir, file, old string, n int, format string) string {
		marker := fmt.Sprintf(format, nonce, n) // new to this run: every build is one the engine never had
		from, ok := cur[dir+file]
		if !ok {
			from = old
		}
		to := strings.Replace(old, `"ok"`, fmt.Sprintf("%q", marker), 1)
		editLine(t, dir, file, from, to)
		cur[dir+file] = to
		return marker
	}
	type liveRow struct {
		name                string
		live, rebuild, raw  []time.Duration
		goal                time.Duration
		report, rebuildNote string
	}
	var live []*liveRow
	for ci, c := range edits {
		row := &liveRow{name: c.component + " edit, save -> new code answering", goal: c.goal}
		live = append(live, row)
		for i := 0; i < reps; i++ {
			n := 1000 + 100*ci + 10*i
			row.live = append(row.live, took(func() { waitFor(t, devURL, edit(e.dir, c.file, c.old, n+1, c.marker)) }))
			row.report = lastReport([]string{d.expect(t, regexp.MustCompile(c.component+` live-updated .*after the save`), 5*time.Minute)})
			row.raw = append(row.raw, took(func() {
				m := edit(floorDir, c.file, c.old, n+2, c.marker)
				pod := e.floorPod(t, c.component)
				e.run(t, "kubectl", "--kubeconfig", e.c.Kubeconfig, "-n", floorNamespace, "cp", "-c", c.component,
					filepath.Join(floorDir, c.file), pod+":/app/"+strings.SplitN(c.file, "/", 2)[1])
				waitFor(t, floorURL, m)
			}))
		}
	}
	d.interrupt(t)
	d.waitExit(t, time.Minute)

	// The same edits rebuilt and rolled: make dev with live update off (its first deploy
	// puts the production pods back).
	d = startDev(t, e, "LIVE_UPDATE=0")
	d.expect(t, regexp.MustCompile(`watching backend/, frontend/, charts/ and the program`), 20*time.Minute)
	for ci, c := range edits {
		row := live[ci]
		var reported []string
		for i := 0; i < reps; i++ {
			n := 2000 + 100*ci + 10*i
			row.rebuild = append(row.rebuild, took(func() { waitFor(t, devURL, edit(e.dir, c.file, c.old, n+1, c.marker)) }))
			reported = append(reported, d.expect(t, regexp.MustCompile(c.component+` answers with image .*after the save`), 10*time.Minute))
		}
		row.rebuildNote = lastReport(reported)
	}
	d.interrupt(t)
	d.waitExit(t, time.Minute)
	var lb strings.Builder
	fmt.Fprintf(&lb, "\n%-42s %11s %13s %9s %9s   %s\n", "live update (make dev, real node)", "live update", "rebuild+roll", "raw cp", "vs goal", "notes")
	for _, row := range live {
		l, rb, raw := median(row.live), median(row.rebuild), median(row.raw)
		fmt.Fprintf(&lb, "%-42s %11s %13s %9s %8.2fx   goal <= %s; live runs %v, rebuild %v, raw %v; watcher: live %s, rebuild %s; live/rebuild %.2fx, live/raw %.2fx\n",
			row.name, r(l), r(rb), r(raw), l.Seconds()/row.goal.Seconds(), row.goal, rounded(row.live), rounded(row.rebuild), rounded(row.raw),
			row.report, row.rebuildNote, l.Seconds()/rb.Seconds(), l.Seconds()/raw.Seconds())
	}
	t.Log(lb.String())

	// No-op preview, with buildTarget (as committed) and without (a temp file per command).
	noop := func() time.Duration {
		var ds []time.Duration
		for i := 0; i < reps; i++ {
			ds = append(ds, took(func() { e.p.previewJSON("dev") }))
		}
		return median(ds)
	}
	with := noop()
	pulumiYAML := filepath.Join(e.dir, "Pulumi.yaml")
	orig, err := os.ReadFile(pulumiYAML)
	if err != nil {
		t.Fatal(err)
	}
	// The runtime block as it was before buildTarget: `runtime: go`.
	without := regexp.MustCompile(`(?ms)^runtime:\n  name: go\n  options:\n.*?^    buildTarget: [^\n]*\n`).ReplaceAll(orig, []byte("runtime: go\n"))
	if string(without) == string(orig) {
		t.Fatal("Pulumi.yaml has no runtime.options.buildTarget block to take out for the comparison")
	}
	writeFile(t, pulumiYAML, string(without))
	withoutTarget := noop()
	writeFile(t, pulumiYAML, string(orig))
	rows = append(rows, devRow{name: "no-op pulumi preview", dev: with, floor: withoutTarget,
		note: "column 1 with buildTarget (goal < 1s), column 2 without it (relink into a temp file each time)"})

	// The program as the host builds it: after a one-line edit, and the binary it wrote.
	editLine(t, e.dir, "infra/program.go", "package infra\n", "package infra\n\n// devbench edit\n")
	edited := took(func() { e.p.previewJSON("dev") })
	rows = append(rows, devRow{name: "preview after a one-line program edit", dev: edited,
		note: fmt.Sprintf("recompile of infra + relink; minus the no-op preview: %s", r(edited-with))})
	if cold > 0 {
		rows = append(rows, devRow{name: "first preview, empty Go build cache", dev: cold,
			note: fmt.Sprintf("cold compile by the language host (-trimpath); minus the no-op preview: %s", r(cold-with))})
	}
	if fi, err := os.Stat(filepath.Join(e.dir, "build", "pulumi-program")); err == nil {
		rows = append(rows, devRow{name: "program binary (build/pulumi-program)", note: fmt.Sprintf("%.1f MB, as the host built it (-trimpath -ldflags '-w -s')", float64(fi.Size())/1e6)})
	} else {
		t.Errorf("the language host wrote no build/pulumi-program: %v", err)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\n%-42s %10s %10s %7s   %s\n", "dev loop (real CLI, real node)", "make dev", "floor", "ratio", "notes")
	for _, row := range rows {
		dev, floor, ratio := "-", "-", "-"
		if row.dev > 0 {
			dev = r(row.dev).String()
		}
		if row.floor > 0 {
			floor = r(row.floor).String()
			ratio = fmt.Sprintf("%.2fx", row.dev.Seconds()/row.floor.Seconds())
		}
		fmt.Fprintf(&b, "%-42s %10s %10s %7s   %s\n", row.name, dev, floor, ratio, row.note)
	}
	t.Log(b.String())
}

// floorPod is a running pod of the floor release's component.
func (e *env) floorPod(t *testing.T, component string) string {
	t.Helper()
	pods, err := e.k.Client.CoreV1().Pods(floorNamespace).List(e.k.Ctx(), metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/instance=" + release + ",app.kubernetes.io/component=" + component})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == "Running" {
			return p.Name
		}
	}
	t.Fatalf("no running %s pod in %s", component, floorNamespace)
	return ""
}

type devRow struct {
	name       string
	dev, floor time.Duration
	note       string
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration{}, ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func rounded(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = r(d)
	}
	return out
}

// lastReport is the timing part of the watcher's last report line.
func lastReport(lines []string) string {
	if len(lines) == 0 {
		return "-"
	}
	l := lines[len(lines)-1]
	if i := strings.LastIndex(l, ": "); i >= 0 {
		return l[i+2:]
	}
	return l
}
