package infra

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/todo-chatbot/todo-chatbot/infra/chartvalues"
	"github.com/todo-chatbot/todo-chatbot/infra/settings"
)

// secretPaths lists the dotted paths of the secret leaves in a values tree; it fails when
// a map or array above the leaves is secret (which would hide every diff).
func secretPaths(t *testing.T, prefix string, v resource.PropertyValue) []string {
	t.Helper()
	switch {
	case v.IsSecret():
		if e := v.SecretValue().Element; e.IsObject() || e.IsArray() {
			t.Errorf("%s: a whole subtree is secret", prefix)
		}
		return []string{prefix}
	case v.IsObject():
		var out []string
		for k, e := range v.ObjectValue() {
			out = append(out, secretPaths(t, strings.TrimPrefix(prefix+"."+string(k), "."), e)...)
		}
		return out
	case v.IsArray():
		var out []string
		for _, e := range v.ArrayValue() {
			out = append(out, secretPaths(t, prefix+"[]", e)...)
		}
		return out
	}
	return nil
}

func TestReleaseValuesDev(t *testing.T) {
	root := newProject(t)
	setConfig(t, map[string]string{"backendReplicas": "2", "frontendReplicas": "3", "frontendNodePort": "30080",
		"geminiApiKey": secretKey, "geminiModel": "gemini-2.5-flash"}, "geminiApiKey")
	st := mustRun(t, "dev", nil)
	values := st.m.one(t, releaseType).Inputs["values"]

	digest, err := chartvalues.Digest(root + "/charts/todo-chatbot")
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]any{
		"chartDigest":                digest,
		"backend.replicaCount":       2.0,
		"frontend.replicaCount":      3.0,
		"frontend.service.nodePort":  30080.0,
		"backend.geminiModel":        "gemini-2.5-flash",
		"backend.image.repository":   "todo-backend",
		"backend.image.tag":          "v1",
		"backend.image.digest":       "",
		"backend.image.id":           imageID,
		"frontend.image.repository":  "todo-frontend",
		"frontend.image.id":          imageID,
		"postgresql.enabled":         true,
		"env.secrets.DATABASE_URL":   "",
		"env.secrets.GEMINI_API_KEY": secretKey,
	}
	for dotted, want := range checks {
		v := path(t, values, strings.Split(dotted, ".")...)
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if got := v.V; got != want {
			t.Errorf("%s = %#v, want %#v", dotted, got, want)
		}
	}
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(digest) {
		t.Fatalf("chart digest %q", digest)
	}

	// Only the two secrets are secret, each as a leaf.
	got := secretPaths(t, "", values)
	if len(got) != 2 || !contains(got, "env.secrets.DATABASE_URL") || !contains(got, "env.secrets.GEMINI_API_KEY") {
		t.Fatalf("secret leaves %v, want exactly env.secrets.DATABASE_URL and env.secrets.GEMINI_API_KEY", got)
	}
	assertNoPlaintextOutputs(t, st, secretKey)
}

func TestReleaseValuesExternalDatabase(t *testing.T) {
	newProject(t)
	setConfig(t, map[string]string{"databaseUrl": secretDBURL}, "databaseUrl")
	st := mustRun(t, "dev", nil)
	values := st.m.one(t, releaseType).Inputs["values"]
	if v := path(t, values, "postgresql", "enabled"); v.BoolValue() {
		t.Error("with databaseUrl set the in-cluster PostgreSQL must be off")
	}
	db := path(t, values, "env", "secrets", "DATABASE_URL")
	if !db.IsSecret() || db.SecretValue().Element.StringValue() != secretDBURL {
		t.Errorf("DATABASE_URL must reach the release as a secret: %v", db.IsSecret())
	}
	if v := path(t, values, "env", "secrets", "GEMINI_API_KEY"); !v.IsSecret() {
		t.Error("an unset GEMINI_API_KEY is still passed as a secret leaf")
	}
	assertNoPlaintextOutputs(t, st, secretDBURL)
}

// The values the program hands to Helm are exactly chartvalues.Build of settings.ChartSpec,
// the functions the chart and cluster tests call with plain strings.
func TestReleaseValuesMatchSharedBuilder(t *testing.T) {
	root := newProject(t)
	cfg := map[string]string{"backendReplicas": "2", "frontendNodePort": "30080", "databaseUrl": secretDBURL, "geminiApiKey": secretKey}
	setConfig(t, cfg, "databaseUrl", "geminiApiKey")
	st := mustRun(t, "dev", nil)
	got := st.m.one(t, releaseType).Inputs["values"]

	s, err := settings.Parse(cfg)
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := chartvalues.Digest(root + "/charts/todo-chatbot")
	be := chartvalues.Image[string]{Repository: "todo-backend", Tag: "v1", ID: imageID}
	fe := chartvalues.Image[string]{Repository: "todo-frontend", Tag: "v1", ID: imageID}
	want := resource.NewPropertyValue(chartvalues.Build(settings.ChartSpec(s, be, fe, secretDBURL, secretKey, digest)))
	if !unsecret(got).DeepEquals(want) {
		t.Fatalf("release values differ from chartvalues.Build(settings.ChartSpec(...)):\n got %v\nwant %v", unsecret(got), want)
	}
}

// unsecret replaces secret leaves by their elements.
func unsecret(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return unsecret(v.SecretValue().Element)
	case v.IsObject():
		m := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			m[k] = unsecret(e)
		}
		return resource.NewObjectProperty(m)
	}
	return v
}

func assertNoPlaintextOutputs(t *testing.T, st stack, secrets ...string) {
	t.Helper()
	for name, o := range st.outputs {
		if o.Secret {
			continue
		}
		for _, s := range secrets {
			if strings.Contains(toString(o.Value), s) {
				t.Errorf("output %s holds a plaintext secret", name)
			}
		}
	}
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func TestToInputRejectsUnknownLeaves(t *testing.T) {
	if _, err := toInput(map[string]any{"a": map[string]any{"b": 1.5}}); err == nil || !strings.Contains(err.Error(), "values.a.b: unsupported chart value of type float64") {
		t.Fatalf("want an error naming a.b, got %v", err)
	}
}
