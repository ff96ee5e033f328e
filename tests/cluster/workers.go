package cluster

import (
	"context"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func (c *Cluster) multiNode() bool { return len(c.nodes) > 1 }

// nodeNamed finds the node a process belongs to by its name ("minikube-m02-kubelet"); the
// first node's processes carry no node name.
func (c *Cluster) nodeNamed(process string) node {
	for _, n := range c.nodes[1:] {
		if strings.HasPrefix(process, n.name+"-") {
			return n
		}
	}
	return c.nodes[0]
}

// startRuntime starts a node's containerd and imports the images every node runs itself
// (pause, CoreDNS, local-path-provisioner and its helper), as a Minikube node image has
// them preloaded.
func (c *Cluster) startRuntime(ctx context.Context, n node, binDir string) error {
	if err := c.step(n.name+" containerd", func() error { return c.startContainerd(n) }); err != nil {
		return err
	}
	if err := forgetRegistryNames(ctx, n); err != nil {
		return err
	}
	return c.step(n.name+" node images", func() error { return c.importNodeImages(ctx, n, binDir) })
}

// forgetRegistryNames drops, from the node's image store (a cache kept between runs), every
// image name of a test registry (127.0.0.1:<port>/..., a port that died with its run): the
// content stays while another name holds it. Left in place, a pulled digest name would
// make the runtime report that name as a container's image (the CRI prefers a repo digest)
// where a test expects the ID of the image it built and loaded under todo-backend:v1.
func forgetRegistryNames(ctx context.Context, n node) error {
	out, err := ctr(ctx, n.containerdSock(), "images", "ls", "-q").Output()
	if err != nil {
		return fmt.Errorf("ctr images ls: %w", err)
	}
	var stale []string
	for _, name := range strings.Fields(string(out)) {
		if strings.HasPrefix(name, "127.0.0.1:") || strings.HasPrefix(name, "localhost:") {
			stale = append(stale, name)
		}
	}
	if len(stale) == 0 {
		return nil
	}
	if out, err := ctr(ctx, n.containerdSock(), append([]string{"images", "rm"}, stale...)...).CombinedOutput(); err != nil {
		return fmt.Errorf("ctr images rm %s: %v: %s", strings.Join(stale, " "), err, out)
	}
	return nil
}

// startWorkers brings the other nodes up side by side and waits until each is Ready.
func (c *Cluster) startWorkers(ctx context.Context, binDir string) error {
	if !c.multiNode() {
		return nil
	}
	var wg sync.WaitGroup
	errs := make([]error, len(c.nodes))
	for i, n := range c.nodes[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.startRuntime(ctx, n, binDir); err != nil {
				errs[i] = err
				return
			}
			errs[i] = c.step(n.name+" kubelet and kube-proxy", func() error { return c.startNode(ctx, n, binDir, c.keys) })
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// kube-router starts once every Node exists: it learns the other nodes' pod subnets
	// (its routes, and the set its masquerade rule skips) at start and then only every
	// routes-sync-period, so one started before a node registered would masquerade pod
	// traffic to that node's pods, and policies match pods by their addresses.
	for _, n := range c.nodes {
		if err := c.startKubeRouter(n, binDir); err != nil {
			return err
		}
	}
	return c.step("routes and pod-subnet sets of kube-router on every node", func() error { return c.waitPodRoutes(ctx) })
}

// waitPodRoutes waits until every node has a route to every other node's pod subnet
// (kube-router's iBGP sessions are up and have exchanged them).
func (c *Cluster) waitPodRoutes(ctx context.Context) error {
	list, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	return waitFor("routes between the nodes' pod subnets", 2*time.Minute, nil, func() error {
		for _, n := range c.nodes {
			routes, err := output(n.inNetns("ip", "-4", "route"))
			if err != nil {
				return err
			}
			subnets, err := output(n.inNetns("ipset", "list", "kube-router-pod-subnets"))
			if err != nil {
				return fmt.Errorf("%s: no kube-router-pod-subnets set yet: %v", n.name, err)
			}
			for _, other := range list.Items {
				if other.Name != n.name && !strings.Contains(routes, other.Spec.PodCIDR+" via ") {
					return fmt.Errorf("%s has no route to %s's pod subnet %s yet", n.name, other.Name, other.Spec.PodCIDR)
				}
				if !strings.Contains(subnets, other.Spec.PodCIDR) {
					return fmt.Errorf("%s's kube-router-pod-subnets lacks %s's %s yet", n.name, other.Name, other.Spec.PodCIDR)
				}
			}
		}
		return nil
	})
}

// kubeletKubeconfig is the node's kubelet identity: system:node:<name> in system:nodes, so
// the Node authorizer and NodeRestriction hold each kubelet to its own node.
func (c *Cluster) kubeletKubeconfig(n node, k *pki) (string, error) {
	if n.index == 1 {
		return c.componentKubeconfig("kubelet"), nil
	}
	cert, key, err := k.issue("kubelet-"+n.name, pkix.Name{CommonName: "system:node:" + n.name, Organization: []string{"system:nodes"}}, false)
	if err != nil {
		return "", err
	}
	path := filepath.Join(c.dir, n.name+"-kubelet.kubeconfig")
	return path, writeKubeconfig(k, path, "kubelet", &clientcmdapi.AuthInfo{ClientCertificate: cert, ClientKey: key})
}

// kube-router's identity and the access its daemonset grants it upstream
// (daemonset/generic-kuberouter-all-features.yaml of v2.1.0): read nodes, pods, namespaces,
// services, endpoints and network policies.
const kubeRouterUser = "system:kube-router"

func (c *Cluster) kubeRouterAccess() error {
	if !c.multiNode() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	read := []string{"get", "list", "watch"}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kube-router"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"namespaces", "pods", "services", "nodes", "endpoints"}, Verbs: read},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"}, Verbs: read},
		{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: read},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update"}},
		{APIGroups: []string{""}, Resources: []string{"services/status"}, Verbs: []string{"update"}},
	}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "kube-router"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "kube-router"},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: kubeRouterUser}}}
	if _, err := c.Client.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	if _, err := c.Client.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// startKubeRouter runs kube-router on the node as k3s runs its policy controller beside
