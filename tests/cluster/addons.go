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

// installAddons creates the add-ons' objects and waits until each add-on's Deployment is
// Available.
func (c *Cluster) installAddons(ctx context.Context) error {
	fill := strings.NewReplacer("${COREDNS_IMAGE}", corednsImage, "${DNS_SERVICE_IP}", dnsService,
		"${LOCAL_PATH_IMAGE}", localPathImage, "${HELPER_IMAGE}", helperImage, "${VOLUMES_DIR}", volumesDir)
	for _, a := range addons {
		if err := c.applyManifest(a.file, fill); err != nil {
			return err
		}
	}
	for _, a := range addons {
		if err := c.waitAvailable(ctx, a.namespace, a.deployment, 2*time.Minute); err != nil {
			return err
		}
	}
	return nil
}

// applyManifest creates the objects of an embedded manifest (through Helm's kube client,
// which maps any manifest to the API) after fill has replaced its ${PLACEHOLDERS}.
func (c *Cluster) applyManifest(file string, fill *strings.Replacer) error {
	kubeconfig, kubeContext := c.Kubeconfig, c.Context
	getter := genericclioptions.NewConfigFlags(false)
	getter.KubeConfig, getter.Context = &kubeconfig, &kubeContext
	client := helmkube.New(getter)
	raw, err := addonManifests.ReadFile(file)
	if err != nil {
		return err
	}
	resources, err := client.Build(bytes.NewBufferString(fill.Replace(string(raw))), false)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if _, err := client.Create(resources); err != nil {
		return fmt.Errorf("create %s: %w", file, err)
	}
	return nil
}

// waitAvailable waits until the Deployment has an available replica.
func (c *Cluster) waitAvailable(ctx context.Context, namespace, name string, timeout time.Duration) error {
	return waitFor("add-on "+name+" Available", timeout, nil, func() error {
		d, err := c.Client.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.AvailableReplicas < 1 {
			return fmt.Errorf("%d of %d replicas available", d.Status.AvailableReplicas, *d.Spec.Replicas)
		}
		return nil
	})
}
