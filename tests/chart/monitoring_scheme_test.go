package chart

import (
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes/scheme"
)

// The chart's ServiceMonitor is decoded strictly, like every other object, into the
// Prometheus Operator's own Go type: an unknown or misspelt field fails the render.
func init() {
	utilruntime.Must(monitoringv1.AddToScheme(scheme.Scheme))
}
