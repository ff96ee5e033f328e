package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// The cluster's network. Every node (etcd and the control plane on the first; containerd,
// kubelet, kube-proxy and every pod on each) lives in a network namespace of its own whose
// only link is a veth to the cluster's switch: a bridge in a namespace of its own
// (lanNetns) with no address and no route, where the host's end of the network
// (todonode0, HostIP) is plugged in too. No routing table on the way has a default route:
// a packet from a pod, or to a Service IP kube-proxy has not translated, to anything but the
// host's address, another node or the pods themselves finds no route and is refused at once
// (ENETUNREACH). The host's own FORWARD policy (DROP here) never sees the nodes' traffic to
// each other: it is bridged in lanNetns, not routed by the host.
const (
	netnsName   = "todo-node"
	netnsPath   = "/run/netns/" + netnsName
	lanNetns    = "todo-lan"   // the switch's namespace
	lanBridge   = "lan0"       // the switch, inside lanNetns
	lanHostPort = "host"       // the host's port on the switch
	hostVeth    = "todonode0"  // the host's end of its link to the switch
	nodeVeth    = "eth0"       // a node's end of its link, inside its namespace
	HostIP      = "10.215.0.1" // the host as pods see it (an external database listens here)
	NodeIP      = "10.215.0.2" // the first node's InternalIP: API server, kubelet, NodePorts
	LANCIDR     = "10.215.0.0/24"
	linkPrefix  = "/24"
	podCIDR     = "10.244.0.0/16"
	nodePodCIDR = "10.244.0.0/24" // what kube-controller-manager assigns the first node
	podGateway  = "10.244.0.1"
	bridgeName  = "cni0"
	serviceCIDR = "10.96.0.0/16"
	apiService  = "10.96.0.1"
	dnsService  = "10.96.0.10"
)

// run runs a command and returns its combined output in the error.
func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// output runs argv and returns its trimmed stdout.
func output(argv []string) (string, error) {
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	return strings.TrimSpace(string(out)), err
}

// inNodeNetns runs f on an OS thread switched into the node's network namespace, for a
// dial to something that listens only there (etcd on the namespace's loopback).
func inNodeNetns(f func() error) error {
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer self.Close()
	ns, err := os.Open(netnsPath)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer ns.Close()
	if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	ferr := f()
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		return err // the thread stays locked and dies with its goroutine: never reused in the wrong namespace
	}
	runtime.UnlockOSThread()
	return ferr
}

// createLAN makes the cluster's switch and plugs the host into it (HostIP).
func createLAN() error {
	inLAN := func(argv ...string) []string { return append([]string{"ip", "netns", "exec", lanNetns}, argv...) }
	return runAll([][]string{
		{"ip", "netns", "add", lanNetns},
		inLAN("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"),
		inLAN("ip", "link", "add", lanBridge, "type", "bridge"),
		inLAN("ip", "link", "set", lanBridge, "up"),
		{"ip", "link", "add", hostVeth, "type", "veth", "peer", "name", lanHostPort, "netns", lanNetns},
		inLAN("ip", "link", "set", lanHostPort, "master", lanBridge, "up"),
		{"ip", "addr", "add", HostIP + linkPrefix, "dev", hostVeth},
		{"ip", "link", "set", hostVeth, "up"},
	})
}

// createNetns makes the node's namespace and its link to the switch, and sets the
// namespace's sysctls: forwarding on (the node routes for its pods), IPv6 off (the pod
// network is IPv4 only; no IPv6 route may exist at all), bridged traffic through iptables
// (so Service replies between pods on one bridge are un-NATed, and policies see it).
func (n node) createNetns() error {
	if err := runAll([][]string{
		{"ip", "netns", "add", n.netns},
		{"ip", "-n", lanNetns, "link", "add", n.lanPort, "type", "veth", "peer", "name", nodeVeth, "netns", n.netns},
		{"ip", "-n", lanNetns, "link", "set", n.lanPort, "master", lanBridge, "up"},
		n.inNetns("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1",
			"net.ipv4.ip_forward=1", "net.bridge.bridge-nf-call-iptables=1"),
		n.inNetns("ip", "link", "set", "lo", "up"),
		n.inNetns("ip", "addr", "add", n.ip+linkPrefix, "dev", nodeVeth),
		n.inNetns("ip", "link", "set", nodeVeth, "up"),
	}); err != nil {
		return err
	}
	// No-route-out is the safety property: prove it rather than assume it.
	out, err := output(n.inNetns("ip", "-4", "route", "show", "default"))
	if err != nil || out != "" {
		return fmt.Errorf("node namespace %s has a default route (%q, %v): refusing to start pods", n.netns, out, err)
	}
	return nil
}

func runAll(steps [][]string) error {
	for _, s := range steps {
		if err := run(s[0], s[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// nodeNetnses lists the namespaces of the nodes and the switch that exist now.
func nodeNetnses() []string {
	var out []string
	for _, pattern := range []string{netnsPath, netnsPath + "-*", "/run/netns/" + lanNetns} {
		found, _ := filepath.Glob(pattern)
		out = append(out, found...)
	}
	return out
}

// deleteNetns removes every node's namespace and the switch's (and with them every veth,
// CNI bridge, iptables rule, ipset and address in them) and the host's end of its link if
// it somehow survived. Idempotent.
func deleteNetns() error {
	var errs []string
	for _, path := range nodeNetnses() {
		if err := run("ip", "netns", "delete", filepath.Base(path)); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if err := exec.Command("ip", "link", "show", hostVeth).Run(); err == nil {
		if err := run("ip", "link", "delete", hostVeth); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}
