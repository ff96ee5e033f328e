//go:build cluster

package cluster

import (
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Object names for the release "todo-chatbot" (the shared chart contract).
const (
	releaseName  = "todo-chatbot"
	backendName  = "todo-chatbot-backend"
	frontendName = "todo-chatbot-frontend"
	secretName   = "todo-chatbot-secrets"
	postgresName = "todo-chatbot-postgresql"
	databaseHost = "todo-chatbot-database" // the ClusterIP Service DATABASE_URL names
)

// rollout identifies what a Deployment serves: its revision and the ReplicaSet of that
// revision. A roll creates a new ReplicaSet; an unchanged template keeps both.
type rollout struct {
	Revision   string
	ReplicaSet string
}

func (k Kube) rollout(name string) rollout {
	k.T.Helper()
	d := k.Deployment(name)
	rev := d.Annotations["deployment.kubernetes.io/revision"]
	sets, err := k.Client.AppsV1().ReplicaSets(k.NS).List(k.Ctx(), metav1.ListOptions{
		LabelSelector: metav1.FormatLabelSelector(d.Spec.Selector)})
	if err != nil {
		k.T.Fatal(err)
	}
	for _, rs := range sets.Items {
		if metav1.IsControlledBy(&rs, d) && rs.Annotations["deployment.kubernetes.io/revision"] == rev {
			return rollout{Revision: rev, ReplicaSet: rs.Name}
		}
	}
	k.T.Fatalf("Deployment %s: no ReplicaSet for revision %s", name, rev)
	return rollout{}
}

// expectAvailable checks that the Deployment is Available with exactly the wanted
// replicas, all updated, ready and available, and its rollout complete.
func (k Kube) expectAvailable(name string, replicas int) {
	k.T.Helper()
	err := k.eventually(30*time.Second, func() error {
		d := k.Deployment(name)
		st := d.Status
		switch {
		case d.Spec.Replicas == nil || int(*d.Spec.Replicas) != replicas:
			return fmt.Errorf("spec.replicas = %v, want %d", d.Spec.Replicas, replicas)
		case st.ObservedGeneration < d.Generation:
			return fmt.Errorf("controller has not observed generation %d yet", d.Generation)
		case int(st.Replicas) != replicas || int(st.UpdatedReplicas) != replicas ||
			int(st.ReadyReplicas) != replicas || int(st.AvailableReplicas) != replicas:
			return fmt.Errorf("replicas %d, updated %d, ready %d, available %d; want %d of each",
				st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas, replicas)
		case !deploymentCondition(d, appsv1.DeploymentAvailable, "MinimumReplicasAvailable"):
			return fmt.Errorf("condition Available is not True: %v", d.Status.Conditions)
		case !deploymentCondition(d, appsv1.DeploymentProgressing, "NewReplicaSetAvailable"):
			return fmt.Errorf("rollout not complete: %v", d.Status.Conditions)
		}
		return nil
	})
	if err != nil {
		k.T.Errorf("Deployment %s is not Available with %d replicas: %v", name, replicas, err)
	}
}

func deploymentCondition(d *appsv1.Deployment, typ appsv1.DeploymentConditionType, reason string) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == typ {
			return c.Status == corev1.ConditionTrue && c.Reason == reason
		}
	}
	return false
}