// another CNI, here with its router too: the CNI bridge plugin gives pods their addresses
// (the config this harness writes), kube-router announces each node's pod subnet to the
// others over iBGP and installs the routes (all nodes share one L2 segment, so no
// overlay), masquerades only what leaves the pod network, and enforces NetworkPolicies
// with iptables and ipsets; Services stay kube-proxy's.
//
// It runs in a mount namespace of its own whose /etc/iproute2/rt_tables is a private
// copy: kube-router adds its routing table's name to that file at start, and the host's
// must not change.
func (c *Cluster) startKubeRouter(n node, binDir string) error {
	rtTables := filepath.Join(c.dir, n.name+"-rt_tables")
	base, err := os.ReadFile("/etc/iproute2/rt_tables")
	if err != nil {
		return err
	}
	if err := os.WriteFile(rtTables, base, 0o644); err != nil {
		return err
	}
	args := []string{
		"--kubeconfig=" + c.componentKubeconfig("kube-router"), "--hostname-override=" + n.name,
		"--run-router=true", "--run-firewall=true", "--run-service-proxy=false",
		"--enable-cni=false", "--enable-overlay=false", "--enable-pod-egress=true",
		"--bgp-graceful-restart=false", "--metrics-port=0", "--health-port=20244", "--v=1",
	}
	script := `mount --make-rprivate / && mount --bind "$0" /etc/iproute2/rt_tables && exec "$@"`
	argv := append([]string{"unshare", "--mount", "--", "sh", "-c", script, rtTables, filepath.Join(binDir, "kube-router")}, args...)
	p, err := c.startOn(n, "kube-router", nil, argv[0], argv[1:]...)
	if err != nil {
		return err
	}
	time.Sleep(time.Second)
	if p.exited() {
		return fmt.Errorf("kube-router on %s exited at start: %v (log: %s)", n.name, p.err, p.logPath)
	}
	return nil
}

// Disconnect cuts a node's link to the cluster's network, as a pulled cable or a dead
// host does: its processes and pods keep running but nothing reaches it and it reaches
// nothing (its kubelet stops reporting; the control plane finds out by the missed
// heartbeats). Reconnect puts the link back.
func (c *Cluster) Disconnect(nodeName string) error { return c.setLink(nodeName, "down") }

// Reconnect undoes Disconnect: it puts the link back and returns once every node routes to
// every pod subnet again (kube-router withdraws a lost peer's routes when its BGP session
// times out), so what follows starts from a whole network.
func (c *Cluster) Reconnect(nodeName string) error {
	if err := c.setLink(nodeName, "up"); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return c.waitPodRoutes(ctx)
}

func (c *Cluster) setLink(nodeName, state string) error {
	for _, n := range c.nodes {
		if n.name == nodeName {
			if n.index == 1 {
				return fmt.Errorf("%s runs the control plane: disconnect a worker", nodeName)
			}
			return run("ip", "-n", lanNetns, "link", "set", n.lanPort, state)
		}
	}
	return fmt.Errorf("no node %q (nodes: %s)", nodeName, strings.Join(c.Nodes, ", "))
}
