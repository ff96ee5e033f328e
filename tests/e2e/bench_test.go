//go:build e2e && bench

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// floorNamespace holds the raw-tools release the Pulumi figures are compared with.
const floorNamespace = "todo-floor"

// TestBenchmark (bench/e2e.sh, part of `make bench`) times the user's loop through the real
// CLI on the test node against the raw floor: the same images built with `docker build`,
// the same chart and values installed with `helm install --wait`, a change rolled with
// `kubectl rollout restart` + `rollout status`. It prints a table with the ratios.
//
// Both sides are timed less the test node's copy of each new image from the Docker engine
// into the node's containerd (a STAND-IN's cost: Minikube's shared daemon builds straight
// into the node's store). The copy is skipped for an image ID the node already has, so the
// floor, building the same code after Pulumi did, would otherwise skip what Pulumi paid.
func TestBenchmark(t *testing.T) {
	e := newEnv(t)
	e.p.t, e.k.T = t, t
	// The floor builds from a copy of its own, so its edits never reach Pulumi's contexts.
	floorDir := copyRepo(t, repoRoot(t))
	var rows []benchRow
	took := func(f func()) time.Duration {
		i, s := e.c.ImportTime(), time.Now()
		f()
		return time.Since(s) - (e.c.ImportTime() - i)
	}

	// 1. First deployment on an empty cluster, to `make verify` passing. The engine's build
	//    cache is warmed with both images first (untimed), so Pulumi's builds and the floor's,
	//    which come second, find the same cache: the row compares what each adds around them.
	e.initDev("1")
	e.dockerBuild(t, e.dir, "backend")
	e.dockerBuild(t, e.dir, "frontend")
	copiedBefore := e.c.ImportTime()
	compile := took(func() { e.p.previewJSON("dev") })
	var upSteps stepTimes
	up := took(func() {
		upSteps = timedSteps(t, e, "up", "--stack", "dev", "--yes", "--skip-preview", "--non-interactive")
	})
	verify := took(func() { e.makeVerify("dev", withHelm)(t) })
	values := e.releaseValues(t)
	var floorBuild, floorInstall time.Duration
	floorBuild = took(func() { e.dockerBuild(t, floorDir, "backend"); e.dockerBuild(t, floorDir, "frontend") })
	floorInstall = took(func() {
		e.run(t, "helm", "install", release, filepath.Join(floorDir, "charts", "todo-chatbot"), "-n", floorNamespace,
			"--create-namespace", "--wait", "--timeout", "5m", "-f", values, "--kubeconfig", e.c.Kubeconfig, "--kube-context", "minikube")
	})
	rows = append(rows, benchRow{"first up -> verify passes", up + verify, floorBuild + floorInstall + verify,
		fmt.Sprintf("up %s (program build in the first preview: %s; steps with the stand-in's copies: %s), verify %s; floor: docker build %s, helm install --wait %s; left out: the stand-in's image copies %s",
			r(up), r(compile), upSteps, r(verify), r(floorBuild), r(floorInstall), r(e.c.ImportTime()-copiedBefore))})

	// 2./3. One-line change to the new code answering, backend then frontend.
	pulumiURL, floorURL := e.nodePortURL(t, devNamespace), e.nodePortURL(t, floorNamespace)
	for i, c := range []struct{ component, file, old, marker string }{
		{"backend", "backend/app/api/health.py", `"database": "ok"`, "ok, bench %d"},
		{"frontend", "frontend/src/app/api/status/route.ts", `{ frontend: "ok", backend }`, "ok, bench %d"},
	} {
		edit := func(dir string, n int) {
			to := strings.Replace(c.old, `"ok"`, fmt.Sprintf("%q", fmt.Sprintf(c.marker, n)), 1)
			editLine(t, dir, c.file, c.old, to)
		}
		edit(e.dir, 10*i+1)
		var pu time.Duration
		var steps stepTimes
		pu = took(func() {
			steps = timedSteps(t, e, "up", "--stack", "dev", "--yes", "--skip-preview", "--non-interactive")
			waitFor(t, pulumiURL, fmt.Sprintf(c.marker, 10*i+1))
		})
		edit(floorDir, 10*i+2)
		var build, roll time.Duration
		fl := took(func() {
			build = took(func() { e.dockerBuild(t, floorDir, c.component) })
			roll = took(func() {
				d := "deployment/" + release + "-" + c.component
				e.run(t, "kubectl", "--kubeconfig", e.c.Kubeconfig, "-n", floorNamespace, "rollout", "restart", d)
				e.run(t, "kubectl", "--kubeconfig", e.c.Kubeconfig, "-n", floorNamespace, "rollout", "status", d, "--timeout=5m")
			})
			waitFor(t, floorURL, fmt.Sprintf(c.marker, 10*i+2))
		})
		rows = append(rows, benchRow{"one-line " + c.component + " change -> new code answers", pu, fl,
			fmt.Sprintf("floor: docker build %s, rollout restart+status %s; pulumi's extra %s (steps: %s)", r(build), r(roll), r(pu-fl), steps)})
	}

	// 4. No-op preview (median of 3), against the floor of `helm diff`-free nothing: its
	//    figure is the program run plus the providers' diff, printed alone.
	var ds []time.Duration
	for i := 0; i < 3; i++ {
		ds = append(ds, took(func() { e.p.previewJSON("dev") }))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	rows = append(rows, benchRow{"no-op pulumi preview (median of 3)", ds[1], 0,
		"language host (buildTarget: no relink) + program + provider diffs"})

	var b strings.Builder
	fmt.Fprintf(&b, "\n%-42s %10s %10s %7s   %s\n", "e2e benchmark (real CLI, real node)", "pulumi", "raw floor", "ratio", "what dominates")
	for _, row := range rows {
		ratio := "-"
		floor := "-"
		if row.floor > 0 {
			ratio = fmt.Sprintf("%.1fx", row.pulumi.Seconds()/row.floor.Seconds())
			floor = r(row.floor).String()
		}
		fmt.Fprintf(&b, "%-42s %10s %10s %7s   %s\n", row.name, r(row.pulumi), floor, ratio, row.note)
	}
	t.Log(b.String())
}

type benchRow struct {
	name          string
	pulumi, floor time.Duration
	note          string
}

func r(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }

// releaseValues writes the values Pulumi's release was installed with (helm get values
// --all), minus the fixed node port, so the floor installs the same chart and values.
func (e *env) releaseValues(t *testing.T) string {
	out := e.run(t, "helm", "get", "values", release, "-n", devNamespace, "-o", "json", "--kubeconfig", e.c.Kubeconfig, "--kube-context", "minikube")
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if fe, ok := v["frontend"].(map[string]any); ok {
		if svc, ok := fe["service"].(map[string]any); ok {
			delete(svc, "nodePort")
		}
	}
	b, _ := json.Marshal(v)
	f := filepath.Join(t.TempDir(), "values.json")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// dockerBuild is the floor's image build: the same Dockerfile, context and tag.
func (e *env) dockerBuild(t *testing.T, dir, component string) {
	e.run(t, dockerCLI(), "build", "-q", "-t", "todo-"+component+":v1", filepath.Join(dir, component))
}

func (e *env) run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+e.dockerHost, "DOCKER_BUILDKIT=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, lastLines(string(out), 30))
	}
	return string(out)
}

// newVisitor polls as a new visitor does: a new connection each time, so kube-proxy picks a
// ready pod. A kept-alive connection stays with the pod it reached; Node 18's server.close()
// leaves such a busy connection open until the pod is killed, which would time the old
// frontend pod's grace period (35 s) instead of the roll.
var newVisitor = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// waitFor polls the frontend's /api/status until marker shows (the new code answers).
func waitFor(t *testing.T, base, marker string) {
	t.Helper()
	if err := eventually(5*time.Minute, func() error {
		resp, err := newVisitor.Get(base + "/api/status")
		if err != nil {
			return err
		}
		var status map[string]any
		err = json.NewDecoder(resp.Body).Decode(&status)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if !strings.Contains(fmt.Sprint(status), marker) {
			return fmt.Errorf("not yet %q: %v", marker, status)
		}
		return nil
	}); err != nil {
		t.Fatalf("the new code never answered at %s: %v", base, err)
	}
}