func (k Kube) expectStatefulSetReady(name string, replicas int) {
	k.T.Helper()
	err := k.eventually(30*time.Second, func() error {
		s, err := k.Client.AppsV1().StatefulSets(k.NS).Get(k.Ctx(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		st := s.Status
		if s.Spec.Replicas == nil || int(*s.Spec.Replicas) != replicas || int(st.ReadyReplicas) != replicas ||
			int(st.AvailableReplicas) != replicas || st.CurrentRevision != st.UpdateRevision {
			return fmt.Errorf("spec %v, ready %d, available %d, current %s, update %s", s.Spec.Replicas,
				st.ReadyReplicas, st.AvailableReplicas, st.CurrentRevision, st.UpdateRevision)
		}
		return nil
	})
	if err != nil {
		k.T.Errorf("StatefulSet %s is not ready with %d replicas: %v", name, replicas, err)
	}
}

func (k Kube) expectAbsent(kind, name string, get func() error) {
	k.T.Helper()
	if err := get(); !apierrors.IsNotFound(err) {
		k.T.Errorf("%s %s: want NotFound, got %v", kind, name, err)
	}
}

// pods returns the pods of one component that are not being deleted.
func (k Kube) pods(component string) []corev1.Pod {
	k.T.Helper()
	list, err := k.Client.CoreV1().Pods(k.NS).List(k.Ctx(), metav1.ListOptions{LabelSelector: labels.Set{
		"app.kubernetes.io/instance": releaseName, "app.kubernetes.io/component": component}.String()})
	if err != nil {
		k.T.Fatal(err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

func podUIDs(pods []corev1.Pod) []string {
	var uids []string
	for _, p := range pods {
		uids = append(uids, string(p.UID))
	}
	slices.Sort(uids)
	return uids
}

// readyEndpoints counts the ready addresses behind a Service (its EndpointSlices): proof
// that the Service's selector and port reach the component's pods.
func (k Kube) readyEndpoints(service string) (int, error) {
	endpointSlices, err := k.Client.DiscoveryV1().EndpointSlices(k.NS).List(k.Ctx(), metav1.ListOptions{
		LabelSelector: "kubernetes.io/service-name=" + service})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range endpointSlices.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && *e.Conditions.Ready {
				n++
			}
		}
	}
	return n, nil
}

// warningEvents returns the Warning events in the namespace whose reason is one of
// reasons, e.g. FailedCreate (a controller could not create a pod: admission said no).
func (k Kube) warningEvents(reasons ...string) []string {
	k.T.Helper()
	list, err := k.Client.CoreV1().Events(k.NS).List(k.Ctx(), metav1.ListOptions{FieldSelector: "type=Warning"})
	if err != nil {
		k.T.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		if slices.Contains(reasons, e.Reason) {
			out = append(out, fmt.Sprintf("%s %s/%s: %s", e.Reason, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Message))
		}
	}
	return out
}

func (k Kube) eventually(timeout time.Duration, check func() error) error {
	return waitFor("condition", timeout, nil, check)
}

// sameSecret compares a secret value without ever printing it.
func sameSecret(got []byte, want string) error {
	if string(got) == want {
		return nil
	}
	return fmt.Errorf("value differs from the configured one (got %d bytes, want %d; values not shown)", len(got), len(want))
}

// plaintextLeaks lists env entries of a pod spec whose literal value contains a secret.
func plaintextLeaks(spec corev1.PodSpec, secrets ...string) []string {
	var out []string
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		for _, e := range c.Env {
			for _, s := range secrets {
				if s != "" && strings.Contains(e.Value, s) {
					out = append(out, c.Name+"/"+e.Name)
				}
			}
		}
	}
	return out
}

// describe summarises the namespace for a failure message: every pod's phase, readiness,
// node and unhappy conditions, and the Warning events. No values or env are included.
func (k Kube) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "namespace %s:\n", k.NS)
	pods, err := k.Client.CoreV1().Pods(k.NS).List(k.Ctx(), metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	for _, p := range pods.Items {
		fmt.Fprintf(&b, "  pod %s: phase %s, ready %v, node %q, deleting %v", p.Name, p.Status.Phase, podIsReady(&p),
			p.Spec.NodeName, p.DeletionTimestamp != nil)
		for _, c := range p.Status.Conditions {
			if c.Status != corev1.ConditionTrue {
				fmt.Fprintf(&b, "; %s=%s %s %s", c.Type, c.Status, c.Reason, c.Message)
			}
		}
		b.WriteString("\n")
	}
	events, err := k.Client.CoreV1().Events(k.NS).List(k.Ctx(), metav1.ListOptions{FieldSelector: "type=Warning"})
	if err == nil {
		for _, e := range events.Items {
			fmt.Fprintf(&b, "  warning %s %s/%s: %s (x%d)\n", e.Reason, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Message, e.Count)
		}
	}
	return b.String()
}
