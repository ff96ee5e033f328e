//go:build cluster

package cluster

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// How long Helm waits for a healthy release. The program's default releaseTimeout is 600
// seconds; on this cluster pods are ready in seconds, so two minutes only bounds a broken
// run. The failing upgrade uses a short timeout on purpose.
const (
	readyTimeout       = 2 * time.Minute
	failingTimeout     = 20 * time.Second
	noSuchNodeLabelKey = "todo-chatbot.test/no-such-node"
)

// TestChartOnRealNode installs charts/todo-chatbot with the values the Pulumi program
// computes, on a real one-node cluster running the real images (built from the
// Dockerfiles on the stand-in bases), then drives the app, upgrades, fails an upgrade, and
// uninstalls it; and does the same against a PostgreSQL outside the cluster.
func TestChartOnRealNode(t *testing.T) {
	c := Start(t)
	var imgs appImages
	var err error
	if imgs.backend, imgs.frontend, err = c.BuildAppImages(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !t.Run("node: pods run, reach the cluster and nothing outside", func(t *testing.T) { testNode(t, c, "todo-backend:v1") }) {
		t.FailNow()
	}
	t.Run("dev stack", func(t *testing.T) { testDevStack(t, c, imgs) })
	t.Run("external database and Gemini key", func(t *testing.T) { testExternalStack(t, c, imgs) })
}

// appImages are the IDs of the images BuildAppImages built and loaded into the node.
type appImages struct{ backend, frontend string }

func testDevStack(t *testing.T, c *Cluster, imgs appImages) {
	st := devStack(t)
	st.backendID, st.frontendID = imgs.backend, imgs.frontend
	st.builtBackend, st.builtFrontend = imgs.backend, imgs.frontend
	if !st.settings.InClusterPostgres() || st.settings.GeminiAPIKey.IsSet() {
		t.Fatalf("Pulumi.dev.yaml should run the in-cluster PostgreSQL and the offline assistant")
	}
	ns := st.settings.Namespace
	createRestrictedNamespace(t, c, ns)
	h := c.newHelm(t, st.settings.KubeContext, ns, releaseName)
	parent := t

	// Each step starts from the release the previous one left. A failed assertion does not
	// stop the sequence (later steps still report), but a release that is no longer
	// deployed does.
	step := func(name string, f func(t *testing.T, k Kube)) {
		if !t.Run(name, func(t *testing.T) { f(t, Kube{T: t, Client: c.Client, NS: ns}) }) {
			if rel, err := h.Status(); err != nil || rel.Info.Status != release.StatusDeployed {
				t.Fatalf("stopping: after %q the release is not deployed (%v)", name, err)
			}
		}
	}

	step("install with the program's values", func(t *testing.T, k Kube) {
		rel := install(k, h, st)
		if rel.Version != 1 {
			t.Errorf("first install is revision %d", rel.Version)
		}
		verifyRelease(k, st, rel)
	})

	var todoID int
	var todoTitle string
	step("the app serves through a port-forward and the NodePort", func(t *testing.T, k Kube) {
		todoID, todoTitle = testAppServes(t, c, k, st)
	})

	step("helm test passes", func(t *testing.T, k Kube) {
		began := time.Now()
		rel, err := h.Test(readyTimeout)
		if err != nil {
			t.Fatalf("helm test: %v\nhelm log:\n%s\n%s", err, h.LogTail(15), k.describe())
		}
		n := 0
		for _, hook := range rel.Hooks {
			if hook.LastRun.Phase == release.HookPhaseSucceeded {
				n++
			}
		}
		if n == 0 {
			t.Error("helm test ran no test hook to success")
		}
		t.Logf("helm test: %d test pod(s) succeeded in %s", n, time.Since(began).Round(10*time.Millisecond))
	})

	step("unchanged upgrade rolls nothing", func(t *testing.T, k Kube) {
		before := rollouts(k)
		rel := upgrade(k, h, st)
		verifyRelease(k, st, rel)
		expectRolled(k, before, nil)
	})

	// A changed secret rolls BOTH Deployments (new ReplicaSets), although only the backend
	// reads the Secret: both carry its checksum, so a secret change rolls the app as one.
	step("changed secret rolls both Deployments", func(t *testing.T, k Kube) {
		st = st.withGeminiKey(t, "test-"+randomHex(16))
		before := rollouts(k)
		rel := upgrade(k, h, st)
		verifyRelease(k, st, rel)
		expectRolled(k, before, []string{backendName, frontendName})
	})

	step("changed backend image ID rolls only the backend", func(t *testing.T, k Kube) {
		st.backendID = fakeImageID("backend-2")
		t.Logf("STAND-IN: the backend image ID %s is made up: nothing is rebuilt, so the new pods run the same image under todo-backend:v1; "+
			"this step proves the ID annotation rolls the backend alone (tests/e2e rolls a rebuilt image)", st.backendID)
		before := rollouts(k)
		rel := upgrade(k, h, st)
		verifyRelease(k, st, rel)
		expectRolled(k, before, []string{backendName})
	})

	step("chart edit changes chartDigest and upgrades the release", func(t *testing.T, k Kube) {
		oldDigest := st.values(t)["chartDigest"]
		st.root = editedProjectCopy(parent) // later steps use it too
		newDigest := st.values(t)["chartDigest"]
		if newDigest == oldDigest || newDigest == "" {
			t.Fatalf("editing a template did not change chartDigest (%v)", newDigest)
		}
		before := rollouts(k)
		rel := upgrade(k, h, st)
		if rel.Config["chartDigest"] != newDigest {
			t.Errorf("release values carry chartDigest %v, want %v", rel.Config["chartDigest"], newDigest)
		}
		if _, err := c.Client.CoreV1().ConfigMaps(ns).Get(k.Ctx(), releaseName+"-chart-edit", metav1.GetOptions{}); err != nil {
			t.Errorf("the edited template's ConfigMap is not in the cluster: %v", err)
		}
		verifyRelease(k, st, rel)
		expectRolled(k, before, nil) // the edit does not touch the pod templates
	})

	step("upgrade that cannot become ready times out and rolls back atomically", func(t *testing.T, k Kube) {
		before := snapshot(k)
		current, err := h.Status()
		if err != nil {
			t.Fatal(err)
		}
		vals := st.values(t)
		// A nodeSelector no node matches: the new backend pod stays Pending.
		vals["backend"].(map[string]any)["nodeSelector"] = map[string]any{noSuchNodeLabelKey: "true"}
		began := time.Now()
		_, err = h.Upgrade(st.chart(t), vals, failingTimeout)
		t.Logf("failing upgrade returned after %s (timeout %s)", time.Since(began).Round(100*time.Millisecond), failingTimeout)
		if err == nil {
			t.Fatal("an upgrade whose pods cannot be scheduled succeeded")
		}
		if !strings.Contains(err.Error(), "rolled back") {
			t.Errorf("want an atomic rollback, got: %v\nhelm log:\n%s", err, h.LogTail(10))
		}
		// It failed for the intended reason: the scheduler found no node for the new pod.
		if pending := k.warningEvents("FailedScheduling"); len(pending) == 0 {
			t.Errorf("no FailedScheduling event: the upgrade failed for another reason than the unmatched nodeSelector")
		} else {
			t.Logf("scheduler, during the failed upgrade: %s", pending[0])
		}
		history, herr := h.History()
		if herr != nil || len(history) < 2 {
			t.Fatalf("release history: %d revisions, %v", len(history), herr)
		}
		latest, failed := history[len(history)-1], history[len(history)-2]
		if failed.Version != current.Version+1 || failed.Info.Status != release.StatusFailed {
			t.Errorf("revision %d should be the failed upgrade, got revision %d %q", current.Version+1, failed.Version, failed.Info.Status)
		}
		rollbackTo := fmt.Sprintf("Rollback to %d", current.Version)
		if latest.Version != current.Version+2 || latest.Info.Status != release.StatusDeployed || latest.Info.Description != rollbackTo {
			t.Errorf("revision %d should be the deployed %q, got revision %d %q %q",
				current.Version+2, rollbackTo, latest.Version, latest.Info.Status, latest.Info.Description)
		}
		verifyRelease(k, st, latest)
		after := snapshot(k)
		after.compare(t, before)
		for _, p := range k.pods("backend") {
			if len(p.Spec.NodeSelector) > 0 {
				t.Errorf("pod %s of the failed revision survived the rollback", p.Name)
			}
		}
	})

	step("data survives deleting the PostgreSQL pod (PersistentVolumeClaim)", func(t *testing.T, k Kube) {
		if todoID == 0 {
			t.Skip("no todo was stored (an earlier step failed)")
		}
		testDataSurvivesPostgresRestart(t, c, k, todoID, todoTitle)
	})

	step("uninstall removes what the chart created, keeping the database volume and password", func(t *testing.T, k Kube) {
		uninstallAndVerify(t, k, h)
		// Documented in values.yaml and NOTES.txt: the PVC and its password Secret outlive
		// `helm uninstall`, so a reinstall finds the data again.
		if _, err := c.Client.CoreV1().Secrets(ns).Get(k.Ctx(), postgresName, metav1.GetOptions{}); err != nil {
			t.Errorf("Secret %s (helm.sh/resource-policy: keep) was removed: %v", postgresName, err)
		}
		claims, err := c.Client.CoreV1().PersistentVolumeClaims(ns).List(k.Ctx(), metav1.ListOptions{})
		if err != nil || len(claims.Items) != 1 {
			t.Errorf("the PostgreSQL data volume should be kept: %v %v", claimPhases(claims.Items), err)
		}
	})
}

func testExternalStack(t *testing.T, c *Cluster, imgs appImages) {
	pg := StartHostPostgres(t)
	st := externalStack(t, pg.URL)
	st.backendID, st.frontendID = imgs.backend, imgs.frontend
	st.builtBackend, st.builtFrontend = imgs.backend, imgs.frontend
	if st.settings.InClusterPostgres() || !st.settings.GeminiAPIKey.IsSet() {
		t.Fatal("the external stack should use the configured DATABASE_URL and Gemini key")
	}
	// Its own namespace (see externalStack), so what the dev stack kept cannot mask anything.
	ns := st.settings.Namespace
	createRestrictedNamespace(t, c, ns)
	h := c.newHelm(t, st.settings.KubeContext, ns, releaseName)
	k := Kube{T: t, Client: c.Client, NS: ns}

	rel := install(k, h, st)
	verifyRelease(k, st, rel)
	claims, err := c.Client.CoreV1().PersistentVolumeClaims(ns).List(k.Ctx(), metav1.ListOptions{})
	if err != nil || len(claims.Items) != 0 {
		t.Errorf("with an external database there must be no PersistentVolumeClaim: %v %v", claimPhases(claims.Items), err)
	}
	k.expectAbsent("Secret", postgresName, func() error {
		_, err := c.Client.CoreV1().Secrets(ns).Get(k.Ctx(), postgresName, metav1.GetOptions{})
		return err
	})
	id, title := testAppServes(t, c, k, st)
	if got := pg.Query(t, fmt.Sprintf("SELECT title FROM todos WHERE id = %d", id)); got != title {
		t.Errorf("the todo created through the frontend is not in the external database: got %q", got)
	} else {
		t.Logf("todo %d is in the external PostgreSQL on the host (the migration initContainer created its schema there)", id)
	}
	uninstallAndVerify(t, k, h)
}

func createRestrictedNamespace(t *testing.T, c *Cluster, ns string) {
	t.Helper()
	_, err := c.Client.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   ns,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest"},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace %s: %v", ns, err)
	}
}

