package chart

import (
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/todo-chatbot/todo-chatbot/infra/chartvalues"
)

// podAnnotations returns the pod-template annotations of the backend and frontend.
func podAnnotations(t *testing.T, spec chartvalues.Spec[string]) (backend, frontend map[string]string) {
	t.Helper()
	r := mustRender(t, &spec, values.Options{})
	return find[*appsv1.Deployment](t, r, "todo-chatbot-backend").Spec.Template.Annotations,
		find[*appsv1.Deployment](t, r, "todo-chatbot-frontend").Spec.Template.Annotations
}

// TestImageIDAnnotation: a rebuilt image under the same tag changes the pod template (and so
// rolls the pods) exactly for the component that was rebuilt.
func TestImageIDAnnotation(t *testing.T) {
	const key = "todo-chatbot/image-id"
	// External database: a fresh client-side render of the in-cluster one draws a new
	// password, and so a new checksum, every time (lookup keeps it on a real upgrade).
	spec := chartDefaultsSpec(t)
	spec.InClusterPostgres, spec.DatabaseURL = false, fakeDBURL
	be, fe := podAnnotations(t, spec)
	if _, ok := be[key]; ok {
		t.Errorf("backend has %s without an image ID", key)
	}
	if _, ok := fe[key]; ok {
		t.Errorf("frontend has %s without an image ID", key)
	}

	spec.Backend.ID, spec.Frontend.ID = backendID, frontendID
	be, fe = podAnnotations(t, spec)
	if be[key] != backendID || fe[key] != frontendID {
		t.Fatalf("image-id annotations %q, %q; want the IDs given", be[key], fe[key])
	}

	rebuilt := spec
	rebuilt.Frontend.ID = "sha256:5555555555555555555555555555555555555555555555555555555555555555"
	be2, fe2 := podAnnotations(t, rebuilt)
	if fe2[key] == fe[key] {
		t.Error("a rebuilt frontend image does not change the frontend's pod template")
	}
	if !equalMaps(be2, be) {
		t.Errorf("rebuilding the frontend changed the backend's pod annotations: %v -> %v", be, be2)
	}
}

// TestSecretChecksum: checksum/secret on both Deployments changes when a secret value
// changes and only then.
func TestSecretChecksum(t *testing.T) {
	const key = "checksum/secret"
	spec := chartDefaultsSpec(t)
	spec.InClusterPostgres = false
	spec.DatabaseURL, spec.GeminiAPIKey = fakeDBURL, fakeGeminiKey
	base, fe := podAnnotations(t, spec)
	if len(base[key]) != 64 {
		t.Fatalf("backend checksum/secret = %q, want a sha256", base[key])
	}
	if fe[key] != base[key] {
		t.Errorf("frontend checksum/secret %q differs from the backend's %q", fe[key], base[key])
	}
	if again, _ := podAnnotations(t, spec); again[key] != base[key] {
		t.Error("checksum/secret differs between two renders of the same values")
	}

	changes := map[string]func(*chartvalues.Spec[string]){
		"GEMINI_API_KEY": func(s *chartvalues.Spec[string]) { s.GeminiAPIKey = fakeGeminiKey + "-rotated" },
		"DATABASE_URL":   func(s *chartvalues.Spec[string]) { s.DatabaseURL = fakeDBURL + "?sslmode=require" },
		"no Gemini key":  func(s *chartvalues.Spec[string]) { s.GeminiAPIKey = "" },
	}
	for name, change := range changes {
		s := spec
		change(&s)
		if be, fe := podAnnotations(t, s); be[key] == base[key] || fe[key] == base[key] {
			t.Errorf("changing %s does not change checksum/secret on both Deployments", name)
		}
	}
	same := map[string]func(*chartvalues.Spec[string]){
		"replicas":     func(s *chartvalues.Spec[string]) { s.BackendReplicas = 3 },
		"image ID":     func(s *chartvalues.Spec[string]) { s.Backend.ID = backendID },
		"Gemini model": func(s *chartvalues.Spec[string]) { s.GeminiModel = "gemini-2.5-pro" },
		"node port":    func(s *chartvalues.Spec[string]) { s.FrontendNodePort = 30999 },
		"chart digest": func(s *chartvalues.Spec[string]) { s.ChartDigest = "sha256:0" },
	}
	for name, change := range same {
		s := spec
		change(&s)
		if be, fe := podAnnotations(t, s); be[key] != base[key] || fe[key] != base[key] {
			t.Errorf("changing %s (no secret) changes checksum/secret", name)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
