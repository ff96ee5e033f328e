//go:build cluster

package cluster

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
)

// portForward is `kubectl port-forward -n namespace svc/service <local>:port`: it picks a
// Running, Ready pod behind the Service, forwards a free loopback port to the Service
// port's target port in that pod (through the API server and the kubelet, as kubectl
// does), and returns the local port. The forward stops at the end of the test.
func (c *Cluster) portForward(t testing.TB, namespace, service string, port int) int {
	t.Helper()
	ctx := context.Background()
	svc, err := c.Client.CoreV1().Services(namespace).Get(ctx, service, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("port-forward: %v", err)
	}
	i := slices.IndexFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return int(p.Port) == port })
	if i < 0 {
		t.Fatalf("port-forward: Service %s has no port %d", service, port)
	}
	pods, err := c.Client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.Set(svc.Spec.Selector).String()})
	if err != nil {
		t.Fatalf("port-forward: %v", err)
	}
	var pod *corev1.Pod
	for j := range pods.Items {
		if p := &pods.Items[j]; p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil && podIsReady(p) {
			pod = p
			break
		}
	}
	if pod == nil {
		t.Fatalf("port-forward: no Running and Ready pod behind Service %s", service)
	}
	target := svc.Spec.Ports[i].TargetPort.IntValue()
	if name := svc.Spec.Ports[i].TargetPort.StrVal; name != "" {
		for _, ctr := range pod.Spec.Containers {
			for _, cp := range ctr.Ports {
				if cp.Name == name {
					target = int(cp.ContainerPort)
				}
			}
		}
	}
	if target == 0 {
		t.Fatalf("port-forward: cannot resolve Service %s port %d's target port in pod %s", service, port, pod.Name)
	}
	transport, upgrader, err := spdy.RoundTripperFor(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	url := c.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(pod.Name).SubResource("portforward").URL()
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, url)
	stop, ready := make(chan struct{}), make(chan struct{})
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{fmt.Sprintf("0:%d", target)}, stop, ready, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- fw.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("port-forward to %s/%s: %v", namespace, pod.Name, err)
	case <-time.After(30 * time.Second):
		close(stop)
		t.Fatalf("port-forward to %s/%s: not ready after 30s", namespace, pod.Name)
	}
	t.Cleanup(func() { close(stop); <-done })
	ports, err := fw.GetPorts()
	if err != nil || len(ports) != 1 {
		t.Fatalf("port-forward: %v %v", ports, err)
	}
	return int(ports[0].Local)
}

func podIsReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
