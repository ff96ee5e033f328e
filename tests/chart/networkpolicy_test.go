package chart

import (
	"net"
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// endpoint is one end of a connection: a pod of the release (labels and named ports from its
// rendered template), a pod of another namespace, or an address outside the cluster.
type endpoint struct {
	name      string
	labels    labels.Set       // nil: not a pod
	namespace string           // the pod's namespace
	ip        net.IP           // for ipBlock peers
	ports     map[string]int32 // the pod's named container ports
}

// Addresses that are not pods of the release. DNS is a CoreDNS pod in kube-system.
var (
	userOutside = endpoint{name: "a browser outside the cluster", ip: net.ParseIP("192.0.2.10")}
	clusterDNS  = endpoint{name: "cluster DNS", ip: net.ParseIP("10.244.0.2")}
	geminiAPI   = endpoint{name: "the Gemini API", ip: net.ParseIP("203.0.113.5")}
	externalDB  = endpoint{name: "an external PostgreSQL", ip: net.ParseIP("198.51.100.7")}
	// Pods of other namespaces: the ingress controllers the chart admits by default, a
	// Prometheus, and a pod that is neither.
	ingressNginx = endpoint{name: "ingress-nginx controller", namespace: "ingress-nginx", ip: net.ParseIP("10.244.2.1"),
		labels: labels.Set{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}}
	traefik = endpoint{name: "traefik controller", namespace: "traefik", ip: net.ParseIP("10.244.2.2"),
		labels: labels.Set{"app.kubernetes.io/name": "traefik"}}
	prometheus = endpoint{name: "prometheus", namespace: "monitoring", ip: net.ParseIP("10.244.2.3"),
		labels: labels.Set{"app.kubernetes.io/name": "prometheus"}}
	otherPod = endpoint{name: "another namespace's pod", namespace: "shop", ip: net.ParseIP("10.244.2.4"),
		labels: labels.Set{"app.kubernetes.io/name": "shop"}}
)

// namespaceLabels are the labels Kubernetes gives every namespace.
func (e endpoint) namespaceLabels() labels.Set {
	return labels.Set{"kubernetes.io/metadata.name": e.namespace}
}

// releasePods returns the release's pods as endpoints, keyed by component label.
func releasePods(t *testing.T, r *rendered) map[string]endpoint {
	t.Helper()
	out := map[string]endpoint{}
	for _, p := range podTemplates(r) {
		ports := map[string]int32{}
		for _, c := range p.Spec.Containers {
			for _, port := range c.Ports {
				ports[port.Name] = port.ContainerPort
			}
		}
		out[p.Meta.Labels["app.kubernetes.io/component"]] = endpoint{name: p.Owner, labels: p.Meta.Labels, namespace: namespace,
			ip: net.ParseIP("10.244.1.1"), ports: ports}
	}
	return out
}

// netpolAllows evaluates the rendered NetworkPolicies as an enforcing CNI does: the
// connection must pass the source pod's egress policies (if any select it) and the
// destination pod's ingress policies (if any select it).
func netpolAllows(t *testing.T, r *rendered, from, to endpoint, port int32, proto corev1.Protocol) bool {
	t.Helper()
	egressOK, ingressOK := true, true
	if from.namespace == namespace {
		if rules, isolated := egressRules(t, r, from); isolated {
			egressOK = false
			for _, rule := range rules {
				if peersMatch(t, rule.To, to) && portsMatch(rule.Ports, to, port, proto) {
					egressOK = true
				}
			}
		}
	}
	if to.namespace == namespace {
		if rules, isolated := ingressRules(t, r, to); isolated {
			ingressOK = false
			for _, rule := range rules {
				if peersMatch(t, rule.From, from) && portsMatch(rule.Ports, to, port, proto) {
					ingressOK = true
				}
			}
		}
	}
	return egressOK && ingressOK
}

func selecting(t *testing.T, r *rendered, pod endpoint, policyType networkingv1.PolicyType) []*networkingv1.NetworkPolicy {
	var out []*networkingv1.NetworkPolicy
	for _, np := range all[*networkingv1.NetworkPolicy](r) {
		if !selector(t, &np.Spec.PodSelector).Matches(pod.labels) {
			continue
		}
		for _, pt := range np.Spec.PolicyTypes {
			if pt == policyType {
				out = append(out, np)
			}
		}
	}
	return out
}

func egressRules(t *testing.T, r *rendered, pod endpoint) (rules []networkingv1.NetworkPolicyEgressRule, isolated bool) {
	for _, np := range selecting(t, r, pod, networkingv1.PolicyTypeEgress) {
		rules, isolated = append(rules, np.Spec.Egress...), true
	}
	return rules, isolated
}

func ingressRules(t *testing.T, r *rendered, pod endpoint) (rules []networkingv1.NetworkPolicyIngressRule, isolated bool) {
	for _, np := range selecting(t, r, pod, networkingv1.PolicyTypeIngress) {
		rules, isolated = append(rules, np.Spec.Ingress...), true
	}
	return rules, isolated
}

// peersMatch: no peers means everyone; a podSelector without namespaceSelector means pods of
// the policy's own namespace; a namespaceSelector pods of the namespaces it selects (all of
// them, or those its podSelector selects); an ipBlock matches addresses in its CIDR but not
// its except.
func peersMatch(t *testing.T, peers []networkingv1.NetworkPolicyPeer, e endpoint) bool {
	if len(peers) == 0 {
		return true
	}
	for _, p := range peers {
		switch {
		case p.PodSelector != nil && p.NamespaceSelector == nil:
			if e.labels != nil && e.namespace == namespace && selector(t, p.PodSelector).Matches(e.labels) {
				return true
			}
		case p.NamespaceSelector != nil:
			if e.labels != nil && selector(t, p.NamespaceSelector).Matches(e.namespaceLabels()) &&
				(p.PodSelector == nil || selector(t, p.PodSelector).Matches(e.labels)) {
				return true
			}
		case p.IPBlock != nil:
			_, cidr, err := net.ParseCIDR(p.IPBlock.CIDR)
			if err != nil {
				t.Fatalf("ipBlock %q: %v", p.IPBlock.CIDR, err)
			}
			if cidr.Contains(e.ip) && !inAny(t, p.IPBlock.Except, e.ip) {
				return true
			}
		default:
			t.Fatalf("peer %+v: the test's evaluator knows podSelector, namespaceSelector and ipBlock peers only", p)
		}
	}
	return false
}

func inAny(t *testing.T, cidrs []string, ip net.IP) bool {
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			t.Fatalf("except %q: %v", c, err)
		}
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// portsMatch: no ports means all; a named port is the destination pod's port of that name.
func portsMatch(ports []networkingv1.NetworkPolicyPort, to endpoint, port int32, proto corev1.Protocol) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		protocol := corev1.ProtocolTCP
		if p.Protocol != nil {
			protocol = *p.Protocol
		}
		if protocol != proto {
			continue
		}
		switch {
		case p.Port == nil:
			return true
		case p.Port.StrVal != "":
			if n, ok := to.ports[p.Port.StrVal]; ok && n == port {
				return true
			}
		case p.Port.IntVal == port, p.EndPort != nil && p.Port.IntVal <= port && port <= *p.EndPort:
			return true
		}
	}
	return false
}

