//go:build cluster

package cluster

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDockerAPIProxy checks the node's Docker API without a node: through the proxy, a
// BuildKit build with -t and a tag each return only after the image was handed to the
// loader, and a push of a large image streams to the end (the promotion step pushes).
func TestDockerAPIProxy(t *testing.T) {
	engine := os.Getenv("DOCKER_HOST")
	if engine == "" {
		t.Fatal("DOCKER_HOST is not set: run through tests/run/cluster.sh (it starts the private Docker engine)")
	}
	var mu sync.Mutex
	var loaded []string
	slowLoad := func(ref string) error {
		time.Sleep(time.Second) // a real import takes seconds: the client must wait for it
		mu.Lock()
		defer mu.Unlock()
		loaded = append(loaded, ref)
		return nil
	}
	hasLoaded := func(ref string) bool { mu.Lock(); defer mu.Unlock(); return slices.Contains(loaded, ref) }
	p, err := startDockerProxy(engine, filepath.Join(t.TempDir(), "docker.sock"), slowLoad, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	host := hostOf(p.socket)
	dockerVia := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(dockerCLI(), args...)
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+host, "DOCKER_BUILDKIT=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker %s through the proxy: %v\n%s", strings.Join(args, " "), err, tailString(string(out), 20))
		}
		return string(out)
	}

	// A FROM scratch image with 64 MiB of random bytes (nothing to pull, too big to push in
	// one read) built with BuildKit, whose session runs over a hijacked connection.
	dir := t.TempDir()
	blob := make([]byte, 64<<20)
	_, _ = rand.Read(blob)
	if err := os.WriteFile(filepath.Join(dir, "blob"), blob, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY blob /blob\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := fmt.Sprintf("todo-proxy-probe:%d", time.Now().UnixNano())
	t.Cleanup(func() { _ = docker(context.Background(), "rmi", "-f", ref, ref+"-tag").Run() })
	dockerVia("build", "--quiet", "--tag", ref, dir)
	if !hasLoaded(ref) {
		t.Fatalf("docker build -t %s returned before the image was loaded (loaded: %v)", ref, loaded)
	}
	dockerVia("tag", ref, ref+"-tag")
	if !hasLoaded(ref + "-tag") {
		t.Fatalf("docker tag returned before the image was loaded (loaded: %v)", loaded)
	}
	// Anything else passes through untouched.
	if out := dockerVia("image", "inspect", "--format", "{{.Size}}", ref); strings.TrimSpace(out) == "0" {
		t.Fatalf("docker image inspect through the proxy: size %q", out)
	}

	// A push to a registry on loopback streams its whole progress through the proxy.
	registry := StartRegistry(t, "")
	pushed := registry + "/" + ref
	t.Cleanup(func() { _ = docker(context.Background(), "rmi", "-f", pushed).Run() })
	dockerVia("tag", ref, pushed)
	if out := dockerVia("push", pushed); !strings.Contains(out, "digest: sha256:") {
		t.Fatalf("docker push through the proxy did not finish:\n%s", tailString(out, 10))
	}
	t.Logf("through the proxy: BuildKit build, tag and a 64 MiB push; loaded %v", loaded)
}
