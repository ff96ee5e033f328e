package infra_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/todo-chatbot/todo-chatbot/infra/infratest"
)

// The dev stack as `make up` runs it (this checkout, Pulumi.dev.yaml): two images built
// into Minikube's daemon, one release, both providers, all under the TodoChatbot component,
// with Pulumi.yaml's defaults where the stack sets nothing.
func TestDevStackGraph(t *testing.T) {
	st := infratest.MustRun(t, infratest.Stack{Config: infratest.StackConfig(t, "dev")})

	docker := st.One(t, infratest.DockerProvider)
	k8s := st.One(t, infratest.KubernetesProvider)
	release := st.One(t, infratest.ReleaseType)
	images := st.OfType(infratest.ImageType)
	if len(images) != 2 || len(st.OfType(infratest.StackReferenceType)) != 0 {
		t.Fatalf("want 2 images and no stack reference, got %d and %d", len(images), len(st.OfType(infratest.StackReferenceType)))
	}
	component := "urn:pulumi:dev::todo-chatbot::" + infratest.ComponentType + "::todo-chatbot"
	for _, r := range append(images, docker, k8s, release) {
		if r.Parent != component {
			t.Errorf("%s %s: parent %q, want the TodoChatbot component", r.Type, r.Name, r.Parent)
		}
	}
	if str(t, docker.Inputs["host"]) != "tcp://192.168.49.2:2376" || str(t, docker.Inputs["certPath"]) != "/home/u/.minikube/certs" {
		t.Errorf("docker provider %v, want DOCKER_HOST and DOCKER_CERT_PATH", docker.Inputs)
	}
	if got := str(t, k8s.Inputs["context"]); got != "minikube" {
		t.Errorf("kubernetes provider context %q, want minikube", got)
	}
	if _, set := k8s.Inputs["kubeconfig"]; set {
		t.Error("no kubeconfig configured: the provider must use $KUBECONFIG/~/.kube/config")
	}

	want := map[string]struct{ context, dockerfile, name string }{
		"backend-image":  {"backend", "backend/Dockerfile", "todo-backend:v1"},
		"frontend-image": {"frontend", "frontend/Dockerfile", "todo-frontend:v1"},
	}
	for _, img := range images {
		w := want[img.Name]
		build := img.Inputs["build"]
		if str(t, at(t, build, "context")) != w.context || str(t, at(t, build, "dockerfile")) != w.dockerfile || str(t, img.Inputs["imageName"]) != w.name {
			t.Errorf("%s: build %v, imageName %v; want %+v", img.Name, build, img.Inputs["imageName"], w)
		}
		if _, err := os.Stat(filepath.Join(repoRoot, w.dockerfile)); err != nil {
			t.Errorf("%s: %v", img.Name, err)
		}
		if !img.Inputs["skipPush"].BoolValue() {
			t.Errorf("%s: Minikube builds are not pushed", img.Name)
		}
		if _, set := img.Inputs["registry"]; set {
			t.Errorf("%s: no registry on Minikube", img.Name)
		}
		if !strings.Contains(img.Provider, "::docker::") {
			t.Errorf("%s: provider %q, want the docker provider", img.Name, img.Provider)
		}
	}

	for name, want := range map[string]string{"chart": "charts/todo-chatbot", "namespace": "todo-chatbot", "name": "todo-chatbot"} {
		if got := str(t, release.Inputs[resource.PropertyKey(name)]); got != want {
			t.Errorf("release %s %q, want %q", name, got, want)
		}
	}
	for _, flag := range []string{"createNamespace", "atomic", "cleanupOnFail"} {
		if v := release.Inputs[resource.PropertyKey(flag)]; !v.IsBool() || !v.BoolValue() {
			t.Errorf("release %s = %v, want true", flag, v)
		}
	}
	if got := release.Inputs["timeout"].NumberValue(); got != 600 {
		t.Errorf("timeout %v, want 600", got)
	}
	if !strings.Contains(release.Provider, "::kubernetes::") {
		t.Errorf("release provider %q, want the kubernetes provider", release.Provider)
	}

	for name, want := range map[string]any{
		"backendImage":     "todo-backend:v1@" + infratest.ImageID("todo-backend:v1", ""),
		"frontendImage":    "todo-frontend:v1@" + infratest.ImageID("todo-frontend:v1", ""),
		"namespace":        "todo-chatbot",
		"releaseName":      "todo-chatbot",
		"releaseStatus":    "deployed",
		"frontendNodePort": 30080,
		"openCommand":      "minikube -p minikube service todo-chatbot-frontend -n todo-chatbot",
	} {
		if got := st.Outputs[name].Value; got != want {
			t.Errorf("output %s = %#v, want %#v", name, got, want)
		}
	}
}

