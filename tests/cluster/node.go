package cluster

import (
	"context"
	"fmt"
	"net"
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
	stateDir       = "/run/todo-node"                         // sockets, CNI config, containerd state
	dataDir        = "/var/lib/todo-node"                     // containerd's images and snapshots, kubelet, volumes
	containerdSock = stateDir + "/containerd/containerd.sock" // the first node's
	volumesDir     = dataDir + "/local-path"                  // local-path-provisioner's volumes
	cniBinDir      = "/usr/lib/cni"                           // Debian's containernetworking-plugins
	pauseImage     = "todo-node/pause:" + pauseVersion
	pauseVersion   = "3.10"
	apiServerPort  = 8443 // Minikube's
)

// containerdRoot is the first node's image store (node.containerdRoot).
func containerdRoot() string { return newNode(1).containerdRoot() }

// containerdConfig is containerd 1.6's config: its own root, state and socket (never the
// system's), the CRI plugin with our pause image and CNI config, cgroupfs, and
// restrict_oom_score_adj (this machine's root lacks CAP_SYS_RESOURCE, so runc could not
// raise oom_score_adj and every sandbox would fail).
func (n node) containerdConfig() string {
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
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = %[9]q
`, n.containerdRoot(), n.containerdState(), n.containerdSock(), filepath.Join(n.containerdRoot(), "opt"), pauseImage, cniBinDir, n.cniConfDir(),
		filepath.Join(n.state, "runc"), n.registryHosts())
}

// cniConfig is the pod network: Debian's bridge plugin on cni0 with host-local addresses
// from the node's pod CIDR and hairpin mode (a pod reaching itself via a Service). On one
// node the bridge masquerades what leaves the pod subnet (so the host, at HostIP, sees the
// node's address); on many, kube-router does, for what leaves the whole pod network only:
// the bridge's rule would also hide a pod's address from the pods of other nodes, and a
// NetworkPolicy matches pods by their addresses.
func (n node) cniConfig(podSubnet string, masquerade bool) (string, error) {
	_, subnet, err := net.ParseCIDR(podSubnet)
	if err != nil {
		return "", fmt.Errorf("pod CIDR %q: %w", podSubnet, err)
	}
	gw := subnet.IP.To4()
	gateway := net.IPv4(gw[0], gw[1], gw[2], gw[3]+1).String()
	return fmt.Sprintf(`{
  "cniVersion": "0.4.0",
  "name": "todo-node",
  "plugins": [{
    "type": "bridge", "bridge": %q, "isGateway": true, "ipMasq": %t, "hairpinMode": true,
    "ipam": {"type": "host-local", "dataDir": %q,
      "ranges": [[{"subnet": %q, "gateway": %q}]], "routes": [{"dst": "0.0.0.0/0"}]}
  }]
}
`, bridgeName, masquerade, n.cniDataDir(), subnet.String(), gateway), nil
}

// kubeletConfig: cgroupfs (PID 1 is not systemd) under the node's own cgroup root, pod
// logs in the node's own directory (a kubelet removes every pod log directory it does not
// know, so kubelets sharing /var/log/pods delete each other's pods' logs), swap
// allowed, no host resolv.conf for pods (nothing outside may be asked), hard eviction
// thresholds low enough that a busy shared disk does not evict the test's pods, no image
// garbage collection (on a disk over 85% full the kubelet deleted the imported pause
// image, which cannot be pulled back, and every new pod then failed to get a sandbox),
// webhook authn/authz so the API server's client certificate (logs, exec, port-forward) is
// checked.
func (c *Cluster) kubeletConfig(n node, k *pki) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
cgroupRoot: %s
podLogsDir: %s
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
`, n.cgroupRoot, n.podLogsDir(), n.containerdSock(), n.ip, k.CACert, dnsService)
}

