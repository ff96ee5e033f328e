package chart

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// fakeSecretsAPI answers the two requests Helm's `lookup` makes for a Secret or a
// StatefulSet (discovery of the group, then GET of the object) from in-memory objects, and
// counts the GETs so the test knows the chart really asked.
type fakeSecretsAPI struct {
	mu           sync.Mutex
	secrets      map[string]*corev1.Secret      // "namespace/name"
	statefulSets map[string]*appsv1.StatefulSet // "namespace/name"
	gets         int
}

func (f *fakeSecretsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/api/v1" {
		_ = json.NewEncoder(w).Encode(metav1.APIResourceList{
			TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
			GroupVersion: "v1",
			APIResources: []metav1.APIResource{{Name: "secrets", Namespaced: true, Kind: "Secret", Verbs: []string{"get", "list"}}},
		})
		return
	}
	if r.URL.Path == "/apis/apps/v1" {
		_ = json.NewEncoder(w).Encode(metav1.APIResourceList{
			TypeMeta:     metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
			GroupVersion: "apps/v1",
			APIResources: []metav1.APIResource{{Name: "statefulsets", Namespaced: true, Kind: "StatefulSet", Verbs: []string{"get", "list"}}},
		})
		return
	}
	// /api/v1/namespaces/<ns>/secrets/<name>, /apis/apps/v1/namespaces/<ns>/statefulsets/<name>
	parts := strings.Split(strings.Trim(strings.Replace(r.URL.Path, "/apis/apps/", "/api/", 1), "/"), "/")
	if len(parts) == 6 && parts[2] == "namespaces" && r.Method == http.MethodGet {
		f.mu.Lock()
		f.gets++
		var obj any
		switch key := parts[3] + "/" + parts[5]; {
		case parts[4] == "secrets" && f.secrets[key] != nil:
			obj = f.secrets[key]
		case parts[4] == "statefulsets" && f.statefulSets[key] != nil:
			obj = f.statefulSets[key]
		}
		f.mu.Unlock()
		if obj != nil {
			_ = json.NewEncoder(w).Encode(obj)
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
	_ = json.NewEncoder(w).Encode(metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status: metav1.StatusFailure, Reason: metav1.StatusReasonNotFound, Code: http.StatusNotFound, Message: "not found: " + path.Base(r.URL.Path)})
}

// renderAgainst renders the chart as an upgrade would, with `lookup` answered by api, and
// returns the Secrets.
func renderAgainst(t *testing.T, api *fakeSecretsAPI, vals map[string]interface{}) map[string]*corev1.Secret {
	t.Helper()
	secrets := map[string]*corev1.Secret{}
	for _, o := range renderObjectsAgainst(t, api, vals) {
		if s, ok := o.Obj.(*corev1.Secret); ok {
			secrets[s.Name] = s
		}
	}
	return secrets
}

