//go:build cluster

package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// app talks HTTP to the frontend (which proxies /api to the backend), as a browser would.
type app struct {
	t    *testing.T
	base string
}

func (a app) do(method, path string, body any) (int, []byte) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Origin", a.base)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, b
}

// statusReady checks /api/status: the frontend reaches the backend (Service DNS name),
// which reaches its database.
func (a app) statusReady() {
	a.t.Helper()
	status, body := a.do(http.MethodGet, "/api/status", nil)
	var s struct{ Backend struct{ Ready bool } }
	if status != http.StatusOK || json.Unmarshal(body, &s) != nil || !s.Backend.Ready {
		a.t.Errorf("GET %s/api/status = %d %s, want 200 with backend.ready true", a.base, status, body)
	}
}

// createTodo creates a todo through the frontend and returns its id.
func (a app) createTodo(title string) int {
	a.t.Helper()
	status, body := a.do(http.MethodPost, "/api/todos", map[string]string{"title": title})
	var todo struct{ ID int }
	if status != http.StatusCreated || json.Unmarshal(body, &todo) != nil || todo.ID == 0 {
		a.t.Fatalf("POST /api/todos = %d %s, want 201 with an id", status, body)
	}
	return todo.ID
}

// expectTodo reads a todo back through the frontend.
func (a app) expectTodo(id int, title string) {
	a.t.Helper()
	status, body := a.do(http.MethodGet, "/api/todos/"+strconv.Itoa(id), nil)
	var todo struct{ Title string }
	if status != http.StatusOK || json.Unmarshal(body, &todo) != nil || todo.Title != title {
		a.t.Errorf("GET /api/todos/%d = %d %s, want 200 with title %q", id, status, body, title)
	}
}

// frontend port-forwards the frontend Service (the seed's T018: `kubectl port-forward
// svc/<release>-frontend 3000`) and returns a client for it.
func frontend(t *testing.T, c *Cluster, ns string) app {
	t.Helper()
	port := c.portForward(t, ns, frontendName, 3000)
	return app{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
}

// testAppServes checks the release end to end: through a port-forward to the frontend the
// backend is ready and a todo created is read back; the NodePort answers on the node's
// address. It returns the todo, for later steps to find again.
func testAppServes(t *testing.T, c *Cluster, k Kube, st stack) (int, string) {
	a := frontend(t, c, k.NS)
	a.statusReady()
	title := "cluster test " + randomHex(4)
	id := a.createTodo(title)
	a.expectTodo(id, title)
	nodePort := app{t: t, base: fmt.Sprintf("http://%s:%d", c.NodeIP, st.settings.FrontendNodePort)}
	nodePort.statusReady()
	t.Logf("through a port-forward to Service %s: backend ready, todo %d created and read back; NodePort %s answers",
		frontendName, id, nodePort.base)
	return id, title
}

// testDataSurvivesPostgresRestart deletes the PostgreSQL pod and checks that, once the
// StatefulSet has replaced it on the same claim, the todo is still there.
func testDataSurvivesPostgresRestart(t *testing.T, c *Cluster, k Kube, id int, title string) {
	pods := k.pods("postgresql")
	if len(pods) != 1 {
		t.Fatalf("want one PostgreSQL pod, got %d", len(pods))
	}
	old := pods[0].UID
	began := time.Now()
	if err := c.Client.CoreV1().Pods(k.NS).Delete(t.Context(), pods[0].Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := k.eventually(2*time.Minute, func() error {
		ps := k.pods("postgresql")
		if len(ps) != 1 || ps[0].UID == old || !podIsReady(&ps[0]) {
			return fmt.Errorf("PostgreSQL pod not replaced and Ready yet")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	k.expectStatefulSetReady(postgresName, 1)
	t.Logf("PostgreSQL pod deleted and replaced (Ready) in %s", time.Since(began).Round(10*time.Millisecond))
	a := frontend(t, c, k.NS)
	// The backend's pool reconnects on its own; give it a few tries.
	if err := k.eventually(time.Minute, func() error {
		status, _ := a.do(http.MethodGet, "/api/todos/"+strconv.Itoa(id), nil)
		if status != http.StatusOK {
			return fmt.Errorf("GET /api/todos/%d = %d", id, status)
		}
		return nil
	}); err != nil {
		t.Fatalf("after the PostgreSQL pod was replaced: %v", err)
	}
	a.expectTodo(id, title)
}
