// Package cluster runs a real one-node Kubernetes cluster for the chart's cluster test and
// the end-to-end test: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, and a
// real node (containerd + runc + CNI bridge + kubelet + kube-proxy in iptables mode) with
// CoreDNS and local-path-provisioner, all inside a network namespace of its own with no
// route out of the machine, plus a Docker API whose images the node sees. See Start.
package cluster

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// ContextName is the kubeconfig context of the test cluster: the Pulumi program's default
// context, so anything that targets Minikube targets this cluster unchanged.
const ContextName = "minikube"

// NodeName is the first node (Minikube's is called minikube too; its other nodes
// minikube-m02, minikube-m03, ...).
const NodeName = "minikube"

// Options shape the cluster StartWith makes.
type Options struct {
	// Workers is how many nodes join besides the first, which also runs the control plane
	// and takes pods too, as on `minikube start --nodes N`. With any, the pod network spans
	// the nodes through kube-router (routes between the nodes' pod subnets, and NetworkPolicy
	// enforced by its policy controller, as k3s embeds it).
	Workers int
	// Context names the cluster's kubeconfig context (default ContextName), as `minikube
	// start -p <profile>` names it after the profile: a second cluster is told apart by it.
	Context string
}

// Cluster is a running cluster. Everything it started is removed by the test's cleanup.
type Cluster struct {
	Kubeconfig string // admin kubeconfig whose current context is Context
	Context    string // ContextName
	Config     *rest.Config
	Client     kubernetes.Interface
	// DockerHost is the Docker API whose built and tagged images the node runs (a proxy in
	// front of the private engine of tests/env/dockerd.sh that loads each into the node before
	// it answers): use it as DOCKER_HOST, like `minikube docker-env`.
	DockerHost string
	NodeIP     string        // the node's address: NodePorts answer at NodeIP:<port> from the host
	HostIP     string        // the host's address as pods see it (nothing else outside is reachable)
	NetNS      string        // the first node's network namespace (/run/netns/<NetNS>), for `ip netns exec`
	Nodes      []string      // every node's name, the first (control-plane) node first
	StartTime  time.Duration // from the first process start to Ready nodes with DNS and storage

	t        testing.TB
	dir      string
	nodes    []node
	keys     *pki
	procs    []*process // in start order; stopped in reverse
	procsMu  sync.Mutex
	stopOnce sync.Once
	closers  []func() error // what the cluster's users opened for it (a registry forwarder)
	loader   *imageLoader
	notes    []string // stand-ins and what the harness did that a real cluster would do itself
}

