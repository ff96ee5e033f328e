package manifestdiff

import (
	"errors"
	"os"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/storage/driver"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// Cluster is how to reach the release, as the Pulumi kubernetes provider does: a
// kubeconfig ("" means $KUBECONFIG or ~/.kube/config) and a context in it.
type Cluster struct {
	Kubeconfig string
	Context    string
	// Timeout bounds each request, so an unreachable API server costs seconds, not minutes.
	Timeout time.Duration
}

// Deployed reads the manifest of the release's deployed revision from the cluster with
// Helm's own storage (the driver named by $HELM_DRIVER, Secrets by default: what pulumi-kubernetes
// and helm use). found is false when the release does not exist yet.
func Deployed(c Cluster, rel Release) (manifest string, revision int, found bool, err error) {
	flags := genericclioptions.NewConfigFlags(false)
	timeout := c.Timeout.String()
	flags.KubeConfig, flags.Context, flags.Namespace, flags.Timeout = &c.Kubeconfig, &c.Context, &rel.Namespace, &timeout
	cfg := new(action.Configuration)
	if err := cfg.Init(flags, rel.Namespace, os.Getenv("HELM_DRIVER"), func(string, ...any) {}); err != nil {
		return "", 0, false, err
	}
	// The last deployed revision is what an upgrade replaces (a later failed one is not).
	r, err := cfg.Releases.Deployed(rel.Name)
	if errors.Is(err, driver.ErrNoDeployedReleases) || errors.Is(err, driver.ErrReleaseNotFound) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, err
	}
	return r.Manifest, r.Version, true, nil
}
