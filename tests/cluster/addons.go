package cluster

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"strings"
	"time"

	helmkube "helm.sh/helm/v3/pkg/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

//go:embed addons/*.yaml
var addonManifests embed.FS

// addons are the cluster add-ons every Minikube has: DNS and a default StorageClass.
var addons = []struct{ file, namespace, deployment string }{
	{"addons/coredns.yaml", "kube-system", "coredns"},
	{"addons/local-path.yaml", "local-path-storage", "local-path-provisioner"},
}

// installAddons creates the add-ons' objects (through Helm's kube client, which maps any
// manifest to the API) and waits until each add-on's Deployment is Available.
func (c *Cluster) installAddons(ctx context.Context) error {
	kubeconfig, kubeContext := c.Kubeconfig, ContextName
	getter := genericclioptions.NewConfigFlags(false)
	getter.KubeConfig, getter.Context = &kubeconfig, &kubeContext
	client := helmkube.New(getter)
	fill := strings.NewReplacer("${COREDNS_IMAGE}", corednsImage, "${DNS_SERVICE_IP}", dnsService,
		"${LOCAL_PATH_IMAGE}", localPathImage, "${HELPER_IMAGE}", helperImage, "${VOLUMES_DIR}", volumesDir)
	for _, a := range addons {
		raw, err := addonManifests.ReadFile(a.file)
		if err != nil {
			return err
		}
		resources, err := client.Build(bytes.NewBufferString(fill.Replace(string(raw))), false)
		if err != nil {
			return fmt.Errorf("%s: %w", a.file, err)
		}
		if _, err := client.Create(resources); err != nil {
			return fmt.Errorf("create %s: %w", a.file, err)
		}
	}
	for _, a := range addons {
		err := waitFor("add-on "+a.deployment+" Available", 2*time.Minute, nil, func() error {
			d, err := c.Client.AppsV1().Deployments(a.namespace).Get(ctx, a.deployment, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if d.Status.AvailableReplicas < 1 {
				return fmt.Errorf("%d of %d replicas available", d.Status.AvailableReplicas, *d.Spec.Replicas)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
