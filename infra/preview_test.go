package infra_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/todo-chatbot/todo-chatbot/infra/infratest"
)

// inputsByName runs the program and returns each declared resource's inputs.
func inputsByName(t *testing.T, s infratest.Stack) map[string]resource.PropertyMap {
	t.Helper()
	out := map[string]resource.PropertyMap{}
	for _, r := range infratest.MustRun(t, s).Resources {
		out[r.Type+"::"+r.Name] = r.Inputs
	}
	return out
}

// diffKeys names the resources whose inputs differ between two runs, and the top-level
// properties that differ.
func diffKeys(a, b map[string]resource.PropertyMap) map[string][]string {
	out := map[string][]string{}
	for name, ai := range a {
		if d := ai.Diff(b[name]); d != nil {
			for _, k := range d.ChangedKeys() {
				out[name] = append(out[name], string(k))
			}
		}
	}
	return out
}

// `pulumi preview` shows nothing when nothing changed: the program declares the same
// inputs on every run (no timestamps, no map-order or machine-dependent values).
func TestUnchangedProjectDeclaresIdenticalInputs(t *testing.T) {
	s := infratest.Stack{Config: map[string]string{"geminiApiKey": secretKey}}
	if d := diffKeys(inputsByName(t, s), inputsByName(t, s)); len(d) != 0 {
		t.Fatalf("a second run with no change differs: %v", d)
	}
}

// The release's change trigger (chartDigest) is a digest of the objects the chart renders:
// a template edit that renders another object changes exactly the release's values, so
// `pulumi preview` shows it and `pulumi up` rolls it out without a Chart.yaml version bump
// (pulumi/pulumi-kubernetes#2118); a comment-only edit, or an edit of a file .helmignore
// excludes, renders the same objects and changes nothing, so `up` makes no Helm revision.
func TestChartEditIsAReleaseDiff(t *testing.T) {
	s := infratest.Stack{Root: newProject(t)}
	before := inputsByName(t, s)

	writeFile(t, filepath.Join(s.Root, "charts/todo-chatbot/templates/nop.yaml.swp"), "editor swap file")
	if d := diffKeys(before, inputsByName(t, s)); len(d) != 0 {
		t.Fatalf("an ignored file changed the inputs: %v", d)
	}

	tpl := filepath.Join(s.Root, "charts/todo-chatbot/templates/nop.yaml")
	b, err := os.ReadFile(tpl)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, tpl, string(b)+"# edited\n")
	if d := diffKeys(before, inputsByName(t, s)); len(d) != 0 {
		t.Fatalf("a comment-only template edit changed the inputs: %v", d)
	}

	writeFile(t, tpl, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: edited\ndata: {a: b}\n")
	d := diffKeys(before, inputsByName(t, s))
	release := infratest.ReleaseType + "::todo-chatbot"
	if len(d) != 1 || len(d[release]) != 1 || d[release][0] != "values" {
		t.Fatalf("a template edit must change exactly the release's values, got %v", d)
	}
}