func install(k Kube, h *helmRelease, st stack) *release.Release {
	t := k.T
	t.Helper()
	began := time.Now()
	rel, err := h.Install(st.chart(t), st.values(t), readyTimeout)
	if err != nil {
		t.Fatalf("helm install (%s stack): %v\nhelm log:\n%s\n%s", st.name, err, h.LogTail(15), k.describe())
	}
	t.Logf("%s stack: chart installed and ready (helm --wait --atomic) in %s", st.name, time.Since(began).Round(10*time.Millisecond))
	return rel
}

func upgrade(k Kube, h *helmRelease, st stack) *release.Release {
	t := k.T
	t.Helper()
	current, err := h.Status()
	if err != nil {
		t.Fatal(err)
	}
	wantRevision := current.Version + 1
	began := time.Now()
	rel, err := h.Upgrade(st.chart(t), st.values(t), readyTimeout)
	if err != nil {
		t.Fatalf("helm upgrade: %v\nhelm log:\n%s\n%s", err, h.LogTail(15), k.describe())
	}
	t.Logf("upgraded to revision %d, ready in %s", rel.Version, time.Since(began).Round(10*time.Millisecond))
	if rel.Version != wantRevision {
		t.Errorf("upgrade made revision %d, want %d", rel.Version, wantRevision)
	}
	return rel
}

