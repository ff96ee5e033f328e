//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/todo-chatbot/todo-chatbot/tests/cluster"
)

// The many-node run, with two clusters one after the other as a user's staging and prod
// clusters: staging on a one-node cluster (context "minikube"), prod on a cluster of three
// nodes (context "multinode": the first node, which runs the control plane, and two
// workers; kube-router routes between them and enforces NetworkPolicies). A registry on the
// host outlives both; the host's PostgreSQL is prod's external database.
const (
	mnStaging       = "mn-staging"
	mnProd          = "mn-prod"
	mnContext       = "multinode"
	policyNamespace = "todo-policy"
	nodeLossBound   = NodeLossFailing
)

// TestManyNodes is the multi-node cluster as users run one (README, "Production"): a
// staging stack on a one-node cluster builds and pushes to a registry; on the multi-node
// cluster the dev stack refuses before building, and a prod stack promotes the same
// digests; replicas spread; make verify and helm test pass with NetworkPolicies enforced,
// and the policies hold (probes that must fail do, and succeed with the policies off); a
// worker lost under load fails requests only for a bounded time and loses no stored todo;
// a drain under load fails no request and the PDB holds a replica up.
//
// The clusters run one after the other, not side by side: the harness's node names,
// addresses and paths are fixed, one test cluster per machine (the runner's node lock).
func TestManyNodes(t *testing.T) {
	repo := repoRoot(t)
	cli, plugins := requirePlugins(t, repo)
	registry := cluster.StartRegistry(t, "") // on the host's loopback: outlives both clusters
	staging := cluster.Start(t)
	e := &env{c: staging, dockerHost: staging.DockerHost, dir: copyRepo(t, repo)}
	e.k = cluster.Kube{T: t, Client: staging.Client, NS: stagingNamespace}
	e.p = newPulumi(t, cli, plugins, e.dir)
	e.p.env = append(e.p.env, "DOCKER_HOST="+staging.DockerHost)
	m := &manyNodes{env: e, registry: registry}
	s := &suite{t: t, bind: func(t *testing.T) { e.p.t, e.k.T = t, t }}
	s.step("01-staging-on-one-node-pushes", m.stagingPushes)
	if s.failed != "" {
		return
	}
	staging.Stop()

	c := cluster.StartWith(t, cluster.Options{Workers: 2, Context: mnContext})
	if err := c.UseRegistry(registry); err != nil {
		t.Fatal(err)
	}
	m.pg = cluster.StartHostPostgres(t) // as long as the test, not one step
	e.c, e.dockerHost = c, c.DockerHost
	e.k = cluster.Kube{T: t, Client: c.Client, NS: prodNamespace}
	s.step("02-dev-stack-refuses-before-building", m.devRefuses)
	s.step("03-prod-promotes-to-many-nodes", m.promote)
	s.step("04-replicas-spread-over-nodes", m.spread)
	s.step("05-make-verify-policies-enforced", e.makeVerify(mnProd, withHelm))
	s.step("06-network-policies-hold", m.policies)
	s.measure("07-node-loss-under-load", m.nodeLoss)
	s.measure("08-drain-under-load-pdb-holds", m.drain)
}

type manyNodes struct {
	*env
	registry string
	pg       *cluster.HostPostgres
}

