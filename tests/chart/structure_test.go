package chart

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// TestSeedStructure checks what the seed plan asks for, on the values the Pulumi program
// computes for a default Minikube stack with an external database and a pinned node port.
func TestSeedStructure(t *testing.T) {
	r := mustRender(t, programValues(t, map[string]string{"databaseUrl": fakeDBURL, "geminiApiKey": fakeGeminiKey,
		"frontendNodePort": "30080", "backendReplicas": "2", "frontendReplicas": "3"}), values.Options{})

	backendSvc := find[*corev1.Service](t, r, "todo-chatbot-backend")
	// The second port is the metrics listener (metrics.enabled is on by default).
	if backendSvc.Spec.Type != corev1.ServiceTypeClusterIP || len(backendSvc.Spec.Ports) != 2 ||
		backendSvc.Spec.Ports[0].Port != 8000 || backendSvc.Spec.Ports[0].TargetPort.String() != "http" ||
		backendSvc.Spec.Ports[1].Name != "metrics" {
		t.Errorf("backend Service: type %s ports %+v, want ClusterIP 8000 -> http, then metrics", backendSvc.Spec.Type, backendSvc.Spec.Ports)
	}
	frontendSvc := find[*corev1.Service](t, r, "todo-chatbot-frontend")
	if frontendSvc.Spec.Type != corev1.ServiceTypeNodePort || len(frontendSvc.Spec.Ports) != 1 ||
		frontendSvc.Spec.Ports[0].Port != 3000 || frontendSvc.Spec.Ports[0].NodePort != 30080 {
		t.Errorf("frontend Service: type %s ports %+v, want NodePort 3000 on node port 30080", frontendSvc.Spec.Type, frontendSvc.Spec.Ports)
	}

	backend := find[*appsv1.Deployment](t, r, "todo-chatbot-backend")
	frontend := find[*appsv1.Deployment](t, r, "todo-chatbot-frontend")
	if *backend.Spec.Replicas != 2 || *frontend.Spec.Replicas != 3 {
		t.Errorf("replicas: backend %d frontend %d, want 2 and 3", *backend.Spec.Replicas, *frontend.Spec.Replicas)
	}
	be, _ := container(backend.Spec.Template.Spec, "backend")
	fe, _ := container(frontend.Spec.Template.Spec, "frontend")
	if be.Image != "todo-backend:v1" || fe.Image != "todo-frontend:v1" {
		t.Errorf("images %q, %q; want todo-backend:v1, todo-frontend:v1", be.Image, fe.Image)
	}
	if be.Ports[0].ContainerPort != 8000 || fe.Ports[0].ContainerPort != 3000 {
		t.Errorf("container ports %d, %d; want 8000, 3000", be.Ports[0].ContainerPort, fe.Ports[0].ContainerPort)
	}

	// Probes: liveness /healthz and readiness /readyz on the backend, liveness /api/healthz
	// and readiness /api/status on the frontend, each with a startup probe in front.
	probes := []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"backend startup", be.StartupProbe, "/healthz"}, {"backend liveness", be.LivenessProbe, "/healthz"},
		{"backend readiness", be.ReadinessProbe, "/readyz"},
		{"frontend startup", fe.StartupProbe, "/api/healthz"}, {"frontend liveness", fe.LivenessProbe, "/api/healthz"},
		{"frontend readiness", fe.ReadinessProbe, "/api/status"},
	}
	for _, p := range probes {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "http" {
			t.Errorf("%s probe %+v, want HTTP GET %s on port http", p.name, p.probe, p.path)
		}
	}

	// Migrations run before the backend serves, with the backend image and the same env.
	migrate, ok := container(backend.Spec.Template.Spec, "migrate")
	if !ok || len(backend.Spec.Template.Spec.InitContainers) != 1 {
		t.Fatalf("backend has no migrate initContainer")
	}
	if migrate.Image != be.Image || strings.Join(migrate.Command, " ") != "python3 -m app.migrate" {
		t.Errorf("migrate initContainer: image %q command %q, want %q python3 -m app.migrate", migrate.Image, migrate.Command, be.Image)
	}
	// The backend's whole environment, plus a longer wait for the database.
	for _, want := range be.Env {
		if got, ok := envVar(migrate, want.Name); !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("migrate env %s = %+v, the backend's is %+v", want.Name, got, want)
		}
	}
	if e, _ := envVar(migrate, "DATABASE_WAIT_SECONDS"); e.Value != "300" {
		t.Errorf("migrate DATABASE_WAIT_SECONDS = %q, want the default 300", e.Value)
	}
	if _, ok := envVar(be, "DATABASE_WAIT_SECONDS"); ok {
		t.Error("the backend container got the migration's long database wait")
	}

	// BACKEND_URL points at the backend Service.
	e, ok := envVar(fe, "BACKEND_URL")
	if !ok || e.Value != "http://todo-chatbot-backend:8000" {
		t.Errorf("frontend BACKEND_URL = %+v, want http://todo-chatbot-backend:8000", e)
	}
	if u, err := url.Parse(e.Value); err != nil || u.Hostname() != backendSvc.Name {
		t.Errorf("BACKEND_URL host %q is not the backend Service %q", e.Value, backendSvc.Name)
	}
	// The frontend needs no secret at all.
	for _, env := range fe.Env {
		if env.ValueFrom != nil {
			t.Errorf("frontend reads %s from %+v; it needs no secret", env.Name, env.ValueFrom)
		}
	}

	// The Secret carries the values given, and only those keys.
	secret := find[*corev1.Secret](t, r, "todo-chatbot-secrets")
	if string(secret.Data["DATABASE_URL"]) != fakeDBURL || string(secret.Data["GEMINI_API_KEY"]) != fakeGeminiKey {
		t.Errorf("Secret data does not hold the DATABASE_URL and GEMINI_API_KEY given")
	}

	// Writable paths: /tmp on the backend, /tmp and /app/.next/cache on the frontend.
	mounts := func(c corev1.Container) string {
		var paths []string
		for _, m := range c.VolumeMounts {
			paths = append(paths, m.MountPath)
		}
		return strings.Join(paths, " ")
	}
	if mounts(be) != "/tmp" || mounts(fe) != "/tmp /app/.next/cache" {
		t.Errorf("writable mounts: backend %q frontend %q", mounts(be), mounts(fe))
	}
}