// rollouts records what each workload serves. The in-cluster PostgreSQL StatefulSet is
// included when present: no upgrade here may restart the database.
func rollouts(k Kube) map[string]rollout {
	r := map[string]rollout{backendName: k.rollout(backendName), frontendName: k.rollout(frontendName)}
	sts, err := k.Client.AppsV1().StatefulSets(k.NS).Get(k.Ctx(), postgresName, metav1.GetOptions{})
	if err == nil {
		r[postgresName] = rollout{Revision: sts.Status.UpdateRevision, ReplicaSet: sts.Status.CurrentRevision}
	} else if !apierrors.IsNotFound(err) {
		k.T.Fatal(err)
	}
	return r
}

// expectRolled checks that exactly the named Deployments got a new ReplicaSet, and that
// nothing else (the other Deployment, the PostgreSQL StatefulSet) rolled.
func expectRolled(k Kube, before map[string]rollout, rolled []string) {
	k.T.Helper()
	after := rollouts(k)
	for name, b := range before {
		a := after[name]
		switch want := slices.Contains(rolled, name); {
		case want && a.ReplicaSet == b.ReplicaSet:
			k.T.Errorf("Deployment %s should have rolled (new ReplicaSet) but still serves %s", name, a.ReplicaSet)
		case !want && a != b:
			k.T.Errorf("%s should not have rolled: %+v -> %+v", name, b, a)
		}
	}
}

