package infra

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/todo-chatbot/todo-chatbot/infra/settings"
)

// frontendService is the chart's frontend Service name for release todo-chatbot.
const frontendService = settings.ReleaseName + "-frontend"

// stackOutputs is what users and other stacks need: the digest-pinned images (which
// promotion reads), where the release is, and how to open the app. No secret is exported.
func stackOutputs(s settings.Settings, app *TodoChatbot) map[string]pulumi.Output {
	return map[string]pulumi.Output{
		"backendImage":  app.BackendImage,
		"frontendImage": app.FrontendImage,
		"namespace":     app.Namespace,
		"releaseName":   app.ReleaseName,
		"releaseStatus": app.ReleaseStatus,
		// 0 means Kubernetes picked the port; openCommand works either way.
		"frontendNodePort": pulumi.Int(s.FrontendNodePort).ToIntOutput(),
		"openCommand":      pulumi.String(openCommand(s)).ToStringOutput(),
	}
}

// openCommand is the command that opens the app in a browser (Minikube) or forwards it to
// http://localhost:3000 (other clusters).
func openCommand(s settings.Settings) string {
	if s.Minikube() {
		return fmt.Sprintf("minikube -p %s service %s -n %s", s.MinikubeProfile, frontendService, s.Namespace)
	}
	kubeconfig := ""
	if s.Kubeconfig != "" {
		kubeconfig = " --kubeconfig " + s.Kubeconfig
	}
	return fmt.Sprintf("kubectl%s --context %s -n %s port-forward service/%s 3000:3000  # then open http://localhost:3000",
		kubeconfig, s.KubeContext, s.Namespace, frontendService)
}
