package infra

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// newKubernetesProvider targets the configured kubeconfig context (minikube by default);
// with no kubeconfig configured the provider reads $KUBECONFIG or ~/.kube/config.
func newKubernetesProvider(ctx *pulumi.Context, c stackConfig, opts ...pulumi.ResourceOption) (*kubernetes.Provider, error) {
	args := &kubernetes.ProviderArgs{Context: pulumi.String(c.KubeContext)}
	if kc := c.kubeconfigPath; kc != "" {
		args.Kubeconfig = pulumi.String(kc)
	}
	return kubernetes.NewProvider(ctx, "kubernetes", args, opts...)
}

// newRelease installs the chart as a pulumi-kubernetes helm.Release (helm/v3). Atomic rolls
// a failed upgrade back (and uninstalls a failed first install), cleanupOnFail removes what
// a failed upgrade created, and the timeout bounds how long Helm waits for ready pods.
func newRelease(ctx *pulumi.Context, c stackConfig, chartPath string, values pulumi.Map, opts ...pulumi.ResourceOption) (*helmv3.Release, error) {
	return helmv3.NewRelease(ctx, layout.ReleaseName, &helmv3.ReleaseArgs{
		Name:            pulumi.String(layout.ReleaseName),
		Chart:           pulumi.String(chartPath),
		Namespace:       pulumi.String(c.Namespace),
		CreateNamespace: pulumi.Bool(true),
		Timeout:         pulumi.Int(c.ReleaseTimeout),
		Atomic:          pulumi.Bool(true),
		CleanupOnFail:   pulumi.Bool(true),
		// Keep a short history: enough to roll back by hand, not a Secret per deploy forever.
		MaxHistory: pulumi.Int(10),
		Values:     values,
	}, opts...)
}
