package infra

import (
	"os"
	"strings"
	"testing"
)

// Config errors stop the program before any resource is declared, with a message naming
// the key and the command that fixes it.
func TestConfigErrorsStopBeforeAnyResource(t *testing.T) {
	cases := []struct {
		name   string
		config map[string]string
		secret []string
		want   []string
	}{
		{"unknown key", map[string]string{"frontendReplica": "2"}, nil,
			[]string{"todo-chatbot:frontendReplica is not a setting", `did you mean "frontendReplicas"`, "pulumi config rm todo-chatbot:frontendReplica"}},
		{"negative replicas", map[string]string{"backendReplicas": "-1"}, nil,
			[]string{"todo-chatbot:backendReplicas is -1", "pulumi config set todo-chatbot:backendReplicas 1"}},
		{"plaintext secret", map[string]string{"databaseUrl": secretDBURL}, nil,
			[]string{"todo-chatbot:databaseUrl is stored in plaintext but is a secret", "pulumi config set --secret todo-chatbot:databaseUrl"}},
		{"plaintext registry password", map[string]string{"registry": "r.example.com/t", "registryUsername": "bot", "registryPassword": "pw", "databaseUrl": secretDBURL}, []string{"databaseUrl"},
			[]string{"todo-chatbot:registryPassword is stored in plaintext", "pulumi config set --secret todo-chatbot:registryPassword"}},
		{"registry without database", map[string]string{"registry": "r.example.com/t"}, nil,
			[]string{"todo-chatbot:databaseUrl is required", "pulumi config set --secret todo-chatbot:databaseUrl"}},
		{"missing kubeconfig", map[string]string{"kubeconfig": "/nonexistent/kubeconfig"}, nil,
			[]string{"todo-chatbot:kubeconfig: /nonexistent/kubeconfig does not exist", "pulumi config rm todo-chatbot:kubeconfig"}},
		{"promote from itself", map[string]string{"promoteFrom": "dev", "databaseUrl": secretDBURL}, []string{"databaseUrl"},
			[]string{"todo-chatbot:promoteFrom names this stack itself"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			newProject(t)
			setConfig(t, c.config, c.secret...)
			st, err := run(t, "dev", nil)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "pa55-not-for-logs") {
				t.Error("the error leaks the database password")
			}
			for _, r := range st.m.resources {
				if r.Type != "pulumi:pulumi:Stack" {
					t.Errorf("%s %s was declared before the config error", r.Type, r.Name)
				}
			}
		})
	}
}

// Without a daemon in config or environment and without minikube, the program says what
// to run instead of failing inside the docker provider.
func TestNoDockerDaemonSaysWhatToRun(t *testing.T) {
	newProject(t)
	setConfig(t, nil)
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("PATH", t.TempDir())
	_, err := run(t, "dev", nil)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, w := range []string{"minikube is not installed", "minikube start -p minikube", "pulumi config set todo-chatbot:dockerHost"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}

// The dockerHost config wins over DOCKER_HOST; DOCKER_HOST wins over minikube (which is
// not even on PATH here, so the program would fail if it ran it).
func TestDockerHostPrecedenceInProgram(t *testing.T) {
	newProject(t)
	setConfig(t, map[string]string{"dockerHost": "unix:///run/user/1000/docker.sock"})
	t.Setenv("PATH", t.TempDir())
	st := mustRun(t, "dev", nil)
	if got := str(t, st.m.one(t, dockerProv).Inputs["host"]); got != "unix:///run/user/1000/docker.sock" {
		t.Fatalf("docker host %q, want the configured one", got)
	}

	setConfig(t, nil) // DOCKER_HOST from the environment
	t.Setenv("PATH", t.TempDir())
	st = mustRun(t, "dev", nil)
	if got := str(t, st.m.one(t, dockerProv).Inputs["host"]); got != "tcp://192.168.49.2:2376" {
		t.Fatalf("docker host %q, want DOCKER_HOST", got)
	}
}

// With neither config nor DOCKER_HOST, the program asks minikube (a stand-in printing the
// recorded `minikube docker-env` output).
func TestDockerHostFromMinikube(t *testing.T) {
	newProject(t)
	setConfig(t, map[string]string{"minikubeProfile": "todo"})
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_CERT_PATH", "")
	t.Setenv("DOCKER_TLS_VERIFY", "")
	fixture, err := os.ReadFile(packageDir + "/dockerenv/testdata/minikube-docker-env.txt")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	writeFile(t, bin+"/minikube.out", string(fixture))
	writeFile(t, bin+"/minikube", "#!/bin/sh\n[ \"$2\" = todo ] || exit 3\ncat "+bin+"/minikube.out\n")
	if err := os.Chmod(bin+"/minikube", 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":/usr/bin:/bin")
	st := mustRun(t, "dev", nil)
	docker := st.m.one(t, dockerProv)
	if str(t, docker.Inputs["host"]) != "tcp://192.168.49.2:2376" || str(t, docker.Inputs["certPath"]) != "/home/u/.minikube/certs" {
		t.Fatalf("docker provider from minikube docker-env: %v", docker.Inputs)
	}
}
