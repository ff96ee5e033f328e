package infra

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"

	"github.com/todo-chatbot/todo-chatbot/infra/chartvalues"
	"github.com/todo-chatbot/todo-chatbot/infra/settings"
)

// The program on this repository as `make up` runs it: the committed dev stack config, the
// real build contexts and chart. The values it hands to Helm, merged over the chart's
// values.yaml as Helm does, satisfy the chart's strict values.schema.json.
func TestRealRepositoryDevStack(t *testing.T) {
	repo := filepath.Dir(packageDir)
	t.Chdir(repo)
	values, err := settings.LoadStackFile(filepath.Join(repo, "Pulumi.dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	setConfig(t, values)
	st := mustRun(t, "dev", nil)

	for _, img := range st.m.ofType(imageType) {
		ctxDir := str(t, path(t, img.Inputs["build"], "context"))
		dockerfile := str(t, path(t, img.Inputs["build"], "dockerfile"))
		if _, err := os.Stat(filepath.Join(repo, dockerfile)); err != nil || !strings.HasPrefix(dockerfile, ctxDir+"/") {
			t.Errorf("%s: dockerfile %q in context %q: %v", img.Name, dockerfile, ctxDir, err)
		}
	}
	release := st.m.one(t, releaseType)
	if got := str(t, release.Inputs["chart"]); got != settings.ChartDir {
		t.Errorf("chart %q", got)
	}
	digest, err := chartvalues.Digest(settings.ChartDir)
	if err != nil {
		t.Fatal(err)
	}
	got := unsecret(release.Inputs["values"]).Mappable().(map[string]any)
	if got["chartDigest"] != digest {
		t.Errorf("chartDigest %v, want %s", got["chartDigest"], digest)
	}

	// Helm validates the defaults merged with the supplied values against the schema.
	var defaults map[string]any
	b, err := os.ReadFile(filepath.Join(settings.ChartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &defaults); err != nil {
		t.Fatal(err)
	}
	merged := jsonRoundTrip(t, mergeValues(defaults, got))
	compiler := jsonschema.NewCompiler()
	schemaFile, err := os.Open(filepath.Join(settings.ChartDir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer schemaFile.Close()
	if err := compiler.AddResource("values.schema.json", schemaFile); err != nil {
		t.Fatal(err)
	}
	schema, err := compiler.Compile("values.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(merged); err != nil {
		t.Fatalf("the program's values break the chart's schema: %#v", err)
	}
}

// mergeValues overlays b on a, recursively for maps, as Helm coalesces values.
func mergeValues(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

func jsonRoundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