// A registry stack on another cluster: full image names (the registry's trailing slash
// dropped, its port kept), pushed with the secret password, deployed pinned by digest, on
// the configured kubeconfig and context.
func TestRegistryStackGraph(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig.yaml")
	writeFile(t, kubeconfig, "apiVersion: v1\nkind: Config\n")
	st := infratest.MustRun(t, infratest.Stack{Name: "staging", Config: map[string]string{
		"kubeContext": "staging", "kubeconfig": kubeconfig, "namespace": "todo-staging",
		"registry": "registry.example.com:5000/team/", "registryUsername": "bot", "registryPassword": "hunter2-registry",
		"imageTag": "1.2.3", "databaseUrl": secretDBURL, "releaseTimeout": "900", "frontendReplicas": " 2 ",
	}})

	k8s := st.One(t, infratest.KubernetesProvider)
	if str(t, k8s.Inputs["context"]) != "staging" || str(t, k8s.Inputs["kubeconfig"]) != kubeconfig {
		t.Errorf("kubernetes provider inputs %v", k8s.Inputs)
	}
	for _, img := range st.OfType(infratest.ImageType) {
		name := str(t, img.Inputs["imageName"])
		if !strings.HasPrefix(name, "registry.example.com:5000/team/todo-") || !strings.HasSuffix(name, ":1.2.3") {
			t.Errorf("image name %q", name)
		}
		if img.Inputs["skipPush"].BoolValue() {
			t.Errorf("%s: registry images are pushed", img.Name)
		}
		reg := img.Inputs["registry"]
		if str(t, at(t, reg, "server")) != "registry.example.com:5000" || str(t, at(t, reg, "username")) != "bot" {
			t.Errorf("%s registry %v", img.Name, reg)
		}
		if !reg.ObjectValue()["password"].IsSecret() {
			t.Errorf("%s: the registry password must be a secret input", img.Name)
		}
	}
	release := st.One(t, infratest.ReleaseType)
	if got := release.Inputs["timeout"].NumberValue(); got != 900 {
		t.Errorf("timeout %v", got)
	}
	values := release.Inputs["values"]
	pushed := infratest.PushDigest("registry.example.com:5000/team/todo-backend:1.2.3", "")
	if got := str(t, at(t, values, "backend", "image", "digest")); got != pushed {
		t.Errorf("a pushed image is deployed by digest: %q, want %q", got, pushed)
	}
	if at(t, values, "frontend", "replicaCount").NumberValue() != 2 || at(t, values, "postgresql", "enabled").BoolValue() {
		t.Errorf("values %v", values)
	}
	if got := st.Outputs["backendImage"].Value; got != "registry.example.com:5000/team/todo-backend:1.2.3@"+pushed {
		t.Errorf("backendImage %v", got)
	}
	if got := st.Outputs["openCommand"].Value.(string); !strings.Contains(got, "kubectl --kubeconfig "+kubeconfig+" --context staging -n todo-staging port-forward service/todo-chatbot-frontend") {
		t.Errorf("openCommand %q", got)
	}
}

// The open command names the frontend Service the release reports, whatever the chart's
// fullname became (fullnameOverride), instead of recomputing <release>-frontend.
func TestOpenCommandUsesTheServiceTheReleaseReports(t *testing.T) {
	for services, want := range map[string]string{
		"web-backend web-frontend web-postgresql": "minikube -p minikube service web-frontend -n todo-chatbot",
		"web-backend": "kubectl --context minikube -n todo-chatbot get services  # the release reports no frontend Service",
	} {
		st := infratest.MustRun(t, infratest.Stack{Services: strings.Fields(services)})
		if got := st.Outputs["openCommand"].Value; got != want {
			t.Errorf("services %s: openCommand %q, want %q", services, got, want)
		}
	}
}

// Pulumi may run the program from another directory than the project root: the paths
// handed to the providers still point at the project's files.
func TestPathsFromAnotherWorkingDirectory(t *testing.T) {
	st := infratest.MustRun(t, infratest.Stack{Dir: filepath.Join(repoRoot, "charts")})
	if got := str(t, st.One(t, infratest.ReleaseType).Inputs["chart"]); got != "todo-chatbot" {
		t.Errorf("chart path from charts/: %q", got)
	}
	for _, img := range st.OfType(infratest.ImageType) {
		if p := str(t, at(t, img.Inputs["build"], "context")); p != "../backend" && p != "../frontend" {
			t.Errorf("%s context from charts/: %q", img.Name, p)
		}
	}
}

// The committed stack files hold no secret, and each deploys once its secrets are set:
// dev builds into Minikube, staging pushes to its registry, prod promotes staging's images.
func TestCommittedStacks(t *testing.T) {
	cases := map[string]struct {
		secrets        map[string]string // set with --secret before the first deploy
		images, stacks int
	}{
		"dev":     {images: 2},
		"staging": {secrets: map[string]string{"databaseUrl": secretDBURL, "registryPassword": "token"}, images: 2},
		"prod":    {secrets: map[string]string{"databaseUrl": secretDBURL}, stacks: 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi."+name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			config := infratest.StackConfig(t, name)
			for _, key := range []string{"secure:", "databaseUrl", "geminiApiKey", "registryPassword"} {
				if strings.Contains(string(b), key+":") || strings.Contains(string(b), ":"+key) {
					t.Errorf("Pulumi.%s.yaml holds %s", name, key)
				}
			}
			for k, v := range c.secrets {
				config[k] = v
			}
			st := infratest.MustRun(t, infratest.Stack{Name: name, Config: config, Sources: map[string]map[string]string{
				"organization/todo-chatbot/staging": {"backendImage": stagingBE, "frontendImage": stagingFE}}})
			if n, m := len(st.OfType(infratest.ImageType)), len(st.OfType(infratest.StackReferenceType)); n != c.images || m != c.stacks {
				t.Errorf("%d images and %d stack references, want %d and %d", n, m, c.images, c.stacks)
			}
		})
	}
}

// Both images are built for the daemon's platform (here DOCKER_DEFAULT_PLATFORM, which
// stands for the daemon's /version answer that infra/dockerenv tests), so pulumi-docker
// does not warn and the image fits the node.
func TestImagesBuildForTheDaemonsPlatform(t *testing.T) {
	st := infratest.MustRun(t, infratest.Stack{Env: map[string]string{"DOCKER_DEFAULT_PLATFORM": "linux/arm64"}})
	for _, img := range st.OfType(infratest.ImageType) {
		if got := str(t, at(t, img.Inputs["build"], "platform")); got != "linux/arm64" {
			t.Errorf("%s: build.platform %q, want linux/arm64", img.Name, got)
		}
	}
}
