//go:build cluster

package cluster

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// outsideAddr is a TEST-NET-3 address (RFC 5737): never a real host. (This machine's own
// gateway is in TEST-NET-1, so 192.0.2.x is deliberately not used.)
const outsideAddr = "203.0.113.1"

// probeScript runs in a pod and reports, as JSON, what the pod network lets it reach.
const probeScript = `
import json, socket, time
out = {}
def connect(name, host, port):
    began = time.monotonic()
    try:
        socket.create_connection((host, port), timeout=10).close()
        out[name] = "connected"
    except OSError as e:
        out[name] = "%s: %s" % (type(e).__name__, e)
    out[name + "_seconds"] = time.monotonic() - began
connect("outside", "` + outsideAddr + `", 80)
connect("unallocated_service_ip", "10.96.255.254", 80)
connect("kubernetes_service", "kubernetes.default.svc.cluster.local", 443)
try:
    out["dns_cluster"] = socket.gethostbyname("kubernetes.default.svc.cluster.local")
except OSError as e:
    out["dns_cluster"] = str(e)
began = time.monotonic()
try:
    out["dns_outside"] = "resolved " + socket.gethostbyname("example.com")
except OSError as e:
    out["dns_outside"] = "%s: %s" % (type(e).__name__, e)
out["dns_outside_seconds"] = time.monotonic() - began
print(json.dumps(out))
`

// testNode checks the node itself with a real pod (a Job, run to completion by the real
// Job controller and kubelet): the pod network reaches the API server through the
// kubernetes Service and cluster DNS, and NOTHING outside the machine: a connection to a
// TEST-NET address or to a Service IP with no rules fails at once (no route), and DNS does
// not resolve outside names (CoreDNS has no upstream).
func testNode(t *testing.T, c *Cluster, image string) {
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "node-check", Namespace: "default"},
		Spec: batchv1.JobSpec{BackoffLimit: ptr.To[int32](0), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: "probe", Image: image, ImagePullPolicy: corev1.PullNever,
				Command: []string{"python3", "-c", probeScript}}},
		}}},
	}
	began := time.Now()
	if _, err := c.Client.BatchV1().Jobs("default").Create(t.Context(), job, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	background := metav1.DeletePropagationBackground
	defer c.Client.BatchV1().Jobs("default").Delete(t.Context(), job.Name, metav1.DeleteOptions{PropagationPolicy: &background})
	err := waitFor("Job node-check to complete", 2*time.Minute, nil, func() error {
		j, err := c.Client.BatchV1().Jobs("default").Get(t.Context(), job.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, cond := range j.Status.Conditions {
			if cond.Status == corev1.ConditionTrue && (cond.Type == batchv1.JobComplete || cond.Type == batchv1.JobFailed) {
				return nil
			}
		}
		return fmt.Errorf("status %+v", j.Status)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a Job's pod ran to completion in %s", time.Since(began).Round(10*time.Millisecond))
	pods, err := c.Client.CoreV1().Pods("default").List(t.Context(), metav1.ListOptions{LabelSelector: "job-name=node-check"})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("the Job's pod: %v %v", len(pods.Items), err)
	}
	logs, err := c.Client.CoreV1().Pods("default").GetLogs(pods.Items[0].Name, &corev1.PodLogOptions{}).DoRaw(t.Context())
	if err != nil {
		t.Fatalf("pod logs (kubelet, through the API server): %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(lastLine(string(logs))), &got); err != nil {
		t.Fatalf("probe output %q: %v", logs, err)
	}
	t.Logf("from a pod: %s", strings.TrimSpace(lastLine(string(logs))))
	// The outside: no route at all. An unallocated Service IP: no route either, or kube-proxy's
	// REJECT; both fail at once, neither may connect or time out.
	for name, want := range map[string][]string{"outside": {"unreachable"}, "unallocated_service_ip": {"unreachable", "refused"}} {
		msg, _ := got[name].(string)
		secs, _ := got[name+"_seconds"].(float64)
		if !slices.ContainsFunc(want, func(w string) bool { return strings.Contains(msg, w) }) || secs > 1 {
			t.Errorf("%s: want an immediate refusal (%s), got %q after %.2fs", name, strings.Join(want, " or "), msg, secs)
		}
	}
	if got["kubernetes_service"] != "connected" {
		t.Errorf("the pod cannot reach the API server through the kubernetes Service: %v", got["kubernetes_service"])
	}
	if got["dns_cluster"] != apiService {
		t.Errorf("kubernetes.default resolved to %v, want %s", got["dns_cluster"], apiService)
	}
	if msg, _ := got["dns_outside"].(string); strings.HasPrefix(msg, "resolved") {
		t.Errorf("an outside name resolved inside the cluster (%s): CoreDNS must not forward", msg)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
