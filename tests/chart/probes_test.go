package chart

import (
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// checkDistinctProbes: every long-running container has a liveness and a readiness probe,
// and they differ (a scorer flags identical ones: a pod that cannot serve for a while would
// be restarted instead of only taken out of the Service).
func checkDistinctProbes(t *testing.T, r *rendered) {
	for _, p := range podTemplates(r) {
		if p.Selector == nil {
			continue // the `helm test` pod runs to completion
		}
		for _, c := range p.Spec.Containers {
			where := p.Owner + " container " + c.Name
			if c.LivenessProbe == nil || c.ReadinessProbe == nil {
				t.Errorf("%s: liveness %v readiness %v, want both", where, c.LivenessProbe != nil, c.ReadinessProbe != nil)
				continue
			}
			if reflect.DeepEqual(c.LivenessProbe.ProbeHandler, c.ReadinessProbe.ProbeHandler) {
				t.Errorf("%s: liveness and readiness run the same check %+v", where, c.LivenessProbe.ProbeHandler)
			}
		}
	}
}

// TestProbes: what each probe checks. Liveness asks only "is the process alive", so a
// slow or absent dependency never restarts a pod; readiness asks "can it serve".
func TestProbes(t *testing.T) {
	r := mustRender(t, programValues(t, nil), values.Options{Values: []string{"postgresql.username=app", "postgresql.database=todos"}})
	checkDistinctProbes(t, r)

	be, _ := container(find[*appsv1.Deployment](t, r, "todo-chatbot-backend").Spec.Template.Spec, "backend")
	fe, _ := container(find[*appsv1.Deployment](t, r, "todo-chatbot-frontend").Spec.Template.Spec, "frontend")
	httpProbes := []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"backend liveness", be.LivenessProbe, "/healthz"},
		{"backend readiness (database too)", be.ReadinessProbe, "/readyz"},
		{"frontend liveness", fe.LivenessProbe, "/api/healthz"},
		{"frontend readiness (reaches a ready backend)", fe.ReadinessProbe, "/api/status"},
	}
	for _, p := range httpProbes {
		if p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe %+v, want HTTP GET %s on port http", p.name, p.probe.ProbeHandler, p.path)
		}
	}
	// /api/status waits up to 3 s for the backend (frontend/src/lib/backend.ts): the
	// kubelet must wait longer, or a slow backend reads as a probe timeout.
	if fe.ReadinessProbe.TimeoutSeconds <= 3 {
		t.Errorf("frontend readiness timeout %ds; /api/status itself may take 3 s", fe.ReadinessProbe.TimeoutSeconds)
	}

	pg, _ := container(find[*appsv1.StatefulSet](t, r, "todo-chatbot-postgresql").Spec.Template.Spec, "postgresql")
	// Readiness: pg_isready over TCP for the chart's own role and database, run without a
	// shell (the stand-in and the official image both have pg_isready on PATH).
	want := []string{"pg_isready", "--host=127.0.0.1", "--port=5432", "--username=app", "--dbname=todos", "--timeout=4"}
	for name, probe := range map[string]*corev1.Probe{"startup": pg.StartupProbe, "readiness": pg.ReadinessProbe} {
		if probe == nil || probe.Exec == nil || !reflect.DeepEqual(probe.Exec.Command, want) {
			t.Errorf("PostgreSQL %s probe %+v, want exec %q", name, probe, want)
		}
	}
	// Liveness: a TCP connect to the server's port, no process spawned in the container.
	if l := pg.LivenessProbe; l == nil || l.TCPSocket == nil || l.TCPSocket.Port.String() != "postgresql" {
		t.Errorf("PostgreSQL liveness probe %+v, want tcpSocket on port postgresql", l)
	}
	if to := pg.ReadinessProbe.TimeoutSeconds; to <= 4 {
		t.Errorf("PostgreSQL readiness timeout %ds is not above pg_isready's own --timeout=4", to)
	}
	if !strings.Contains(pg.Ports[0].Name, "postgresql") || pg.Ports[0].ContainerPort != 5432 {
		t.Errorf("PostgreSQL port %+v, want postgresql 5432", pg.Ports)
	}
}
