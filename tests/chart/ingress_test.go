package chart

import (
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// TestIngress: off by default; on, one networking.k8s.io/v1 Ingress whose every path goes
// to the frontend Service's http port, with the class, annotations and TLS asked for, and
// NOTES that give the URL through it.
func TestIngress(t *testing.T) {
	vals := programValues(t, nil)
	if n := len(all[*networkingv1.Ingress](mustRender(t, vals, values.Options{}))); n != 0 {
		t.Fatalf("%d Ingresses rendered by default, want none", n)
	}

	t.Run("chart defaults", func(t *testing.T) {
		r := mustRender(t, vals, values.Options{Values: []string{"ingress.enabled=true"}})
		ing := find[*networkingv1.Ingress](t, r, "todo-chatbot")
		if ing.Spec.IngressClassName != nil || len(ing.Spec.TLS) != 0 || len(ing.Annotations) != 0 {
			t.Errorf("class %v, tls %v, annotations %v: want none of them by default", ing.Spec.IngressClassName, ing.Spec.TLS, ing.Annotations)
		}
		checkIngressBackends(t, r, ing, map[string][]string{"todo-chatbot.local": {"/"}})
		if !strings.Contains(r.Notes, "http://todo-chatbot.local/") {
			t.Errorf("NOTES do not give the URL through the Ingress:\n%s", r.Notes)
		}
	})

	t.Run("hosts, class, TLS and annotations", func(t *testing.T) {
		r := mustRender(t, vals, values.Options{JSONValues: []string{
			`ingress={"enabled":true,"className":"nginx","annotations":{"cert-manager.io/cluster-issuer":"letsencrypt"},` +
				`"hosts":[{"host":"todo.example.com","paths":[{"path":"/","pathType":"Prefix"}]},` +
				`{"host":"chat.example.com","paths":[{"path":"/app","pathType":"Prefix"},{"path":"/exact","pathType":"Exact"}]}],` +
				`"tls":[{"secretName":"todo-tls","hosts":["todo.example.com"]}]}`,
		}})
		ing := find[*networkingv1.Ingress](t, r, "todo-chatbot")
		if c := ing.Spec.IngressClassName; c == nil || *c != "nginx" {
			t.Errorf("ingressClassName %v, want nginx", c)
		}
		if got := ing.Annotations["cert-manager.io/cluster-issuer"]; got != "letsencrypt" {
			t.Errorf("annotations %v, want the cert-manager issuer", ing.Annotations)
		}
		if len(ing.Spec.TLS) != 1 || ing.Spec.TLS[0].SecretName != "todo-tls" || strings.Join(ing.Spec.TLS[0].Hosts, ",") != "todo.example.com" {
			t.Errorf("tls %+v, want todo-tls for todo.example.com", ing.Spec.TLS)
		}
		checkIngressBackends(t, r, ing, map[string][]string{"todo.example.com": {"/"}, "chat.example.com": {"/app", "/exact"}})
		for _, want := range []string{"https://todo.example.com/", "http://chat.example.com/app", "class nginx"} {
			if !strings.Contains(r.Notes, want) {
				t.Errorf("NOTES lack %q:\n%s", want, r.Notes)
			}
		}
		if strings.Contains(r.Notes, "https://chat.example.com") {
			t.Errorf("NOTES offer HTTPS for a host without TLS:\n%s", r.Notes)
		}
	})

	t.Run("what the Pulumi program sends for ingressHost", func(t *testing.T) {
		r := mustRender(t, programValues(t, map[string]string{"ingressHost": "todo.example.com", "ingressClassName": "traefik",
			"ingressCertificate": "todo-tls"}), values.Options{})
		ing := find[*networkingv1.Ingress](t, r, "todo-chatbot")
		if c := ing.Spec.IngressClassName; c == nil || *c != "traefik" {
			t.Errorf("ingressClassName %v, want traefik", c)
		}
		if len(ing.Spec.TLS) != 1 || ing.Spec.TLS[0].SecretName != "todo-tls" || strings.Join(ing.Spec.TLS[0].Hosts, ",") != "todo.example.com" {
			t.Errorf("tls %+v, want todo-tls for todo.example.com", ing.Spec.TLS)
		}
		checkIngressBackends(t, r, ing, map[string][]string{"todo.example.com": {"/"}})
	})
}

// checkIngressBackends: the rules are exactly these hosts and paths, each to the frontend
// Service by a port name that Service has, which leads to the frontend's http port.
func checkIngressBackends(t *testing.T, r *rendered, ing *networkingv1.Ingress, want map[string][]string) {
	t.Helper()
	svc := find[*corev1.Service](t, r, "todo-chatbot-frontend")
	got := map[string][]string{}
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			t.Fatalf("rule for %q has no http paths", rule.Host)
		}
		for _, p := range rule.HTTP.Paths {
			got[rule.Host] = append(got[rule.Host], p.Path)
			b := p.Backend.Service
			if b == nil || b.Name != svc.Name {
				t.Errorf("%s%s goes to %+v, want Service %s", rule.Host, p.Path, p.Backend, svc.Name)
				continue
			}
			if p.PathType == nil {
				t.Errorf("%s%s has no pathType", rule.Host, p.Path)
			}
			found := false
			for _, port := range svc.Spec.Ports {
				if port.Name == b.Port.Name && port.TargetPort.String() == "http" {
					found = true
				}
			}
			if !found {
				t.Errorf("%s%s goes to port %+v, which is not the frontend Service's port to http (%+v)", rule.Host, p.Path, b.Port, svc.Spec.Ports)
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("rules %v, want %v", got, want)
	}
	for host, paths := range want {
		if strings.Join(got[host], " ") != strings.Join(paths, " ") {
			t.Errorf("host %q paths %v, want %v", host, got[host], paths)
		}
	}
}
