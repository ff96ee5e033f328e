package infra

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/todo-chatbot/todo-chatbot/infra/chartvalues"
	"github.com/todo-chatbot/todo-chatbot/infra/settings"
)

// newKubernetesProvider targets the configured kubeconfig context (minikube by default);
// with no kubeconfig configured the provider reads $KUBECONFIG or ~/.kube/config.
func newKubernetesProvider(ctx *pulumi.Context, s settings.Settings, opts ...pulumi.ResourceOption) (*kubernetes.Provider, error) {
	args := &kubernetes.ProviderArgs{Context: pulumi.String(s.KubeContext)}
	if s.Kubeconfig != "" {
		args.Kubeconfig = pulumi.String(s.Kubeconfig)
	}
	return kubernetes.NewProvider(ctx, "kubernetes", args, opts...)
}

// newRelease installs the chart as a pulumi-kubernetes helm.Release (helm/v3) with the values
// settings.ChartSpec decided. Atomic rolls a
// failed upgrade back (and uninstalls a failed first install), cleanupOnFail removes what a
// failed upgrade created, and the timeout bounds how long Helm waits for ready pods.
func newRelease(ctx *pulumi.Context, s settings.Settings, chartPath string, spec chartvalues.Spec[pulumi.StringInput], opts ...pulumi.ResourceOption) (*helmv3.Release, error) {
	values, err := toInput(chartvalues.Build(spec))
	if err != nil {
		return nil, err
	}
	return helmv3.NewRelease(ctx, settings.ReleaseName, &helmv3.ReleaseArgs{
		Name:            pulumi.String(settings.ReleaseName),
		Chart:           pulumi.String(chartPath),
		Namespace:       pulumi.String(s.Namespace),
		CreateNamespace: pulumi.Bool(true),
		Timeout:         pulumi.Int(s.ReleaseTimeout),
		Atomic:          pulumi.Bool(true),
		CleanupOnFail:   pulumi.Bool(true),
		// Keep a short history: enough to roll back by hand, not a Secret per deploy forever.
		MaxHistory: pulumi.Int(10),
		Values:     values.(pulumi.Map),
	}, opts...)
}