// kubeProxyConfig: iptables mode (no IPVS in this kernel). conntrack sizes and timeouts are
// left alone (0): they are host-wide sysctls a namespaced node must not touch.
func (c *Cluster) kubeProxyConfig(n node) string {
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
`, c.componentKubeconfig("kube-proxy"), podCIDR, n.name)
}

func writeFile(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o600)
}

// startContainerd starts the node's own containerd and waits for its socket. The first
// node's pod network is configured up front (its pod CIDR is the first the controller
// manager hands out); another node's once it has one (writeCNIConfig).
func (c *Cluster) startContainerd(n node) error {
	cfg := filepath.Join(c.dir, n.name+"-containerd.toml")
	if err := writeFile(cfg, n.containerdConfig()); err != nil {
		return err
	}
	if err := os.MkdirAll(n.registryHosts(), 0o700); err != nil {
		return err
	}
	if n.index == 1 {
		if err := c.writeCNIConfig(n, nodePodCIDR); err != nil {
			return err
		}
	}
	p, err := c.startOn(n, "containerd", nil, "containerd", "--config", cfg)
	if err != nil {
		return err
	}
	return waitFor(n.name+" containerd socket", 30*time.Second, p, func() error {
		cl, err := criAt(n.containerdSock())
		if err == nil {
			cl.close()
		}
		return err
	})
}

func (c *Cluster) writeCNIConfig(n node, podSubnet string) error {
	conf, err := n.cniConfig(podSubnet, !c.multiNode())
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(n.cniConfDir(), "10-todo-node.conflist"), conf)
}

// startNode starts the node's kubelet and kube-proxy and waits until the node is Ready.
func (c *Cluster) startNode(ctx context.Context, n node, binDir string, k *pki) error {
	if err := n.makeCgroupRoot(); err != nil {
		return fmt.Errorf("cgroup root: %w", err)
	}
	kubeletCfg := filepath.Join(c.dir, n.name+"-kubelet.yaml")
	if err := writeFile(kubeletCfg, c.kubeletConfig(n, k)); err != nil {
		return err
	}
	kubeconfig, err := c.kubeletKubeconfig(n, k)
	if err != nil {
		return err
	}
	kubelet, err := c.startOn(n, "kubelet", nil, filepath.Join(binDir, "kubelet"),
		"--config="+kubeletCfg, "--kubeconfig="+kubeconfig,
		"--hostname-override="+n.name, "--node-ip="+n.ip, "--root-dir="+n.kubeletRoot(),
		"--cert-dir="+filepath.Join(c.dir, n.name+"-kubelet-pki"), "--v=1")
	if err != nil {
		return err
	}
	proxyCfg := filepath.Join(c.dir, n.name+"-kube-proxy.yaml")
	if err := writeFile(proxyCfg, c.kubeProxyConfig(n)); err != nil {
		return err
	}
	if _, err := c.startOn(n, "kube-proxy", nil, filepath.Join(binDir, "kube-proxy"), "--config="+proxyCfg, "--v=1"); err != nil {
		return err
	}
	if n.index > 1 {
		cidr, err := c.waitPodCIDR(ctx, n, kubelet)
		if err != nil {
			return err
		}
		if err := c.writeCNIConfig(n, cidr); err != nil {
			return err
		}
	}
	return waitFor("node "+n.name+" Ready", 2*time.Minute, kubelet, func() error {
		node, err := c.Client.CoreV1().Nodes().Get(ctx, n.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !nodeReady(node) {
			return fmt.Errorf("node not Ready yet (see %s)", kubelet.logPath)
		}
		for _, t := range node.Spec.Taints {
			if t.Key == corev1.TaintNodeNotReady {
				return fmt.Errorf("node still has the %s taint", t.Key)
			}
		}
		return nil
	})
}

// waitPodCIDR waits until the controller manager has given the registered node its pod
// CIDR, as a CNI that configures itself from the Node object does.
func (c *Cluster) waitPodCIDR(ctx context.Context, n node, kubelet *process) (string, error) {
	var cidr string
	err := waitFor("pod CIDR of "+n.name, time.Minute, kubelet, func() error {
		node, err := c.Client.CoreV1().Nodes().Get(ctx, n.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if node.Spec.PodCIDR == "" {
			return fmt.Errorf("no pod CIDR yet")
		}
		cidr = node.Spec.PodCIDR
		return nil
	})
	return cidr, err
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
