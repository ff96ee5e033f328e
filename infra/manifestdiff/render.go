// Package manifestdiff renders a Helm chart as an upgrade would and compares the rendered
// Kubernetes objects, object by object, with what a release has deployed: which objects
// are created, changed or deleted, which field paths change, which workloads will roll and
// why. Secret values never leave it: a Secret is compared through fingerprints of its
// values, and only the names of the keys that change are reported.
//
// Rendering uses Helm's own engine and manifest sorter, so the objects are the ones
// `helm upgrade` would send; the chart's `lookup` calls are answered from the deployed
// objects instead of the API server, so rendering needs no cluster and a value the chart
// keeps across upgrades (the in-cluster PostgreSQL password) renders as deployed.
package manifestdiff

import (
	"fmt"
	"path"
	"sort"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"
)

// Object is one Kubernetes object of a release, as its manifest renders it.
type Object struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	// Body is the whole manifest, parsed (JSON types: map[string]any, []any, string,
	// float64, bool, nil).
	Body map[string]any
}

// ID names the object as previews show it: kind/namespace/name.
func (o Object) ID() string { return o.Kind + "/" + o.Namespace + "/" + o.Name }

// Release says which release a chart is rendered for.
type Release struct {
	Name      string
	Namespace string
}

// Render renders the chart with values as an upgrade of rel over deployed would (an
// install when deployed is empty) and returns the objects Helm would apply, without hooks
// (helm test pods are not part of an upgrade) and in Helm's install order. The chart's
// `lookup` finds the deployed objects (see lookup.go).
func Render(ch *chart.Chart, rel Release, values map[string]any, deployed []Object) ([]Object, error) {
	opts := chartutil.ReleaseOptions{Name: rel.Name, Namespace: rel.Namespace, Revision: 1, IsInstall: true}
	if len(deployed) > 0 {
		opts = chartutil.ReleaseOptions{Name: rel.Name, Namespace: rel.Namespace, Revision: 2, IsUpgrade: true}
	}
	vals, err := chartutil.ToRenderValues(ch, values, opts, chartutil.DefaultCapabilities.Copy())
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", ch.Name(), err)
	}
	files, err := engine.RenderWithClientProvider(ch, vals, newLookup(deployed))
	if err != nil {
		return nil, fmt.Errorf("rendering chart %s: %w", ch.Name(), err)
	}
	for name := range files {
		if path.Base(name) == "NOTES.txt" {
			delete(files, name)
		}
	}
	_, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", ch.Name(), err)
	}
	var objs []Object
	for _, m := range manifests {
		if empty(m.Content) {
			continue // only comments: Helm applies nothing for it
		}
		o, err := parse(m.Content, rel.Namespace)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Name, err)
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// Parse splits a release's manifest (release.Manifest, as Helm stores it) into objects.
func Parse(manifest, namespace string) ([]Object, error) {
	docs := releaseutil.SplitManifests(manifest)
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	var objs []Object
	for _, k := range keys {
		if empty(docs[k]) {
			continue
		}
		o, err := parse(docs[k], namespace)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// parse reads one manifest; an object without a namespace is in the release's (Helm
// applies it there), which is what the chart's namespaced objects rely on.
func parse(content, namespace string) (Object, error) {
	var body map[string]any
	if err := yaml.Unmarshal([]byte(content), &body); err != nil {
		return Object{}, fmt.Errorf("parsing a rendered manifest: %w", err)
	}
	o := Object{Body: body, Namespace: namespace}
	o.APIVersion, _ = body["apiVersion"].(string)
	o.Kind, _ = body["kind"].(string)
	if md, ok := body["metadata"].(map[string]any); ok {
		o.Name, _ = md["name"].(string)
		if ns, _ := md["namespace"].(string); ns != "" {
			o.Namespace = ns
		}
	}
	if o.Kind == "" || o.Name == "" {
		// The content is not quoted: it may be a Secret.
		return Object{}, fmt.Errorf("a rendered manifest has no kind or metadata.name")
	}
	return o, nil
}

// empty: a manifest with no object in it (blank, or only comments).
func empty(content string) bool {
	var body map[string]any
	return yaml.Unmarshal([]byte(content), &body) == nil && len(body) == 0
}
