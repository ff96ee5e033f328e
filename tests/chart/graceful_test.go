package chart

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// backendDrainSeconds is how long uvicorn finishes in-flight requests after SIGTERM, read
// from backend/Dockerfile's CMD (the one place it is set).
func backendDrainSeconds(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chartDir(t), "..", "..", filepath.FromSlash(layout.BackendDockerfile)))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`"--timeout-graceful-shutdown",\s*"(\d+)"`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("%s sets no --timeout-graceful-shutdown: the grace period cannot be matched to it", layout.BackendDockerfile)
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n
}

// TestGracefulRollout: what a rolling upgrade needs to lose no request, for both
// Deployments: capacity never drops (maxUnavailable 0, maxSurge 1), new pods take traffic
// only once ready, and an old pod keeps serving while its removal from the endpoints
// propagates (preStop sleep), then drains within a grace period that covers the sleep plus
// the server's own drain.
func TestGracefulRollout(t *testing.T) {
	drain := backendDrainSeconds(t)
	vals := programValues(t, map[string]string{"backendReplicas": "2", "frontendReplicas": "2"})
	r := mustRender(t, vals, values.Options{})
	for _, name := range []string{"todo-chatbot-backend", "todo-chatbot-frontend"} {
		d := find[*appsv1.Deployment](t, r, name)
		s := d.Spec.Strategy
		if s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate == nil ||
			s.RollingUpdate.MaxUnavailable == nil || *s.RollingUpdate.MaxUnavailable != intstr.FromInt32(0) ||
			s.RollingUpdate.MaxSurge == nil || *s.RollingUpdate.MaxSurge != intstr.FromInt32(1) {
			t.Errorf("%s strategy %+v, want RollingUpdate maxUnavailable 0 maxSurge 1", name, s)
		}
		pod := d.Spec.Template.Spec
		c := pod.Containers[0]
		if c.ReadinessProbe == nil {
			t.Errorf("%s has no readiness probe to gate the rollout", name)
		}
		if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
			t.Errorf("%s has no preStop sleep action (%+v)", name, c.Lifecycle)
			continue
		}
		if c.Lifecycle.PreStop.Exec != nil {
			t.Errorf("%s preStop runs a command; the kubelet's sleep action needs no binary in the image", name)
		}
		sleep := c.Lifecycle.PreStop.Sleep.Seconds
		// Endpoint removal reaches kube-proxy within a second or two on a quiet node.
		if sleep < 3 {
			t.Errorf("%s preStop sleep %ds is too short for endpoint removal to propagate", name, sleep)
		}
		// The frontend's proxied calls end when the backend's drain does, so both need
		// the sleep plus uvicorn's drain; a margin covers the app's own shutdown.
		if grace := pod.TerminationGracePeriodSeconds; grace == nil || *grace < sleep+drain+5 {
			t.Errorf("%s terminationGracePeriodSeconds %v < preStop %ds + backend drain %ds + 5 s margin", name, deref(grace), sleep, drain)
		}
	}

	t.Run("configurable", func(t *testing.T) {
		r := mustRender(t, vals, values.Options{Values: []string{
			"backend.strategy.rollingUpdate.maxSurge=25%", "backend.strategy.rollingUpdate.maxUnavailable=1",
			"frontend.strategy.type=Recreate", "frontend.preStopSleepSeconds=0", "frontend.terminationGracePeriodSeconds=10"}})
		be := find[*appsv1.Deployment](t, r, "todo-chatbot-backend").Spec
		if ru := be.Strategy.RollingUpdate; *ru.MaxSurge != intstr.FromString("25%") || *ru.MaxUnavailable != intstr.FromInt32(1) {
			t.Errorf("backend rollingUpdate %+v, want maxSurge 25%% maxUnavailable 1", ru)
		}
		fe := find[*appsv1.Deployment](t, r, "todo-chatbot-frontend").Spec
		if fe.Strategy.Type != appsv1.RecreateDeploymentStrategyType || fe.Strategy.RollingUpdate != nil {
			t.Errorf("frontend strategy %+v, want Recreate without rollingUpdate (the API server rejects both)", fe.Strategy)
		}
		if c := fe.Template.Spec.Containers[0]; c.Lifecycle != nil {
			t.Errorf("preStopSleepSeconds=0 still renders a lifecycle %+v", c.Lifecycle)
		}
		if g := fe.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g != 10 {
			t.Errorf("frontend terminationGracePeriodSeconds %v, want 10", deref(g))
		}
	})
}
