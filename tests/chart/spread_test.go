package chart

import (
	"reflect"
	"slices"
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// spread returns the topologySpreadConstraints of a Deployment's pod template.
func spread(t *testing.T, r *rendered, name string) []corev1.TopologySpreadConstraint {
	t.Helper()
	return find[*appsv1.Deployment](t, r, name).Spec.Template.Spec.TopologySpreadConstraints
}

// TestTopologySpreadByDefault: with no value set, the replicas of the backend and of the
// frontend spread over the nodes, softly (ScheduleAnyway), each Deployment counting its own
// pods (its selector labels) of its own ReplicaSet (pod-template-hash); PostgreSQL, one pod,
// has no constraint.
func TestTopologySpreadByDefault(t *testing.T) {
	for _, vals := range []map[string]any{nil, programValues(t, nil)} {
		r := mustRender(t, vals, values.Options{})
		for _, name := range []string{"todo-chatbot-backend", "todo-chatbot-frontend"} {
			d := find[*appsv1.Deployment](t, r, name)
			got := d.Spec.Template.Spec.TopologySpreadConstraints
			if len(got) != 1 {
				t.Fatalf("%s: %d topologySpreadConstraints, want 1: %+v", name, len(got), got)
			}
			c := got[0]
			if c.MaxSkew != 1 || c.TopologyKey != corev1.LabelHostname || c.WhenUnsatisfiable != corev1.ScheduleAnyway {
				t.Errorf("%s: maxSkew %d, topologyKey %q, whenUnsatisfiable %q; want 1, %q, %q",
					name, c.MaxSkew, c.TopologyKey, c.WhenUnsatisfiable, corev1.LabelHostname, corev1.ScheduleAnyway)
			}
			if !slices.Equal(c.MatchLabelKeys, []string{appsv1.DefaultDeploymentUniqueLabelKey}) {
				t.Errorf("%s: matchLabelKeys %v, want [%s] (a rollout's new pods spread on their own)",
					name, c.MatchLabelKeys, appsv1.DefaultDeploymentUniqueLabelKey)
			}
			// The selector labels of the chart's helper, as the Deployment's own selector.
			if c.LabelSelector == nil || !reflect.DeepEqual(c.LabelSelector, d.Spec.Selector) {
				t.Errorf("%s: labelSelector %v, want the Deployment's selector %v", name, c.LabelSelector, d.Spec.Selector)
			}
			if c.MinDomains != nil || c.NodeAffinityPolicy != nil || c.NodeTaintsPolicy != nil {
				t.Errorf("%s: unexpected fields set: %+v", name, c)
			}
		}
		for _, sts := range all[*appsv1.StatefulSet](r) {
			if n := len(sts.Spec.Template.Spec.TopologySpreadConstraints); n != 0 {
				t.Errorf("StatefulSet %s (one replica) has %d topologySpreadConstraints", sts.Name, n)
			}
		}
		if len(all[*appsv1.StatefulSet](r)) == 0 {
			t.Error("no PostgreSQL StatefulSet rendered to check")
		}
	}
}

// TestTopologySpreadValues: enabled=false removes the constraint of that component only;
// whenUnsatisfiable=DoNotSchedule makes it hard; a list of your own replaces it, an entry
// without labelSelector getting the component's selector labels.
func TestTopologySpreadValues(t *testing.T) {
	vals := programValues(t, nil)
	off := mustRender(t, vals, values.Options{Values: []string{"backend.topologySpread.enabled=false"}})
	if got := spread(t, off, "todo-chatbot-backend"); len(got) != 0 {
		t.Errorf("backend.topologySpread.enabled=false still renders %+v", got)
	}
	if got := spread(t, off, "todo-chatbot-frontend"); len(got) != 1 {
		t.Errorf("backend.topologySpread.enabled=false changed the frontend's constraints: %+v", got)
	}

	hard := mustRender(t, vals, values.Options{
		Values:     []string{"frontend.topologySpread.whenUnsatisfiable=DoNotSchedule", "frontend.topologySpread.maxSkew=2"},
		JSONValues: []string{"frontend.topologySpread.matchLabelKeys=[]"}})
	if got := spread(t, hard, "todo-chatbot-frontend"); len(got) != 1 || got[0].WhenUnsatisfiable != corev1.DoNotSchedule ||
		got[0].MaxSkew != 2 || len(got[0].MatchLabelKeys) != 0 {
		t.Errorf("hard spreading with maxSkew 2 and no matchLabelKeys: got %+v", got)
	}

	own := mustRender(t, vals, values.Options{JSONValues: []string{
		`backend.topologySpreadConstraints=[` +
			`{"maxSkew":1,"topologyKey":"topology.kubernetes.io/zone","whenUnsatisfiable":"DoNotSchedule","minDomains":3},` +
			`{"maxSkew":2,"topologyKey":"kubernetes.io/hostname","whenUnsatisfiable":"ScheduleAnyway",` +
			`"labelSelector":{"matchLabels":{"app.kubernetes.io/component":"backend","app.kubernetes.io/instance":"todo-chatbot"}}}]`,
	}})
	d := find[*appsv1.Deployment](t, own, "todo-chatbot-backend")
	got := d.Spec.Template.Spec.TopologySpreadConstraints
	if len(got) != 2 {
		t.Fatalf("backend.topologySpreadConstraints of 2 entries renders %d: %+v", len(got), got)
	}
	if got[0].TopologyKey != corev1.LabelTopologyZone || got[0].WhenUnsatisfiable != corev1.DoNotSchedule ||
		got[0].MinDomains == nil || *got[0].MinDomains != 3 || len(got[0].MatchLabelKeys) != 0 {
		t.Errorf("first entry not rendered as given (nothing of topologySpread added): %+v", got[0])
	}
	if !reflect.DeepEqual(got[0].LabelSelector, d.Spec.Selector) {
		t.Errorf("an entry without labelSelector got %v, want the Deployment's selector %v", got[0].LabelSelector, d.Spec.Selector)
	}
	if got[1].MaxSkew != 2 || len(got[1].LabelSelector.MatchLabels) != 2 {
		t.Errorf("an entry's own labelSelector was not kept: %+v", got[1])
	}
	if fe := spread(t, own, "todo-chatbot-frontend"); len(fe) != 1 || fe[0].TopologyKey != corev1.LabelHostname {
		t.Errorf("the backend's list changed the frontend's constraints: %+v", fe)
	}
}