// TestGeminiModel: GEMINI_MODEL is a plain env var on the backend only when set.
func TestGeminiModel(t *testing.T) {
	r := mustRender(t, programValues(t, nil), values.Options{})
	be, _ := container(find[*appsv1.Deployment](t, r, "todo-chatbot-backend").Spec.Template.Spec, "backend")
	if e, ok := envVar(be, "GEMINI_MODEL"); ok {
		t.Errorf("GEMINI_MODEL set to %+v without backend.geminiModel", e)
	}
	r = mustRender(t, programValues(t, map[string]string{"geminiModel": "gemini-2.5-flash"}), values.Options{})
	be, _ = container(find[*appsv1.Deployment](t, r, "todo-chatbot-backend").Spec.Template.Spec, "backend")
	if e, ok := envVar(be, "GEMINI_MODEL"); !ok || e.Value != "gemini-2.5-flash" {
		t.Errorf("GEMINI_MODEL = %+v, want gemini-2.5-flash", e)
	}
}

// TestImageDigestPins: a digest pins repository@digest and the tag is not used.
func TestImageDigestPins(t *testing.T) {
	// A registry stack deploys its pushed backend by digest; the frontend is left unpinned
	// here, as a Minikube build is.
	vals := programValues(t, map[string]string{"registry": "registry.example.com", "databaseUrl": fakeDBURL})
	backendDigest := vals["backend"].(map[string]any)["image"].(map[string]any)["digest"].(string)
	vals = withValue(vals, "frontend.image.digest", "")
	vals = withValue(vals, "frontend.image.repository", "todo-frontend")
	r := mustRender(t, vals, values.Options{})
	backend := find[*appsv1.Deployment](t, r, "todo-chatbot-backend")
	for _, c := range allContainers(backend.Spec.Template.Spec) {
		if c.Image != "registry.example.com/todo-backend@"+backendDigest {
			t.Errorf("container %s image %q, want repository@digest", c.Name, c.Image)
		}
	}
	fe, _ := container(find[*appsv1.Deployment](t, r, "todo-chatbot-frontend").Spec.Template.Spec, "frontend")
	if fe.Image != "todo-frontend:v1" {
		t.Errorf("frontend image %q, want todo-frontend:v1 (no digest given)", fe.Image)
	}
	test := find[*corev1.Pod](t, r, "todo-chatbot-test-connection")
	if test.Spec.Containers[0].Image != "registry.example.com/todo-backend@"+backendDigest {
		t.Errorf("helm test pod image %q, want the backend's", test.Spec.Containers[0].Image)
	}
}

