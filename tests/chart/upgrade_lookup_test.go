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
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// fakeSecretsAPI answers the two requests Helm's `lookup` makes for a Secret (discovery of
// the core group, then GET of the object) from an in-memory set of Secrets, and counts the
// GETs so the test knows the chart really asked.
type fakeSecretsAPI struct {
	mu      sync.Mutex
	secrets map[string]*corev1.Secret // "namespace/name"
	gets    int
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
	// /api/v1/namespaces/<ns>/secrets/<name>
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 6 && parts[2] == "namespaces" && parts[4] == "secrets" && r.Method == http.MethodGet {
		f.mu.Lock()
		f.gets++
		s, ok := f.secrets[parts[3]+"/"+parts[5]]
		f.mu.Unlock()
		if ok {
			_ = json.NewEncoder(w).Encode(s)
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
	_ = json.NewEncoder(w).Encode(metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status: metav1.StatusFailure, Reason: metav1.StatusReasonNotFound, Code: http.StatusNotFound, Message: "not found: " + path.Base(r.URL.Path)})
}

// renderAgainst renders the chart as an upgrade would, with `lookup` answered by api.
func renderAgainst(t *testing.T, api *fakeSecretsAPI, vals map[string]interface{}) map[string]*corev1.Secret {
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
	secrets := map[string]*corev1.Secret{}
	for name, content := range files {
		if !strings.HasSuffix(name, ".yaml") || strings.TrimSpace(content) == "" {
			continue
		}
		for _, doc := range splitManifest(content) {
			if o := decode(t, doc, false); o.Obj != nil {
				if s, ok := o.Obj.(*corev1.Secret); ok {
					secrets[s.Name] = s
				}
			}
		}
	}
	return secrets
}

// TestPostgresPasswordKeptAcrossUpgrades: on an upgrade the chart finds its PostgreSQL
// Secret through `lookup` and keeps the password (PostgreSQL only reads POSTGRES_PASSWORD
// when it initialises an empty volume, so a new one would lock the backend out).
func TestPostgresPasswordKeptAcrossUpgrades(t *testing.T) {
	spec := chartDefaultsSpec(t)
	vals, err := mergedValues(t, &spec, valuesOptions())
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
