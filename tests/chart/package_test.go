package chart

import (
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
)

// TestPackage is `helm package`: the archive loads back with its schema, every template and
// no stray files, so a packaged chart behaves like the directory the tests render.
func TestPackage(t *testing.T) {
	chrt, err := loader.Load(chartDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := chrt.Validate(); err != nil {
		t.Fatalf("Chart.yaml: %v", err)
	}
	archive, err := chartutil.Save(chrt, t.TempDir())
	if err != nil {
		t.Fatalf("package: %v", err)
	}
	back, err := loader.Load(archive)
	if err != nil {
		t.Fatalf("load %s: %v", archive, err)
	}
	if back.Schema == nil {
		t.Error("values.schema.json is not in the package")
	}
	if len(back.Templates) != len(chrt.Templates) || len(back.Templates) < 15 {
		t.Errorf("package holds %d templates, the directory %d", len(back.Templates), len(chrt.Templates))
	}
	readme := false
	for _, f := range back.Files {
		switch f.Name {
		case "README.md":
			readme = true // `helm show readme`
		case ".helmignore":
		default:
			t.Errorf("unexpected file in the package: %s", f.Name)
		}
	}
	if !readme {
		t.Error("README.md is not in the package")
	}
	if back.Metadata.Name != "todo-chatbot" || back.Metadata.APIVersion != "v2" || back.Metadata.AppVersion != "v1" {
		t.Errorf("metadata %+v", back.Metadata)
	}
}
