package images

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The test's own Docker objects; a leftover from an interrupted run is removed first.
const (
	network     = "todo-images-net"
	subnet      = "10.214.250.0/24"
	gateway     = "10.214.250.1"
	backendName = "todo-images-backend"
	frontName   = "todo-images-frontend"
	backendHost = "backend" // the backend's alias on the network, as BACKEND_URL names it
	wantUID     = "10001"
)

// TestContainersEndToEnd runs PostgreSQL, the migrations, the backend and the frontend the way
// the seed plan's last step describes, and drives everything through the frontend's published
// port only.
func TestContainersEndToEnd(t *testing.T) {
	c := loadConfig(t)
	d := docker{bin: c.dockerBin}
	backend, frontend := components(c)
	builtImage(t, backend)
	builtImage(t, frontend)

	removeLeftovers := func() {
		ctx := context.Background()
		_, _ = d.run(ctx, nil, "rm", "-f", backendName, frontName, backendName+"-migrate-0", backendName+"-migrate-1")
		_, _ = d.run(ctx, nil, "network", "rm", network)
	}
	removeLeftovers()
	d.must(t, "network", "create", "--driver", "bridge", "--subnet", subnet, "--gateway", gateway, network)
	t.Cleanup(removeLeftovers)
	pg := startHostPostgres(t, gateway, subnet)
	dbEnv := []string{"DATABASE_URL=" + pg.url}
	// What the chart's securityContext enforces: read-only root, no capabilities.
	hardening := []string{"--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// Migrations: same image, `python3 -m app.migrate`, the secret passed by name only. Two at
	// once on the empty database, as two replicas' init steps would: the advisory lock must
	// make both succeed.
	migrateOut := make([][]byte, 2)
	migrateErr := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := d.cmd(ctx, append(append([]string{"run", "--rm", "--name", fmt.Sprintf("%s-migrate-%d", backendName, i), "--network", network}, hardening...),
				"-e", "DATABASE_URL", backend.tag, "python3", "-m", "app.migrate")...)
			cmd.Env = append(cmd.Env, dbEnv...)
			migrateOut[i], migrateErr[i] = cmd.CombinedOutput() // logs usually go to stderr
		}()
	}
	wg.Wait()
	for i := range 2 {
		out := string(migrateOut[i])
		if migrateErr[i] != nil {
			t.Fatalf("migration run %d of 2 (concurrent) failed (%v):\n%s", i+1, migrateErr[i], redact(tail(out, 30), pg.password))
		}
		if strings.Contains(out, pg.password) {
			t.Errorf("the migration output shows the database password")
		}
		t.Logf("migration run %d:\n%s", i+1, tail(out, 8))
	}

	if _, err := d.run(ctx, dbEnv, append(append([]string{"run", "--detach", "--name", backendName, "--network", network, "--network-alias", backendHost}, hardening...),
		"-e", "DATABASE_URL", backend.tag)...); err != nil {
		t.Fatalf("backend container did not start: %s", redact(err.Error(), pg.password))
	}
	backendURL := fmt.Sprintf("http://%s:%d", backendHost, backend.port)
	if _, err := d.run(ctx, nil, append(append([]string{"run", "--detach", "--name", frontName, "--network", network}, hardening...),
		"--tmpfs", "/app/.next/cache:mode=1777", "-e", "BACKEND_URL="+backendURL,
		"--publish", fmt.Sprintf("127.0.0.1::%d", frontend.port), frontend.tag)...); err != nil {
		t.Fatalf("frontend container did not start: %v", err)
	}
	dumpLogs := func() {
		for _, name := range []string{backendName, frontName} {
			out, _ := d.cmd(context.Background(), "logs", "--tail", "60", name).CombinedOutput()
			t.Logf("docker logs %s:\n%s", name, redact(string(out), pg.password))
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			dumpLogs()
		}
	})

	// Only the frontend's port is published, and only on loopback.
	hostPort := d.must(t, "port", frontName, fmt.Sprintf("%d/tcp", frontend.port))
	hostPort = strings.Split(hostPort, "\n")[0]
	if !strings.HasPrefix(hostPort, "127.0.0.1:") {
		t.Fatalf("frontend published on %q, want loopback only", hostPort)
	}
	if ports := d.must(t, "port", backendName); ports != "" {
		t.Errorf("backend publishes ports %q; only the frontend should be reachable from the host", ports)
	}
	front := "http://" + hostPort

	// Health endpoints: the backend's from inside its container (its port is not published).
	waitFor(t, "backend /healthz", 2*time.Minute, func() error { return backendGet(d, "/healthz", `"ok"`) })
	waitFor(t, "backend /readyz", 2*time.Minute, func() error { return backendGet(d, "/readyz", `"ready"`) })
	waitFor(t, "frontend /api/healthz", 2*time.Minute, func() error {
		_, err := call(http.MethodGet, front+"/api/healthz", nil, http.StatusOK)
		return err
	})

	t.Run("status reports the backend ready", func(t *testing.T) {
		var status struct {
			Frontend string `json:"frontend"`
			Backend  struct {
				Reachable bool   `json:"reachable"`
				Ready     bool   `json:"ready"`
				Detail    string `json:"detail"`
			} `json:"backend"`
		}
		var body []byte
		waitFor(t, "frontend /api/status 200", time.Minute, func() (err error) {
			body, err = call(http.MethodGet, front+"/api/status", nil, http.StatusOK)
			return err
		})
		if err := json.Unmarshal(body, &status); err != nil {
			t.Fatalf("/api/status: %v: %s", err, body)
		}
		// The frontend never shows its internal BACKEND_URL, only whether it works.
		if status.Frontend != "ok" || !status.Backend.Reachable || !status.Backend.Ready || strings.Contains(string(body), backendURL) {
			t.Errorf("/api/status = %s, want frontend ok and the backend reachable and ready, without naming %s", body, backendURL)
		}
	})

	t.Run("create a todo through the frontend and read it back", func(t *testing.T) {
		nonce := randomHex(6)
		title := "image test " + nonce
		body, err := call(http.MethodPost, front+"/api/todos", map[string]any{"title": title, "priority": "high", "due_date": "2030-01-02"}, http.StatusCreated)
		if err != nil {
			t.Fatal(err)
		}
		var created struct {
			ID       int     `json:"id"`
			Title    string  `json:"title"`
			Priority string  `json:"priority"`
			DueDate  *string `json:"due_date"`
			Done     bool    `json:"done"`
		}
		if err := json.Unmarshal(body, &created); err != nil || created.ID == 0 || created.Title != title || created.Priority != "high" ||
			created.DueDate == nil || *created.DueDate != "2030-01-02" || created.Done {
			t.Fatalf("POST /api/todos answered %s (%v)", body, err)
		}
		body, err = call(http.MethodGet, fmt.Sprintf("%s/api/todos/%d", front, created.ID), nil, http.StatusOK)
		if err != nil || !strings.Contains(string(body), title) {
			t.Errorf("GET /api/todos/%d: %v %s", created.ID, err, body)
		}
		body, err = call(http.MethodGet, front+"/api/todos?q="+nonce, nil, http.StatusOK)
		if err != nil {
			t.Fatal(err)
		}
		var list struct {
			Items []struct {
				ID    int    `json:"id"`
				Title string `json:"title"`
			} `json:"items"`
			Total int `json:"total"`
		}
		if err := json.Unmarshal(body, &list); err != nil || list.Total != 1 || len(list.Items) != 1 || list.Items[0].ID != created.ID {
			t.Errorf("GET /api/todos?q=%s = %s, want exactly the todo just created (%v)", nonce, body, err)
		}
	})

	t.Run("backend log shows the database connection without the password", func(t *testing.T) {
		out, err := d.cmd(context.Background(), "logs", backendName).CombinedOutput()
		if err != nil {
			t.Fatalf("docker logs: %v", err)
		}
		logs := string(out)
		if strings.Contains(logs, pg.password) {
			t.Fatalf("the backend's log contains the database password")
		}
		if !strings.Contains(logs, pg.host) || !strings.Contains(logs, strconv.Itoa(pg.port)) {
			t.Errorf("the backend's log does not name its database (%s:%d); log:\n%s", pg.host, pg.port, tail(logs, 20))
		}
		fout, _ := d.cmd(context.Background(), "logs", frontName).CombinedOutput()
		if strings.Contains(string(fout), pg.password) {
			t.Errorf("the frontend's log contains the database password")
		}
	})

	t.Run("containers run as the non-root UID their Dockerfiles declare", func(t *testing.T) {
		for _, comp := range []component{backend, frontend} {
			name := map[string]string{"backend": backendName, "frontend": frontName}[comp.name]
			var img imageInfo
			d.inspect(t, "image", comp.tag, &img)
			if img.Config.User != wantUID+":"+wantUID {
				t.Errorf("%s declares USER %q, want numeric %s:%s", comp.tag, img.Config.User, wantUID, wantUID)
			}
			// Every process of the running container, as the host's ps sees it (real and
			// effective IDs), not just what `docker exec` would run as.
			top := d.must(t, "top", name, "-o", "pid,ruid,euid,rgid,egid,args")
			lines := strings.Split(top, "\n")
			if len(lines) < 2 {
				t.Errorf("docker top %s shows no process: %q", name, top)
			}
			for _, line := range lines[1:] {
				f := strings.Fields(line)
				if len(f) < 6 || f[1] != wantUID || f[2] != wantUID || f[3] != wantUID || f[4] != wantUID {
					t.Errorf("%s runs a process as %q, want UID and GID %s", comp.name, line, wantUID)
				}
			}
			t.Logf("%s processes:\n%s", comp.name, top)
		}
	})

	// Last, because it stops the containers: the status check above is not a constant, and
	// both servers shut down on SIGTERM by themselves (exec-form CMD, signals reach them)
	// instead of being killed when the grace period ends, as Kubernetes would.
	t.Run("status reports the backend unreachable once it stops, and both stop gracefully", func(t *testing.T) {
		stopGracefully(t, d, backendName)
		waitFor(t, "frontend /api/status 503 after the backend stopped", time.Minute, func() error {
			body, err := call(http.MethodGet, front+"/api/status", nil, http.StatusServiceUnavailable)
			if err == nil && strings.Contains(string(body), `"ready":true`) {
				return fmt.Errorf("503 but the body still says ready: %s", body)
			}
			return err
		})
		stopGracefully(t, d, frontName)
	})
}

