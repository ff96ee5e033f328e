//go:build e2e

// Package e2e runs the user's commands through the real Pulumi CLI, the real Go language
// host and the real kubernetes and docker providers (../shared/plugins), against the test
// cluster of tests/cluster and a Docker engine: preview, up, make verify, code, chart and
// secret changes, bad config, upgrades under load, pod faults, promotion and destroy.
package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/todo-chatbot/todo-chatbot/tests/cluster"
)

const (
	devNamespace = "todo-chatbot"
	release      = "todo-chatbot"
	replicas     = "2" // per component, so the rolling upgrades can keep serving
)

// suite runs the steps in order; once one fails, the later ones are skipped with the reason
// (they build on it), so one failure is reported once.
type suite struct {
	t      *testing.T
	bind   func(t *testing.T) // points the shared helpers at the running step's t
	failed string
}

func (s *suite) step(name string, fn func(t *testing.T)) {
	if s.failed != "" {
		s.t.Run(name, func(t *testing.T) { t.Skipf("skipped: the earlier step %q failed", s.failed) })
		return
	}
	start := time.Now()
	if !s.t.Run(name, func(t *testing.T) { s.bind(t); fn(t) }) {
		s.failed = name
	}
	s.t.Logf("step %s: %s", name, time.Since(start).Round(100*time.Millisecond))
}

// measure is a step whose failure (e.g. failed requests counted under load) leaves the
// deployment usable, so the later steps still run.
func (s *suite) measure(name string, fn func(t *testing.T)) {
	failed := s.failed
	s.step(name, fn)
	if failed == "" && s.failed == name {
		s.failed = ""
	}
}

// env is everything the steps share.
type env struct {
	p          *pulumi
	k          cluster.Kube // namespace devNamespace; In(ns) for the others
	c          *cluster.Cluster
	dir        string
	dockerHost string
}

// newEnv starts the test cluster and prepares the CLI with the plugins on a copy of the
// repository (skipped loudly without the plugins).
func newEnv(t *testing.T) *env {
	repo := repoRoot(t)
	cli, plugins := requirePlugins(t, repo)
	c := cluster.Start(t)
	// The node's Docker API: what `minikube docker-env` gives a user (builds land on the node).
	dockerHost := c.DockerHost
	e := &env{c: c, dockerHost: dockerHost, dir: copyRepo(t, repo)}
	e.k = cluster.Kube{T: t, Client: c.Client, NS: devNamespace}
	e.p = newPulumi(t, cli, plugins, e.dir)
	e.p.env = append(e.p.env, "DOCKER_HOST="+dockerHost)
	return e
}

func TestUserCommands(t *testing.T) {
	e := newEnv(t)
	s := &suite{t: t, bind: func(t *testing.T) { e.p.t, e.k.T = t, t }}
	s.step("01-preview-shows-creates", e.previewCreates)
	s.step("02-up-builds-and-installs", e.upInstalls)
	s.step("03-make-verify", e.makeVerify("dev", withHelm))
	s.step("04-second-preview-no-change", e.noChange)
	s.step("05-backend-edit-new-code-answers", e.backendEdit)
	s.step("06-chart-edit-updates-release", e.chartEdit)
	s.measure("07-upgrades-under-load-fail-no-request", e.upgradesUnderLoad)
	s.measure("08-pod-faults-under-load-lose-no-todo", e.faultsUnderLoad)
	s.step("09-secret-change-rolls-both", e.secretChange)
	s.step("10-bad-config-fails-before-any-change", e.badConfig)
	s.step("11-promotion-deploys-same-digests", e.promotion)
	s.step("12-make-verify-promoted-without-helm", e.makeVerify(prodStack, withoutHelm))
	s.step("13-ingress-https-metrics-json-logs", e.ingressObservability)
	s.step("14-no-secret-in-any-output-log-or-state", func(t *testing.T) {
		logs := map[string]string{}
		for _, ns := range []string{devNamespace, stagingNamespace, prodNamespace} {
			for name, text := range e.k.In(ns).Logs() {
				logs[name] = text
			}
		}
		e.p.scanForSecrets(t, logs)
	})
	s.step("15-destroy-promotion-stacks", e.destroyPromotion)
	s.step("16-destroy-dev-leaves-only-documented", e.destroy)
}

