package infra

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

func checkoutRoot(t *testing.T) string {
	t.Helper()
	root, err := layout.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// Pulumi.yaml and Settings declare the same keys with the same types, each with a default
// and no `secret: true`, and the program refuses to start when they drift apart, naming
// every key that did.
func TestSettingsMatchPulumiYaml(t *testing.T) {
	root := checkoutRoot(t)
	p, err := ReadProjectFile(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkDeclared(p); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, from, to, want string }{
		{"renamed key", "\n  geminiModel:\n", "\n  geminiModle:\n", "geminiModle is declared in Pulumi.yaml but infra.Settings has no field"},
		{"wrong type", "  releaseTimeout:\n    type: integer", "  releaseTimeout:\n    type: string", `releaseTimeout is "string" in Pulumi.yaml but integer`},
		{"secret: true", "  geminiApiKey:\n    type: string\n", "  geminiApiKey:\n    type: string\n    secret: true\n", "geminiApiKey needs a default and no `secret: true`"},
		{"secret not said", `description: "Secret: Gemini API key`, `description: "Gemini API key`, `geminiApiKey: a Secret field's description starts with "Secret:"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(string(b), c.from) {
				t.Fatalf("Pulumi.yaml no longer holds %q: update the test", c.from)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte(strings.Replace(string(b), c.from, c.to, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := ReadProjectFile(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkDeclared(p); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error with %q", err, c.want)
			}
		})
	}
}

// Settings can be printed (a log line, a test failure) without leaking a secret.
func TestSecretsNeverPrint(t *testing.T) {
	c := stackConfig{Settings: Settings{Namespace: "todo", DatabaseURL: Secret{"postgresql://todo:hunter2@db/todo"}}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, c)
		if strings.Contains(out, "hunter2") || !strings.Contains(out, "[secret]") || !strings.Contains(out, "todo") {
			t.Errorf("%s prints %s", verb, out)
		}
	}
}

// Errors come out in the order Settings declares the keys, the same on every run.
func TestConfigErrorsInStableOrder(t *testing.T) {
	p, err := ReadProjectFile(checkoutRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	src := fakeConfig{"backendReplicas": "x", "frontendReplicas": "y", "releaseTimeout": "z", "databaseUrl": "postgresql://u:p@h/d"}
	var first string
	for range 20 {
		_, errs := readSettings(src, p)
		got := fmt.Sprint(errs)
		if first == "" {
			first = got
		}
		if got != first {
			t.Fatalf("order changed between runs:\n%s\n%s", first, got)
		}
	}
	for i, key := range []string{"backendReplicas", "frontendReplicas", "databaseUrl", "releaseTimeout"} {
		if j := strings.Index(first, key); j < 0 || (i > 0 && j < strings.Index(first, []string{"backendReplicas", "frontendReplicas", "databaseUrl"}[i-1])) {
			t.Errorf("%s out of order in %s", key, first)
		}
	}
}

type fakeConfig map[string]string

func (f fakeConfig) GetConfig(key string) (string, bool) {
	v, ok := f[strings.TrimPrefix(key, layout.Project+":")]
	return v, ok
}
func (fakeConfig) IsConfigSecret(string) bool { return false }
