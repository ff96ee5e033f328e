//go:build cluster

package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// TestManyNodes starts the cluster with two more nodes and checks what a pod network of
// many nodes must do: every node Ready with its own address, no namespace with a route
// out (also after kube-router wrote its routes), a pod on every node reaching a pod on
// every node, and a NetworkPolicy enforced across nodes: a pod the policy admits gets
// through, another does not, and both do once the policy is gone (so the check can fail).
func TestManyNodes(t *testing.T) {
	c := StartWith(t, Options{Workers: 2})
	ctx := t.Context()
	nodes, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != 3 {
		t.Fatalf("%d nodes, want 3", len(nodes.Items))
	}
	for _, n := range c.nodes {
		if out, err := output(n.inNetns("ip", "-4", "route", "show", "default")); err != nil || out != "" {
			t.Errorf("node %s has a default route after start: %q %v", n.name, out, err)
		}
		routes, _ := output(n.inNetns("ip", "-4", "route"))
		t.Logf("%s routes: %s", n.name, strings.ReplaceAll(routes, "\n", "; "))
	}

	const ns = "many-nodes"
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	targets := map[string]string{} // node -> its web pod's address
	for _, n := range c.Nodes {
		name := "web-" + n
		serve := "mkdir -p /tmp/www && echo ok >/tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www"
		if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, helperPod(name, n, map[string]string{"app": "web"}, serve, corev1.RestartPolicyAlways), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		ip, err := podRunning(c, ns, name)
		if err != nil {
			t.Fatal(err)
		}
		targets[n] = ip
	}
	probe := func(from, label string) map[string]string {
		var script strings.Builder
		for n, ip := range targets {
			fmt.Fprintf(&script, "out=$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 %s 8080 2>&1); case \"$out\" in *200*) echo %s=ok;; *) echo %s=blocked; echo \"[$out]\" >&2;; esac; ", ip, n, n)
		}
		name := fmt.Sprintf("probe-%s-%s-%d", label, from, time.Now().UnixNano()%100000)
		out, err := runToCompletion(c, ns, helperPod(name, from, map[string]string{"role": label}, script.String(), corev1.RestartPolicyNever))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, line := range strings.Fields(out) {
			if k, v, ok := strings.Cut(line, "="); ok {
				got[k] = v
			}
		}
		if strings.Contains(out, "blocked") {
			t.Logf("%s: %s", name, strings.ReplaceAll(strings.TrimSpace(out), "\n", " | "))
		}
		return got
	}
	expect := func(what, from, label, want string) {
		t.Helper()
		var got map[string]string
		// kube-router applies a policy change within a sync; allow it a few seconds.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Second) {
			got = probe(from, label)
			ok := len(got) == len(targets)
			for _, v := range got {
				ok = ok && v == want
			}
			if ok || time.Now().After(deadline) {
				break
			}
		}
		for n := range targets {
			if got[n] != want {
				t.Errorf("%s: a %s pod on %s -> the web pod on %s: %s, want %s", what, label, from, n, got[n], want)
			}
		}
	}
	for _, from := range c.Nodes {
		expect("no policy", from, "any", "ok")
	}

	policy := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "web-from-allowed"}, Spec: networkingv1.NetworkPolicySpec{
		PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		Ingress: []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": "allowed"}}}},
			Ports: []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(8080))}},
		}},
	}}
	if _, err := c.Client.NetworkingV1().NetworkPolicies(ns).Create(ctx, policy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// From every node: a pod's address must reach the other nodes unchanged (no
	// masquerade between pod subnets), or the policy could not admit it.
	for _, from := range c.Nodes {
		expect("policy", from, "allowed", "ok")
	}
	expect("policy", c.Nodes[2], "other", "blocked")
	if err := c.Client.NetworkingV1().NetworkPolicies(ns).Delete(ctx, policy.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("policy removed", c.Nodes[2], "other", "ok")
}

// helperPod runs script with sh in the node's busybox image (on every node) on node.
func helperPod(name, node string, labels map[string]string, script string, restart corev1.RestartPolicy) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{NodeName: node, RestartPolicy: restart, TerminationGracePeriodSeconds: ptr.To[int64](0),
			Containers: []corev1.Container{{Name: "main", Image: helperImage, ImagePullPolicy: corev1.PullNever,
				Command: []string{"sh", "-c", script}}}},
	}
}

// podRunning waits until the pod runs and returns its address.
func podRunning(c *Cluster, ns, name string) (string, error) {
	var ip string
	err := waitFor("pod "+name+" Running", time.Minute, nil, func() error {
		p, err := c.Client.CoreV1().Pods(ns).Get(c.t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" {
			return fmt.Errorf("phase %s", p.Status.Phase)
		}
		ip = p.Status.PodIP
		return nil
	})
	return ip, err
}

// runToCompletion creates the pod, waits until it has ended and returns its output.
func runToCompletion(c *Cluster, ns string, pod *corev1.Pod) (string, error) {
	ctx := c.t.Context()
	if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return "", err
	}
	defer c.Client.CoreV1().Pods(ns).Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
	if err := waitFor("pod "+pod.Name+" to end", 2*time.Minute, nil, func() error {
		p, err := c.Client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			return fmt.Errorf("phase %s", p.Status.Phase)
		}
		return nil
	}); err != nil {
		return "", err
	}
	b, err := c.Client.CoreV1().Pods(ns).GetLogs(pod.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
	return string(b), err
}