// initDev creates the dev stack (Pulumi.dev.yaml as committed) pointed at the test cluster
// and the Docker engine, with n replicas of each component.
func (e *env) initDev(n string) {
	e.p.ok("stack", "init", "dev", "--secrets-provider", "passphrase")
	for key, value := range map[string]string{
		"kubeContext":      e.c.Context,
		"kubeconfig":       e.c.Kubeconfig,
		"dockerHost":       e.dockerHost,
		"backendReplicas":  n,
		"frontendReplicas": n,
		"releaseTimeout":   "300",
	} {
		e.p.ok("config", "set", "--stack", "dev", key, value)
	}
}

func (e *env) previewCreates(t *testing.T) {
	p := e.p
	e.initDev(replicas)
	start := time.Now()
	pv := p.previewJSON("dev")
	t.Logf("first preview (the language host compiles the program): %s", time.Since(start).Round(100*time.Millisecond))
	for _, name := range []string{backendImage, frontendImage, helmRelease, dockerProv, kubeProv} {
		if op := pv.op(name); op != "create" {
			t.Errorf("preview: %s has op %q, want create (all ops: %v)", name, op, pv.ops())
		}
	}
	for name, op := range pv.changes() {
		if op != "create" {
			t.Errorf("preview on an empty stack: %s would %s", name, op)
		}
	}
}

func (e *env) upInstalls(t *testing.T) {
	p := e.p
	start := time.Now()
	p.ok("up", "--stack", "dev", "--yes", "--skip-preview", "--non-interactive")
	t.Logf("first pulumi up (both images built, release installed and ready): %s", time.Since(start).Round(100*time.Millisecond))
	outs := e.outputs(t, "dev")
	if outs["releaseStatus"] != "deployed" || outs["namespace"] != devNamespace {
		t.Errorf("stack outputs: releaseStatus %q namespace %q", outs["releaseStatus"], outs["namespace"])
	}
	for _, c := range []struct{ output, image, deployment string }{
		{"backendImage", "todo-backend:v1", release + "-backend"},
		{"frontendImage", "todo-frontend:v1", release + "-frontend"},
	} {
		id := e.imageID(t, c.image)
		if want := c.image + "@" + id; outs[c.output] != want {
			t.Errorf("output %s = %q, want %q (the image the daemon holds)", c.output, outs[c.output], want)
		}
		d := e.k.Deployment(c.deployment)
		if got := d.Spec.Template.Annotations["todo-chatbot/image-id"]; got != id {
			t.Errorf("Deployment %s runs image ID %q, the daemon built %q", c.deployment, got, id)
		}
		if d.Status.ReadyReplicas != 2 {
			t.Errorf("Deployment %s: %d ready replicas, want 2", c.deployment, d.Status.ReadyReplicas)
		}
	}
}

const (
	withHelm    = true
	withoutHelm = false
)

// makeVerify runs `make verify STACK=<stack>` in the project as a user would. withoutHelm
// takes helm off PATH, so verify runs the chart's test pod with kubectl instead.
func (e *env) makeVerify(stack string, helm bool) func(t *testing.T) {
	return func(t *testing.T) {
		cmd := exec.Command("make", "--no-print-directory", "verify", "STACK="+stack)
		cmd.Dir, cmd.Env = e.dir, e.p.env
		if _, err := exec.LookPath("helm"); helm && err != nil {
			t.Skip("SKIPPED LOUDLY: helm is not on PATH (tests/run/e2e.sh builds it), so `helm test` cannot run")
		}
		if !helm {
			cmd.Env = append(cmd.Env, "PATH="+pathWithout(e.p.env, "helm"))
		}
		start := time.Now()
		out, err := cmd.CombinedOutput()
		t.Logf("make verify STACK=%s (%s):\n%s", stack, time.Since(start).Round(100*time.Millisecond), e.p.redact(string(out)))
		e.p.record("make-verify-"+stack, out)
		if err != nil {
			t.Fatalf("make verify failed: %v", err)
		}
		if !strings.Contains(string(out), "checks passed") {
			t.Fatal("make verify exited 0 without its summary line")
		}
	}
}

