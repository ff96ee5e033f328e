package infra

import (
	"fmt"
	"path"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// stackOutputs is what users and other stacks need: the digest-pinned images (which
// promotion reads), where the release is, and how to open the app, all as the release, the
// builds and the cluster report them. No secret is exported.
func stackOutputs(ctx *pulumi.Context, c stackConfig, backend, frontend image, release *helmv3.Release, opts ...pulumi.ResourceOption) (pulumi.Map, error) {
	namespace := release.Status.Namespace().Elem()
	// The Service is read by `pulumi up` only, after the release: a preview shows the port
	// as unknown instead of a read step that changes nothing (and that an unreachable
	// cluster would fail).
	nodePort := pulumi.UnsafeUnknownOutput([]pulumi.Resource{release}).ApplyT(func(v any) int { return v.(int) }).(pulumi.IntOutput)
	if !ctx.DryRun() {
		var err error
		if nodePort, err = frontendNodePort(ctx, namespace, release, opts...); err != nil {
			return nil, err
		}
	}
	return pulumi.Map{
		"backendImage":     backend.Exported,
		"frontendImage":    frontend.Exported,
		"namespace":        namespace,
		"releaseName":      release.Status.Name().Elem(),
		"releaseStatus":    release.Status.Status(),
		"frontendNodePort": nodePort,
		"openCommand": pulumi.All(namespace, release.ResourceNames).ApplyT(func(v []any) string {
			return openCommand(c, v[0].(string), frontendService(v[1].(map[string][]string)))
		}).(pulumi.StringOutput),
	}, nil
}

// frontendNodePort is the node port the frontend Service has in the cluster, which is the
// one Kubernetes picked when the stack sets none; 0 for a Service without one (ClusterIP).
// The Service is read after the release installed it.
func frontendNodePort(ctx *pulumi.Context, namespace pulumi.StringOutput, release *helmv3.Release, opts ...pulumi.ResourceOption) (pulumi.IntOutput, error) {
	id := pulumi.All(namespace, release.ResourceNames).ApplyT(func(v []any) pulumi.ID {
		return pulumi.ID(v[0].(string) + "/" + frontendService(v[1].(map[string][]string)))
	}).(pulumi.IDOutput)
	svc, err := corev1.GetService(ctx, "frontend-service", id, nil, append(opts, pulumi.DependsOn([]pulumi.Resource{release}))...)
	if err != nil {
		return pulumi.IntOutput{}, err
	}
	return svc.Spec.Ports().ApplyT(func(ports []corev1.ServicePort) int {
		for _, p := range ports {
			if p.NodePort != nil {
				return *p.NodePort
			}
		}
		return 0
	}).(pulumi.IntOutput), nil
}

// frontendService picks the frontend's Service among the Services the release reports
// ("Service/v1": [namespace/]name): the chart names it <fullname>-frontend, and the
// fullname (release name, nameOverride, fullnameOverride) is whatever the release used.
func frontendService(resourceNames map[string][]string) string {
	for _, name := range resourceNames["Service/v1"] {
		if name = path.Base(name); strings.HasSuffix(name, "-frontend") {
			return name
		}
	}
	return ""
}

// openCommand opens the app in a browser (Minikube) or forwards it to
// http://localhost:3000 (other clusters).
func openCommand(c stackConfig, namespace, service string) string {
	if service == "" {
		return fmt.Sprintf("kubectl --context %s -n %s get services  # the release reports no frontend Service", c.KubeContext, namespace)
	}
	if c.minikube() {
		return fmt.Sprintf("minikube -p %s service %s -n %s", c.MinikubeProfile, service, namespace)
	}
	kubeconfig := ""
	if kc := c.Kubeconfig; kc != "" {
		kubeconfig = " --kubeconfig " + kc
	}
	return fmt.Sprintf("kubectl%s --context %s -n %s port-forward service/%s 3000:3000  # then open http://localhost:3000",
		kubeconfig, c.KubeContext, namespace, service)
}
