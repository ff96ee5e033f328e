package dockerenv

import (
	"context"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Nodes lists the names of the nodes of the cluster a kubeconfig context points at
// (kubeconfig "" means $KUBECONFIG or ~/.kube/config), each request bounded by timeout.
func Nodes(kubeconfig, kubeContext string, timeout time.Duration) ([]string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.Timeout = timeout
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	list, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(list.Items))
	for _, n := range list.Items {
		names = append(names, n.Name)
	}
	return names, nil
}

// MultiNodeError is why a stack that builds into one node's Docker daemon (no registry)
// cannot deploy to a cluster of several nodes: the image would exist on that node only, and
// every other node's pods would wait in ErrImageNeverPull. Minikube refuses the same with
// ENV_MULTINODE_CONFLICT; the error says so in its words and names the fix.
func MultiNodeError(kubeContext string, nodes []string) error {
	return fmt.Errorf("cannot build the images into one node's Docker daemon: the cluster of context %q has %d nodes (%s), "+
		"and an image built there would reach only that node; `minikube docker-env` refuses it too "+
		"(ENV_MULTINODE_CONFLICT: The docker-env command is incompatible with multi-node clusters. Use the 'registry' add-on). "+
		"Push the images to a registry every node pulls from: `minikube addons enable registry`, "+
		"forward it to this machine (`kubectl port-forward -n kube-system service/registry 5000:80`), then "+
		"`pulumi config set todo-chatbot:registry localhost:5000/todo-chatbot`. Nothing was built or changed",
		kubeContext, len(nodes), strings.Join(nodes, ", "))
}
