package cluster

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// StartRegistry runs Debian's docker-registry (the CNCF distribution server) until the test
// ends and returns its host:port on the host's loopback, a name that works for the Docker
// engine (pushes) and the node's containerd (pulls): both trust a loopback registry over
// plain HTTP. With netns (the node's namespace, Cluster.NetNS) the registry runs inside it,
// where the node reaches it on 127.0.0.1, and a loopback proxy on the host forwards the same
// port to it through the node's address, so nothing listens beyond the host's loopback and
// the node's private link. With netns "" it runs on the host's loopback alone.
func StartRegistry(t testing.TB, netns string) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Fatal("docker-registry not found: install Debian's docker-registry package (sudo tests/env/deps.sh)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	listen := addr
	if netns != "" {
		go forwardTCP(l, net.JoinHostPort(NodeIP, port))
		t.Cleanup(func() { l.Close() })
		listen = "0.0.0.0:" + port // inside the node's namespace: its loopback and private link only
	} else {
		l.Close()
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
	if netns != "" {
		cmd = exec.CommandContext(ctx, "ip", "netns", "exec", netns, bin, "serve", cfg)
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
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logFile.Name())
			t.Fatalf("the registry on %s does not answer: %v\n%s", addr, err, b)
		}
	}
	where := "on the host's loopback"
	if netns != "" {
		where = "in the node's network namespace " + netns + ", proxied from the host's loopback"
	}
	t.Logf("registry (Debian docker-registry) at http://%s, %s", addr, where)
	return addr
}

// forwardTCP forwards every connection accepted on l to target until l is closed.
func forwardTCP(l net.Listener, target string) {
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

// StartRegistry runs a registry in the first node's namespace (the package StartRegistry)
// and makes every node pull the name the host pushes to (127.0.0.1:<port>/...) from it, as
// Minikube's registry add-on does with a registry-proxy pod on every node: here each
// node's containerd has a hosts.toml for that name instead (a STAND-IN for the proxy pods,
// same effect: one image name that every node resolves to the one registry).
func (c *Cluster) StartRegistry(t testing.TB) string {
	t.Helper()
	addr := StartRegistry(t, c.NetNS)
	_, port, _ := net.SplitHostPort(addr)
	if err := c.mirrorRegistry(addr, func(n node) string {
		if n.index == 1 {
			return net.JoinHostPort("127.0.0.1", port) // the registry's own namespace
		}
		return net.JoinHostPort(NodeIP, port)
	}); err != nil {
		t.Fatal(err)
	}
	return addr
}

// UseRegistry makes every node pull addr/... (a registry on the host's loopback:
// StartRegistry(t, "")) from the host: a forwarder on the host's address on the cluster's
// network (HostIP:<port>) to it, and each node's hosts.toml mapping the name to the
// forwarder. A registry outside any cluster outlives each of them: one cluster pushes to it,
// a later one pulls the same digests. The forwarder closes when the cluster stops.
func (c *Cluster) UseRegistry(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", net.JoinHostPort(HostIP, port))
	if err != nil {
		return err
	}
	go forwardTCP(l, addr)
	c.closers = append(c.closers, l.Close)
	forwarder := net.JoinHostPort(HostIP, port)
	if err := c.mirrorRegistry(addr, func(node) string { return forwarder }); err != nil {
		return err
	}
	c.logf("every node pulls %s/... from the host's registry through %s", addr, forwarder)
	return nil
}

// mirrorRegistry writes each node's containerd hosts.toml for the registry name addr: pull
// and resolve it from http://<endpoint(node)>.
func (c *Cluster) mirrorRegistry(addr string, endpoint func(node) string) error {
	for _, n := range c.nodes {
		server := "http://" + endpoint(n)
		hosts := fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", server, server)
		if err := writeFile(filepath.Join(n.registryHosts(), addr, "hosts.toml"), hosts); err != nil {
			return err
		}
	}
	return nil
}