// TestHelmTestPod: the `helm test` hook asks the frontend's /api/status with the backend
// image (already on the node) and is not part of the release's manifest.
func TestHelmTestPod(t *testing.T) {
	r := mustRender(t, nil, values.Options{})
	for _, o := range r.Objects {
		pod, ok := o.Obj.(*corev1.Pod)
		if !ok {
			continue
		}
		if !o.Hook || pod.Annotations["helm.sh/hook"] != "test" {
			t.Errorf("Pod %s is not a `helm test` hook", pod.Name)
		}
		c := pod.Spec.Containers[0]
		if c.Image != "todo-backend:v1" || c.Command[0] != "python3" {
			t.Errorf("test pod runs %q %q, want python3 in todo-backend:v1", c.Image, c.Command)
		}
		if last := c.Command[len(c.Command)-1]; last != "http://todo-chatbot-frontend:3000/api/status" {
			t.Errorf("test pod asks %q, want the frontend's /api/status", last)
		}
		if pod.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("test pod restartPolicy %s, want Never", pod.Spec.RestartPolicy)
		}
	}
	off := mustRender(t, nil, values.Options{Values: []string{"tests.enabled=false"}})
	if pods := all[*corev1.Pod](off); len(pods) != 0 {
		t.Errorf("tests.enabled=false still renders %d test pods", len(pods))
	}
}

// TestNotes: NOTES.txt tells how to open the app on Minikube and anywhere else.
func TestNotes(t *testing.T) {
	r := mustRender(t, nil, values.Options{})
	for _, want := range []string{
		"minikube service todo-chatbot-frontend -n todo-chatbot",
		"kubectl port-forward -n todo-chatbot svc/todo-chatbot-frontend 3000:3000",
		"helm test todo-chatbot",
	} {
		if !strings.Contains(r.Notes, want) {
			t.Errorf("NOTES.txt lacks %q:\n%s", want, r.Notes)
		}
	}
}

// TestOptionalKeys: the pass-through keys land where Kubernetes expects them.
func TestOptionalKeys(t *testing.T) {
	var sc scenario
	for _, s := range scenarios(t) {
		if s.name == "every-optional-key" {
			sc = s
		}
	}
	r := mustRender(t, sc.values, sc.extra)
	backend := find[*appsv1.Deployment](t, r, "todo-chatbot-backend").Spec.Template
	frontend := find[*appsv1.Deployment](t, r, "todo-chatbot-frontend").Spec.Template
	be, _ := container(backend.Spec, "backend")
	fe, _ := container(frontend.Spec, "frontend")
	checks := map[string]bool{
		"imagePullSecrets":           len(backend.Spec.ImagePullSecrets) == 1 && backend.Spec.ImagePullSecrets[0].Name == "regcred",
		"backend extraEnv":           func() bool { e, ok := envVar(be, "LOG_LEVEL"); return ok && e.Value == "debug" }(),
		"frontend extraEnv":          func() bool { e, ok := envVar(fe, "NEXT_TELEMETRY_DISABLED"); return ok && e.Value == "1" }(),
		"frontend keeps BACKEND_URL": func() bool { _, ok := envVar(fe, "BACKEND_URL"); return ok }(),
		"podAnnotations merged":      backend.Annotations["prometheus.io/scrape"] == "true" && backend.Annotations["checksum/secret"] != "",
		"podLabels":                  frontend.Labels["team"] == "web",
		"nodeSelector":               backend.Spec.NodeSelector["kubernetes.io/os"] == "linux",
		"tolerations":                len(frontend.Spec.Tolerations) == 1 && frontend.Spec.Tolerations[0].Key == "dedicated",
		"affinity":                   backend.Spec.Affinity != nil && backend.Spec.Affinity.PodAntiAffinity != nil,
		"probe timing override":      be.LivenessProbe.InitialDelaySeconds == 5 && be.LivenessProbe.PeriodSeconds == 20 && be.LivenessProbe.FailureThreshold == 3,
		"resources override":         be.Resources.Limits.Memory().String() == "1Gi",
		"migrations off":             len(backend.Spec.InitContainers) == 0,
		"ServiceAccount annotated":   find[*corev1.ServiceAccount](t, r, "todo-chatbot").Annotations["example.com/role"] == "todo",
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("%s: not rendered as set", name)
		}
	}
}
