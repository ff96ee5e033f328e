package cluster

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Kube reads one namespace of the test cluster with client-go for a test (the chart's
// cluster test and the end-to-end test): what was deployed, seen from the API server. A
// failed read fails the test.
type Kube struct {
	T      *testing.T
	Client kubernetes.Interface
	NS     string
}

func (k Kube) Ctx() context.Context { return context.Background() }

// In is the same test and client on another namespace.
func (k Kube) In(ns string) Kube { k.NS = ns; return k }

func (k Kube) Deployment(name string) *appsv1.Deployment {
	k.T.Helper()
	d, err := k.Client.AppsV1().Deployments(k.NS).Get(k.Ctx(), name, metav1.GetOptions{})
	if err != nil {
		k.T.Fatalf("get Deployment %s/%s: %v", k.NS, name, err)
	}
	return d
}

func (k Kube) SecretData(name string) map[string][]byte {
	k.T.Helper()
	s, err := k.Client.CoreV1().Secrets(k.NS).Get(k.Ctx(), name, metav1.GetOptions{})
	if err != nil {
		k.T.Fatalf("get Secret %s/%s: %v", k.NS, name, err)
	}
	return s.Data
}

// Revisions maps each Deployment to its rollout revision (deployment.kubernetes.io/
// revision), which goes up exactly when its pod template changes, i.e. when it rolls.
func (k Kube) Revisions() map[string]string {
	k.T.Helper()
	list, err := k.Client.AppsV1().Deployments(k.NS).List(k.Ctx(), metav1.ListOptions{})
	if err != nil {
		k.T.Fatal(err)
	}
	m := map[string]string{}
	for _, d := range list.Items {
		m[d.Name] = d.Annotations["deployment.kubernetes.io/revision"]
	}
	return m
}

// ExpectRolled checks that exactly the Deployments whose names end in -<rolled> got a new
// revision since before (from Revisions).
func (k Kube) ExpectRolled(before map[string]string, rolled ...string) {
	k.T.Helper()
	for name, rev := range k.Revisions() {
		want := false
		for _, r := range rolled {
			want = want || strings.HasSuffix(name, "-"+r)
		}
		if got := rev != before[name]; got != want {
			k.T.Errorf("Deployment %s: revision %s -> %s; rolled: %v, want rolled: %v", name, before[name], rev, got, want)
		}
	}
}

// Logs returns the logs of every container of every pod (for the secret scans).
func (k Kube) Logs() map[string]string {
	k.T.Helper()
	pods, err := k.Client.CoreV1().Pods(k.NS).List(k.Ctx(), metav1.ListOptions{})
	if err != nil {
		k.T.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range pods.Items {
		for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
			b, err := k.Client.CoreV1().Pods(k.NS).GetLogs(p.Name, &corev1.PodLogOptions{Container: c.Name}).DoRaw(k.Ctx())
			if err == nil {
				out["log of pod "+p.Name+" container "+c.Name] = string(b)
			}
		}
	}
	return out
}