// state is what must survive a failed, rolled-back upgrade unchanged.
type state struct {
	rollouts                    map[string]rollout
	backendPods, frontendPods   []string
	secretDigest, pgPassword    string
	claimUID, postgresPodUID    string
	backendReady, frontendReady int
}

func snapshot(k Kube) state {
	k.T.Helper()
	s := state{rollouts: rollouts(k), backendPods: podUIDs(k.pods("backend")), frontendPods: podUIDs(k.pods("frontend"))}
	data := k.SecretData(secretName)
	s.secretDigest = fakeImageID(string(data["DATABASE_URL"]) + "\x00" + string(data["GEMINI_API_KEY"]))
	s.pgPassword = fakeImageID(string(k.SecretData(postgresName)["password"]))
	claims, err := k.Client.CoreV1().PersistentVolumeClaims(k.NS).List(k.Ctx(), metav1.ListOptions{})
	if err != nil || len(claims.Items) != 1 {
		k.T.Fatalf("want one PVC: %v %v", claimPhases(claims.Items), err)
	}
	s.claimUID = string(claims.Items[0].UID)
	s.postgresPodUID = strings.Join(podUIDs(k.pods("postgresql")), ",")
	s.backendReady, _ = k.readyEndpoints(backendName)
	s.frontendReady, _ = k.readyEndpoints(frontendName)
	return s
}

