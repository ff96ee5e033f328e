//go:build e2e

package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Promotion deploys exactly the images another stack pushed to a registry (digest-pinned),
// without building. A Minikube stack like dev builds into the node's daemon and pushes
// nothing, which the program refuses to promote from (other clusters could not pull it). So,
// as the README's staging -> prod example does, a staging stack builds and pushes to a
// registry (Debian's docker-registry, the CNCF distribution server, on loopback) and a prod
// stack promotes from it into another namespace.
const (
	stagingStack     = "e2e-staging"
	stagingNamespace = "todo-staging"
	prodStack        = "e2e-prod"
	prodNamespace    = "todo-prod"
)

// devDatabaseURL is the dev release's in-cluster PostgreSQL, reached by its Service's full
// name: the "external" database of the staging and prod stacks (they need one).
func (e *env) devDatabaseURL(t *testing.T) string {
	password := string(e.k.SecretData(release + "-postgresql")["password"])
	if password == "" {
		t.Fatal("the dev release's PostgreSQL Secret has no password")
	}
	u := url.URL{Scheme: "postgresql", User: url.UserPassword("todo", password),
		Host: release + "-database." + devNamespace + ".svc.cluster.local:5432", Path: "/todo"}
	return e.p.secret(u.String())
}

func (e *env) initStack(t *testing.T, stack string, config map[string]string, secrets map[string]string) {
	e.p.ok("stack", "init", stack, "--secrets-provider", "passphrase")
	base := map[string]string{"kubeContext": e.c.Context, "kubeconfig": e.c.Kubeconfig, "releaseTimeout": "300"}
	for k, v := range config {
		base[k] = v
	}
	for k, v := range base {
		e.p.ok("config", "set", "--stack", stack, k, v)
	}
	for k, v := range secrets {
		e.p.ok("config", "set", "--stack", stack, "--secret", k, v)
	}
}

func (e *env) promotion(t *testing.T) {
	registry := e.c.StartRegistry(t)
	dbURL := e.devDatabaseURL(t)
	e.initStack(t, stagingStack, map[string]string{
		"namespace": stagingNamespace, "dockerHost": e.dockerHost, "registry": registry + "/todo-chatbot",
	}, map[string]string{"databaseUrl": dbURL})
	e.p.ok("up", "--stack", stagingStack, "--yes", "--skip-preview", "--non-interactive")
	staging := e.outputs(t, stagingStack)
	for _, name := range []string{"backendImage", "frontendImage"} {
		if ref := fmt.Sprint(staging[name]); !strings.HasPrefix(ref, registry+"/todo-chatbot/") || !strings.Contains(ref, "@sha256:") {
			t.Fatalf("staging exports %s = %q, want %s/todo-chatbot/...@sha256:...", name, ref, registry)
		}
	}

	e.initStack(t, prodStack, map[string]string{
		"namespace": prodNamespace, "promoteFrom": "organization/todo-chatbot/" + stagingStack,
	}, map[string]string{"databaseUrl": dbURL})
	pv := e.p.previewJSON(prodStack)
	for name := range pv.ops() {
		if strings.Contains(name, ":Image::") || strings.Contains(name, dockerProv) {
			t.Errorf("the promotion preview declares %s: a promotion must not build", name)
		}
	}
	start := time.Now()
	e.p.ok("up", "--stack", prodStack, "--yes", "--skip-preview", "--non-interactive")
	t.Logf("promotion up (no build): %s", time.Since(start).Round(100*time.Millisecond))
	prod := e.outputs(t, prodStack)
	for _, c := range []struct{ output, deployment, container string }{
		{"backendImage", release + "-backend", "backend"},
		{"frontendImage", release + "-frontend", "frontend"},
	} {
		if prod[c.output] != staging[c.output] {
			t.Errorf("prod exports %s = %v, staging %v", c.output, prod[c.output], staging[c.output])
		}
		ref := fmt.Sprint(staging[c.output])
		digest := ref[strings.Index(ref, "@"):]
		image := e.k.In(prodNamespace).Deployment(c.deployment).Spec.Template.Spec.Containers[0].Image
		if !strings.HasSuffix(image, digest) {
			t.Errorf("prod Deployment %s runs %q, want the staging digest %s", c.deployment, image, digest)
		}
	}
}

// destroyPromotion removes both promotion stacks; their namespaces keep nothing of theirs
// but what Kubernetes puts in any namespace (no in-cluster PostgreSQL there).
func (e *env) destroyPromotion(t *testing.T) {
	for _, s := range []struct{ stack, ns string }{{prodStack, prodNamespace}, {stagingStack, stagingNamespace}} {
		e.p.ok("destroy", "--stack", s.stack, "--yes", "--skip-preview", "--non-interactive")
		left := e.leftovers(t, s.ns)
		if want := "ConfigMap/kube-root-ca.crt ServiceAccount/default"; strings.Join(left, " ") != want {
			t.Errorf("after destroying %s, namespace %s holds %v, want only %s", s.stack, s.ns, left, want)
		}
	}
}
