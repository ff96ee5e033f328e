package chart

import (
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/todo-chatbot/todo-chatbot/infra/chartvalues"
)

func TestPlaceholder(t *testing.T) {
	_ = action.NewInstall
	_ = loader.Load
	_ = chartutil.ToRenderValues
	_ = engine.Render
	_ = lint.All
	_ = appsv1.Deployment{}
	_ = kubernetes.NewForConfig
	_ = api.LevelRestricted
	_ = policy.NewEvaluator
	_ = chartvalues.Build[string]
}
