package infra_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/todo-chatbot/todo-chatbot/infra/infratest"
)

// Bad config stops the program before any resource is declared, with every problem
// reported at once, each naming the key and the command that fixes it, never a secret.
func TestConfigErrors(t *testing.T) {
	const db = "databaseUrl"
	cases := []struct {
		name      string
		config    map[string]string
		plaintext []string
		want      []string
	}{
		{"unknown key with suggestion", map[string]string{"frontendReplica": "2"},
			nil, []string{"todo-chatbot:frontendReplica is not a setting", `did you mean "frontendReplicas"`, "pulumi config rm todo-chatbot:frontendReplica"}},
		{"unknown key without suggestion", map[string]string{"colour": "blue"},
			nil, []string{"todo-chatbot:colour is not a setting", "pulumi config rm todo-chatbot:colour"}},
		{"every problem at once", map[string]string{"backendReplicas": "-1", "frontendReplicas": "-2", "typo": "x"},
			nil, []string{"todo-chatbot:backendReplicas is -1", "cannot be negative", "pulumi config set todo-chatbot:backendReplicas 1",
				"todo-chatbot:frontendReplicas is -2", "todo-chatbot:typo is not a setting"}},
		{"not a number", map[string]string{"backendReplicas": "two"},
			nil, []string{"todo-chatbot:backendReplicas must be a whole number", `"two"`}},
		{"node port out of range", map[string]string{"frontendNodePort": "8080"},
			nil, []string{"todo-chatbot:frontendNodePort is 8080", "30000-32767", "pulumi config set todo-chatbot:frontendNodePort 30080"}},
		{"ingress host with a scheme", map[string]string{"ingressHost": "https://todo.example.com"},
			nil, []string{"todo-chatbot:ingressHost", "not a host name", "no scheme", "pulumi config set todo-chatbot:ingressHost todo.example.com"}},
		{"bad TLS Secret name", map[string]string{"ingressHost": "todo.example.com", "ingressCertificate": "Todo_TLS"},
			nil, []string{"todo-chatbot:ingressCertificate", `"Todo_TLS" is not a Kubernetes object name`}},
		{"ingress class without a host", map[string]string{"ingressClassName": "nginx"},
			nil, []string{"todo-chatbot:ingressClassName is set but ingressHost is not", "pulumi config set todo-chatbot:ingressClassName nginx"}},
		{"bad namespace", map[string]string{"namespace": "Todo_App"},
			nil, []string{"todo-chatbot:namespace", "not a Kubernetes namespace name", "pulumi config set todo-chatbot:namespace todo-chatbot"}},
		{"bad image tag", map[string]string{"imageTag": "v1:latest"}, nil, []string{"todo-chatbot:imageTag", "not a Docker tag"}},
		{"registry with scheme", map[string]string{"registry": "https://r.example.com", db: secretDBURL}, nil, []string{"todo-chatbot:registry", "no scheme"}},
		{"registry without host", map[string]string{"registry": "myuser", db: secretDBURL}, nil, []string{"todo-chatbot:registry", "use docker.io/myuser for Docker Hub"}},
		{"bad docker host", map[string]string{"dockerHost": "192.168.49.2:2376"},
			nil, []string{"todo-chatbot:dockerHost", "pulumi config set todo-chatbot:dockerHost tcp://192.168.49.2:2376"}},
		{"username without password", map[string]string{"registry": "r.example.com", "registryUsername": "bot", db: secretDBURL},
			nil, []string{"todo-chatbot:registryPassword is missing", `pulumi config set --secret todo-chatbot:registryPassword "<password>"`}},
		{"credentials without registry", map[string]string{"registryUsername": "bot", "registryPassword": "pw"}, nil, []string{"todo-chatbot:registry is missing"}},
		{"database url scheme", map[string]string{db: "mysql://u:pa55-not-for-logs@h/db"},
			nil, []string{"todo-chatbot:databaseUrl must start with one of postgresql://", "pulumi config set --secret todo-chatbot:databaseUrl"}},
		{"registry stack without database", map[string]string{"registry": "r.example.com/t"},
			nil, []string{"todo-chatbot:databaseUrl is required", "pulumi config set --secret todo-chatbot:databaseUrl"}},
		{"promotion without database", map[string]string{"promoteFrom": staging}, nil, []string{"todo-chatbot:databaseUrl is required"}},
		{"bad promotion source", map[string]string{"promoteFrom": "a/b/c/d", db: secretDBURL},
			nil, []string{"todo-chatbot:promoteFrom", "organization/project/stack", "pulumi config set todo-chatbot:promoteFrom organization/todo-chatbot/staging"}},
		{"promote from itself", map[string]string{"promoteFrom": "dev", db: secretDBURL}, nil, []string{"todo-chatbot:promoteFrom names this stack itself"}},
		{"non-positive timeout", map[string]string{"releaseTimeout": "0"}, nil, []string{"todo-chatbot:releaseTimeout is 0"}},
		{"plaintext secret", map[string]string{db: secretDBURL, "geminiApiKey": "k"}, []string{db},
			[]string{"todo-chatbot:databaseUrl is stored in plaintext but is a secret", "pulumi config set --secret todo-chatbot:databaseUrl"}},
		{"plaintext registry password", map[string]string{"registry": "r.example.com/t", "registryUsername": "bot", "registryPassword": "pw", db: secretDBURL},
			[]string{"registryPassword"}, []string{"todo-chatbot:registryPassword is stored in plaintext", "pulumi config set --secret todo-chatbot:registryPassword"}},
		{"missing kubeconfig", map[string]string{"kubeconfig": "/nonexistent/kubeconfig"},
			nil, []string{"todo-chatbot:kubeconfig: /nonexistent/kubeconfig does not exist", "pulumi config rm todo-chatbot:kubeconfig"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := infratest.Run(t, infratest.Stack{Config: c.config, Plaintext: c.plaintext})
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
			for _, r := range st.Resources {
				if r.Type != "pulumi:pulumi:Stack" {
					t.Errorf("%s %s was declared before the config error", r.Type, r.Name)
				}
			}
		})
	}
}

