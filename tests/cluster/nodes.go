package cluster

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// node is one Kubernetes node of the test cluster: a network namespace of its own (linked
// to the others only through the cluster's switch), its own containerd, kubelet and
// kube-proxy, state directories, containerd store and cgroup root. The first node also runs
// the control plane (as Minikube's does); the others are workers named as Minikube names
// them (minikube-m02, minikube-m03, ...).
type node struct {
	index      int    // 1 for the control-plane node
	name       string // the Node object's name
	netns      string // /run/netns/<netns>
	ip         string // its InternalIP on the cluster's network
	lanPort    string // its port on the switch (the veth end inside lanNetns)
	state      string // sockets, CNI config, containerd state
	data       string // kubelet, CNI leases
	cgroupRoot string // the kubelet's --cgroup-root: "/" for the first node, its own for the others
}

// maxNodes bounds the cluster: the addresses below and the switch's port names assume it.
const maxNodes = 9

// newNode describes node i (1-based). The first node keeps the one-node cluster's fixed
// names and addresses; each other node lives under the first one's directories, so the
// teardown and its leftovers check find every node by the same prefixes.
func newNode(i int) node {
	if i == 1 {
		return node{index: 1, name: NodeName, netns: netnsName, ip: NodeIP, lanPort: "m01",
			state: stateDir, data: dataDir, cgroupRoot: "/"}
	}
	suffix := fmt.Sprintf("m%02d", i)
	return node{index: i, name: NodeName + "-" + suffix, netns: netnsName + "-" + suffix,
		ip: nodeAddress(i), lanPort: suffix,
		state: filepath.Join(stateDir, suffix), data: filepath.Join(dataDir, suffix),
		cgroupRoot: "/" + netnsName + "-" + suffix}
}

// nodeAddress is node i's address on the cluster's network: 10.215.0.(i+1), the host
// being 10.215.0.1.
func nodeAddress(i int) string {
	ip := net.ParseIP(HostIP).To4()
	return net.IPv4(ip[0], ip[1], ip[2], ip[3]+byte(i)).String()
}

func (n node) netnsPath() string       { return "/run/netns/" + n.netns }
func (n node) containerdSock() string  { return filepath.Join(n.state, "containerd", "containerd.sock") }
func (n node) containerdState() string { return filepath.Join(n.state, "containerd") }
func (n node) kubeletRoot() string     { return filepath.Join(n.data, "kubelet") }
func (n node) cniConfDir() string      { return filepath.Join(n.state, "cni") }
func (n node) cniDataDir() string      { return filepath.Join(n.data, "cni") }
func (n node) registryHosts() string   { return filepath.Join(n.state, "certs.d") }

// podLogsDir is where the kubelet keeps its pods' logs: the usual /var/log/pods on the first
// node, the node's own directory on the others.
func (n node) podLogsDir() string {
	if n.index == 1 {
		return "/var/log/pods"
	}
	return filepath.Join(n.data, "pod-logs")
}

// containerdRoot is the node's image and snapshot store: a cache kept between runs (in
// $TODO_CACHE, outside the repository), like the Docker engine's data root, so an image the
// node already holds under the same ID is not imported again. Nothing in it is mounted or
// running once the node is down. Every node has its own (the first one's name is a prefix
// of the others', so the mounts check covers them all).
func (n node) containerdRoot() string {
	cache := os.Getenv("TODO_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "todo-chatbot")
	}
	root := filepath.Join(cache, "node-containerd")
	if n.index > 1 {
		root += "-" + strings.TrimPrefix(n.name, NodeName+"-")
	}
	return root
}

// inNetns returns the argv that runs argv inside the node's network namespace. nsenter
// enters only the network namespace (ip netns exec would also give the process a private
// mount namespace, and containerd, runc and the kubelet must see each other's mounts).
func (n node) inNetns(argv ...string) []string {
	return append([]string{"nsenter", "--net=" + n.netnsPath(), "--"}, argv...)
}

// makeCgroupRoot creates the node's cgroup root in every hierarchy (the kubelet refuses a
// --cgroup-root that does not exist). A cpuset cgroup starts with no CPUs and memory
// nodes in cgroup v1, so those are copied from the parent. Each node's kubelet owns the
// kubepods tree under its own root: two kubelets sharing one would each remove the other's
// pods as orphans.
func (n node) makeCgroupRoot() error {
	if n.cgroupRoot == "/" {
		return nil
	}
	for _, root := range cgroupRoots() {
		dir := filepath.Join(root, n.cgroupRoot)
		if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
			return err
		}
		if filepath.Base(root) == "cpuset" {
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				b, err := os.ReadFile(filepath.Join(root, f))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
					return fmt.Errorf("%s: %w", filepath.Join(dir, f), err)
				}
			}
		}
	}
	return nil
}