// pathWithout is env's PATH minus every directory holding an executable named bin.
func pathWithout(env []string, bin string) string {
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	var keep []string
	for _, d := range filepath.SplitList(path) {
		if _, err := os.Stat(filepath.Join(d, bin)); err != nil {
			keep = append(keep, d)
		}
	}
	return strings.Join(keep, string(os.PathListSeparator))
}

func (e *env) noChange(t *testing.T) {
	start := time.Now()
	if ch := e.p.previewJSON("dev").changes(); len(ch) != 0 {
		t.Errorf("a preview right after up wants changes: %v", ch)
	}
	t.Logf("no-op preview: %s", time.Since(start).Round(100*time.Millisecond))
}

// expectChanges checks a preview touches exactly the resources matching want's keys, each
// with one of the listed ops.
func expectChanges(t *testing.T, pv preview, want map[string][]string) {
	t.Helper()
	got := pv.changes()
	for match, ops := range want {
		if op := pv.op(match); !slices.Contains(ops, op) {
			t.Errorf("preview: %s has op %q, want one of %v (all changes: %v)", match, op, ops, got)
		}
	}
	for key, op := range got {
		wanted := false
		for match := range want {
			wanted = wanted || strings.Contains(key, match)
		}
		if !wanted {
			t.Errorf("preview: %s would %s, want no change", key, op)
		}
	}
}

// backendMarker is the one-line backend edit: the readiness answer, which the frontend's
// /api/status relays, carries it once the new code runs.
func backendMarker(n int) string { return fmt.Sprintf("ok, e2e edit %d", n) }

func (e *env) backendEdit(t *testing.T) {
	editLine(t, e.dir, "backend/app/api/health.py", `"database": "ok"`, fmt.Sprintf(`"database": %q`, backendMarker(1)))
	expectChanges(t, e.p.previewJSON("dev"), map[string][]string{backendImage: {"update", "replace"}, helmRelease: {"update"}})
	before := e.k.Revisions()
	start := time.Now()
	e.p.ok("up", "--stack", "dev", "--yes", "--skip-preview", "--non-interactive")
	t.Logf("pulumi up after a one-line backend edit: %s", time.Since(start).Round(100*time.Millisecond))
	e.k.ExpectRolled(before, "backend")
	base := e.portForward(t, devNamespace, release+"-frontend", 3000)
	var status struct {
		Backend struct{ Detail string } `json:"backend"`
	}
	if err := eventually(30*time.Second, func() error {
		code, err := call("GET", base+"/api/status", nil, &status)
		if err == nil && (code != 200 || !strings.Contains(status.Backend.Detail, backendMarker(1))) {
			err = fmt.Errorf("HTTP %d, backend %q", code, status.Backend.Detail)
		}
		return err
	}); err != nil {
		t.Fatalf("the new backend code does not answer through the frontend: %v", err)
	}
	t.Logf("the edited backend answers through the frontend: %q", status.Backend.Detail)
}

