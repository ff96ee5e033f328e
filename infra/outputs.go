package infra

import (
	"fmt"
	"path"
	"strings"

	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// stackOutputs is what users and other stacks need: the digest-pinned images (which
// promotion reads), where the release is, and how to open the app, all as the release and
// the builds report them. No secret is exported.
func stackOutputs(c stackConfig, backend, frontend image, release *helmv3.Release) pulumi.Map {
	namespace := release.Status.Namespace().Elem()
	outputs := pulumi.Map{
		"backendImage":  backend.Exported,
		"frontendImage": frontend.Exported,
		"namespace":     namespace,
		"releaseName":   release.Status.Name().Elem(),
		"releaseStatus": release.Status.Status(),
		// The configured port; 0 means Kubernetes picked one (openCommand works either way).
		"frontendNodePort": pulumi.Int(c.FrontendNodePort),
		"openCommand": pulumi.All(namespace, release.ResourceNames).ApplyT(func(v []any) string {
			return openCommand(c, v[0].(string), frontendService(v[1].(map[string][]string)))
		}).(pulumi.StringOutput),
	}
	if url := ingressURL(c); url != "" {
		outputs["ingressUrl"] = pulumi.String(url)
	}
	return outputs
}

// ingressURL is where users reach the app through the Ingress: https with a TLS Secret.
func ingressURL(c stackConfig) string {
	switch {
	case c.IngressHost == "":
		return ""
	case c.IngressCertificate != "":
		return "https://" + c.IngressHost + "/"
	default:
		return "http://" + c.IngressHost + "/"
	}
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
