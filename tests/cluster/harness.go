// Package cluster runs a real Kubernetes control plane for the chart's real-cluster test:
// etcd, kube-apiserver, kube-controller-manager and kube-scheduler are the real programs,
// and kwok stands in for kubelets (it marks scheduled pods Running and Ready and completes
// Job pods; no container ever runs). See Start.
package cluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ContextName is the kubeconfig context of the test cluster: the Pulumi program's default
// context, so anything that targets Minikube targets this cluster unchanged.
const ContextName = "minikube"

// NodeName is the one simulated node (Minikube's node is called minikube too).
const NodeName = "minikube"

const (
	serviceCIDR  = "10.96.0.0/16"
	apiServiceIP = "10.96.0.1"
	podCIDR      = "10.244.0.0/16"
)

// Cluster is a running control plane.
type Cluster struct {
	Kubeconfig string // admin kubeconfig whose current context is ContextName
	Config     *rest.Config
	Client     kubernetes.Interface
	StartTime  time.Duration // from the first process start to a Ready, schedulable node

	dir             string
	ports           map[string]int
	procs           []*process // in start order; stopped in reverse
	stopProvisioner func()
	notes           []string // what the harness did that a real cluster would do itself
}

// Start builds (or reuses) the binaries, starts the control plane and one simulated node,
// and registers t.Cleanup to stop everything, also when the test fails.
func Start(t *testing.T) *Cluster {
	t.Helper()
	binDir := binaries(t)
	etcdBin, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatalf("etcd not found: install Debian's etcd-server package (tests/env/deps.sh does): %v", err)
	}

	t.Log("REAL control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) " +
		"with SIMULATED kubelets (kwok): pods are scheduled, admitted and reconciled for real, " +
		"but no container runs; kwok reports them Running/Ready and completes Job pods.")

	c := &Cluster{dir: t.TempDir(), ports: map[string]int{}}
	t.Cleanup(func() { c.stop(t) })

	names := []string{"etcd-client", "etcd-peer", "apiserver", "controller-manager", "scheduler"}
	ports, err := freePorts(len(names))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		c.ports[n] = ports[i]
	}
	keys, err := newPKI(filepath.Join(c.dir, "pki"), net.ParseIP(apiServiceIP))
	if err != nil {
		t.Fatal(err)
	}

	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := c.startEtcd(etcdBin); err != nil {
		t.Fatal(err)
	}
	if err := c.startAPIServer(binDir, keys); err != nil {
		t.Fatal(err) // t.Cleanup prints the tail of every log
	}
	if err := c.writeKubeconfigs(keys); err != nil {
		t.Fatal(err)
	}
	if err := c.startControllers(binDir, keys); err != nil {
		t.Fatal(err) // t.Cleanup prints the tail of every log
	}
	if err := c.addNode(ctx); err != nil {
		t.Fatal(err) // t.Cleanup prints the tail of every log
	}
	if err := c.addStorage(ctx); err != nil {
		t.Fatal(err) // t.Cleanup prints the tail of every log
	}
	c.StartTime = time.Since(began)
	for _, n := range c.notes {
		t.Log("harness: " + n)
	}
	t.Logf("control plane started in %s (API server https://127.0.0.1:%d, context %q, node %q Ready and untainted)",
		c.StartTime.Round(10*time.Millisecond), c.ports["apiserver"], ContextName, NodeName)
	return c
}

