package infra

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// inputsByName runs the program and returns each declared resource's inputs.
func inputsByName(t *testing.T) map[string]resource.PropertyMap {
	t.Helper()
	st := mustRun(t, "dev", nil)
	out := map[string]resource.PropertyMap{}
	for _, r := range st.m.resources {
		out[r.Type+"::"+r.Name] = r.Inputs
	}
	return out
}

// diffKeys names the resources whose inputs differ between two runs, and the top-level
// properties that differ.
func diffKeys(a, b map[string]resource.PropertyMap) map[string][]string {
	out := map[string][]string{}
	for name, ai := range a {
		d := ai.Diff(b[name])
		if d == nil {
			continue
		}
		for _, k := range d.ChangedKeys() {
			out[name] = append(out[name], string(k))
		}
	}
	return out
}

// `pulumi preview` shows nothing when nothing changed: the program declares the same
// inputs on every run (no timestamps, no map-order or machine-dependent values).
func TestUnchangedProjectDeclaresIdenticalInputs(t *testing.T) {
	newProject(t)
	setConfig(t, map[string]string{"geminiApiKey": secretKey}, "geminiApiKey")
	first := inputsByName(t)
	second := inputsByName(t)
	if d := diffKeys(first, second); len(d) != 0 {
		t.Fatalf("a second run with no change differs: %v", d)
	}
}

// Editing a chart template changes the release's chartDigest value, so `pulumi preview`
// shows a diff and `pulumi up` rolls it out without a Chart.yaml version bump
// (pulumi/pulumi-kubernetes#2118); editing a file .helmignore excludes changes nothing.
func TestChartEditIsAReleaseDiff(t *testing.T) {
	root := newProject(t)
	setConfig(t, nil)
	before := inputsByName(t)

	writeFile(t, filepath.Join(root, "charts/todo-chatbot/templates/nop.yaml.swp"), "editor swap file")
	if d := diffKeys(before, inputsByName(t)); len(d) != 0 {
		t.Fatalf("an ignored file changed the inputs: %v", d)
	}

	tpl := filepath.Join(root, "charts/todo-chatbot/templates/nop.yaml")
	b, err := os.ReadFile(tpl)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, tpl, string(b)+"# edited\n")
	d := diffKeys(before, inputsByName(t))
	release := releaseType + "::todo-chatbot"
	if len(d) != 1 || len(d[release]) != 1 || d[release][0] != "values" {
		t.Fatalf("a template edit must change exactly the release's values, got %v", d)
	}
}
