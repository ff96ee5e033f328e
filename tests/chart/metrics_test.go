package chart

import (
	"regexp"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/cli/values"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// servicePort returns the Service's port of that name.
func servicePort(svc *corev1.Service, name string) (corev1.ServicePort, bool) {
	for _, p := range svc.Spec.Ports {
		if p.Name == name {
			return p, true
		}
	}
	return corev1.ServicePort{}, false
}

// containerPort returns the container's port of that name.
func containerPort(c corev1.Container, name string) (corev1.ContainerPort, bool) {
	for _, p := range c.Ports {
		if p.Name == name {
			return p, true
		}
	}
	return corev1.ContainerPort{}, false
}

// TestMetrics: both apps get METRICS_PORT and a `metrics` container port; the backend
// Service carries it as a second port, the frontend's NodePort Service never does: a
// ClusterIP Service of its own does. Off, METRICS_PORT=0 and no port anywhere. LOG_FORMAT
// follows logs.format in every app container, the migrations included.
func TestMetrics(t *testing.T) {
	vals := programValues(t, nil)
	cases := []struct {
		name    string
		set     []string
		port    int32 // 0: metrics off
		logFmt  string
		metrics string // METRICS_PORT
	}{
		{"defaults", nil, 9090, "json", "9090"},
		{"another port, text logs", []string{"metrics.port=9100", "logs.format=text"}, 9100, "text", "9100"},
		{"off", []string{"metrics.enabled=false"}, 0, "json", "0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustRender(t, vals, values.Options{Values: c.set})
			for _, name := range []string{"backend", "frontend"} {
				d := find[*appsv1.Deployment](t, r, "todo-chatbot-"+name)
				app, _ := container(d.Spec.Template.Spec, name)
				p, has := containerPort(app, "metrics")
				if has != (c.port != 0) || (has && (p.ContainerPort != c.port || p.Protocol != corev1.ProtocolTCP)) {
					t.Errorf("%s container port metrics = %+v (present %v), want %d", name, p, has, c.port)
				}
				for _, ct := range allContainers(d.Spec.Template.Spec) {
					if e, _ := envVar(ct, "METRICS_PORT"); e.Value != c.metrics {
						t.Errorf("%s container %s: METRICS_PORT %q, want %q", name, ct.Name, e.Value, c.metrics)
					}
					if e, _ := envVar(ct, "LOG_FORMAT"); e.Value != c.logFmt {
						t.Errorf("%s container %s: LOG_FORMAT %q, want %q", name, ct.Name, e.Value, c.logFmt)
					}
				}
			}

			backend := find[*corev1.Service](t, r, "todo-chatbot-backend")
			p, has := servicePort(backend, "metrics")
			if has != (c.port != 0) || (has && (p.Port != c.port || p.TargetPort.String() != "metrics")) {
				t.Errorf("backend Service port metrics = %+v (present %v), want %d -> metrics", p, has, c.port)
			}
			frontend := find[*corev1.Service](t, r, "todo-chatbot-frontend")
			if len(frontend.Spec.Ports) != 1 || frontend.Spec.Ports[0].Name != "http" {
				t.Errorf("the frontend's %s Service has ports %+v: users reach it, so it has http only", frontend.Spec.Type, frontend.Spec.Ports)
			}
			var metricsSvc *corev1.Service
			for _, s := range all[*corev1.Service](r) {
				if s.Name == "todo-chatbot-frontend-metrics" {
					metricsSvc = s
				}
			}
			if (metricsSvc != nil) != (c.port != 0) {
				t.Fatalf("frontend-metrics Service rendered: %v, want %v (%v)", metricsSvc != nil, c.port != 0, r.names())
			}
			if metricsSvc == nil {
				return
			}
			if metricsSvc.Spec.Type != corev1.ServiceTypeClusterIP || len(metricsSvc.Spec.Ports) != 1 ||
				metricsSvc.Spec.Ports[0].Name != "metrics" || metricsSvc.Spec.Ports[0].Port != c.port || metricsSvc.Spec.Ports[0].TargetPort.String() != "metrics" {
				t.Errorf("frontend-metrics Service: %s %+v, want ClusterIP with one port metrics %d -> metrics", metricsSvc.Spec.Type, metricsSvc.Spec.Ports, c.port)
			}
			fe := find[*appsv1.Deployment](t, r, "todo-chatbot-frontend")
			if !labels.SelectorFromSet(metricsSvc.Spec.Selector).Matches(labels.Set(fe.Spec.Template.Labels)) {
				t.Errorf("frontend-metrics Service selects %v, not the frontend pods", metricsSvc.Spec.Selector)
			}
		})
	}
}

// The Prometheus Operator's pattern for its Duration type (monitoringv1.Duration).
var operatorDuration = regexp.MustCompile(`^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$`)

// TestServiceMonitor: rendered only when asked for (and metrics are on), decoded strictly
// into monitoringv1.ServiceMonitor; its selector picks exactly the Services with a
// `metrics` port, so each app is scraped once, with the interval, timeout and labels given.
func TestServiceMonitor(t *testing.T) {
	vals := programValues(t, nil)
	for _, set := range [][]string{nil, {"metrics.enabled=false", "metrics.serviceMonitor.enabled=true"}} {
		if n := len(all[*monitoringv1.ServiceMonitor](mustRender(t, vals, values.Options{Values: set}))); n != 0 {
			t.Errorf("values %v render %d ServiceMonitors, want none", set, n)
		}
	}
	r := mustRender(t, vals, values.Options{
		Values:       []string{"metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.interval=15s", "metrics.serviceMonitor.scrapeTimeout=5s"},
		StringValues: []string{"metrics.serviceMonitor.labels.release=kube-prometheus-stack", "metrics.serviceMonitor.labels.app\\.kubernetes\\.io/instance=other"},
	})
	sm := find[*monitoringv1.ServiceMonitor](t, r, "todo-chatbot")
	if sm.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("labels %v lack release=kube-prometheus-stack", sm.Labels)
	}
	if sm.Labels["app.kubernetes.io/instance"] != releaseName {
		t.Errorf("a user label replaced the chart's app.kubernetes.io/instance: %v", sm.Labels)
	}
	if ns := sm.Spec.NamespaceSelector.MatchNames; len(ns) != 1 || ns[0] != namespace {
		t.Errorf("namespaceSelector %v, want the release's namespace only", sm.Spec.NamespaceSelector)
	}
	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("endpoints %+v, want one", sm.Spec.Endpoints)
	}
	ep := sm.Spec.Endpoints[0]
	if ep.Port != "metrics" || ep.Path != "/metrics" || ep.Interval != "15s" || ep.ScrapeTimeout != "5s" {
		t.Errorf("endpoint port %v path %q interval %q timeout %q, want metrics /metrics 15s 5s", ep.Port, ep.Path, ep.Interval, ep.ScrapeTimeout)
	}
	for _, d := range []monitoringv1.Duration{ep.Interval, ep.ScrapeTimeout} {
		if !operatorDuration.MatchString(string(d)) {
			t.Errorf("%q is not a Prometheus Operator duration", d)
		}
	}
	sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	var scraped []string
	for _, svc := range all[*corev1.Service](r) {
		if _, has := servicePort(svc, "metrics"); has && sel.Matches(labels.Set(svc.Labels)) {
			scraped = append(scraped, svc.Name)
		}
	}
	if len(scraped) != 2 || scraped[0] != "todo-chatbot-backend" || scraped[1] != "todo-chatbot-frontend-metrics" {
		t.Errorf("the ServiceMonitor scrapes %v, want todo-chatbot-backend and todo-chatbot-frontend-metrics", scraped)
	}
}
