package chart

import (
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// TestPodDisruptionBudgets: a PDB only where more than one replica runs.
func TestPodDisruptionBudgets(t *testing.T) {
	spec := chartDefaultsSpec(t)
	if n := len(all[*policyv1.PodDisruptionBudget](mustRender(t, &spec, values.Options{}))); n != 0 {
		t.Errorf("%d PDBs with single replicas; a PDB over one pod blocks node drains", n)
	}
	spec.BackendReplicas = 3
	r := mustRender(t, &spec, values.Options{})
	pdbs := all[*policyv1.PodDisruptionBudget](r)
	if len(pdbs) != 1 || pdbs[0].Name != "todo-chatbot-backend" || pdbs[0].Spec.MaxUnavailable.IntValue() != 1 {
		t.Fatalf("want one backend PDB with maxUnavailable 1, got %v", r.names())
	}
	off := mustRender(t, &spec, values.Options{Values: []string{"backend.pdb.enabled=false"}})
	if n := len(all[*policyv1.PodDisruptionBudget](off)); n != 0 {
		t.Errorf("backend.pdb.enabled=false still renders %d PDBs", n)
	}
}

// TestAutoscaling: the HPA targets its Deployment, which then leaves replicas to it.
func TestAutoscaling(t *testing.T) {
	spec := chartDefaultsSpec(t)
	r := mustRender(t, &spec, values.Options{Values: []string{
		"backend.autoscaling.enabled=true", "backend.autoscaling.minReplicas=2", "backend.autoscaling.maxReplicas=7"}})
	hpa := find[*autoscalingv2.HorizontalPodAutoscaler](t, r, "todo-chatbot-backend")
	if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != "todo-chatbot-backend" ||
		*hpa.Spec.MinReplicas != 2 || hpa.Spec.MaxReplicas != 7 {
		t.Errorf("HPA %+v", hpa.Spec)
	}
	if d := find[*appsv1.Deployment](t, r, "todo-chatbot-backend"); d.Spec.Replicas != nil {
		t.Errorf("backend Deployment sets replicas %d under an HPA; each upgrade would reset the HPA's choice", *d.Spec.Replicas)
	}
	if d := find[*appsv1.Deployment](t, r, "todo-chatbot-frontend"); d.Spec.Replicas == nil {
		t.Error("frontend Deployment (no HPA) lost its replicas")
	}
	find[*policyv1.PodDisruptionBudget](t, r, "todo-chatbot-backend") // minReplicas 2 > 1
}

// TestNetworkPolicy: only frontend pods reach the backend, only backend pods PostgreSQL.
func TestNetworkPolicy(t *testing.T) {
	spec := chartDefaultsSpec(t)
	if n := len(all[*networkingv1.NetworkPolicy](mustRender(t, &spec, values.Options{}))); n != 0 {
		t.Errorf("%d NetworkPolicies rendered by default", n)
	}
	r := mustRender(t, &spec, values.Options{Values: []string{"networkPolicy.enabled=true"}})
	podLabels := func(name string) labels.Set {
		for _, p := range podTemplates(r) {
			if p.Owner == name {
				return p.Meta.Labels
			}
		}
		t.Fatalf("no pods of %s", name)
		return nil
	}
	frontend, backend, postgres := podLabels("Deployment/todo-chatbot-frontend"), podLabels("Deployment/todo-chatbot-backend"), podLabels("StatefulSet/todo-chatbot-postgresql")
	cases := []struct {
		policy       string
		protects     labels.Set
		allowed      labels.Set
		deniedFrom   []labels.Set
		portName     string
		protectedNot []labels.Set
	}{
		{"todo-chatbot-backend", backend, frontend, []labels.Set{backend, postgres}, "http", []labels.Set{frontend, postgres}},
		{"todo-chatbot-postgresql", postgres, backend, []labels.Set{frontend}, "postgresql", []labels.Set{frontend, backend}},
	}
	for _, c := range cases {
		np := find[*networkingv1.NetworkPolicy](t, r, c.policy)
		target := selector(t, &np.Spec.PodSelector)
		if !target.Matches(c.protects) {
			t.Errorf("%s does not select the pods it protects", c.policy)
		}
		for _, other := range c.protectedNot {
			if target.Matches(other) {
				t.Errorf("%s also selects %v", c.policy, other)
			}
		}
		if len(np.Spec.Ingress) != 1 || len(np.Spec.Ingress[0].From) != 1 || np.Spec.Ingress[0].Ports[0].Port.String() != c.portName {
			t.Fatalf("%s ingress %+v, want one rule from one peer on port %s", c.policy, np.Spec.Ingress, c.portName)
		}
		from := selector(t, np.Spec.Ingress[0].From[0].PodSelector)
		if !from.Matches(c.allowed) {
			t.Errorf("%s does not admit %v", c.policy, c.allowed)
		}
		for _, denied := range c.deniedFrom {
			if from.Matches(denied) {
				t.Errorf("%s admits %v", c.policy, denied)
			}
		}
	}
}

func selector(t *testing.T, s *metav1.LabelSelector) labels.Selector {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}
