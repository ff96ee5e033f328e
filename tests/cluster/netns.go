package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// The node's network. The whole cluster (etcd, the control plane, containerd, kubelet,
// kube-proxy and every pod) lives in one network namespace of its own whose only link is a
// veth pair to the host, and whose routing table has no default route: a packet from a
// pod, or to a Service IP kube-proxy has not translated, to anything but the host's end of
// that pair or the pods themselves finds no route and is refused at once (ENETUNREACH).
// This holds from the first instant, before kube-proxy or any guard rule exists.
const (
	netnsName   = "todo-node"
	netnsPath   = "/run/netns/" + netnsName
	hostVeth    = "todonode0"  // host end of the veth pair
	nodeVeth    = "eth0"       // the node's end, inside the namespace
	HostIP      = "10.215.0.1" // the host as pods see it (an external database listens here)
	NodeIP      = "10.215.0.2" // the node's InternalIP: API server, kubelet, NodePorts
	linkPrefix  = "/30"        // just the two ends
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

// inNetns returns the argv that runs argv inside the node's network namespace. nsenter
// enters only the network namespace (ip netns exec would also give the process a private
// mount namespace, and containerd, runc and the kubelet must see each other's mounts).
func inNetns(argv ...string) []string {
	return append([]string{"nsenter", "--net=" + netnsPath, "--"}, argv...)
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

// createNetns makes the namespace, the veth pair and the node's addresses and routes, and
// sets the namespace's sysctls: forwarding on (the node routes for its pods), IPv6 off
// (the pod network is IPv4 only; no IPv6 route may exist at all), bridged traffic through
// iptables (so Service replies between pods on the one bridge are un-NATed).
func createNetns() error {
	steps := [][]string{
		{"ip", "netns", "add", netnsName},
		{"ip", "link", "add", hostVeth, "type", "veth", "peer", "name", nodeVeth, "netns", netnsName},
		{"ip", "addr", "add", HostIP + linkPrefix, "dev", hostVeth},
		{"ip", "link", "set", hostVeth, "up"},
		inNetns("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1",
			"net.ipv4.ip_forward=1", "net.bridge.bridge-nf-call-iptables=1"),
		inNetns("ip", "link", "set", "lo", "up"),
		inNetns("ip", "addr", "add", NodeIP+linkPrefix, "dev", nodeVeth),
		inNetns("ip", "link", "set", nodeVeth, "up"),
	}
	for _, s := range steps {
		if err := run(s[0], s[1:]...); err != nil {
			return err
		}
	}
	// No-route-out is the safety property: prove it rather than assume it.
	out, err := output(inNetns("ip", "-4", "route", "show", "default"))
	if err != nil || out != "" {
		return fmt.Errorf("node namespace has a default route (%q, %v): refusing to start pods", out, err)
	}
	return nil
}

// deleteNetns removes the namespace (and with it the veth pair, the CNI bridge, every
// iptables rule kube-proxy and the CNI plugins wrote, and every address) and the host's
// end of the pair if it somehow survived. Idempotent.
func deleteNetns() error {
	var errs []string
	if _, err := os.Stat(netnsPath); err == nil {
		if err := run("ip", "netns", "delete", netnsName); err != nil {
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