func selector(t *testing.T, s *metav1.LabelSelector) labels.Selector {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

// checkNetworkPolicyCoverage: every pod the chart creates (the `helm test` pod included) is
// selected by a policy of each type, and every policy selects one of the release's pods.
func checkNetworkPolicyCoverage(t *testing.T, r *rendered) {
	pods := releasePods(t, r)
	for _, pod := range pods {
		for _, pt := range []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress} {
			if len(selecting(t, r, pod, pt)) == 0 {
				t.Errorf("%s is selected by no NetworkPolicy of type %s", pod.name, pt)
			}
		}
	}
	for _, np := range all[*networkingv1.NetworkPolicy](r) {
		n := 0
		for _, pod := range pods {
			if selector(t, &np.Spec.PodSelector).Matches(pod.labels) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("NetworkPolicy %s selects %d kinds of the release's pods, want exactly 1", np.Name, n)
		}
	}
}

type flow struct {
	from, to string // component labels, or an outside endpoint's name
	port     int32
	proto    corev1.Protocol
	allowed  bool
}

func checkFlows(t *testing.T, r *rendered, flows []flow) {
	t.Helper()
	pods := releasePods(t, r)
	outside := map[string]endpoint{}
	for _, e := range []endpoint{userOutside, clusterDNS, geminiAPI, externalDB, ingressNginx, traefik, prometheus, otherPod} {
		outside[e.name] = e
	}
	resolve := func(name string) endpoint {
		if e, ok := pods[name]; ok {
			return e
		}
		if e, ok := outside[name]; ok {
			return e
		}
		t.Fatalf("no pod or address %q rendered (pods: %v)", name, keys(pods))
		return endpoint{}
	}
	for _, f := range flows {
		proto := f.proto
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		if got := netpolAllows(t, r, resolve(f.from), resolve(f.to), f.port, proto); got != f.allowed {
			t.Errorf("%s -> %s port %d/%s: allowed=%v, want %v", f.from, f.to, f.port, proto, got, f.allowed)
		}
	}
}