func (m *manyNodes) kubectl(args ...string) (string, error) {
	cmd := exec.Command("kubectl", append([]string{"--kubeconfig", m.c.Kubeconfig, "--context", m.c.Context}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// stagingPushes: on the one-node cluster, a staging stack (its own database on the host)
// builds both images, pushes them to the registry and deploys them; make verify passes there.
func (m *manyNodes) stagingPushes(t *testing.T) {
	if err := m.c.UseRegistry(m.registry); err != nil {
		t.Fatal(err)
	}
	// Staging's own database, for this step (a registry stack needs one outside the cluster).
	db := cluster.StartHostPostgres(t)
	m.initStack(t, mnStaging, map[string]string{"namespace": stagingNamespace, "dockerHost": m.dockerHost,
		"registry": m.registry + "/todo-chatbot", "backendReplicas": "1", "frontendReplicas": "1"},
		map[string]string{"databaseUrl": m.p.secret(db.URL)})
	m.p.ok("up", "--stack", mnStaging, "--yes", "--skip-preview", "--non-interactive")
	out := m.outputs(t, mnStaging)
	for _, name := range []string{"backendImage", "frontendImage"} {
		if ref := fmt.Sprint(out[name]); !strings.HasPrefix(ref, m.registry+"/") || !strings.Contains(ref, "@sha256:") {
			t.Errorf("staging %s = %q: want a %s digest", name, ref, m.registry)
		}
	}
	m.makeVerify(mnStaging, withHelm)(t)
}

// devRefuses: the dev stack builds into a node's daemon, which a multi-node cluster cannot
// use; `pulumi up` must stop before any build with Minikube's message and the fix.
func (m *manyNodes) devRefuses(t *testing.T) {
	m.initDev("2")
	out := m.p.fails("up", "--stack", "dev", "--yes", "--skip-preview", "--non-interactive")
	for _, want := range []string{"has 3 nodes", "ENV_MULTINODE_CONFLICT", "todo-chatbot:registry"} {
		if !strings.Contains(out, want) {
			t.Errorf("the dev stack's up on 3 nodes does not say %q:\n%s", want, out)
		}
	}
	if state := m.p.ok("stack", "export", "--stack", "dev"); strings.Contains(state, "docker:index/image:Image") {
		t.Error("the refused up left an image in the state: it built")
	}
}

// promote: on the multi-node cluster (its own kubeconfig and context), a prod stack
// promotes the digests staging pushed, with the host's PostgreSQL; every node pulls them.
func (m *manyNodes) promote(t *testing.T) {
	dbURL := m.p.secret(m.pg.URL)
	m.initStack(t, mnProd, map[string]string{"namespace": prodNamespace, "promoteFrom": "organization/todo-chatbot/" + mnStaging,
		"backendReplicas": replicas, "frontendReplicas": replicas}, map[string]string{"databaseUrl": dbURL})
	m.p.ok("up", "--stack", mnProd, "--yes", "--skip-preview", "--non-interactive")
	staging, prod := m.outputs(t, mnStaging), m.outputs(t, mnProd)
	for _, name := range []string{"backendImage", "frontendImage"} {
		if ref := fmt.Sprint(prod[name]); ref != fmt.Sprint(staging[name]) || !strings.Contains(ref, "@sha256:") {
			t.Errorf("prod %s = %q, staging %q: want the same registry digest", name, ref, staging[name])
		}
	}
	if prod["namespace"] != prodNamespace {
		t.Errorf("prod outputs namespace %v", prod["namespace"])
	}
	m.noPullFailures(t, prodNamespace)
}

// noPullFailures fails on any container waiting for an image it cannot get.
func (m *manyNodes) noPullFailures(t *testing.T, namespaces ...string) {
	for _, ns := range namespaces {
		pods, err := m.c.Client.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pods.Items {
			for _, s := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
				if w := s.State.Waiting; w != nil && (strings.Contains(w.Reason, "Pull") || strings.Contains(w.Reason, "Image")) {
					t.Errorf("%s/%s on %s: %s %s", ns, p.Name, p.Spec.NodeName, w.Reason, w.Message)
				}
			}
		}
	}
}

// appPods lists the prod release's pods of a component that are not terminating.
func (m *manyNodes) appPods(t *testing.T, component string) []corev1.Pod {
	list, err := m.c.Client.CoreV1().Pods(prodNamespace).List(t.Context(), metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/instance=" + release + ",app.kubernetes.io/component=" + component})
	if err != nil {
		t.Fatal(err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

// spread: with 2 replicas of each app and 3 schedulable nodes, no node holds both.
func (m *manyNodes) spread(t *testing.T) {
	for _, component := range []string{"backend", "frontend"} {
		pods := m.appPods(t, component)
		nodes := map[string]bool{}
		var where []string
		for _, p := range pods {
			nodes[p.Spec.NodeName] = true
			where = append(where, p.Name+"@"+p.Spec.NodeName)
		}
		t.Logf("%s: %s", component, strings.Join(where, ", "))
		if len(pods) != 2 || len(nodes) != 2 {
			t.Errorf("%s: %d pods on %d nodes, want 2 on 2", component, len(pods), len(nodes))
		}
	}
}

// probe runs a connection check from inside a pod (kubectl exec) and returns, per target,
// "ok" (connected) or what failed. Every target listens, so a failure is the network's.
func (m *manyNodes) probe(t *testing.T, ns, pod, container, runtime string, targets map[string]string) map[string]string {
	t.Helper()
	var names []string
	for name := range targets {
		names = append(names, name)
	}
	sort.Strings(names)
	var args []string
	for _, name := range names {
		args = append(args, name+"="+targets[name])
	}
	var cmd []string
	switch runtime {
	case "python3":
		cmd = []string{"python3", "-c", `
import socket, sys
for arg in sys.argv[1:]:
    name, target = arg.split("=", 1)
    host, port = target.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=3).close(); print(name + "=ok")
    except OSError as e:
        print(name + "=" + type(e).__name__)
`}
	case "node":
		cmd = []string{"node", "-e", `
const net = require("net");
(async () => {
  for (const arg of process.argv.slice(1)) {
    const [name, target] = arg.split(/=(.*)/s);
    const i = target.lastIndexOf(":");
    const r = await new Promise((done) => {
      const s = net.connect({host: target.slice(0, i), port: +target.slice(i + 1), timeout: 3000});
      s.on("connect", () => { s.destroy(); done("ok"); });
      s.on("timeout", () => { s.destroy(); done("timeout"); });
      s.on("error", (e) => done(e.code));
    });
    console.log(name + "=" + r);
  }
})();`}
	}
	out, err := m.kubectl(append(append([]string{"exec", "-n", ns, pod, "-c", container, "--"}, cmd...), args...)...)
	if err != nil {
		t.Fatalf("probe from %s/%s: %v\n%s", ns, pod, err, out)
	}
	got := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			got[k] = v
		}
	}
	return got
}

// policies installs the chart once more with Helm, with the in-cluster PostgreSQL (the
// STAND-IN image, pushed to the registry so any node can run it) and the promoted app
// images, and probes from inside the pods what its NetworkPolicies allow: enforced, then
// with networkPolicy.enabled=false (the same probes then connect, so this can fail).
func (m *manyNodes) policies(t *testing.T) {
	prod := m.outputs(t, mnProd)
	backendRef, frontendRef := fmt.Sprint(prod["backendImage"]), fmt.Sprint(prod["frontendImage"])
	pgImage := m.registry + "/todo-standin/postgres:16-alpine"
	for _, args := range [][]string{{"tag", "postgres:16-alpine", pgImage}, {"push", pgImage}} {
		// Straight to the engine (the runner's DOCKER_HOST), not the node's Docker API: the
		// nodes pull this image from the registry, nothing is to be loaded into one of them.
		cmd := exec.Command(dockerCLI(), args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	repo := func(ref string) string { return ref[:strings.Index(ref, "@")] }
	digest := func(ref string) string { return ref[strings.Index(ref, "@")+1:] }
	values := []string{
		"--set", "backend.image.repository=" + repo(backendRef), "--set", "backend.image.digest=" + digest(backendRef),
		"--set", "frontend.image.repository=" + repo(frontendRef), "--set", "frontend.image.digest=" + digest(frontendRef),
		"--set", "postgresql.image.repository=" + m.registry + "/todo-standin/postgres", "--set", "postgresql.image.tag=16-alpine",
		"--set", "frontend.service.type=ClusterIP", "--set", "tests.enabled=false",
	}
	helm := func(args ...string) {
		t.Helper()
		cmd := exec.Command("helm", append([]string{"--kubeconfig", m.c.Kubeconfig, "--kube-context", m.c.Context}, args...)...)
		cmd.Dir, cmd.Env = m.dir, m.p.env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("helm %s: %v\n%s", args[0], err, out)
		}
	}
	helm(append([]string{"install", release, "charts/todo-chatbot", "-n", policyNamespace, "--create-namespace", "--wait", "--timeout", "5m"}, values...)...)
	// Gone before the next step: its bare probe pod would stop a drain (no controller).
	defer func() {
		if out, err := m.kubectl("delete", "namespace", policyNamespace, "--timeout=3m"); err != nil {
			t.Errorf("delete namespace %s: %v\n%s", policyNamespace, err, out)
		}
	}()

	// Everything the probes connect to listens: the Services, the host's PostgreSQL, and
	// two listeners of the test on the host's address (443 is the backend's Gemini egress;
	// the other port nobody is allowed).
	https, other := listen(t, 443), listen(t, 0)
	defer https.Close()
	defer other.Close()
	svc := func(name string, port int) string {
		return fmt.Sprintf("%s-%s.%s.svc.cluster.local:%d", release, name, policyNamespace, port)
	}
	backend, frontend, database := svc("backend", 8000), svc("frontend", 3000), svc("database", 5432)
	hostHTTPS, hostOther := https.Addr().String(), other.Addr().String()
	pod := func(component string) string {
		out, err := m.kubectl("get", "pods", "-n", policyNamespace, "-l", "app.kubernetes.io/component="+component,
			"--field-selector=status.phase=Running", "-o", "jsonpath={.items[0].metadata.name}")
		if err != nil || out == "" {
			t.Fatalf("no running %s pod: %v %s", component, err, out)
		}
		return out
	}
	// A probe pod of its own, from the backend image (python3), under Pod Security restricted.
	probePod := "policy-probe"
	overrides := fmt.Sprintf(`{"apiVersion":"v1","spec":{"containers":[{"name":"probe","image":%q,"command":["sleep","600"],
"securityContext":{"runAsNonRoot":true,"runAsUser":10001,"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"seccompProfile":{"type":"RuntimeDefault"}}}]}}`, backendRef)
	if out, err := m.kubectl("run", probePod, "-n", policyNamespace, "--image", backendRef, "--restart=Never", "--overrides", overrides); err != nil {
		t.Fatalf("kubectl run: %v\n%s", err, out)
	}
	if out, err := m.kubectl("wait", "-n", policyNamespace, "--for=condition=Ready", "pod/"+probePod, "--timeout=2m"); err != nil {
		t.Fatalf("probe pod: %v\n%s", err, out)
	}

	type check struct {
		from, container, runtime string
		targets                  map[string]string
		enforced                 map[string]string // want with the policies on ("ok" or "blocked")
	}
	checks := []check{
		{"probe", "probe", "python3", map[string]string{"backend": backend, "database": database, "frontend": frontend},
			map[string]string{"backend": "blocked", "database": "blocked", "frontend": "ok"}},
		{"frontend", "frontend", "node", map[string]string{"database": database, "backend": backend},
			map[string]string{"database": "blocked", "backend": "ok"}},
		{"postgresql", "postgresql", "python3", map[string]string{"host-https": hostHTTPS, "backend": backend},
			map[string]string{"host-https": "blocked", "backend": "blocked"}},
		{"backend", "backend", "python3", map[string]string{"database": database, "host-https": hostHTTPS, "host-other": hostOther, "frontend": frontend},
			map[string]string{"database": "ok", "host-https": "ok", "host-other": "blocked", "frontend": "blocked"}},
	}
	run := func(enforced bool) {
		for _, ch := range checks {
			name := probePod
			if ch.from != "probe" {
				name = pod(ch.from)
			}
			var got map[string]string
			// kube-router applies a change within a sync: give it a few seconds.
			for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(3 * time.Second) {
				got = m.probe(t, policyNamespace, name, ch.container, ch.runtime, ch.targets)
				done := true
				for target, want := range ch.enforced {
					if !enforced {
						want = "ok"
					}
					done = done && (got[target] == "ok") == (want == "ok")
				}
				if done || time.Now().After(deadline) {
					break
				}
			}
			for target, want := range ch.enforced {
				if !enforced {
					want = "ok"
				}
				if (got[target] == "ok") != (want == "ok") {
					t.Errorf("policies enforced=%t: %s -> %s (%s): %s, want %s", enforced, ch.from, target, ch.targets[target], got[target], want)
				}
			}
			t.Logf("policies enforced=%t: from %s: %v", enforced, ch.from, got)
		}
	}
	run(true)
	helm(append([]string{"upgrade", release, "charts/todo-chatbot", "-n", policyNamespace, "--wait", "--timeout", "5m", "--set", "networkPolicy.enabled=false"}, values...)...)
	run(false)
}

// listen opens a TCP listener on the host's address on the cluster's network that accepts
// and closes every connection (a port pods may be allowed or not to reach).
func listen(t *testing.T, port int) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(cluster.HostIP, strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return l
}

// workerWithApp returns a worker running at least one prod app pod.
func (m *manyNodes) workerWithApp(t *testing.T) string {
	for _, component := range []string{"backend", "frontend"} {
		for _, p := range m.appPods(t, component) {
			if p.Spec.NodeName != cluster.NodeName {
				return p.Spec.NodeName
			}
		}
	}
	t.Fatal("no prod app pod runs on a worker")
	return ""
}

// nodeLoss cuts a worker running app pods off the network under load: requests fail only
// until the control plane has marked the node's pods not Ready (nodeLossBound), and no
// stored todo is lost.
func (m *manyNodes) nodeLoss(t *testing.T) {
	base := m.nodePortURL(t, prodNamespace)
	victim := m.workerWithApp(t)
	l := newLoader(base)
	l.start()
	time.Sleep(3 * time.Second)
	cut := time.Now()
	if err := m.c.Disconnect(victim); err != nil {
		t.Fatal(err)
	}
	reconnected := false
	defer func() {
		if !reconnected {
			_ = m.c.Reconnect(victim)
		}
	}()
	// The load runs until the node is NotReady and then long enough to show the failures
	// have stopped.
	var notReady time.Duration
	if err := eventually(2*time.Minute, func() error {
		n, err := m.c.Client.CoreV1().Nodes().Get(t.Context(), victim, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status != corev1.ConditionTrue {
				notReady = time.Since(cut)
				return nil
			}
		}
		return fmt.Errorf("%s still Ready", victim)
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Second)
	total, failed, _, report := l.finish()
	var failingFor time.Duration
	if failed > 0 {
		failingFor = l.lastBad.Sub(cut)
	}
	t.Logf("node %s cut off: NotReady after %s; %s; requests failed until %s after the cut (bound %s)",
		victim, notReady.Round(100*time.Millisecond), report, failingFor.Round(100*time.Millisecond), nodeLossBound)
	if failingFor > nodeLossBound {
		t.Errorf("requests failed for %s after a worker was lost, bound %s", failingFor.Round(100*time.Millisecond), nodeLossBound)
	}
	if total < 100 {
		t.Errorf("only %d requests in the loss window", total)
	}
	m.noTodoLost(t, l)
	if err := m.c.Reconnect(victim); err != nil {
		t.Fatal(err)
	}
	reconnected = true
	// The next step starts from a whole cluster: the node Ready again and every replica
	// Ready (the pods that stayed on it come back once its kubelet reports them).
	if err := eventually(2*time.Minute, func() error {
		if err := m.nodeReady(t, victim); err != nil {
			return err
		}
		return m.deploymentsReady(t)
	}); err != nil {
		t.Fatalf("after reconnecting %s: %v", victim, err)
	}
}

// noTodoLost checks every todo the load created (201) is in the external database.
func (m *manyNodes) noTodoLost(t *testing.T, l *loader) {
	if len(l.created) == 0 {
		t.Fatal("the load created no todo")
	}
	ids := make([]string, len(l.created))
	for i, id := range l.created {
		ids[i] = strconv.Itoa(id)
	}
	got := m.pg.Query(t, "SELECT count(*) FROM todos WHERE id IN ("+strings.Join(ids, ",")+")")
	if got != strconv.Itoa(len(ids)) {
		t.Errorf("%s of the %d todos created under load are stored", got, len(ids))
	}
}

// nodeReady: the node's Ready condition is True.
func (m *manyNodes) nodeReady(t *testing.T, name string) error {
	n, err := m.c.Client.CoreV1().Nodes().Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			return nil
		}
	}
	return fmt.Errorf("%s not Ready yet", name)
}

// deploymentsReady: both prod Deployments have all their replicas Ready and up to date.
func (m *manyNodes) deploymentsReady(t *testing.T) error {
	for _, name := range []string{release + "-backend", release + "-frontend"} {
		d, err := m.c.Client.AppsV1().Deployments(prodNamespace).Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.ReadyReplicas != *d.Spec.Replicas || d.Status.UpdatedReplicas != *d.Spec.Replicas {
			return fmt.Errorf("%s: %d/%d ready", name, d.Status.ReadyReplicas, *d.Spec.Replicas)
		}
	}
	return nil
}

// drain, under load: `kubectl drain` of a worker running app pods fails no request; then,
// with every node cordoned (the evicted pods have nowhere to go), draining the app pods
// off the other nodes stops at the PodDisruptionBudget, which keeps one replica of each
// component serving: still no failed request.
func (m *manyNodes) drain(t *testing.T) {
	base := m.nodePortURL(t, prodNamespace)
	first := m.workerWithApp(t)
	l := newLoader(base)
	l.start()
	defer func() {
		for _, n := range m.c.Nodes {
			_, _ = m.kubectl("uncordon", n)
		}
	}()
	began := time.Now()
	out, err := m.kubectl("drain", first, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=4m")
	if err != nil {
		l.finish()
		t.Fatalf("kubectl drain %s: %v\n%s", first, err, out)
	}
	t.Logf("kubectl drain %s: %s", first, time.Since(began).Round(100*time.Millisecond))
	var others []string
	for _, n := range m.c.Nodes {
		if n != first {
			others = append(others, n)
			if out, err := m.kubectl("cordon", n); err != nil {
				t.Fatalf("cordon %s: %v\n%s", n, err, out)
			}
		}
	}
	budget := false
	for _, n := range others {
		out, err := m.kubectl("drain", n, "--pod-selector=app.kubernetes.io/instance="+release, "--ignore-daemonsets",
			"--delete-emptydir-data", "--timeout=40s")
		if strings.Contains(out, "disruption budget") {
			budget = true
			t.Logf("kubectl drain %s waits on the PodDisruptionBudget (exit %v): %s", n, err, firstLineWith(out, "disruption budget"))
		}
	}
	if !budget {
		t.Error("no drain waited on the PodDisruptionBudget although every node was cordoned")
	}
	for _, component := range []string{"backend", "frontend"} {
		ready := 0
		for _, p := range m.appPods(t, component) {
			if podReady(p) {
				ready++
			}
		}
		if ready < 1 {
			t.Errorf("%s: no Ready replica left: the PodDisruptionBudget did not hold", component)
		}
	}
	for _, n := range m.c.Nodes {
		if out, err := m.kubectl("uncordon", n); err != nil {
			t.Errorf("uncordon %s: %v\n%s", n, err, out)
		}
	}
	if err := eventually(3*time.Minute, func() error { return m.deploymentsReady(t) }); err != nil {
		t.Errorf("after uncordoning: %v", err)
	}
	_, failed, _, report := l.finish()
	t.Logf("drains under load: %s", report)
	if failed > 0 {
		t.Errorf("%d requests failed during the drains (goal 0)", failed)
	}
	m.noTodoLost(t, l)
}