// renderObjectsAgainst renders the chart as an upgrade would, with `lookup` answered by api.
func renderObjectsAgainst(t *testing.T, api *fakeSecretsAPI, vals map[string]interface{}) []object {
	t.Helper()
	srv := httptest.NewServer(api)
	defer srv.Close()
	chrt, err := loader.Load(chartDir(t))
	if err != nil {
		t.Fatal(err)
	}
	top, err := chartutil.ToRenderValues(chrt, vals,
		chartutil.ReleaseOptions{Name: releaseName, Namespace: namespace, Revision: 2, IsUpgrade: true},
		chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	files, err := engine.New(&rest.Config{Host: srv.URL}).Render(chrt, top)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	var objects []object
	for name, content := range files {
		if !strings.HasSuffix(name, ".yaml") || strings.TrimSpace(content) == "" {
			continue
		}
		for _, doc := range splitManifest(content) {
			objects = append(objects, decode(t, doc, false))
		}
	}
	return objects
}

// TestPostgresPasswordKeptAcrossUpgrades: on an upgrade the chart finds its PostgreSQL
// Secret through `lookup` and keeps the password (PostgreSQL only reads POSTGRES_PASSWORD
// when it initialises an empty volume, so a new one would lock the backend out).
func TestPostgresPasswordKeptAcrossUpgrades(t *testing.T) {
	vals, err := mergedValues(t, programValues(t, nil), valuesOptions())
	if err != nil {
		t.Fatal(err)
	}

	api := &fakeSecretsAPI{secrets: map[string]*corev1.Secret{}}
	first := renderAgainst(t, api, vals)
	if api.gets == 0 {
		t.Fatal("the chart never looked up its PostgreSQL Secret")
	}
	pg := first["todo-chatbot-postgresql"]
	password := string(pg.Data["password"])
	if password == "" {
		t.Fatal("no password generated on first install")
	}

	// The cluster now holds the first install's Secret; the upgrade must reuse it.
	pg.Namespace = namespace
	api.secrets[namespace+"/"+pg.Name] = pg
	for i := 0; i < 2; i++ {
		next := renderAgainst(t, api, vals)
		if got := string(next["todo-chatbot-postgresql"].Data["password"]); got != password {
			t.Fatalf("upgrade %d changed the PostgreSQL password", i+1)
		}
		u, err := url.Parse(string(next["todo-chatbot-secrets"].Data["DATABASE_URL"]))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := u.User.Password(); got != password {
			t.Fatalf("upgrade %d: DATABASE_URL does not carry the kept password", i+1)
		}
	}
}

// TestPostgresIDsKeptAcrossUpgrades: a fresh install runs PostgreSQL as 10001, but an
// upgrade keeps the user, group and fsGroup the existing StatefulSet runs with (a release
// installed as UID 70 by chart 0.1.x): its data files belong to that user, and PostgreSQL
// refuses a data directory owned by another.
func TestPostgresIDsKeptAcrossUpgrades(t *testing.T) {
	vals, err := mergedValues(t, programValues(t, nil), valuesOptions())
	if err != nil {
		t.Fatal(err)
	}
	podContext := func(api *fakeSecretsAPI) *corev1.PodSecurityContext {
		for _, o := range renderObjectsAgainst(t, api, vals) {
			if s, ok := o.Obj.(*appsv1.StatefulSet); ok {
				return s.Spec.Template.Spec.SecurityContext
			}
		}
		t.Fatal("no StatefulSet rendered")
		return nil
	}
	ids := func(c *corev1.PodSecurityContext) [3]any {
		return [3]any{deref(c.RunAsUser), deref(c.RunAsGroup), deref(c.FSGroup)}
	}

	api := &fakeSecretsAPI{statefulSets: map[string]*appsv1.StatefulSet{}}
	fresh := podContext(api)
	if got := ids(fresh); got != [3]any{int64(10001), int64(10001), int64(10001)} {
		t.Fatalf("fresh install runs PostgreSQL as uid/gid/fsGroup %v, want 10001", got)
	}

	old := int64(70)
	running := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "todo-chatbot-postgresql", Namespace: namespace}}
	running.APIVersion, running.Kind = "apps/v1", "StatefulSet"
	running.Spec.Template.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsUser: &old, RunAsGroup: &old, FSGroup: &old}
	api.statefulSets[namespace+"/"+running.Name] = running
	gets := api.gets
	upgraded := podContext(api)
	if api.gets == gets {
		t.Fatal("the chart never looked up its PostgreSQL StatefulSet")
	}
	if got := ids(upgraded); got != [3]any{old, old, old} {
		t.Errorf("upgrade of a UID-70 release runs PostgreSQL as %v, want 70/70/70 (the owner of its data)", got)
	}
	// Everything else still comes from the values.
	if upgraded.RunAsNonRoot == nil || !*upgraded.RunAsNonRoot || upgraded.SeccompProfile == nil ||
		upgraded.FSGroupChangePolicy == nil || *upgraded.FSGroupChangePolicy != corev1.FSGroupChangeOnRootMismatch {
		t.Errorf("upgrade lost the rest of postgresql.podSecurityContext: %+v", upgraded)
	}

	// A release already on 10001 stays there.
	ten := int64(10001)
	running.Spec.Template.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsUser: &ten, RunAsGroup: &ten, FSGroup: &ten}
	if got := ids(podContext(api)); got != [3]any{ten, ten, ten} {
		t.Errorf("upgrade of a 10001 release runs PostgreSQL as %v", got)
	}
}