// compare reports what changed; values are compared as digests, never printed.
func (s state) compare(t *testing.T, before state) {
	t.Helper()
	if s.rollouts[backendName].ReplicaSet != before.rollouts[backendName].ReplicaSet ||
		s.rollouts[frontendName] != before.rollouts[frontendName] || s.rollouts[postgresName] != before.rollouts[postgresName] {
		t.Errorf("after the rollback the Deployments serve other ReplicaSets: %+v, before %+v", s.rollouts, before.rollouts)
	}
	if !slices.Equal(s.backendPods, before.backendPods) || !slices.Equal(s.frontendPods, before.frontendPods) {
		t.Errorf("the previous revision's pods were replaced (it should have kept serving): backend %v -> %v, frontend %v -> %v",
			before.backendPods, s.backendPods, before.frontendPods, s.frontendPods)
	}
	if s.secretDigest != before.secretDigest || s.pgPassword != before.pgPassword {
		t.Error("the Secrets' contents changed across the failed upgrade and rollback")
	}
	if s.claimUID != before.claimUID || s.postgresPodUID != before.postgresPodUID {
		t.Errorf("PostgreSQL's volume or pod was replaced: claim %s -> %s, pod %s -> %s",
			before.claimUID, s.claimUID, before.postgresPodUID, s.postgresPodUID)
	}
	if s.backendReady != before.backendReady || s.frontendReady != before.frontendReady {
		t.Errorf("ready endpoints changed: backend %d -> %d, frontend %d -> %d",
			before.backendReady, s.backendReady, before.frontendReady, s.frontendReady)
	}
}

// uninstallAndVerify runs `helm uninstall --wait` and checks that every object of the
// release's manifest is gone, except those annotated helm.sh/resource-policy: keep, which
// must still exist; that no pod is left; and that Helm no longer knows the release.
func uninstallAndVerify(t *testing.T, k Kube, h *helmRelease) {
	t.Helper()
	rel, err := h.Status()
	if err != nil {
		t.Fatal(err)
	}
	resources, err := h.cfg.KubeClient.Build(strings.NewReader(rel.Manifest), false)
	if err != nil {
		t.Fatalf("read the release manifest: %v", err)
	}
	began := time.Now()
	if err := h.Uninstall(readyTimeout); err != nil {
		t.Fatalf("helm uninstall: %v\nhelm log:\n%s", err, h.LogTail(15))
	}
	t.Logf("helm uninstall --wait took %s", time.Since(began).Round(10*time.Millisecond))
	for _, info := range resources {
		kept := keepPolicy(info.Object) // read from the manifest, before Get refreshes it
		err := info.Get()
		switch {
		case kept && err != nil:
			t.Errorf("%s %s is annotated helm.sh/resource-policy: keep but is gone: %v", info.Mapping.GroupVersionKind.Kind, info.Name, err)
		case !kept && !apierrors.IsNotFound(err):
			t.Errorf("%s %s survived helm uninstall (%v)", info.Mapping.GroupVersionKind.Kind, info.Name, err)
		}
	}
	// What the controllers made for the release (pods, ReplicaSets, ControllerRevisions,
	// EndpointSlices) must go too, through garbage collection.
	if err := k.eventually(time.Minute, func() error {
		opts := metav1.ListOptions{}
		pods, err := k.Client.CoreV1().Pods(k.NS).List(k.Ctx(), opts)
		if err != nil {
			return err
		}
		sets, err := k.Client.AppsV1().ReplicaSets(k.NS).List(k.Ctx(), opts)
		if err != nil {
			return err
		}
		revisions, err := k.Client.AppsV1().ControllerRevisions(k.NS).List(k.Ctx(), opts)
		if err != nil {
			return err
		}
		endpointSlices, err := k.Client.DiscoveryV1().EndpointSlices(k.NS).List(k.Ctx(), opts)
		if err != nil {
			return err
		}
		if n := len(pods.Items) + len(sets.Items) + len(revisions.Items) + len(endpointSlices.Items); n > 0 {
			return fmt.Errorf("left: %d pods, %d ReplicaSets, %d ControllerRevisions, %d EndpointSlices",
				len(pods.Items), len(sets.Items), len(revisions.Items), len(endpointSlices.Items))
		}
		return nil
	}); err != nil {
		t.Errorf("objects the release's controllers created remain after uninstall: %v", err)
	}
	if _, err := h.Status(); err != driver.ErrReleaseNotFound {
		t.Errorf("helm still knows the release after uninstall: %v", err)
	}
}

func keepPolicy(obj runtime.Object) bool {
	m, err := meta.Accessor(obj)
	return err == nil && m.GetAnnotations()["helm.sh/resource-policy"] == "keep"
}