// stopGracefully sends SIGTERM (docker stop) and wants the container to exit 0 well before
// docker's SIGKILL after 30 s.
func stopGracefully(t *testing.T, d docker, name string) {
	t.Helper()
	start := time.Now()
	d.must(t, "stop", "--time", "30", name)
	took := time.Since(start)
	code := d.must(t, "inspect", "--format", "{{.State.ExitCode}}", name)
	if code != "0" || took > 25*time.Second {
		t.Errorf("%s took %s to stop on SIGTERM and exited %s; want a clean exit 0 (137 means it was killed)", name, took.Round(time.Millisecond), code)
	}
}

// backendGet GETs path inside the backend container (its port is not published) and wants
// a 200 whose body contains want.
func backendGet(d docker, path, want string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	script := fmt.Sprintf("import urllib.request as u; r = u.urlopen('http://127.0.0.1:8000%s', timeout=5); print(r.status, r.read().decode())", path)
	out, err := d.run(ctx, nil, "exec", backendName, "python3", "-c", script)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(out, "200 ") || !strings.Contains(out, want) {
		return fmt.Errorf("GET %s = %q", path, out)
	}
	return nil
}

var httpClient = &http.Client{Timeout: 20 * time.Second}

// call does one JSON request and wants the given status; it returns the body.
func call(method, url string, body any, want int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return out, fmt.Errorf("%s %s = %d, want %d: %s", method, url, resp.StatusCode, want, out)
	}
	return out, nil
}

// waitFor retries check until it succeeds or the timeout passes, then fails with its last error.
func waitFor(t *testing.T, what string, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not ready after %s: %v", what, timeout, err)
		}
		time.Sleep(time.Second)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
