//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Promotion deploys exactly the images another stack pushed to a registry (digest-pinned),
// without building. A Minikube stack like dev builds into the node's daemon and pushes
// nothing, which the program refuses to promote from (other clusters could not pull it). So,
// as the README's staging -> prod example does, a staging stack builds and pushes to a
// registry (Debian's docker-registry, the CNCF distribution server, on loopback) and a prod
// stack promotes from it into another namespace.
const (
	stagingStack     = "e2e-staging"
	stagingNamespace = "todo-staging"
	prodStack        = "e2e-prod"
	prodNamespace    = "todo-prod"
)

// startRegistry runs a registry for the rest of the test and returns its host:port, a name
// that works for the host's Docker engine (pushes) and the node's containerd (pulls): both
// trust a registry on loopback over plain HTTP. When the node has its own network namespace,
// the registry runs inside it (reachable there on 127.0.0.1) and a loopback proxy on the host
// forwards the same port to it through the node's address, so nothing listens beyond the
// host's loopback and the node's private link.
func (e *env) startRegistry(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Fatal("docker-registry not found: apt-get install docker-registry (tests/env/deps.sh installs it)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	inNetNS := false
	nodeNetNS := e.c.NetNS // the node's network namespace, containerd included
	if _, err := os.Stat("/run/netns/" + nodeNetNS); nodeNetNS != "" && err == nil {
		inNetNS = true
		nodeAddr := net.JoinHostPort(e.nodeIP(t), port)
		go proxy(l, nodeAddr)
		t.Cleanup(func() { l.Close() })
	} else {
		l.Close()
	}
	listen := addr
	if inNetNS {
		listen = "0.0.0.0:" + port // inside the node's namespace: its loopback and private link only
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: %s}
  delete: {enabled: true}
http: {addr: %q}
`, filepath.Join(dir, "data"), listen)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", cfg)
	if inNetNS {
		cmd = exec.CommandContext(ctx, "ip", "netns", "exec", nodeNetNS, bin, "serve", cfg)
	}
	logFile, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait(); logFile.Close() })
	if err := eventually(15*time.Second, func() error {
		code, err := call("GET", "http://"+addr+"/v2/", nil, nil)
		if err == nil && code != 200 {
			err = fmt.Errorf("HTTP %d", code)
		}
		return err
	}); err != nil {
		b, _ := os.ReadFile(logFile.Name())
		t.Fatalf("the registry on %s does not answer: %v\n%s", addr, err, b)
	}
	where := "on the host's loopback"
	if inNetNS {
		where = "in the node's network namespace " + nodeNetNS + ", proxied from the host's loopback"
	}
	t.Logf("registry (Debian docker-registry) at http://%s, %s", addr, where)
	return addr
}

// proxy forwards every connection accepted on l to target until l is closed.
func proxy(l net.Listener, target string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			u, err := net.DialTimeout("tcp", target, 5*time.Second)
			if err != nil {
				return
			}
			defer u.Close()
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(u, c); done <- struct{}{} }()
			go func() { _, _ = io.Copy(c, u); done <- struct{}{} }()
			<-done
		}()
	}
}

// devDatabaseURL is the dev release's in-cluster PostgreSQL, reached by its Service's full
// name: the "external" database of the staging and prod stacks (they need one).
func (e *env) devDatabaseURL(t *testing.T) string {
	password := string(e.k.secretData(devNamespace, release+"-postgresql")["password"])
	if password == "" {
		t.Fatal("the dev release's PostgreSQL Secret has no password")
	}
	u := url.URL{Scheme: "postgresql", User: url.UserPassword("todo", password),
		Host: release + "-database." + devNamespace + ".svc.cluster.local:5432", Path: "/todo"}
	return e.p.secret(u.String())
}

func (e *env) initStack(t *testing.T, stack string, config map[string]string, secrets map[string]string) {
	e.p.ok("stack", "init", stack, "--secrets-provider", "passphrase")
	base := map[string]string{"kubeContext": "minikube", "kubeconfig": e.c.Kubeconfig, "releaseTimeout": "300"}
	for k, v := range config {
		base[k] = v
	}
	for k, v := range base {
		e.p.ok("config", "set", "--stack", stack, k, v)
	}
	for k, v := range secrets {
		e.p.ok("config", "set", "--stack", stack, "--secret", k, v)
	}
}

func (e *env) promotion(t *testing.T) {
	registry := e.startRegistry(t)
	dbURL := e.devDatabaseURL(t)
	e.initStack(t, stagingStack, map[string]string{
		"namespace": stagingNamespace, "dockerHost": e.dockerHost, "registry": registry + "/todo-chatbot",
	}, map[string]string{"databaseUrl": dbURL})
	e.p.ok("up", "--stack", stagingStack, "--yes", "--skip-preview", "--non-interactive")
	staging := e.outputs(t, stagingStack)
	for _, name := range []string{"backendImage", "frontendImage"} {
		if ref := fmt.Sprint(staging[name]); !strings.HasPrefix(ref, registry+"/todo-chatbot/") || !strings.Contains(ref, "@sha256:") {
			t.Fatalf("staging exports %s = %q, want %s/todo-chatbot/...@sha256:...", name, ref, registry)
		}
	}

	e.initStack(t, prodStack, map[string]string{
		"namespace": prodNamespace, "promoteFrom": "organization/todo-chatbot/" + stagingStack,
	}, map[string]string{"databaseUrl": dbURL})
	pv := e.p.previewJSON(prodStack)
	for name := range pv.ops() {
		if strings.Contains(name, ":Image::") || strings.Contains(name, dockerProv) {
			t.Errorf("the promotion preview declares %s: a promotion must not build", name)
		}
	}
	start := time.Now()
	e.p.ok("up", "--stack", prodStack, "--yes", "--skip-preview", "--non-interactive")
	t.Logf("promotion up (no build): %s", time.Since(start).Round(100*time.Millisecond))
	prod := e.outputs(t, prodStack)
	for _, c := range []struct{ output, deployment, container string }{
		{"backendImage", release + "-backend", "backend"},
		{"frontendImage", release + "-frontend", "frontend"},
	} {
		if prod[c.output] != staging[c.output] {
			t.Errorf("prod exports %s = %v, staging %v", c.output, prod[c.output], staging[c.output])
		}
		ref := fmt.Sprint(staging[c.output])
		digest := ref[strings.Index(ref, "@"):]
		image := e.k.deployment(prodNamespace, c.deployment).Spec.Template.Spec.Containers[0].Image
		if !strings.HasSuffix(image, digest) {
			t.Errorf("prod Deployment %s runs %q, want the staging digest %s", c.deployment, image, digest)
		}
	}
}

// destroyPromotion removes both promotion stacks; their namespaces keep nothing of theirs
// but what Kubernetes puts in any namespace (no in-cluster PostgreSQL there).
func (e *env) destroyPromotion(t *testing.T) {
	for _, s := range []struct{ stack, ns string }{{prodStack, prodNamespace}, {stagingStack, stagingNamespace}} {
		e.p.ok("destroy", "--stack", s.stack, "--yes", "--skip-preview", "--non-interactive")
		left := e.leftovers(t, s.ns)
		if want := "ConfigMap/kube-root-ca.crt ServiceAccount/default"; strings.Join(left, " ") != want {
			t.Errorf("after destroying %s, namespace %s holds %v, want only %s", s.stack, s.ns, left, want)
		}
	}
}
