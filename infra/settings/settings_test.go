package settings

import (
	"fmt"
	"strings"
	"testing"
)

// A plaintext that must never show up in any error or printout.
const dbURL = "postgresql://todo:hunter2-s3cret@db.example.com:5432/todo"

func TestDefaults(t *testing.T) {
	s, err := Parse(nil)
	if err != nil {
		t.Fatalf("empty config must be a valid Minikube stack: %v", err)
	}
	want := Settings{KubeContext: "minikube", Namespace: "todo-chatbot", MinikubeProfile: "minikube",
		ImageTag: "v1", BackendReplicas: 1, FrontendReplicas: 1, ReleaseTimeout: 600}
	if s != want {
		t.Fatalf("defaults:\n got %+v\nwant %+v", s, want)
	}
	if !s.Minikube() || !s.InClusterPostgres() || s.Promoting() {
		t.Fatalf("default stack: Minikube=%v InClusterPostgres=%v Promoting=%v, want true true false",
			s.Minikube(), s.InClusterPostgres(), s.Promoting())
	}
	if got := s.ImageRepository(BackendImageName); got != "todo-backend" {
		t.Fatalf("repository without registry = %q", got)
	}
}

func TestValuesAndPrefixedKeys(t *testing.T) {
	s, err := Parse(map[string]string{
		"todo-chatbot:kubeContext": "staging-admin",
		"namespace":                "todo-staging",
		"imageTag":                 "2024.06.1",
		"registry":                 "registry.example.com:5000/team/",
		"registryUsername":         "bot",
		"registryPassword":         "pw",
		"backendReplicas":          "3",
		"frontendReplicas":         " 2 ",
		"frontendNodePort":         "30080",
		"databaseUrl":              dbURL,
		"geminiModel":              "gemini-2.5-flash",
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.KubeContext != "staging-admin" || s.Namespace != "todo-staging" || s.BackendReplicas != 3 ||
		s.FrontendReplicas != 2 || s.FrontendNodePort != 30080 || s.ImageTag != "2024.06.1" {
		t.Fatalf("values not read: %+v", s)
	}
	if s.Registry != "registry.example.com:5000/team" || s.RegistryServer() != "registry.example.com:5000" {
		t.Fatalf("registry %q server %q", s.Registry, s.RegistryServer())
	}
	if got := s.ImageRepository(FrontendImageName); got != "registry.example.com:5000/team/todo-frontend" {
		t.Fatalf("repository with registry = %q", got)
	}
	if s.Minikube() || s.InClusterPostgres() {
		t.Fatal("a registry stack is not Minikube and runs no in-cluster PostgreSQL")
	}
	if s.DatabaseURL.Reveal() != dbURL {
		t.Fatal("Reveal must return the plaintext")
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	s, err := Parse(map[string]string{"databaseUrl": dbURL, "geminiApiKey": "AIza-key-123"})
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, s)
		if strings.Contains(out, "hunter2") || strings.Contains(out, "AIza") {
			t.Fatalf("%s of Settings prints a secret", verb)
		}
		if !strings.Contains(out, "[secret]") {
			t.Fatalf("%s of Settings should show [secret]: %s", verb, out)
		}
	}
}

// Each rule of the issue: the error names the key and the command that fixes it.
func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name   string
		in     Input
		substr []string
	}{
		{"unknown key with suggestion", Input{Values: map[string]string{"backendReplica": "2"}},
			[]string{"todo-chatbot:backendReplica is not a setting", `did you mean "backendReplicas"`, "pulumi config rm todo-chatbot:backendReplica"}},
		{"unknown key without suggestion", Input{Values: map[string]string{"todo-chatbot:colour": "blue"}},
			[]string{"todo-chatbot:colour is not a setting", "pulumi config rm todo-chatbot:colour"}},
		{"negative backend replicas", Input{Values: map[string]string{"backendReplicas": "-1"}},
			[]string{"todo-chatbot:backendReplicas is -1", "cannot be negative", "pulumi config set todo-chatbot:backendReplicas 1"}},
		{"negative frontend replicas", Input{Values: map[string]string{"frontendReplicas": "-2"}},
			[]string{"todo-chatbot:frontendReplicas is -2", "pulumi config set todo-chatbot:frontendReplicas 1"}},
		{"replicas not a number", Input{Values: map[string]string{"backendReplicas": "two"}},
			[]string{"todo-chatbot:backendReplicas must be a whole number", `"two"`}},
		{"node port out of range", Input{Values: map[string]string{"frontendNodePort": "8080"}},
			[]string{"todo-chatbot:frontendNodePort is 8080", "30000-32767", "pulumi config set todo-chatbot:frontendNodePort 30080"}},
		{"bad namespace", Input{Values: map[string]string{"namespace": "Todo_App"}},
			[]string{"todo-chatbot:namespace", "not a Kubernetes namespace name", "pulumi config set todo-chatbot:namespace todo-chatbot"}},
		{"bad image tag", Input{Values: map[string]string{"imageTag": "v1:latest"}},
			[]string{"todo-chatbot:imageTag", "not a Docker tag"}},
		{"registry with scheme", Input{Values: map[string]string{"registry": "https://r.example.com", "databaseUrl": dbURL}},
			[]string{"todo-chatbot:registry", "no scheme"}},
		{"registry without host", Input{Values: map[string]string{"registry": "myuser", "databaseUrl": dbURL}},
			[]string{"todo-chatbot:registry", "use docker.io/myuser for Docker Hub"}},
		{"bad docker host", Input{Values: map[string]string{"dockerHost": "192.168.49.2:2376"}},
			[]string{"todo-chatbot:dockerHost", "pulumi config set todo-chatbot:dockerHost tcp://192.168.49.2:2376"}},
		{"username without password", Input{Values: map[string]string{"registry": "r.example.com", "registryUsername": "bot", "databaseUrl": dbURL}},
			[]string{"todo-chatbot:registryPassword is missing", `pulumi config set --secret todo-chatbot:registryPassword "<password>"`}},
		{"credentials without registry", Input{Values: map[string]string{"registryUsername": "bot", "registryPassword": "pw"}},
			[]string{"todo-chatbot:registry is missing"}},
		{"database url scheme", Input{Values: map[string]string{"databaseUrl": "mysql://u:hunter2-s3cret@h/db"}},
			[]string{"todo-chatbot:databaseUrl must start with one of postgresql://", "pulumi config set --secret todo-chatbot:databaseUrl"}},
		{"registry stack without database", Input{Values: map[string]string{"registry": "r.example.com"}},
			[]string{"todo-chatbot:databaseUrl is required", "pulumi config set --secret todo-chatbot:databaseUrl"}},
		{"promotion without database", Input{Values: map[string]string{"promoteFrom": "organization/todo-chatbot/staging"}},
			[]string{"todo-chatbot:databaseUrl is required"}},
		{"bad promotion source", Input{Values: map[string]string{"promoteFrom": "a/b/c/d", "databaseUrl": dbURL}},
			[]string{"todo-chatbot:promoteFrom", "organization/project/stack", "pulumi config set todo-chatbot:promoteFrom organization/todo-chatbot/staging"}},
		{"non-positive timeout", Input{Values: map[string]string{"releaseTimeout": "0"}},
			[]string{"todo-chatbot:releaseTimeout is 0"}},
		{"plaintext secret", Input{Values: map[string]string{"databaseUrl": dbURL, "geminiApiKey": "k"}, SecretKeys: []string{"todo-chatbot:geminiApiKey"}, KnowsSecrets: true},
			[]string{"todo-chatbot:databaseUrl is stored in plaintext but is a secret", "pulumi config set --secret todo-chatbot:databaseUrl"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseInput(c.in)
			if err == nil {
				t.Fatal("want an error")
			}
			msg := err.Error()
			for _, s := range c.substr {
				if !strings.Contains(msg, s) {
					t.Errorf("error lacks %q:\n%s", s, msg)
				}
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("error leaks the secret:\n%s", msg)
			}
		})
	}
}