// Start builds (or reuses) the binaries and starts the cluster, and registers t.Cleanup
// to remove everything it made (processes, mounts, namespaces, interfaces, rules,
// cgroups, directories), also when the test fails, and to check that nothing is left.
// The caller must be root and have DOCKER_HOST and TODO_STANDIN_PYTHON set (the runner
// script, tests/run/cluster.sh, sources tests/env/node.sh for that).
func Start(t testing.TB) *Cluster {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options (more nodes).
func StartWith(t testing.TB, o Options) *Cluster {
	t.Helper()
	noInheritedFDs()
	if o.Workers < 0 || o.Workers+1 > maxNodes {
		t.Fatalf("Options.Workers = %d: between 0 and %d", o.Workers, maxNodes-1)
	}
	binDir := binaries(t)
	if os.Geteuid() != 0 {
		t.Fatal("the test node needs root (network namespace, containerd, kubelet): run as root")
	}
	for cmd, pkg := range map[string]string{"etcd": "etcd-server", "containerd": "containerd", "runc": "runc", "ctr": "containerd",
		"nsenter": "util-linux", "ip": "iproute2", "iptables": "iptables", "conntrack": "conntrack", dockerCLI(): "docker.io"} {
		if _, err := exec.LookPath(cmd); err != nil {
			t.Fatalf("%s not found: install Debian's %s package (sudo tests/env/deps.sh)", cmd, pkg)
		}
	}
	if os.Getenv("DOCKER_HOST") == "" {
		t.Fatal("DOCKER_HOST is not set: the node's images come from the private Docker engine; run through tests/run/cluster.sh")
	}
	if o.Context == "" {
		o.Context = ContextName
	}
	c := &Cluster{t: t, dir: t.TempDir(), Context: o.Context, DockerHost: os.Getenv("DOCKER_HOST"), NodeIP: NodeIP, HostIP: HostIP, NetNS: netnsName}
	for i := 1; i <= o.Workers+1; i++ {
		c.nodes = append(c.nodes, newNode(i))
		c.Nodes = append(c.Nodes, newNode(i).name)
	}
	if c.multiNode() {
		if _, err := exec.LookPath("ipset"); err != nil {
			t.Fatal("ipset not found: kube-router's policy controller needs Debian's ipset package (sudo tests/env/deps.sh)")
		}
	}
	if left := leftovers(); len(left) > 0 {
		t.Logf("a node from an earlier (killed) run is still here; removing it: %s", strings.Join(left, "; "))
		if err := teardownNode(t.Logf); err != nil {
			t.Fatalf("could not remove the earlier node: %v", err)
		}
	}
	if c.multiNode() {
		t.Logf("REAL cluster: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, and %d real nodes %s "+
			"(each: containerd + runc, CNI bridge, kubelet, kube-proxy iptables, kube-router routes + NetworkPolicy "+
			"enforcement, in a network namespace of its own with no route out of the machine), CoreDNS, local-path-provisioner",
			len(c.nodes), strings.Join(c.Nodes, ", "))
	} else {
		t.Log("REAL cluster: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, and a real node " +
			"(containerd + runc, CNI bridge, kubelet, kube-proxy iptables, CoreDNS, local-path-provisioner) " +
			"in network namespace " + netnsName + " with no route out of the machine")
	}
	t.Cleanup(c.Stop)
	setSignalTeardown(func() { _ = teardownNode(func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }) })

	keys, err := newPKI(filepath.Join(c.dir, "pki"), net.ParseIP(apiService))
	if err != nil {
		t.Fatal(err)
	}
	c.keys = keys
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The runtime and its images come up while the control plane starts.
	runtimeDone, runtimeWaited := make(chan error, 1), false
	if err := c.step("network namespaces", func() error {
		if err := createLAN(); err != nil {
			return err
		}
		for _, n := range c.nodes {
			if err := n.createNetns(); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	first := c.nodes[0]
	go func() { runtimeDone <- c.startRuntime(ctx, first, binDir) }()
	for _, s := range []struct {
		name string
		run  func() error
	}{
		{"etcd", c.startEtcd},
		{"kube-apiserver", func() error { return c.startAPIServer(binDir, keys) }},
		{"kubeconfigs", func() error { return c.writeKubeconfigs(keys) }},
		{"controllers", func() error { return c.startControllers(binDir, keys) }},
		{"container runtime", func() error { runtimeWaited = true; return <-runtimeDone }},
		{"kube-router's access", c.kubeRouterAccess},
		{"kubelet and kube-proxy", func() error { return c.startNode(ctx, first, binDir, keys) }},
		{"other nodes", func() error { return c.startWorkers(ctx, binDir) }},
		{"CoreDNS and local-path-provisioner", func() error { return c.installAddons(ctx) }},
		{"the node's Docker API (builds and tags load into the node)", c.startImageLoader},
		{"PostgreSQL stand-in image", func() error { return c.buildPostgresStandin(ctx) }},
	} {
		if err := c.step(s.name, s.run); err != nil {
			if !runtimeWaited {
				<-runtimeDone // never tear down under a running start
			}
			t.Fatal(err) // t.Cleanup prints the tail of every log
		}
	}
	c.StartTime = time.Since(began)
	for _, n := range c.notes {
		t.Log("harness: " + n)
	}
	t.Logf("cluster ready in %s (API server https://%s:%d, context %q, nodes %s Ready with DNS and storage; DOCKER_HOST=%s)",
		c.StartTime.Round(10*time.Millisecond), NodeIP, apiServerPort, c.Context, strings.Join(c.Nodes, ", "), c.DockerHost)
	return c
}

// step runs one start step and logs how long it took.
func (c *Cluster) step(name string, run func() error) error {
	began := time.Now()
	if err := run(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	c.logf("started %s in %s", name, time.Since(began).Round(10*time.Millisecond))
	return nil
}

func (c *Cluster) logf(format string, args ...any) { c.t.Logf(format, args...) }
func (c *Cluster) note(s string)                   { c.notes = append(c.notes, s) }

// binaries returns the directory of the cluster's binaries (tests/env/kube-build.sh):
// $KUBE_BIN_DIR when set (tests/env/node.sh sets it), else whatever the script builds or
// finds in the cache.
func binaries(t testing.TB) string {
	if dir := os.Getenv("KUBE_BIN_DIR"); dir != "" {
		return dir
	}
	root, err := layout.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	t.Log("KUBE_BIN_DIR not set: running tests/env/kube-build.sh (builds on first use, ~10 minutes)")
	cmd := exec.Command(filepath.Join(root, "tests", "env", "kube-build.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tests/env/kube-build.sh: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// The control plane's endpoints inside the node's namespace.
const (
	etcdClientURL = "http://127.0.0.1:2379"
	etcdPeerURL   = "http://127.0.0.1:2380"
)

func apiServerURL() string { return "https://" + NodeIP + ":" + itoa(apiServerPort) }

func (c *Cluster) startEtcd() error {
	bin, err := exec.LookPath("etcd")
	if err != nil {
		return err
	}
	p, err := c.start("etcd", nil, bin,
		"--name=test", "--data-dir="+filepath.Join(c.dir, "etcd"),
		"--listen-client-urls="+etcdClientURL, "--advertise-client-urls="+etcdClientURL,
		"--listen-peer-urls="+etcdPeerURL, "--initial-advertise-peer-urls="+etcdPeerURL,
		"--initial-cluster=test="+etcdPeerURL, "--log-level=warn", "--logger=zap", "--unsafe-no-fsync")
	if err != nil {
		return err
	}
	// etcd listens inside the namespace only: its health is asked from there.
	return waitFor("etcd /health", 30*time.Second, p, func() error {
		return etcdHealthy()
	})
}

// etcdHealthy asks etcd's /health over a connection opened inside the node's namespace.
func etcdHealthy() error {
	var conn net.Conn
	if err := inNodeNetns(func() (err error) {
		conn, err = net.DialTimeout("tcp", strings.TrimPrefix(etcdClientURL, "http://"), time.Second)
		return err
	}); err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("GET /health HTTP/1.0\r\nHost: etcd\r\n\r\n")); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("etcd /health: %s", resp.Status)
	}
	return nil
}

func (c *Cluster) startAPIServer(binDir string, k *pki) error {
	p, err := c.start("kube-apiserver", nil, filepath.Join(binDir, "kube-apiserver"),
		"--etcd-servers="+etcdClientURL,
		// The node's address: reachable from the host (veth) and from pods (the kubernetes
		// Service's endpoint), unlike 127.0.0.1.
		"--bind-address="+NodeIP, "--advertise-address="+NodeIP,
		"--secure-port="+itoa(apiServerPort),
		"--cert-dir="+filepath.Join(c.dir, "apiserver-certs"),
		"--tls-cert-file="+k.ServingCert, "--tls-private-key-file="+k.ServingKey,
		"--client-ca-file="+k.CACert, "--token-auth-file="+k.TokenAuthFile,
		"--kubelet-client-certificate="+k.ClientCert["apiserver-kubelet-client"],
		"--kubelet-client-key="+k.ClientKey["apiserver-kubelet-client"],
		// exec, logs and port-forward reach the kubelet at its InternalIP (the node name
		// "minikube" resolves nowhere).
		"--kubelet-preferred-address-types=InternalIP,Hostname",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+k.SAPublicKey, "--service-account-signing-key-file="+k.SAPrivateKey,
		"--service-cluster-ip-range="+serviceCIDR,
		"--authorization-mode=Node,RBAC",
		// The admission chain of a kubeadm/Minikube cluster, PodSecurity included, so the
		// namespace's pod-security.kubernetes.io/enforce label is really enforced.
		"--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultStorageClass,"+
			"DefaultTolerationSeconds,TaintNodesByCondition,Priority,PodSecurity,StorageObjectInUseProtection,"+
			"PersistentVolumeClaimResize,RuntimeClass,NodeRestriction,MutatingAdmissionWebhook,"+
			"ValidatingAdmissionWebhook,ResourceQuota",
		"--allow-privileged=true", "--profiling=false", "--v=1")
	if err != nil {
		return err
	}
	cfg := &rest.Config{
		Host:            apiServerURL(),
		BearerToken:     k.AdminToken,
		TLSClientConfig: rest.TLSClientConfig{CAFile: k.CACert},
		QPS:             50, Burst: 100,
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	c.Config, c.Client = cfg, client
	return waitFor("kube-apiserver /readyz", 90*time.Second, p, func() error {
		_, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(context.Background())
		return err
	})
}

// writeKubeconfigs writes the admin kubeconfig (context "minikube", bearer token) and one
// kubeconfig per component (client certificates).
func (c *Cluster) writeKubeconfigs(k *pki) error {
	write := func(path, context string, user *clientcmdapi.AuthInfo) error {
		return writeKubeconfig(k, path, context, user)
	}
	c.Kubeconfig = filepath.Join(c.dir, "kubeconfig")
	if err := write(c.Kubeconfig, c.Context, &clientcmdapi.AuthInfo{Token: k.AdminToken}); err != nil {
		return err
	}
	for component := range clientIdentities {
		user := &clientcmdapi.AuthInfo{ClientCertificate: k.ClientCert[component], ClientKey: k.ClientKey[component]}
		if err := write(c.componentKubeconfig(component), component, user); err != nil {
			return err
		}
	}
	return nil
}

func writeKubeconfig(k *pki, path, context string, user *clientcmdapi.AuthInfo) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[context] = &clientcmdapi.Cluster{Server: apiServerURL(), CertificateAuthority: k.CACert}
	cfg.AuthInfos[context] = user
	cfg.Contexts[context] = &clientcmdapi.Context{Cluster: context, AuthInfo: context, Namespace: "default"}
	cfg.CurrentContext = context
	return clientcmd.WriteToFile(*cfg, path)
}

func (c *Cluster) componentKubeconfig(component string) string {
	return filepath.Join(c.dir, component+".kubeconfig")
}

func (c *Cluster) startControllers(binDir string, k *pki) error {
	kcm, err := c.start("kube-controller-manager", nil, filepath.Join(binDir, "kube-controller-manager"),
		"--kubeconfig="+c.componentKubeconfig("controller-manager"),
		"--bind-address=127.0.0.1", "--secure-port=10257",
		"--service-account-private-key-file="+k.SAPrivateKey, "--root-ca-file="+k.CACert,
		"--use-service-account-credentials=true", "--leader-elect=false",
		// The node gets its pod CIDR from here, as on kubeadm.
		"--allocate-node-cidrs=true", "--cluster-cidr="+podCIDR, "--node-cidr-mask-size=24",
		"--service-cluster-ip-range="+serviceCIDR, "--v=1")
	if err != nil {
		return err
	}
	sched, err := c.start("kube-scheduler", nil, filepath.Join(binDir, "kube-scheduler"),
		"--kubeconfig="+c.componentKubeconfig("scheduler"),
		"--bind-address=127.0.0.1", "--secure-port=10259",
		"--leader-elect=false", "--v=1")
	if err != nil {
		return err
	}
	// A component with a bad flag or an unusable kubeconfig exits within a second or so.
	time.Sleep(1500 * time.Millisecond)
	for _, p := range []*process{kcm, sched} {
		if p.exited() {
			return fmt.Errorf("%s exited at start: %v (log: %s)", p.name, p.err, p.logPath)
		}
	}
	return nil
}

// start runs a control-plane component inside the first node's network namespace.
func (c *Cluster) start(name string, env []string, bin string, args ...string) (*process, error) {
	return c.startOn(c.nodes[0], name, env, bin, args...)
}

// startOn runs a node's component inside its network namespace (logs named after the node
// but on the first).
func (c *Cluster) startOn(n node, name string, env []string, bin string, args ...string) (*process, error) {
	argv := n.inNetns(append([]string{bin}, args...)...)
	if n.index > 1 {
		name = n.name + "-" + name
	}
	p, err := startProcess(name, filepath.Join(c.dir, name+".log"), env, argv[0], argv[1:]...)
	if err != nil {
		return nil, err
	}
	c.procsMu.Lock() // the runtime starts beside the control plane
	c.procs = append(c.procs, p)
	c.procsMu.Unlock()
	return p, nil
}

// Stop stops the components newest first (the pods through the CRI before containerd
// goes), removes everything the nodes made, and checks that nothing is left. The test's
// cleanup calls it; a test that runs two clusters one after the other calls it itself
// (once is enough: later calls do nothing).
func (c *Cluster) Stop() { c.stopOnce.Do(c.stop) }

func (c *Cluster) stop() {
	t := c.t
	began := time.Now()
	for _, close := range c.closers {
		_ = close()
	}
	c.loader.stop()
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		if strings.HasSuffix(p.name, "containerd") && !p.exited() {
			if cl, err := criAt(c.nodeNamed(p.name).containerdSock()); err == nil {
				podsBegan := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				if err := cl.removeAllPods(ctx); err != nil {
					t.Errorf("removing the pods: %v", err)
				}
				cancel()
				cl.close()
				t.Logf("pods removed through the CRI in %s", time.Since(podsBegan).Round(10*time.Millisecond))
			}
		}
		stopBegan := time.Now()
		// The API server drains its clients' watches for as long as it is let: nothing it
		// holds outlives the test (etcd's data is thrown away), so it gets a short grace.
		grace := 15 * time.Second
		if p.name == "kube-apiserver" {
			grace = 3 * time.Second
		}
		p.stop(grace)
		if d := time.Since(stopBegan); d > 2*time.Second {
			t.Logf("%s took %s to stop", p.name, d.Round(10*time.Millisecond))
		}
	}
	if t.Failed() {
		c.dumpLogs(t)
	}
	if err := teardownNode(t.Logf); err != nil {
		t.Errorf("teardown: %v", err)
	}
	setSignalTeardown(nil)
	left := leftovers()
	for _, l := range left {
		t.Errorf("left after stopping the node: %s", l)
	}
	if len(left) == 0 {
		t.Logf("node stopped and removed in %s; no process, mount, network namespace, interface, cgroup, iptables chain or directory of it is left",
			time.Since(began).Round(10*time.Millisecond))
	}
}

func (c *Cluster) dumpLogs(t testing.TB) {
	for _, p := range c.procs {
		t.Logf("--- last lines of %s (%s) ---\n%s", p.name, p.logPath, tail(p.logPath, 10))
	}
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
