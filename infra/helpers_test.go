package infra_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

const (
	secretDBURL = "postgresql://todo:pa55-not-for-logs@db.example.com:5432/todo"
	secretKey   = "AIza-test-key-not-for-logs"
	stagingBE   = "registry.example.com/todo/todo-backend:v1@sha256:3333333333333333333333333333333333333333333333333333333333333333"
	stagingFE   = "registry.example.com/todo/todo-frontend:v1@sha256:4444444444444444444444444444444444444444444444444444444444444444"
)

// newProject writes a minimal project (Pulumi.yaml's settings, both build contexts, a small
// chart) for tests that edit the chart or need files missing.
func newProject(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	pulumiYAML, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"Pulumi.yaml":                            string(pulumiYAML),
		"backend/Dockerfile":                     "FROM scratch\n",
		"frontend/Dockerfile":                    "FROM scratch\n",
		"charts/todo-chatbot/Chart.yaml":         "apiVersion: v2\nname: todo-chatbot\nversion: 0.1.0\n",
		"charts/todo-chatbot/templates/nop.yaml": "# nothing\n",
		"charts/todo-chatbot/.helmignore":        "*.swp\n",
	} {
		writeFile(t, filepath.Join(root, filepath.FromSlash(name)), body)
	}
	return root
}

// repoRoot is this checkout, found before tests chdir elsewhere.
var repoRoot = func() string {
	root, err := layout.FindRoot(".")
	if err != nil {
		panic(err)
	}
	return root
}()

// at walks nested object properties: at(t, v, "env", "secrets", "DATABASE_URL").
func at(t *testing.T, v resource.PropertyValue, keys ...string) resource.PropertyValue {
	t.Helper()
	for _, k := range keys {
		if v.IsSecret() {
			t.Fatalf("%s: the values tree is secret above the leaves", k)
		}
		if i, err := strconv.Atoi(k); err == nil && v.IsArray() { // a list index in the path
			if i >= len(v.ArrayValue()) {
				t.Fatalf("%s: index out of range of %v", k, v)
			}
			v = v.ArrayValue()[i]
			continue
		}
		if !v.IsObject() {
			t.Fatalf("%s: not an object: %v", k, v)
		}
		v = v.ObjectValue()[resource.PropertyKey(k)]
	}
	return v
}

func str(t *testing.T, v resource.PropertyValue) string {
	t.Helper()
	if !v.IsString() {
		t.Fatalf("not a plain string: %v", v)
	}
	return v.StringValue()
}

func writeFile(t testing.TB, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
