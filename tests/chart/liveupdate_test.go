package chart

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"helm.sh/helm/v3/pkg/cli/values"

	"github.com/todo-chatbot/todo-chatbot/infra/infratest"
	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// TestLiveUpdate renders the values the Pulumi program sends under make dev's live update
// (TODO_LIVE_UPDATE=1) and without it. Live update: each Deployment seeds an emptyDir with
// the image's code (initContainer seed-code) and mounts it over the code directory, runs the
// reloading dev command with the dev resources and probes; the pods still pass Pod Security
// "restricted". Without it nothing of that is rendered: production command, resources and
// read-only root filesystem.
func TestLiveUpdate(t *testing.T) {
	live := mustRender(t, infratest.MustRun(t, infratest.Stack{Env: map[string]string{layout.LiveUpdateEnv: "1"}}).Release(t).Values, valuesOptions())
	prod := mustRender(t, programValues(t, nil), valuesOptions())

	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	level := psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}
	for _, p := range podTemplates(live) {
		for _, result := range evaluator.EvaluatePod(level, &p.Meta, &p.Spec) {
			if !result.Allowed {
				t.Errorf("live update: %s violates Pod Security restricted: %s: %s", p.Owner, result.ForbiddenReason, result.ForbiddenDetail)
			}
		}
	}

	for _, c := range []struct {
		component, codeDir, command, memoryLimit string
		readOnlyRoot                             bool
		mounts                                   map[string]string // volume -> mountPath in live update
	}{
		{"backend", "/app", "app.devserver", "768Mi", true, map[string]string{"live-code": "/app", "tmp": "/tmp"}},
		{"frontend", "/app/src", "dev", "2Gi", false, map[string]string{"live-code": "/app/src", "next-cache": "/app/.next", "tmp": "/tmp"}},
	} {
		name := releaseName + "-" + c.component
		l := find[*appsDeployment](t, live, name).Spec.Template.Spec
		p := find[*appsDeployment](t, prod, name).Spec.Template.Spec
		main := mainContainer(t, l, c.component)
		if !slices.Contains(main.Command, c.command) {
			t.Errorf("live update: %s command %q, want the dev server (%s)", c.component, main.Command, c.command)
		}
		if got := *main.SecurityContext.ReadOnlyRootFilesystem; got != c.readOnlyRoot {
			t.Errorf("live update: %s readOnlyRootFilesystem %v, want %v", c.component, got, c.readOnlyRoot)
		}
		if got := main.Resources.Limits[corev1.ResourceMemory]; got.Cmp(resource.MustParse(c.memoryLimit)) != 0 {
			t.Errorf("live update: %s memory limit %s, want %s", c.component, got.String(), c.memoryLimit)
		}
		mounts := map[string]string{}
		for _, m := range main.VolumeMounts {
			mounts[m.Name] = m.MountPath
		}
		for vol, path := range c.mounts {
			if mounts[vol] != path {
				t.Errorf("live update: %s mounts %v, want %s at %s", c.component, mounts, vol, path)
			}
		}
		seed := initContainer(l, "seed-code")
		if seed == nil {
			t.Errorf("live update: %s has no seed-code initContainer", c.component)
		} else {
			if want := []string{"cp", "-R", c.codeDir + "/.", "/live-code/"}; !slices.Equal(seed.Command, want) {
				t.Errorf("live update: %s seed-code runs %q, want %q", c.component, seed.Command, want)
			}
			if seed.Image != main.Image {
				t.Errorf("live update: %s seeds from %s but runs %s", c.component, seed.Image, main.Image)
			}
		}
		if v := volume(l, "live-code"); v == nil || v.EmptyDir == nil {
			t.Errorf("live update: %s has no live-code emptyDir", c.component)
		}

		// Production: the image's CMD, read-only root, production resources, no live-code.
		pm := mainContainer(t, p, c.component)
		if len(pm.Command) != 0 || *pm.SecurityContext.ReadOnlyRootFilesystem != true || initContainer(p, "seed-code") != nil || volume(p, "live-code") != nil {
			t.Errorf("production %s: command %q, readOnlyRootFilesystem %v, seed-code %v, live-code %v; want none of live update",
				c.component, pm.Command, *pm.SecurityContext.ReadOnlyRootFilesystem, initContainer(p, "seed-code") != nil, volume(p, "live-code") != nil)
		}
		if got := pm.Resources.Limits[corev1.ResourceMemory]; got.Cmp(resource.MustParse("512Mi")) != 0 {
			t.Errorf("production %s: memory limit %s, want 512Mi", c.component, got.String())
		}
	}
	backend := find[*appsDeployment](t, live, releaseName+"-backend").Spec.Template.Spec
	if initContainer(backend, "migrate") == nil {
		t.Error("live update: the backend's migrations initContainer is gone")
	}
	fe := mainContainer(t, find[*appsDeployment](t, live, releaseName+"-frontend").Spec.Template.Spec, "frontend")
	if fe.StartupProbe.FailureThreshold != 150 || fe.StartupProbe.HTTPGet.Path != "/api/healthz" || fe.ReadinessProbe.TimeoutSeconds != 10 {
		t.Errorf("live update: frontend probes startup %+v readiness %+v, want liveUpdate.frontend.probes merged over frontend.probes",
			fe.StartupProbe, fe.ReadinessProbe)
	}
	be := mainContainer(t, backend, "backend")
	if be.StartupProbe.FailureThreshold != 60 {
		t.Errorf("live update: backend startup probe %+v, want backend.probes (liveUpdate.backend.probes is empty)", be.StartupProbe)
	}
}

// TestLiveUpdateBadValues: the liveUpdate block is schema-checked like every other value.
func TestLiveUpdateBadValues(t *testing.T) {
	for _, c := range []struct {
		name string
		opts values.Options
		want string
	}{
		{"misspelled key", values.Options{Values: []string{"liveUpdate.enable=true"}}, "/liveUpdate"},
		{"relative code dir", values.Options{StringValues: []string{"liveUpdate.backend.codeDir=app"}}, "/liveUpdate/backend/codeDir"},
		{"empty command", values.Options{JSONValues: []string{"liveUpdate.frontend.command=[]"}}, "/liveUpdate/frontend/command"},
		{"not a boolean", values.Options{StringValues: []string{"liveUpdate.enabled=yes"}}, "/liveUpdate/enabled"},
		{"unknown probe", values.Options{JSONValues: []string{`liveUpdate.frontend.probes={"warmup":{"periodSeconds":1}}`}}, "/liveUpdate/frontend/probes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := render(t, nil, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("values %+v: error %v, want one naming %s", c.opts, err, c.want)
			}
		})
	}
}

func mainContainer(t *testing.T, spec corev1.PodSpec, name string) corev1.Container {
	t.Helper()
	c, ok := container(spec, name)
	if !ok {
		t.Fatalf("no container %s", name)
	}
	return c
}

func initContainer(spec corev1.PodSpec, name string) *corev1.Container {
	for i := range spec.InitContainers {
		if spec.InitContainers[i].Name == name {
			return &spec.InitContainers[i]
		}
	}
	return nil
}

func volume(spec corev1.PodSpec, name string) *corev1.Volume {
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == name {
			return &spec.Volumes[i]
		}
	}
	return nil
}
