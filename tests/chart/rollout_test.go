package chart

import (
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
	appsv1 "k8s.io/api/apps/v1"
)

// podAnnotations returns the pod-template annotations of the backend and frontend.
func podAnnotations(t *testing.T, vals map[string]any) (backend, frontend map[string]string) {
	t.Helper()
	r := mustRender(t, vals, values.Options{})
	return find[*appsv1.Deployment](t, r, "todo-chatbot-backend").Spec.Template.Annotations,
		find[*appsv1.Deployment](t, r, "todo-chatbot-frontend").Spec.Template.Annotations
}

// TestImageIDAnnotation: a rebuilt image under the same tag changes the pod template (and so
// rolls the pods) exactly for the component that was rebuilt.
func TestImageIDAnnotation(t *testing.T) {
	const key = "todo-chatbot/image-id"
	// External database: a fresh client-side render of the in-cluster one draws a new
	// password, and so a new checksum, every time (lookup keeps it on a real upgrade).
	vals := programValues(t, map[string]string{"databaseUrl": fakeDBURL})
	be, fe := podAnnotations(t, withValue(withValue(vals, "backend.image.id", ""), "frontend.image.id", ""))
	if _, ok := be[key]; ok {
		t.Errorf("backend has %s without an image ID", key)
	}
	if _, ok := fe[key]; ok {
		t.Errorf("frontend has %s without an image ID", key)
	}

	be, fe = podAnnotations(t, vals)
	image := func(component string) map[string]any {
		return vals[component].(map[string]any)["image"].(map[string]any)
	}
	if be[key] == "" || be[key] != image("backend")["id"] || fe[key] != image("frontend")["id"] {
		t.Fatalf("image-id annotations %q, %q; want the built images' IDs", be[key], fe[key])
	}

	rebuilt := withValue(vals, "frontend.image.id", "sha256:5555555555555555555555555555555555555555555555555555555555555555")
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
	config := map[string]string{"databaseUrl": fakeDBURL, "geminiApiKey": fakeGeminiKey}
	vals := programValues(t, config)
	base, fe := podAnnotations(t, vals)
	if len(base[key]) != 64 {
		t.Fatalf("backend checksum/secret = %q, want a sha256", base[key])
	}
	if fe[key] != base[key] {
		t.Errorf("frontend checksum/secret %q differs from the backend's %q", fe[key], base[key])
	}
	if again, _ := podAnnotations(t, vals); again[key] != base[key] {
		t.Error("checksum/secret differs between two renders of the same values")
	}

	changes := map[string]map[string]any{
		"GEMINI_API_KEY": programValues(t, merge(config, map[string]string{"geminiApiKey": fakeGeminiKey + "-rotated"})),
		"DATABASE_URL":   programValues(t, merge(config, map[string]string{"databaseUrl": fakeDBURL + "?sslmode=require"})),
		"no Gemini key":  programValues(t, merge(config, map[string]string{"geminiApiKey": ""})),
	}
	for name, changed := range changes {
		if be, fe := podAnnotations(t, changed); be[key] == base[key] || fe[key] == base[key] {
			t.Errorf("changing %s does not change checksum/secret on both Deployments", name)
		}
	}
	same := map[string]map[string]any{
		"replicas":     programValues(t, merge(config, map[string]string{"backendReplicas": "3"})),
		"image ID":     withValue(vals, "backend.image.id", "sha256:5555555555555555555555555555555555555555555555555555555555555555"),
		"Gemini model": programValues(t, merge(config, map[string]string{"geminiModel": "gemini-2.5-pro"})),
		"node port":    programValues(t, merge(config, map[string]string{"frontendNodePort": "30999"})),
		"chart digest": withValue(vals, "chartDigest", "sha256:0"),
	}
	for name, changed := range same {
		if be, fe := podAnnotations(t, changed); be[key] != base[key] || fe[key] != base[key] {
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
