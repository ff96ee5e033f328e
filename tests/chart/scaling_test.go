package chart

import (
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	policyv1 "k8s.io/api/policy/v1"
)

// TestPodDisruptionBudgets: a PDB only where more than one replica runs.
func TestPodDisruptionBudgets(t *testing.T) {
	if n := len(all[*policyv1.PodDisruptionBudget](mustRender(t, programValues(t, nil), values.Options{}))); n != 0 {
		t.Errorf("%d PDBs with single replicas; a PDB over one pod blocks node drains", n)
	}
	vals := programValues(t, map[string]string{"backendReplicas": "3"})
	r := mustRender(t, vals, values.Options{})
	pdbs := all[*policyv1.PodDisruptionBudget](r)
	if len(pdbs) != 1 || pdbs[0].Name != "todo-chatbot-backend" || pdbs[0].Spec.MaxUnavailable.IntValue() != 1 {
		t.Fatalf("want one backend PDB with maxUnavailable 1, got %v", r.names())
	}
	off := mustRender(t, vals, values.Options{Values: []string{"backend.pdb.enabled=false"}})
	if n := len(all[*policyv1.PodDisruptionBudget](off)); n != 0 {
		t.Errorf("backend.pdb.enabled=false still renders %d PDBs", n)
	}
}

// TestAutoscaling: the HPA targets its Deployment, which then leaves replicas to it.
func TestAutoscaling(t *testing.T) {
	r := mustRender(t, programValues(t, nil), values.Options{Values: []string{
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
