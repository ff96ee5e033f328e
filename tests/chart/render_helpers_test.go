// Package chart tests charts/todo-chatbot with Helm's own Go SDK: it lints the chart,
// renders it the way `helm install` does (values files and --set merged by Helm's CLI code,
// coalesced over the chart defaults, checked against values.schema.json), decodes every
// object strictly into its k8s.io/api type and checks every pod against Pod Security
// "restricted".
package chart

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/cli/values"
	"helm.sh/helm/v3/pkg/getter"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/todo-chatbot/todo-chatbot/infra/infratest"
	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// The release the Pulumi program installs (see infra/release.go): the names below derive
// from it.
const (
	releaseName = "todo-chatbot"
	namespace   = "todo-chatbot"
)

// chartDir is charts/todo-chatbot of this checkout.
func chartDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", filepath.FromSlash(layout.ChartDir)))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// object is one rendered Kubernetes object.
type object struct {
	Source string         // template path, e.g. todo-chatbot/templates/secrets.yaml
	Hook   bool           // a Helm hook (the `helm test` pod)
	YAML   string         // the rendered document
	Obj    runtime.Object // strictly decoded into its k8s.io/api type
}

// rendered is what `helm install` would send to the API server, plus the NOTES.
type rendered struct {
	Objects []object
	Notes   string
}

// programValues is what the Pulumi program hands to the Helm release for a stack with this
// config (bare keys, e.g. {"databaseUrl": ...}; nil is a default Minikube stack): it runs
// infra.Program under Pulumi's mocks (infra/infratest), so the chart is tested with the
// very values `pulumi up` sends.
func programValues(t testing.TB, config map[string]string) map[string]any {
	t.Helper()
	return infratest.Values(t, config)
}

// withValue returns a copy of vals with the value at a dotted path replaced: a chart-level
// change the program would only make another way (a rebuilt image, an edited chart).
func withValue(vals map[string]any, dotted string, v any) map[string]any {
	out := maps.Clone(vals)
	key, rest, nested := strings.Cut(dotted, ".")
	if !nested {
		out[key] = v
		return out
	}
	sub, _ := out[key].(map[string]any)
	out[key] = withValue(sub, rest, v)
	return out
}

// mergedValues is what Helm's CLI hands to the install action: vals as a values file (as
// the Pulumi program's helm.Release passes them), then the extra options (--set,
// --set-string, -f ...) merged over it by Helm's own code. vals == nil means no values.
func mergedValues(t testing.TB, vals map[string]any, extra values.Options) (map[string]interface{}, error) {
	t.Helper()
	opts := extra
	if vals != nil {
		data, err := yaml.Marshal(vals)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "values.yaml")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		opts.ValueFiles = append([]string{file}, extra.ValueFiles...)
	}
	vals, err := opts.MergeValues(getter.Providers{})
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	return vals, nil
}

// render is `helm install --dry-run` (client-only) of the chart with those values: the
// defaults are coalesced, the schema checked and the templates rendered by Helm itself.
func render(t testing.TB, vals map[string]any, extra values.Options) (*rendered, error) {
	t.Helper()
	return renderRelease(t, releaseName, vals, extra)
}

// renderRelease is render under another release name.
func renderRelease(t testing.TB, name string, vals map[string]any, extra values.Options) (*rendered, error) {
	t.Helper()
	merged, err := mergedValues(t, vals, extra)
	if err != nil {
		return nil, err
	}
	// A fresh load per render: templates may memoize in .Values, never across releases.
	chrt, err := loader.Load(chartDir(t))
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	install := action.NewInstall(&action.Configuration{Log: func(string, ...interface{}) {}})
	install.ClientOnly = true
	install.DryRun = true
	install.ReleaseName = name
	install.Namespace = namespace
	rel, err := install.Run(chrt, merged)
	if err != nil {
		return nil, err
	}
	out := &rendered{Notes: rel.Info.Notes}
	for _, doc := range splitManifest(rel.Manifest) {
		out.Objects = append(out.Objects, decode(t, doc, false))
	}
	for _, h := range rel.Hooks {
		out.Objects = append(out.Objects, decode(t, "# Source: "+h.Path+"\n"+h.Manifest, true))
	}
	return out, nil
}

// mustRender is render that fails the test on error.
func mustRender(t testing.TB, vals map[string]any, extra values.Options) *rendered {
	t.Helper()
	r, err := render(t, vals, extra)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return r
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

func splitManifest(manifest string) []string {
	var docs []string
	for _, doc := range docSeparator.Split(manifest, -1) {
		if strings.TrimSpace(stripComments(doc)) != "" {
			docs = append(docs, strings.TrimSpace(doc))
		}
	}
	return docs
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// strictDecoder decodes into the registered k8s.io/api types and fails on unknown or
// duplicate fields, as `kubectl apply --validate=strict` would.
var strictDecoder = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
	kjson.SerializerOptions{Yaml: true, Strict: true})

func decode(t testing.TB, doc string, hook bool) object {
	t.Helper()
	source := ""
	if m := regexp.MustCompile(`(?m)^# Source: (\S+)`).FindStringSubmatch(doc); m != nil {
		source = m[1]
	}
	obj, _, err := strictDecoder.Decode([]byte(doc), nil, nil)
	if err != nil {
		shown := doc
		if regexp.MustCompile(`(?m)^kind: Secret`).MatchString(doc) {
			shown = "(a Secret: not shown)"
		}
		t.Fatalf("%s does not decode strictly into its k8s.io/api type: %v\n%s", source, err, shown)
	}
	return object{Source: source, Hook: hook, YAML: doc, Obj: obj}
}

// find returns the one object of type T with that name, failing the test otherwise.
func find[T runtime.Object](t testing.TB, r *rendered, name string) T {
	t.Helper()
	for _, o := range r.Objects {
		if v, ok := o.Obj.(T); ok && metaName(o.Obj) == name {
			return v
		}
	}
	var zero T
	t.Fatalf("no %T named %q rendered; got %v", zero, name, r.names())
	return zero
}

// all returns every object of type T.
func all[T runtime.Object](r *rendered) []T {
	var out []T
	for _, o := range r.Objects {
		if v, ok := o.Obj.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func (r *rendered) names() []string {
	var out []string
	for _, o := range r.Objects {
		out = append(out, fmt.Sprintf("%s/%s", o.Obj.GetObjectKind().GroupVersionKind().Kind, metaName(o.Obj)))
	}
	return out
}

// valuesOptions is no extra --set options.
func valuesOptions() values.Options { return values.Options{} }