// TestNetworkPolicy: on by default; every pod isolated both ways with exactly the flows the
// app needs (DNS for whoever resolves names), with the in-cluster and an external database.
func TestNetworkPolicy(t *testing.T) {
	vals := programValues(t, nil)
	r := mustRender(t, vals, values.Options{})
	if n := len(all[*networkingv1.NetworkPolicy](r)); n != 4 {
		t.Fatalf("%d NetworkPolicies rendered by default, want 4 (frontend, backend, postgresql, test): %v", n, r.names())
	}
	checkNetworkPolicyCoverage(t, r)
	dns := func(from string, allowed bool) []flow {
		return []flow{{from, clusterDNS.name, 53, corev1.ProtocolUDP, allowed}, {from, clusterDNS.name, 53, corev1.ProtocolTCP, allowed}}
	}
	flows := []flow{
		{userOutside.name, "frontend", 3000, "", true},
		{userOutside.name, "backend", 8000, "", false},
		{userOutside.name, "postgresql", 5432, "", false},
		{"frontend", "backend", 8000, "", true},
		{"frontend", "postgresql", 5432, "", false},
		{"frontend", geminiAPI.name, 443, "", false},
		{"backend", "postgresql", 5432, "", true},
		{"backend", "frontend", 3000, "", false},
		{"backend", "backend", 8000, "", false},
		{"backend", geminiAPI.name, 443, "", true},
		{"backend", externalDB.name, 5432, "", false},
		{"postgresql", "backend", 8000, "", false},
		{"postgresql", geminiAPI.name, 443, "", false},
		{"test", "frontend", 3000, "", true},
		{"test", "backend", 8000, "", false},
		{"test", "postgresql", 5432, "", false},
		{"test", geminiAPI.name, 443, "", false},
		{"frontend", "test", 8080, "", false},
		// Without the Ingress anyone reaches the frontend's http port (NodePort, any
		// controller); the metrics ports nobody until metrics.allowedFrom lists a scraper.
		{ingressNginx.name, "frontend", 3000, "", true},
		{otherPod.name, "frontend", 3000, "", true},
		{userOutside.name, "frontend", 9090, "", false},
		{userOutside.name, "backend", 9090, "", false},
		{prometheus.name, "frontend", 9090, "", false},
		{prometheus.name, "backend", 9090, "", false},
		{"frontend", "backend", 9090, "", false},
		{"test", "frontend", 9090, "", false},
	}
	flows = append(flows, dns("frontend", true)...)
	flows = append(flows, dns("backend", true)...)
	flows = append(flows, dns("test", true)...)
	flows = append(flows, dns("postgresql", false)...)
	checkFlows(t, r, flows)

	t.Run("external database on its URL's port", func(t *testing.T) {
		ext := programValues(t, map[string]string{"databaseUrl": "postgresql://todo:" + fakeDBPassword + "@db.example.com:6543/todo?sslmode=require"})
		r := mustRender(t, ext, values.Options{})
		checkNetworkPolicyCoverage(t, r)
		checkFlows(t, r, []flow{
			{"backend", externalDB.name, 6543, "", true},
			{"backend", externalDB.name, 5432, "", false},
			{"frontend", externalDB.name, 6543, "", false},
		})
		r = mustRender(t, ext, values.Options{Values: []string{"networkPolicy.externalDatabasePort=7000"}})
		checkFlows(t, r, []flow{{"backend", externalDB.name, 7000, "", true}, {"backend", externalDB.name, 6543, "", false}})
		// No port in the URL: PostgreSQL's default.
		ext = programValues(t, map[string]string{"databaseUrl": "postgresql://todo:6543@db.example.com/todo"})
		r = mustRender(t, ext, values.Options{})
		checkFlows(t, r, []flow{{"backend", externalDB.name, 5432, "", true}, {"backend", externalDB.name, 6543, "", false}})
	})
	t.Run("backend egress restricted by the user", func(t *testing.T) {
		r := mustRender(t, vals, values.Options{JSONValues: []string{
			`networkPolicy.backendExtraEgress=[{"to":[{"ipBlock":{"cidr":"203.0.113.0/24"}}],"ports":[{"port":443,"protocol":"TCP"}]}]`}})
		checkFlows(t, r, []flow{
			{"backend", geminiAPI.name, 443, "", true},
			{"backend", userOutside.name, 443, "", false},
		})
	})
	t.Run("ingress on: only the controller and the helm test pod reach the frontend", func(t *testing.T) {
		r := mustRender(t, vals, values.Options{Values: []string{"ingress.enabled=true"}})
		checkNetworkPolicyCoverage(t, r)
		checkFlows(t, r, []flow{
			{ingressNginx.name, "frontend", 3000, "", true},
			{traefik.name, "frontend", 3000, "", true},
			{"test", "frontend", 3000, "", true},
			{userOutside.name, "frontend", 3000, "", false},
			{otherPod.name, "frontend", 3000, "", false},
			{ingressNginx.name, "frontend", 9090, "", false},
			{ingressNginx.name, "backend", 8000, "", false},
			{"frontend", "backend", 8000, "", true},
		})
		// Another controller, chosen by the user: Helm merges maps, so the default
		// podSelector goes only when set to null.
		r = mustRender(t, vals, values.Options{Values: []string{"ingress.enabled=true"}, JSONValues: []string{
			`ingress.controllerSelector={"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"shop"}},"podSelector":null}`}})
		checkFlows(t, r, []flow{
			{otherPod.name, "frontend", 3000, "", true},
			{ingressNginx.name, "frontend", 3000, "", false},
			{"test", "frontend", 3000, "", true},
		})
		// Without the helm test pod, no peer for it.
		r = mustRender(t, vals, values.Options{Values: []string{"ingress.enabled=true", "tests.enabled=false"}})
		checkNetworkPolicyCoverage(t, r)
		checkFlows(t, r, []flow{{ingressNginx.name, "frontend", 3000, "", true}, {otherPod.name, "frontend", 3000, "", false}})
	})
	t.Run("metrics port from metrics.allowedFrom only", func(t *testing.T) {
		allowed := `metrics.allowedFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"monitoring"}},"podSelector":{"matchLabels":{"app.kubernetes.io/name":"prometheus"}}}]`
		for _, ingress := range []string{"false", "true"} {
			r := mustRender(t, vals, values.Options{JSONValues: []string{allowed}, Values: []string{"ingress.enabled=" + ingress}})
			checkNetworkPolicyCoverage(t, r)
			checkFlows(t, r, []flow{
				{prometheus.name, "backend", 9090, "", true},
				{prometheus.name, "frontend", 9090, "", true},
				{prometheus.name, "backend", 8000, "", false},
				{prometheus.name, "postgresql", 5432, "", false},
				{otherPod.name, "backend", 9090, "", false},
				{userOutside.name, "frontend", 9090, "", false},
				{"frontend", "backend", 9090, "", false},
			})
		}
		// Another port: the rule follows it by name.
		r := mustRender(t, vals, values.Options{JSONValues: []string{allowed}, Values: []string{"metrics.port=9100"}})
		checkFlows(t, r, []flow{{prometheus.name, "backend", 9100, "", true}, {prometheus.name, "backend", 9090, "", false}})
		// Metrics off: no listener, so no rule for one either.
		r = mustRender(t, vals, values.Options{JSONValues: []string{allowed}, Values: []string{"metrics.enabled=false"}})
		checkFlows(t, r, []flow{{prometheus.name, "backend", 9090, "", false}, {prometheus.name, "frontend", 9090, "", false}})
	})
	t.Run("off", func(t *testing.T) {
		r := mustRender(t, vals, values.Options{Values: []string{"networkPolicy.enabled=false"}})
		if n := len(all[*networkingv1.NetworkPolicy](r)); n != 0 {
			t.Errorf("networkPolicy.enabled=false still renders %d NetworkPolicies", n)
		}
	})
	t.Run("no helm test pod, no policy for it", func(t *testing.T) {
		r := mustRender(t, vals, values.Options{Values: []string{"tests.enabled=false"}})
		checkNetworkPolicyCoverage(t, r)
		if n := len(all[*networkingv1.NetworkPolicy](r)); n != 3 {
			t.Errorf("%d NetworkPolicies without the test pod, want 3: %v", n, r.names())
		}
	})
}
