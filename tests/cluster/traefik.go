package cluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// The Ingress controller on the node (addons/traefik.yaml): Traefik built from source, in
// the IngressClass "traefik", its entry points on fixed NodePorts.
const (
	TraefikVersion      = "v3.7.13" // tests/env/traefik-build.sh builds this version
	TraefikClass        = "traefik"
	TraefikNamespace    = "traefik"
	TraefikHTTPSPort    = 30443 // websecure entry point
	TraefikHTTPPort     = 30480 // web entry point: only redirects to https
	traefikImage        = "todo-node/traefik:" + TraefikVersion + "-source"
	traefikBuildScript  = "tests/env/traefik-build.sh"
	traefikBinEnv       = "TRAEFIK_BIN"
	traefikInstallLimit = 2 * time.Minute
)

// Traefik is the running Ingress controller.
type Traefik struct {
	HTTPSAddr string // NodeIP:TraefikHTTPSPort, where the host reaches the websecure entry point
	HTTPAddr  string // NodeIP:TraefikHTTPPort, the web entry point
}

// InstallTraefik imports the Traefik image into the node and installs the controller
// (namespace, RBAC, IngressClass traefik, Deployment, NodePort Service), waiting until it is
// Available. Only the tests that need an Ingress controller call it; the node lives as long
// as its test, so nothing is uninstalled.
func (c *Cluster) InstallTraefik(ctx context.Context) (*Traefik, error) {
	began := time.Now()
	bin, err := traefikBinary()
	if err != nil {
		return nil, err
	}
	img := scratchImage{ref: traefikImage, files: map[string]string{"/traefik": bin}, entrypoint: []string{"/traefik"}}
	if err := importScratchImage(ctx, containerdSock, img); err != nil {
		return nil, err
	}
	fill := strings.NewReplacer("${TRAEFIK_VERSION}", TraefikVersion, "${TRAEFIK_IMAGE}", traefikImage,
		"${TRAEFIK_NAMESPACE}", TraefikNamespace,
		"${HTTPS_NODE_PORT}", strconv.Itoa(TraefikHTTPSPort), "${HTTP_NODE_PORT}", strconv.Itoa(TraefikHTTPPort))
	if err := c.applyManifest("addons/traefik.yaml", fill); err != nil {
		return nil, err
	}
	if err := c.waitAvailable(ctx, TraefikNamespace, "traefik", traefikInstallLimit); err != nil {
		return nil, err
	}
	c.logf("Traefik %s (built from source; STAND-IN for its release binary: without the web dashboard, the ACME "+
		"DNS-01 providers and the basicAuth/digestAuth middlewares, see %s) is the Ingress controller "+
		"of class %q, https on %s:%d, http (redirects only) on :%d; installed in %s",
		TraefikVersion, traefikBuildScript, TraefikClass, NodeIP, TraefikHTTPSPort, TraefikHTTPPort,
		time.Since(began).Round(100*time.Millisecond))
	return &Traefik{
		HTTPSAddr: net.JoinHostPort(NodeIP, strconv.Itoa(TraefikHTTPSPort)),
		HTTPAddr:  net.JoinHostPort(NodeIP, strconv.Itoa(TraefikHTTPPort)),
	}, nil
}

// traefikBinary is $TRAEFIK_BIN (tests/run/e2e.sh sets it), else what the build script
// builds or finds in the cache.
func traefikBinary() (string, error) {
	if bin := os.Getenv(traefikBinEnv); bin != "" {
		return bin, nil
	}
	root, err := layout.FindRoot(".")
	if err != nil {
		return "", err
	}
	cmd := exec.Command(filepath.Join(root, traefikBuildScript))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w", traefikBuildScript, err)
	}
	return strings.TrimSpace(string(out)), nil
}
