package dockerenv

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A kubeconfig context pointing at an API server that lists three nodes.
func TestNodesListsTheContextsNodes(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/nodes" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"NodeList","apiVersion":"v1","items":[
{"metadata":{"name":"minikube"}},{"metadata":{"name":"minikube-m02"}},{"metadata":{"name":"minikube-m03"}}]}`))
	}))
	defer api.Close()
	kubeconfig := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: other, cluster: {server: "http://127.0.0.1:1"}}, {name: multi, cluster: {server: "`+api.URL+`"}}]
users: [{name: u, user: {}}]
contexts: [{name: other, context: {cluster: other, user: u}}, {name: multi, context: {cluster: multi, user: u}}]
current-context: other
`), 0o600); err != nil {
		t.Fatal(err)
	}
	nodes, err := Nodes(kubeconfig, "multi", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"minikube", "minikube-m02", "minikube-m03"}; !slices.Equal(nodes, want) {
		t.Fatalf("Nodes = %v, want %v", nodes, want)
	}
	if _, err := Nodes(kubeconfig, "other", 2*time.Second); err == nil {
		t.Fatal("Nodes of the current context (nothing listening) succeeded")
	}
	msg := MultiNodeError("multi", nodes).Error()
	for _, want := range []string{`context "multi" has 3 nodes (minikube, minikube-m02, minikube-m03)`, "ENV_MULTINODE_CONFLICT",
		"minikube addons enable registry", "pulumi config set todo-chatbot:registry", "Nothing was built"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q:\n%s", want, msg)
		}
	}
}