// binaries returns the directory holding kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok: $KUBE_BIN_DIR when set (tests/run/cluster.sh sets it), else
// whatever tests/env/kube-build.sh builds or finds in the cache.
func binaries(t *testing.T) string {
	if dir := os.Getenv("KUBE_BIN_DIR"); dir != "" {
		return dir
	}
	root, err := filepath.Abs("../..")
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

func (c *Cluster) startEtcd(bin string) error {
	client := "http://127.0.0.1:" + strconv.Itoa(c.ports["etcd-client"])
	peer := "http://127.0.0.1:" + strconv.Itoa(c.ports["etcd-peer"])
	p, err := c.start("etcd", nil, bin,
		"--name=test", "--data-dir="+filepath.Join(c.dir, "etcd"),
		"--listen-client-urls="+client, "--advertise-client-urls="+client,
		"--listen-peer-urls="+peer, "--initial-advertise-peer-urls="+peer,
		"--initial-cluster=test="+peer, "--log-level=warn", "--logger=zap")
	if err != nil {
		return err
	}
	return waitFor("etcd /health", 30*time.Second, p, func() error { return httpOK(client + "/health") })
}

func (c *Cluster) startAPIServer(binDir string, k *pki) error {
	p, err := c.start("kube-apiserver", nil, filepath.Join(binDir, "kube-apiserver"),
		"--etcd-servers=http://127.0.0.1:"+strconv.Itoa(c.ports["etcd-client"]),
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(c.ports["apiserver"]),
		"--cert-dir="+filepath.Join(c.dir, "apiserver-certs"),
		"--tls-cert-file="+k.ServingCert, "--tls-private-key-file="+k.ServingKey,
		"--client-ca-file="+k.CACert, "--token-auth-file="+k.TokenAuthFile,
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
		Host:            "https://127.0.0.1:" + strconv.Itoa(c.ports["apiserver"]),
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
	server := "https://127.0.0.1:" + strconv.Itoa(c.ports["apiserver"])
	write := func(path, context string, user *clientcmdapi.AuthInfo) error {
		cfg := clientcmdapi.NewConfig()
		cfg.Clusters[context] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: k.CACert}
		cfg.AuthInfos[context] = user
		cfg.Contexts[context] = &clientcmdapi.Context{Cluster: context, AuthInfo: context, Namespace: "default"}
		cfg.CurrentContext = context
		return clientcmd.WriteToFile(*cfg, path)
	}
	c.Kubeconfig = filepath.Join(c.dir, "kubeconfig")
	if err := write(c.Kubeconfig, ContextName, &clientcmdapi.AuthInfo{Token: k.AdminToken}); err != nil {
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

func (c *Cluster) componentKubeconfig(component string) string {
	return filepath.Join(c.dir, component+".kubeconfig")
}

func (c *Cluster) startControllers(binDir string, k *pki) error {
	kcm, err := c.start("kube-controller-manager", nil, filepath.Join(binDir, "kube-controller-manager"),
		"--kubeconfig="+c.componentKubeconfig("controller-manager"),
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(c.ports["controller-manager"]),
		"--service-account-private-key-file="+k.SAPrivateKey, "--root-ca-file="+k.CACert,
		"--use-service-account-credentials=true", "--leader-elect=false",
		"--cluster-cidr="+podCIDR, "--service-cluster-ip-range="+serviceCIDR, "--v=1")
	if err != nil {
		return err
	}
	sched, err := c.start("kube-scheduler", nil, filepath.Join(binDir, "kube-scheduler"),
		"--kubeconfig="+c.componentKubeconfig("scheduler"),
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(c.ports["scheduler"]),
		"--leader-elect=false", "--v=1")
	if err != nil {
		return err
	}
	// kwok manages only nodes annotated as fake, with its own HOME so a developer's
	// ~/.kwok/kwok.yaml cannot change its behaviour; it uses its default stages.
	kwok, err := c.start("kwok", []string{"HOME=" + filepath.Join(c.dir, "kwok-home")}, filepath.Join(binDir, "kwok"),
		"--kubeconfig="+c.componentKubeconfig("kwok"),
		"--manage-nodes-with-annotation-selector="+kwokAnnotation+"=fake",
		"--cidr=10.244.0.1/24", "--node-lease-duration-seconds=40")
	if err != nil {
		return err
	}
	// A component with a bad flag or an unusable kubeconfig exits within a second or so.
	time.Sleep(1500 * time.Millisecond)
	for _, p := range []*process{kcm, sched, kwok} {
		if p.exited() {
			return fmt.Errorf("%s exited at start: %v (log: %s)", p.name, p.err, p.logPath)
		}
	}
	return nil
}

func (c *Cluster) start(name string, env []string, bin string, args ...string) (*process, error) {
	p, err := startProcess(name, filepath.Join(c.dir, name+".log"), env, bin, args...)
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, p)
	return p, nil
}

// stop stops every process, newest first, then checks that none of the cluster's ports
// is still listening.
func (c *Cluster) stop(t *testing.T) {
	began := time.Now()
	if c.stopProvisioner != nil {
		c.stopProvisioner()
	}
	for i := len(c.procs) - 1; i >= 0; i-- {
		c.procs[i].stop(15 * time.Second)
	}
	for name, port := range c.ports {
		if listening(port) {
			t.Errorf("after stopping the control plane, port %d (%s) is still listening", port, name)
		}
	}
	if t.Failed() {
		c.dumpLogs(t)
	}
	if len(c.procs) > 0 {
		t.Logf("control plane stopped in %s; nothing left listening on its ports", time.Since(began).Round(10*time.Millisecond))
	}
}

func (c *Cluster) dumpLogs(t *testing.T) {
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
