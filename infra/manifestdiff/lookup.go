package manifestdiff

import (
	"strings"

	"helm.sh/helm/v3/pkg/engine"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/fake"
)

// lookup answers the chart's `lookup` calls from the deployed objects, through the same
// engine.ClientProvider interface Helm's engine uses for the API server. The deployed
// release is what an upgrade's lookups find for the release's own objects (the chart looks
// up its PostgreSQL Secret and StatefulSet to keep the password and the user IDs), so a
// render against it is the render the upgrade will make, and needs no cluster.
type lookup struct {
	objects []runtime.Object
}

func newLookup(deployed []Object) engine.ClientProvider {
	l := &lookup{}
	for _, o := range deployed {
		l.objects = append(l.objects, &unstructured.Unstructured{Object: deepCopy(o.Body)})
		// The manifest leaves the namespace to Helm; the lookup filters by it.
		u := l.objects[len(l.objects)-1].(*unstructured.Unstructured)
		u.SetNamespace(o.Namespace)
	}
	return l
}

func (l *lookup) GetClientFor(apiVersion, kind string) (dynamic.NamespaceableResourceInterface, bool, error) {
	gvk := schema.FromAPIVersionAndKind(apiVersion, kind)
	gvr, _ := meta.UnsafeGuessKindToResource(gvk)
	var objs []runtime.Object
	for _, o := range l.objects {
		if o.GetObjectKind().GroupVersionKind() == gvk {
			objs = append(objs, o.DeepCopyObject())
		}
	}
	client := fake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{gvr: kind + "List"}, objs...)
	return client.Resource(gvr), !clusterScoped(kind), nil
}

// clusterScoped are the kinds a chart might look up that have no namespace.
func clusterScoped(kind string) bool {
	switch strings.ToLower(kind) {
	case "namespace", "node", "persistentvolume", "storageclass", "clusterrole", "clusterrolebinding",
		"customresourcedefinition", "priorityclass", "ingressclass":
		return true
	}
	return false
}

// deepCopy copies a parsed manifest (JSON types only).
func deepCopy(m map[string]any) map[string]any {
	return runtime.DeepCopyJSON(m)
}
