//go:build cluster

package cluster

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/todo-chatbot/todo-chatbot/infra/chartvalues"
	"github.com/todo-chatbot/todo-chatbot/infra/settings"
)

// stack is one Pulumi stack as the program sees it: its validated settings, the image IDs
// its builds produced and the chart directory. values() computes the Helm values with the
// program's own functions (settings.ChartSpec, chartvalues.Digest, chartvalues.Build), so
// the test installs exactly what `pulumi up` hands to Helm.
type stack struct {
	name                  string
	settings              settings.Settings
	backendID, frontendID string // the image IDs the program passes (the pod-template annotation)
	// The images the node really runs (BuildAppImages): a step may pass another backendID
	// to roll the pods, but the containers keep running these.
	builtBackend, builtFrontend string
	chartDir              string
}

// devStack is Pulumi.dev.yaml as committed: in-cluster PostgreSQL, offline assistant.
func devStack(t *testing.T) stack {
	t.Helper()
	raw, err := settings.LoadStackFile(filepath.Join(repoRoot(), "Pulumi.dev.yaml"))
	if err != nil {
		t.Fatalf("read the dev stack's config: %v", err)
	}
	return parseStack(t, "dev", raw)
}

// externalStack is the dev stack with the secrets set, as after
// `pulumi config set --secret databaseUrl ...` and `... geminiApiKey ...`, and scaled to
// two replicas with another pinned node port (the dev stack's 30080 may still be held by
// its Service if the dev stack's test failed before uninstalling). databaseURL is the external
// PostgreSQL on the host; the Gemini key is random per run. Secret values are never
// printed.
func externalStack(t *testing.T, databaseURL string) stack {
	t.Helper()
	raw, err := settings.LoadStackFile(filepath.Join(repoRoot(), "Pulumi.dev.yaml"))
	if err != nil {
		t.Fatalf("read the dev stack's config: %v", err)
	}
	raw = maps.Clone(raw)
	raw["databaseUrl"] = databaseURL
	raw["geminiApiKey"] = "test-" + randomHex(16)
	raw["geminiModel"] = "gemini-2.5-flash"
	raw["backendReplicas"], raw["frontendReplicas"], raw["frontendNodePort"] = "2", "2", "30081"
	return parseStack(t, "external", raw)
}

func parseStack(t *testing.T, name string, raw map[string]string) stack {
	t.Helper()
	s, err := settings.Parse(raw)
	if err != nil {
		t.Fatalf("%s stack settings: %v", name, err)
	}
	return stack{
		name: name, settings: s,
		backendID: fakeImageID("backend-1"), frontendID: fakeImageID("frontend-1"),
		chartDir: filepath.Join(repoRoot(), settings.ChartDir),
	}
}

// values returns the Helm values the program computes for this stack.
func (s stack) values(t *testing.T) map[string]any {
	t.Helper()
	digest, err := chartvalues.Digest(s.chartDir)
	if err != nil {
		t.Fatal(err)
	}
	image := func(name, id string) chartvalues.Image[string] {
		return chartvalues.Image[string]{Repository: s.settings.ImageRepository(name), Tag: s.settings.ImageTag, ID: id}
	}
	spec := settings.ChartSpec(s.settings,
		image(settings.BackendImageName, s.backendID), image(settings.FrontendImageName, s.frontendID),
		s.settings.DatabaseURL.Reveal(), s.settings.GeminiAPIKey.Reveal(), digest)
	return chartvalues.Build(spec)
}

func (s stack) chart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(s.chartDir)
	if err != nil {
		t.Fatalf("load chart %s: %v", s.chartDir, err)
	}
	return ch
}

// withSecret returns the stack with another Gemini key, as after
// `pulumi config set --secret geminiApiKey <new>`.
func (s stack) withGeminiKey(key string) stack {
	s.settings.GeminiAPIKey = settings.Secret(key)
	return s
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
