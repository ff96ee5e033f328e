package infra

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

const (
	imageType     = "docker:index/image:Image"
	releaseType   = "kubernetes:helm.sh/v3:Release"
	dockerProv    = "pulumi:providers:docker"
	k8sProv       = "pulumi:providers:kubernetes"
	componentType = "todo-chatbot:index:TodoChatbot"
	stackRefType  = "pulumi:pulumi:StackReference"
)

// The dev (Minikube) stack: two images built into Minikube's daemon, one release, both
// providers, all under the TodoChatbot component.
func TestDevStackGraph(t *testing.T) {
	newProject(t)
	setConfig(t, map[string]string{"frontendNodePort": "30080"})
	st := mustRun(t, "dev", nil)
	m := st.m

	comp := m.one(t, componentType)
	docker := m.one(t, dockerProv)
	k8s := m.one(t, k8sProv)
	release := m.one(t, releaseType)
	images := m.ofType(imageType)
	if len(images) != 2 {
		t.Fatalf("want 2 images, got %d", len(images))
	}
	if len(m.ofType(stackRefType)) != 0 {
		t.Fatal("a building stack reads no other stack")
	}

	compURN := "urn:pulumi:dev::todo-chatbot::" + componentType + "::todo-chatbot"
	for _, r := range append(images, docker, k8s, release) {
		if r.Parent != compURN {
			t.Errorf("%s %s: parent %q, want the TodoChatbot component", r.Type, r.Name, r.Parent)
		}
	}
	_ = comp

	if got := str(t, docker.Inputs["host"]); got != "tcp://192.168.49.2:2376" {
		t.Errorf("docker provider host %q", got)
	}
	if got := str(t, docker.Inputs["certPath"]); got != "/home/u/.minikube/certs" {
		t.Errorf("docker provider certPath %q", got)
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
		w, ok := want[img.Name]
		if !ok {
			t.Fatalf("unexpected image resource %q", img.Name)
		}
		if got := str(t, path(t, img.Inputs["build"], "context")); got != w.context {
			t.Errorf("%s context %q, want %q", img.Name, got, w.context)
		}
		if got := str(t, path(t, img.Inputs["build"], "dockerfile")); got != w.dockerfile {
			t.Errorf("%s dockerfile %q, want %q", img.Name, got, w.dockerfile)
		}
		if got := str(t, img.Inputs["imageName"]); got != w.name {
			t.Errorf("%s imageName %q, want %q", img.Name, got, w.name)
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

	if got := str(t, release.Inputs["chart"]); got != "charts/todo-chatbot" {
		t.Errorf("chart %q", got)
	}
	if got := str(t, release.Inputs["namespace"]); got != "todo-chatbot" {
		t.Errorf("namespace %q", got)
	}
	if got := str(t, release.Inputs["name"]); got != "todo-chatbot" {
		t.Errorf("release name %q", got)
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

	outs := st.outputs
	for name, want := range map[string]any{
		"backendImage":     "todo-backend:v1@" + imageID,
		"frontendImage":    "todo-frontend:v1@" + imageID,
		"namespace":        "todo-chatbot",
		"releaseName":      "todo-chatbot",
		"releaseStatus":    "deployed",
		"frontendNodePort": 30080,
		"openCommand":      "minikube -p minikube service todo-chatbot-frontend -n todo-chatbot",
	} {
		if got := outs[name].Value; got != want {
			t.Errorf("output %s = %#v, want %#v", name, got, want)
		}
	}
}

// A registry stack on another cluster: full image names, pushed with the secret password,
// and the configured kubeconfig context.
func TestRegistryStackGraph(t *testing.T) {
	root := newProject(t)
	kubeconfig := root + "/kubeconfig.yaml"
	writeFile(t, kubeconfig, "apiVersion: v1\nkind: Config\n")
	setConfig(t, map[string]string{
		"kubeContext": "staging", "kubeconfig": kubeconfig, "namespace": "todo-staging",
		"registry": "registry.example.com/todo", "registryUsername": "bot", "registryPassword": "hunter2-registry",
		"imageTag": "1.2.3", "databaseUrl": secretDBURL, "releaseTimeout": "900",
	}, "registryPassword", "databaseUrl")
	st := mustRun(t, "staging", nil)

	k8s := st.m.one(t, k8sProv)
	if str(t, k8s.Inputs["context"]) != "staging" || str(t, k8s.Inputs["kubeconfig"]) != kubeconfig {
		t.Errorf("kubernetes provider inputs %v", k8s.Inputs)
	}
	for _, img := range st.m.ofType(imageType) {
		name := str(t, img.Inputs["imageName"])
		if !strings.HasPrefix(name, "registry.example.com/todo/todo-") || !strings.HasSuffix(name, ":1.2.3") {
			t.Errorf("image name %q", name)
		}
		if img.Inputs["skipPush"].BoolValue() {
			t.Errorf("%s: registry images are pushed", img.Name)
		}
		reg := img.Inputs["registry"]
		if str(t, path(t, reg, "server")) != "registry.example.com" || str(t, path(t, reg, "username")) != "bot" {
			t.Errorf("%s registry %v", img.Name, reg)
		}
		if pw := reg.ObjectValue()["password"]; !pw.IsSecret() {
			t.Errorf("%s: the registry password must be a secret input", img.Name)
		}
	}
	release := st.m.one(t, releaseType)
	if got := release.Inputs["timeout"].NumberValue(); got != 900 {
		t.Errorf("timeout %v", got)
	}
	if got := st.outputs["backendImage"].Value; got != "registry.example.com/todo/todo-backend:1.2.3@"+pushDigest {
		t.Errorf("backendImage %v", got)
	}
	if got := st.outputs["openCommand"].Value.(string); !strings.Contains(got, "kubectl --kubeconfig "+kubeconfig+" --context staging -n todo-staging port-forward service/todo-chatbot-frontend") {
		t.Errorf("openCommand %q", got)
	}
}

// Pulumi may run the program from another directory than the project root: the paths
// handed to the providers still point at the project's files.
func TestPathsFromAnotherWorkingDirectory(t *testing.T) {
	root := newProject(t)
	t.Chdir(root + "/charts")
	setConfig(t, nil)
	st := mustRun(t, "dev", nil)
	if got := str(t, st.m.one(t, releaseType).Inputs["chart"]); got != "todo-chatbot" {
		t.Errorf("chart path from charts/: %q", got)
	}
	for _, img := range st.m.ofType(imageType) {
		ctxPath := str(t, path(t, img.Inputs["build"], "context"))
		if ctxPath != "../backend" && ctxPath != "../frontend" {
			t.Errorf("%s context from charts/: %q", img.Name, ctxPath)
		}
	}
}