// The program hands its Docker settings to the daemon discovery (whose precedence
// infra/dockerenv tests) and the daemon it finds to the docker provider.
func TestDockerDaemonFromConfig(t *testing.T) {
	fixture, err := os.ReadFile(filepath.Join(repoRoot, "infra/dockerenv/testdata/minikube-docker-env.txt"))
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	writeFile(t, bin+"/minikube.out", string(fixture))
	writeFile(t, bin+"/minikube", "#!/bin/sh\n[ \"$2\" = todo ] || exit 3\ncat "+bin+"/minikube.out\n")
	if err := os.Chmod(bin+"/minikube", 0o755); err != nil {
		t.Fatal(err)
	}
	noDaemon := map[string]string{"DOCKER_HOST": "", "DOCKER_CERT_PATH": "", "DOCKER_TLS_VERIFY": "", "PATH": bin + ":/usr/bin:/bin"}
	for _, c := range []struct {
		config         map[string]string
		host, certPath string
	}{
		{map[string]string{"dockerHost": "unix:///run/user/1000/docker.sock"}, "unix:///run/user/1000/docker.sock", ""},
		{map[string]string{"minikubeProfile": "todo"}, "tcp://192.168.49.2:2376", "/home/u/.minikube/certs"},
	} {
		st := infratest.MustRun(t, infratest.Stack{Config: c.config, Env: noDaemon})
		docker := st.One(t, infratest.DockerProvider)
		if str(t, docker.Inputs["host"]) != c.host || (c.certPath != "" && str(t, docker.Inputs["certPath"]) != c.certPath) {
			t.Errorf("config %v: docker provider %v, want host %s", c.config, docker.Inputs, c.host)
		}
	}
}