func (e *env) chartEdit(t *testing.T) {
	editLine(t, e.dir, "charts/todo-chatbot/templates/backend-service.yaml", "metadata:\n",
		"metadata:\n  annotations:\n    e2e.todo-chatbot/chart-edit: \"1\"\n")
	expectChanges(t, e.p.previewJSON("dev"), map[string][]string{helmRelease: {"update"}})
	before := e.k.Revisions()
	e.p.ok("up", "--stack", "dev", "--yes", "--skip-preview", "--non-interactive")
	svc, err := e.k.Client.CoreV1().Services(devNamespace).Get(e.k.Ctx(), release+"-backend", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Annotations["e2e.todo-chatbot/chart-edit"] != "1" {
		t.Errorf("after the chart edit and up, Service %s has annotations %v", svc.Name, svc.Annotations)
	}
	e.k.ExpectRolled(before)
}

func (e *env) secretChange(t *testing.T) {
	key := e.p.secret("AIza-e2e-" + randomHex(t, 12))
	e.p.ok("config", "set", "--stack", "dev", "--secret", "geminiApiKey", key)
	diff := e.p.ok("preview", "--stack", "dev", "--diff", "--non-interactive")
	if !strings.Contains(diff, "[secret]") {
		t.Errorf("preview --diff shows no [secret]:\n%s", e.p.redact(lastLines(diff, 40)))
	}
	before := e.k.Revisions()
	e.p.ok("up", "--stack", "dev", "--yes", "--skip-preview", "--non-interactive")
	e.k.ExpectRolled(before, "backend", "frontend")
	if got := string(e.k.SecretData(release + "-secrets")["GEMINI_API_KEY"]); got != key {
		t.Errorf("Secret %s-secrets does not hold the new key (%d bytes)", release, len(got))
	}
	e.p.scanForSecrets(t, e.k.Logs())
}

// badConfig: each mistake fails `pulumi up` in the program's config check, naming the key,
// before any resource is touched (no build, no release revision, no rollout).
func (e *env) badConfig(t *testing.T) {
	backendID := e.imageID(t, "todo-backend:v1")
	revisions := e.k.Revisions()
	releases := e.releaseRevisions(t, devNamespace)
	plaintext := "postgresql://todo:plaintext-pa55@db.example.com:5432/todo"
	for _, c := range []struct {
		name string
		set  []string
		key  string
	}{
		{"unknown key", []string{"backendReplica", "3"}, "backendReplica"},
		{"plaintext secret", []string{"databaseUrl", plaintext}, "databaseUrl"},
		{"negative replicas", []string{"backendReplicas", "--", "-1"}, "backendReplicas"},
	} {
		args := append([]string{"config", "set", "--stack", "dev"}, c.set...)
		e.p.ok(args...)
		out := e.p.fails("up", "--stack", "dev", "--yes", "--non-interactive")
		if !strings.Contains(out, c.key) {
			t.Errorf("%s: pulumi up failed without naming %s:\n%s", c.name, c.key, lastLines(out, 20))
		}
		if strings.Contains(out, plaintext) || strings.Contains(out, "plaintext-pa55") {
			t.Errorf("%s: the error output repeats the plaintext secret", c.name)
		}
		t.Logf("%s: refused: %s", c.name, firstLineWith(out, c.key))
		if c.key == "backendReplicas" {
			e.p.ok("config", "set", "--stack", "dev", "backendReplicas", replicas)
		} else {
			e.p.ok("config", "rm", "--stack", "dev", c.set[0])
		}
	}
	if got := e.imageID(t, "todo-backend:v1"); got != backendID {
		t.Errorf("a refused up rebuilt the backend image: %s -> %s", backendID, got)
	}
	e.k.ExpectRolled(revisions)
	if got := e.releaseRevisions(t, devNamespace); got != releases {
		t.Errorf("a refused up touched the Helm release: revisions %s -> %s", releases, got)
	}
}

func (e *env) destroy(t *testing.T) {
	e.p.ok("destroy", "--stack", "dev", "--yes", "--skip-preview", "--non-interactive")
	left := e.leftovers(t, devNamespace)
	// Documented (charts/todo-chatbot/README.md): the PostgreSQL volume and its password
	// Secret outlive the release; the namespace stays with what Kubernetes puts in any.
	want := []string{
		"ConfigMap/kube-root-ca.crt",
		"PersistentVolumeClaim/data-" + release + "-postgresql-0",
		"Secret/" + release + "-postgresql",
		"ServiceAccount/default",
	}
	if strings.Join(left, " ") != strings.Join(want, " ") {
		t.Errorf("after pulumi destroy, namespace %s holds %v, want only %v", devNamespace, left, want)
	}
	if outs := e.p.okJSON("stack", "output", "--stack", "dev", "--json"); strings.TrimSpace(outs) != "{}" {
		t.Errorf("stack outputs after destroy: %s", outs)
	}
}

// leftovers lists what remains in ns (Kind/name, sorted), once pods are gone.
func (e *env) leftovers(t *testing.T, ns string) []string {
	t.Helper()
	k := e.k
	var left []string
	err := eventually(90*time.Second, func() error {
		left = nil
		pods, err := k.Client.CoreV1().Pods(ns).List(k.Ctx(), metav1.ListOptions{})
		if err != nil {
			return err
		}
		if len(pods.Items) > 0 {
			return fmt.Errorf("%d pods still terminating", len(pods.Items))
		}
		core, apps, ctx, opts := k.Client.CoreV1(), k.Client.AppsV1(), k.Ctx(), metav1.ListOptions{}
		for kind, list := range map[string]func() (runtime.Object, error){
			"ConfigMap":             func() (runtime.Object, error) { return core.ConfigMaps(ns).List(ctx, opts) },
			"PersistentVolumeClaim": func() (runtime.Object, error) { return core.PersistentVolumeClaims(ns).List(ctx, opts) },
			"Secret":                func() (runtime.Object, error) { return core.Secrets(ns).List(ctx, opts) },
			"ServiceAccount":        func() (runtime.Object, error) { return core.ServiceAccounts(ns).List(ctx, opts) },
			"Service":               func() (runtime.Object, error) { return core.Services(ns).List(ctx, opts) },
			"Deployment":            func() (runtime.Object, error) { return apps.Deployments(ns).List(ctx, opts) },
			"StatefulSet":           func() (runtime.Object, error) { return apps.StatefulSets(ns).List(ctx, opts) },
		} {
			l, err := list()
			if err != nil {
				return fmt.Errorf("listing %ss: %w", kind, err)
			}
			items, err := meta.ExtractList(l)
			if err != nil {
				return err
			}
			for _, item := range items {
				if obj, err := meta.Accessor(item); err == nil {
					left = append(left, kind+"/"+obj.GetName())
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("namespace %s after destroy: %v", ns, err)
	}
	slices.Sort(left)
	return left
}

// releaseRevisions is the Helm release's history as stored in the cluster (Secrets
// sh.helm.release.v1.<release>.v<N>), as one comparable string.
func (e *env) releaseRevisions(t *testing.T, ns string) string {
	list, err := e.k.Client.CoreV1().Secrets(ns).List(e.k.Ctx(), metav1.ListOptions{LabelSelector: "owner=helm,name=" + release})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list.Items {
		names = append(names, s.Name+"="+s.Labels["status"])
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

// outputs returns the stack's outputs (no secrets: the program exports none).
func (e *env) outputs(t *testing.T, stack string) map[string]any {
	raw := e.p.okJSON("stack", "output", "--stack", stack, "--json")
	m := map[string]any{}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("pulumi stack output --json: %v\n%s", err, raw)
	}
	return m
}

// imageID asks the Docker daemon the images were built by for an image's ID.
func (e *env) imageID(t *testing.T, image string) string {
	t.Helper()
	cmd := exec.Command(dockerCLI(), "image", "inspect", "--format", "{{.Id}}", image)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+e.dockerHost)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker image inspect %s: %v\n%s", image, err, out)
	}
	return strings.TrimSpace(string(out))
}

func dockerCLI() string {
	if d := os.Getenv("TODO_DOCKER"); d != "" {
		return d
	}
	return "docker"
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func firstLineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
