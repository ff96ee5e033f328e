//go:build cluster

package cluster

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/todo-chatbot/todo-chatbot/infra/infratest"
	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// stack is one Pulumi stack: its config, the image IDs its builds produced and its project
// directory. values() runs the Pulumi program itself (infra.Program under Pulumi's mocks,
// infra/infratest), so the test installs exactly what `pulumi up` hands to Helm.
type stack struct {
	name                  string
	config                map[string]string // bare keys, as `pulumi config` holds them
	backendID, frontendID string            // the image IDs the program passes (the pod-template annotation)
	// The images the node really runs (BuildAppImages): a step may pass another backendID
	// to roll the pods, but the containers keep running these.
	builtBackend, builtFrontend string
	root                        string        // project directory; "" is this checkout
	settings                    stackSettings // what the release must show, from the program's values
}

// devStack is Pulumi.dev.yaml as committed: in-cluster PostgreSQL, offline assistant.
func devStack(t *testing.T) stack {
	t.Helper()
	return newStack(t, "dev", infratest.StackConfig(t, "dev"))
}

// externalStack is the dev stack with the secrets set, as after
// `pulumi config set --secret databaseUrl ...` and `... geminiApiKey ...`, in its own
// namespace, and scaled to two replicas with another pinned node port (the dev stack's
// 30080 may still be held by its Service if the dev stack's test failed before
// uninstalling). databaseURL is the external PostgreSQL on the host; the Gemini key is
// random per run. Secret values are never printed.
func externalStack(t *testing.T, databaseURL string) stack {
	t.Helper()
	raw := maps.Clone(infratest.StackConfig(t, "dev"))
	raw["namespace"] = "todo-chatbot-external"
	raw["databaseUrl"] = databaseURL
	raw["geminiApiKey"] = "test-" + randomHex(16)
	raw["geminiModel"] = "gemini-2.5-flash"
	raw["backendReplicas"], raw["frontendReplicas"], raw["frontendNodePort"] = "2", "2", "30081"
	return newStack(t, "external", raw)
}

func newStack(t *testing.T, name string, config map[string]string) stack {
	t.Helper()
	s := stack{name: name, config: config, backendID: fakeImageID("backend-1"), frontendID: fakeImageID("frontend-1")}
	s.settings = s.read(t)
	return s
}

// run runs the program for this stack.
func (s stack) run(t *testing.T) *infratest.Result {
	t.Helper()
	tag := s.config["imageTag"]
	if tag == "" {
		tag = "v1"
	}
	return infratest.MustRun(t, infratest.Stack{Name: s.name, Config: s.config, Root: s.root, ImageIDs: map[string]string{
		layout.BackendImage + ":" + tag: s.backendID, layout.FrontendImage + ":" + tag: s.frontendID}})
}

// values returns the Helm values the program sends for this stack.
func (s stack) values(t *testing.T) map[string]any {
	t.Helper()
	return s.run(t).Release(t).Values
}

func (s stack) chartDir(t *testing.T) string {
	root := s.root
	if root == "" {
		root = projectRoot(t)
	}
	return filepath.Join(root, filepath.FromSlash(layout.ChartDir))
}

// projectRoot is the checkout this test runs in.
func projectRoot(t *testing.T) string {
	t.Helper()
	root, err := layout.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func (s stack) chart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(s.chartDir(t))
	if err != nil {
		t.Fatalf("load chart %s: %v", s.chartDir(t), err)
	}
	return ch
}

// withGeminiKey returns the stack with another Gemini key, as after
// `pulumi config set --secret geminiApiKey <new>`.
func (s stack) withGeminiKey(t *testing.T, key string) stack {
	s.config = maps.Clone(s.config)
	s.config["geminiApiKey"] = key
	s.settings = s.read(t)
	return s
}

// stackSettings is what the program decided for a stack, read from the release it declares.
type stackSettings struct {
	Namespace, KubeContext, ImageTag, GeminiModel string
	BackendReplicas, FrontendReplicas             int
	FrontendNodePort                              int // 0: Kubernetes picks
	DatabaseURL, GeminiAPIKey                     secret
	inClusterPostgres                             bool
	repositories                                  map[string]string
}

func (s stackSettings) InClusterPostgres() bool { return s.inClusterPostgres }

// ImageRepository is the repository of todo-backend or todo-frontend.
func (s stackSettings) ImageRepository(name string) string { return s.repositories[name] }

// secret is a secret value, revealed on purpose only.
type secret string

func (s secret) Reveal() string { return string(s) }
func (s secret) IsSet() bool    { return s != "" }

func (s stack) read(t *testing.T) stackSettings {
	t.Helper()
	r := s.run(t)
	rel := r.Release(t)
	v := func(path string) any {
		var cur any = rel.Values
		for _, k := range strings.Split(path, ".") {
			m, _ := cur.(map[string]any)
			cur = m[k]
		}
		return cur
	}
	str := func(path string) string { s, _ := v(path).(string); return s }
	num := func(path string) int { n, _ := v(path).(float64); return int(n) }
	return stackSettings{
		Namespace: rel.Namespace, KubeContext: r.One(t, infratest.KubernetesProvider).Inputs["context"].StringValue(),
		ImageTag: str("backend.image.tag"), GeminiModel: str("backend.geminiModel"),
		BackendReplicas: num("backend.replicaCount"), FrontendReplicas: num("frontend.replicaCount"),
		FrontendNodePort: num("frontend.service.nodePort"),
		DatabaseURL:      secret(str("env.secrets.DATABASE_URL")), GeminiAPIKey: secret(str("env.secrets.GEMINI_API_KEY")),
		inClusterPostgres: v("postgresql.enabled") == true,
		repositories:      map[string]string{layout.BackendImage: str("backend.image.repository"), layout.FrontendImage: str("frontend.image.repository")},
	}
}

// editedProjectCopy is the project (Pulumi.yaml, Dockerfiles, chart) with a template added
// to the chart, as after a chart edit.
func editedProjectCopy(t *testing.T) string {
	t.Helper()
	dst, root := t.TempDir(), projectRoot(t)
	for _, f := range []string{"Pulumi.yaml", layout.BackendDockerfile, layout.FrontendDockerfile} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err == nil {
			err = os.MkdirAll(filepath.Dir(filepath.Join(dst, f)), 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(dst, f), b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	chartDir := filepath.Join(dst, filepath.FromSlash(layout.ChartDir))
	if err := os.CopyFS(chartDir, os.DirFS(filepath.Join(root, filepath.FromSlash(layout.ChartDir)))); err != nil {
		t.Fatal(err)
	}
	edit := `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-chart-edit
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
data:
  edited: "true"
`
	if err := os.WriteFile(filepath.Join(chartDir, "templates", "zz-test-chart-edit.yaml"), []byte(edit), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

func fakeImageID(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
