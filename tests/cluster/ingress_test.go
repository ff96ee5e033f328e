//go:build cluster

package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	netv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Traefik on the node serves an Ingress over HTTPS with a certificate from a test CA,
// redirects plain HTTP, answers an unknown Host with its 404, and Prometheus (in the node's
// namespace) scrapes Traefik's own metrics through a Service's ClusterIP.
func TestIngressControllerAndPrometheus(t *testing.T) {
	c := Start(t)
	ctx := context.Background()
	tr, err := c.InstallTraefik(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const host, ns = "ping.todo.test", TraefikNamespace
	ca, err := NewTestCA(t.TempDir(), "ingress-test-ca")
	if err != nil {
		t.Fatal(err)
	}
	crt, key, err := ca.IssueServer(host)
	if err != nil {
		t.Fatal(err)
	}
	core := c.Client.CoreV1()
	if _, err := core.Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "ping-tls"},
		Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": crt, "tls.key": key}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc, err := core.Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "traefik-internal"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app.kubernetes.io/name": "traefik"},
			Ports: []corev1.ServicePort{{Name: "ping", Port: 9000, TargetPort: intstr.FromString("ping")}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	class, prefix := TraefikClass, netv1.PathTypePrefix
	if _, err := c.Client.NetworkingV1().Ingresses(ns).Create(ctx, &netv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "ping"},
		Spec: netv1.IngressSpec{IngressClassName: &class, TLS: []netv1.IngressTLS{{Hosts: []string{host}, SecretName: "ping-tls"}},
			Rules: []netv1.IngressRule{{Host: host, IngressRuleValue: netv1.IngressRuleValue{HTTP: &netv1.HTTPIngressRuleValue{
				Paths: []netv1.HTTPIngressPath{{Path: "/ping", PathType: &prefix, Backend: netv1.IngressBackend{
					Service: &netv1.IngressServiceBackend{Name: svc.Name, Port: netv1.ServiceBackendPort{Name: "ping"}}}}}}}}}}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Every request dials Traefik's NodePort whatever the URL's host, as curl --connect-to does.
	dialTo := func(addr string) func(context.Context, string, string) (net.Conn, error) {
		return func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
		}
	}
	httpsClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: dialTo(tr.HTTPSAddr),
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	var state *tls.ConnectionState
	err = waitFor("https://"+host+"/ping through Traefik", time.Minute, nil, func() error {
		resp, err := httpsClient.Get("https://" + host + "/ping")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != "OK" {
			return fmt.Errorf("HTTP %d %q", resp.StatusCode, b)
		}
		state = resp.TLS
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	leaf := state.PeerCertificates[0]
	if leaf.Issuer.String() != ca.Subject() || leaf.VerifyHostname(host) != nil {
		t.Errorf("served certificate: issuer %q names %v; want the test CA and %s", leaf.Issuer, leaf.DNSNames, host)
	}

	// Plain HTTP: a permanent redirect to the same URL over https, never the app.
	plain := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: dialTo(tr.HTTPAddr)},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := plain.Get("http://" + host + "/ping?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); (resp.StatusCode != 301 && resp.StatusCode != 308) || loc != "https://"+host+"/ping?x=1" {
		t.Errorf("plain HTTP: HTTP %d Location %q, want a permanent redirect to https://%s/ping?x=1", resp.StatusCode, loc, host)
	}

	// An unknown Host: Traefik's own 404 (and its default certificate, not ours).
	wrong := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: dialTo(tr.HTTPSAddr),
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the point is which certificate and answer come back
	resp, err = wrong.Get("https://wrong.todo.test/ping")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || strings.TrimSpace(string(b)) != "404 page not found" {
		t.Errorf("wrong Host: HTTP %d %q, want Traefik's 404", resp.StatusCode, b)
	}
	if resp.TLS.PeerCertificates[0].Issuer.String() == ca.Subject() {
		t.Error("wrong Host got the test CA's certificate")
	}

	// Prometheus scrapes Traefik's /metrics through the Service's ClusterIP.
	prom := c.StartPrometheus(t, time.Second, []ScrapeTarget{{Job: "traefik", Addr: net.JoinHostPort(svc.Spec.ClusterIP, "9000")}})
	err = waitFor("up == 1 and the entry point's requests counted", 30*time.Second, nil, func() error {
		up, err := prom.Query(`up{job="traefik"}`)
		if err != nil || len(up) != 1 || up[0].Value != 1 {
			return fmt.Errorf("up: %v %v", up, err)
		}
		reqs, err := prom.Query(`sum(traefik_entrypoint_requests_total{entrypoint="websecure"})`)
		if err != nil || len(reqs) != 1 || reqs[0].Value < 1 {
			return fmt.Errorf("websecure requests: %v %v", reqs, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