func TestSecretCheckOnlyWhenKnown(t *testing.T) {
	values := map[string]string{"databaseUrl": dbURL}
	if _, err := ParseInput(Input{Values: values}); err != nil {
		t.Fatalf("without secret information a value is accepted: %v", err)
	}
	if _, err := ParseInput(Input{Values: values, SecretKeys: []string{"databaseUrl"}, KnowsSecrets: true}); err != nil {
		t.Fatalf("an encrypted secret is accepted: %v", err)
	}
	// Pulumi.yaml's "" defaults reach the program as plain values: unset, not leaked.
	unset := map[string]string{"databaseUrl": "", "geminiApiKey": "", "registryPassword": "", "frontendNodePort": "0"}
	if _, err := ParseInput(Input{Values: unset, KnowsSecrets: true}); err != nil {
		t.Fatalf("empty secret defaults must be accepted: %v", err)
	}
}

func TestAllErrorsReportedAtOnce(t *testing.T) {
	_, err := Parse(map[string]string{"backendReplicas": "-1", "frontendReplicas": "-1", "typo": "x"})
	if err == nil {
		t.Fatal("want errors")
	}
	for _, key := range []string{"backendReplicas", "frontendReplicas", "typo"} {
		if !strings.Contains(err.Error(), "todo-chatbot:"+key) {
			t.Errorf("error does not mention %s:\n%v", key, err)
		}
	}
}

func TestPromotionIsNotMinikube(t *testing.T) {
	s, err := Parse(map[string]string{"promoteFrom": "organization/todo-chatbot/staging", "databaseUrl": dbURL})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Promoting() || s.Minikube() || s.InClusterPostgres() {
		t.Fatalf("promotion: Promoting=%v Minikube=%v InClusterPostgres=%v", s.Promoting(), s.Minikube(), s.InClusterPostgres())
	}
}
