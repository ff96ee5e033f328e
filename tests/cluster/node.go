package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Where the node keeps its state. Fixed paths (one node per machine at a time: the runner
// holds /tmp/todo-locks/node.lock), so a node left by a killed run is found and removed by
// the next start, and the leftovers check knows exactly what to look for.
const (
	stateDir        = "/run/todo-node"     // sockets, CNI config, containerd state
	dataDir         = "/var/lib/todo-node" // containerd's images and snapshots, kubelet, volumes
	containerdSock  = stateDir + "/containerd/containerd.sock"
	containerdState = stateDir + "/containerd"
	kubeletRoot     = dataDir + "/kubelet"
	volumesDir      = dataDir + "/local-path" // local-path-provisioner's volumes
	cniConfDir      = stateDir + "/cni"
	cniDataDir      = dataDir + "/cni" // host-local IPAM leases
	cniBinDir       = "/usr/lib/cni"   // Debian's containernetworking-plugins
	pauseImage      = "todo-node/pause:" + pauseVersion
	pauseVersion    = "3.10"
	apiServerPort   = 8443 // Minikube's
)

// containerdRoot is containerd's image and snapshot store. It is a cache, like the Docker
// engine's data root: kept between runs (in $TODO_CACHE, outside the repository), so an image
// the node already holds under the same ID is not imported again. Nothing in it is mounted
// or running once the node is down; every run starts with no container in it.
func containerdRoot() string {
	cache := os.Getenv("TODO_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "todo-chatbot")
	}
	return filepath.Join(cache, "node-containerd")
}

// containerdConfig is containerd 1.6's config: its own root, state and socket (never the
// system's), the CRI plugin with our pause image and CNI config, cgroupfs, and
// restrict_oom_score_adj (this machine's root lacks CAP_SYS_RESOURCE, so runc could not
// raise oom_score_adj and every sandbox would fail).
func containerdConfig() string {
	return fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = %[3]q

[plugins."io.containerd.internal.v1.opt"]
  path = %[4]q

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[5]q
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = %[8]q
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %[6]q
    conf_dir = %[7]q
    max_conf_num = 1
`, containerdRoot(), containerdState, containerdSock, filepath.Join(containerdRoot(), "opt"), pauseImage, cniBinDir, cniConfDir,
		filepath.Join(stateDir, "runc"))
}

// cniConfig is the pod network: Debian's bridge plugin on cni0 with host-local addresses
// from the node's pod CIDR, masquerading what leaves the pod subnet (so the host, at
// HostIP, sees the node's address) and hairpin mode (a pod reaching itself via a Service).
func cniConfig() string {
	return fmt.Sprintf(`{
  "cniVersion": "0.4.0",
  "name": "todo-node",
  "plugins": [{
    "type": "bridge", "bridge": %q, "isGateway": true, "ipMasq": true, "hairpinMode": true,
    "ipam": {"type": "host-local", "dataDir": %q,
      "ranges": [[{"subnet": %q, "gateway": %q}]], "routes": [{"dst": "0.0.0.0/0"}]}
  }]
}
`, bridgeName, cniDataDir, nodePodCIDR, podGateway)
}

// kubeletConfig: cgroupfs (PID 1 is not systemd), swap allowed, no host resolv.conf for
// pods (nothing outside may be asked), hard eviction thresholds low enough that a busy
// shared disk does not evict the test's pods, no image garbage collection (on a disk over
// 85% full the kubelet deleted the imported pause image, which cannot be pulled back, and
// every new pod then failed to get a sandbox), webhook authn/authz so the API server's
// client certificate (logs, exec, port-forward) is checked.
func (c *Cluster) kubeletConfig(k *pki) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://%s
address: %s
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %q}
authorization: {mode: Webhook}
clusterDNS: [%s]
clusterDomain: cluster.local
resolvConf: ""
evictionHard: {memory.available: 100Mi, nodefs.available: "1%%", imagefs.available: "1%%", nodefs.inodesFree: "1%%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
rotateCertificates: false
shutdownGracePeriod: 0s
`, containerdSock, NodeIP, k.CACert, dnsService)
}

// kubeProxyConfig: iptables mode (no IPVS in this kernel). conntrack sizes and timeouts are
// left alone (0): they are host-wide sysctls a namespaced node must not touch.
func (c *Cluster) kubeProxyConfig() string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: %q}
clusterCIDR: %s
hostnameOverride: %s
nodePortAddresses: [primary]
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {minSyncPeriod: 0s, syncPeriod: 30s}
`, c.componentKubeconfig("kube-proxy"), podCIDR, NodeName)
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o600)
}

// startContainerd starts the node's own containerd and waits for its socket.
func (c *Cluster) startContainerd() error {
	cfg := filepath.Join(c.dir, "containerd.toml")
	if err := writeFile(cfg, containerdConfig()); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(cniConfDir, "10-todo-node.conflist"), cniConfig()); err != nil {
		return err
	}
	p, err := c.start("containerd", nil, "containerd", "--config", cfg)
	if err != nil {
		return err
	}
	return waitFor("containerd socket", 30*time.Second, p, func() error {
		_, err := c.cri()
		return err
	})
}

// startNode starts the kubelet and kube-proxy and waits until the node is Ready.
func (c *Cluster) startNode(ctx context.Context, binDir string, k *pki) error {
	kubeletCfg := filepath.Join(c.dir, "kubelet.yaml")
	if err := writeFile(kubeletCfg, c.kubeletConfig(k)); err != nil {
		return err
	}
	kubelet, err := c.start("kubelet", nil, filepath.Join(binDir, "kubelet"),
		"--config="+kubeletCfg, "--kubeconfig="+c.componentKubeconfig("kubelet"),
		"--hostname-override="+NodeName, "--node-ip="+NodeIP, "--root-dir="+kubeletRoot,
		"--cert-dir="+filepath.Join(c.dir, "kubelet-pki"), "--v=1")
	if err != nil {
		return err
	}
	proxyCfg := filepath.Join(c.dir, "kube-proxy.yaml")
	if err := writeFile(proxyCfg, c.kubeProxyConfig()); err != nil {
		return err
	}
	if _, err := c.start("kube-proxy", nil, filepath.Join(binDir, "kube-proxy"), "--config="+proxyCfg, "--v=1"); err != nil {
		return err
	}
	return waitFor("node "+NodeName+" Ready", 2*time.Minute, kubelet, func() error {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !nodeReady(n) {
			return fmt.Errorf("node not Ready yet (see %s)", kubelet.logPath)
		}
		for _, t := range n.Spec.Taints {
			if t.Key == corev1.TaintNodeNotReady {
				return fmt.Errorf("node still has the %s taint", t.Key)
			}
		}
		return nil
	})
}

func nodeReady(n *corev1.Node) bool {
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }
