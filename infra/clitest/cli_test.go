package clitest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/todo-chatbot/todo-chatbot/infra/infratest"
	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

const (
	dbURL  = "postgresql://todo:cli-test-pa55word@db.example.com:5432/todo"
	apiKey = "AIza-cli-test-key"
)

// project is a throwaway copy of the repository's Pulumi.yaml and Pulumi.dev.yaml with a
// local state directory and a random passphrase.
type project struct {
	t   *testing.T
	cli string
	dir string
	env []string
}

func newProject(t *testing.T) *project {
	t.Helper()
	cli := os.Getenv("TODO_PULUMI_CLI")
	if cli == "" {
		t.Skip("TODO_PULUMI_CLI is not set: tests/run/infra.sh builds the Pulumi CLI and runs this test with it")
	}
	repo, err := layout.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"} {
		b, err := os.ReadFile(filepath.Join(repo, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pass := make([]byte, 16)
	if _, err := rand.Read(pass); err != nil {
		t.Fatal(err)
	}
	passFile := filepath.Join(t.TempDir(), "passphrase")
	if err := os.WriteFile(passFile, []byte(hex.EncodeToString(pass)), 0o600); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	p := &project{t: t, cli: cli, dir: dir, env: append(os.Environ(),
		"PULUMI_BACKEND_URL=file://"+state,
		"PULUMI_CONFIG_PASSPHRASE_FILE="+passFile,
		"PULUMI_CONFIG_PASSPHRASE=",
		"PULUMI_HOME="+t.TempDir(),
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"PULUMI_SKIP_CONFIRMATIONS=true",
	)}
	p.ok("stack", "init", "dev", "--secrets-provider", "passphrase")
	return p
}

// preview runs `pulumi preview` far enough for the CLI to validate the stack config against
// Pulumi.yaml (required keys, types, secrecy); it then stops because no Go language host
// can be installed on this machine. It returns the output and whether validation passed.
func (p *project) preview(stack string) (string, bool) {
	p.t.Helper()
	out, err := p.pulumi("preview", "--non-interactive", "--stack", stack)
	if err == nil {
		p.t.Fatalf("pulumi preview succeeded without a language host?\n%s", redact(out))
	}
	if strings.Contains(out, "validating stack config") {
		return out, false
	}
	if !strings.Contains(out, "language plugin") {
		p.t.Fatalf("pulumi preview failed for another reason than the missing language host:\n%s", redact(out))
	}
	return out, true
}

// pulumi runs the CLI; its output is returned, never logged, since it may hold secrets.
func (p *project) pulumi(args ...string) (string, error) {
	cmd := exec.Command(p.cli, args...)
	cmd.Dir = p.dir
	cmd.Env = p.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (p *project) ok(args ...string) string {
	p.t.Helper()
	out, err := p.pulumi(args...)
	if err != nil {
		p.t.Fatalf("pulumi %s: %v\n%s", args[0], err, redact(out))
	}
	return out
}

func redact(s string) string {
	return strings.NewReplacer(dbURL, "[db url]", apiKey, "[api key]").Replace(s)
}

// cliStack is the stack as the CLI holds it (`pulumi config --json --show-secrets`), for
// the program to run on: the values, and which ones the CLI stores encrypted.
func (p *project) cliStack() infratest.Stack {
	p.t.Helper()
	raw := p.ok("config", "--json", "--show-secrets")
	var cfg map[string]struct {
		Value  *string `json:"value"`
		Secret bool    `json:"secret"`
	}
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		p.t.Fatalf("pulumi config --json: %v", err)
	}
	s := infratest.Stack{Config: map[string]string{}}
	for key, v := range cfg {
		name, ok := strings.CutPrefix(key, layout.Project+":")
		if !ok || v.Value == nil {
			continue
		}
		s.Config[name] = *v.Value
		if !v.Secret {
			s.Plaintext = append(s.Plaintext, name)
		}
	}
	return s
}

// secureKeys lists the keys a stack file stores as `secure:` ciphertext, and fails on a
// plaintext secret value in it.
func secureKeys(t *testing.T, stackFile string) []string {
	t.Helper()
	b, err := os.ReadFile(stackFile)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("cli-test-pa55word")) || bytes.Contains(b, []byte(apiKey)) {
		t.Fatalf("%s holds a plaintext secret", stackFile)
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for key, v := range doc.Config {
		if m, ok := v.(map[string]any); ok && m["secure"] != nil {
			keys = append(keys, strings.TrimPrefix(key, layout.Project+":"))
		}
	}
	return keys
}

func TestSecretsAreCiphertextAndTheProgramAgrees(t *testing.T) {
	p := newProject(t)
	p.ok("config", "set", "--secret", "databaseUrl", dbURL)
	p.ok("config", "set", "--secret", "geminiApiKey", apiKey)
	p.ok("config", "set", "backendReplicas", "2")

	secure := secureKeys(t, filepath.Join(p.dir, "Pulumi.dev.yaml"))
	if !slices.Contains(secure, "databaseUrl") || !slices.Contains(secure, "geminiApiKey") {
		t.Fatalf("secrets not stored as secure: %v", secure)
	}
	// Without --show-secrets the CLI itself never prints them either.
	if out := p.ok("config", "--json"); strings.Contains(out, "cli-test-pa55word") || strings.Contains(out, apiKey) {
		t.Fatal("pulumi config --json printed a secret")
	}

	// The program, run on the CLI's view of the stack, accepts it and sends what was set.
	st, err := infratest.Run(t, p.cliStack())
	if err != nil {
		t.Fatalf("the program rejects what the CLI stored: %v", redact(err.Error()))
	}
	values := st.Release(t).Values
	secrets := values["env"].(map[string]any)["secrets"].(map[string]any)
	if secrets["DATABASE_URL"] != dbURL || secrets["GEMINI_API_KEY"] != apiKey {
		t.Fatal("the release gets other secrets than were set")
	}
	backend, frontend := values["backend"].(map[string]any), values["frontend"].(map[string]any)
	if backend["replicaCount"] != 2.0 || frontend["service"].(map[string]any)["nodePort"] != 30080.0 || backend["image"].(map[string]any)["tag"] != "v1" {
		t.Fatalf("values from the CLI's config: backend %v frontend %v", backend, frontend)
	}
	if ctx := st.One(t, infratest.KubernetesProvider).Inputs["context"].StringValue(); ctx != "minikube" {
		t.Fatalf("kube context %q", ctx)
	}
}

// The CLI validates every committed stack file against Pulumi.yaml as `pulumi up` would:
// every documented key is optional (has a default) and every value has its declared type.
func TestCLIAcceptsTheCommittedStacks(t *testing.T) {
	p := newProject(t)
	if out, ok := p.preview("dev"); !ok {
		t.Fatalf("the CLI rejects Pulumi.dev.yaml as committed:\n%s", redact(out))
	}
	p.ok("stack", "init", "staging", "--secrets-provider", "passphrase")
	p.ok("config", "set", "--stack", "staging", "--secret", "databaseUrl", dbURL)
	p.ok("config", "set", "--stack", "staging", "--secret", "registryPassword", "token")
	if out, ok := p.preview("staging"); !ok {
		t.Fatalf("the CLI rejects Pulumi.staging.yaml with its secrets set:\n%s", redact(out))
	}
	p.ok("stack", "init", "prod", "--secrets-provider", "passphrase")
	p.ok("config", "set", "--stack", "prod", "--secret", "databaseUrl", dbURL)
	if out, ok := p.preview("prod"); !ok {
		t.Fatalf("the CLI rejects Pulumi.prod.yaml with its secret set:\n%s", redact(out))
	}

	// And the CLI's own type check works on what Pulumi.yaml declares.
	p.ok("config", "set", "--stack", "dev", "backendReplicas", "two")
	out, ok := p.preview("dev")
	if ok || !strings.Contains(out, "'backendReplicas' must be of type 'integer'") {
		t.Fatalf("the CLI should refuse backendReplicas=two:\n%s", redact(out))
	}
}

// Mistakes a user can make with the CLI. The pinned CLI stores each of them without a
// word at `config set` time (it checks Pulumi.yaml's types only when a program runs, and
// cannot know the secrecy of keys that need a "" default), so the program's validation,
// fed the CLI's own view of the config, must catch each one with a message naming the key
// and the fix.
func TestConfigMistakesAreCaught(t *testing.T) {
	cases := []struct {
		name string
		set  []string
		want string
	}{
		{"plaintext secret", []string{"config", "set", "databaseUrl", dbURL}, "pulumi config set --secret todo-chatbot:databaseUrl"},
		{"unknown key", []string{"config", "set", "backendReplica", "2"}, "pulumi config rm todo-chatbot:backendReplica"},
		{"negative replicas", []string{"config", "set", "frontendReplicas", "--", "-1"}, "todo-chatbot:frontendReplicas is -1"},
		{"not a number", []string{"config", "set", "backendReplicas", "two"}, "todo-chatbot:backendReplicas must be a whole number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newProject(t)
			p.ok(c.set...)
			_, err := infratest.Run(t, p.cliStack())
			if err == nil {
				t.Fatal("the program accepts it")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error lacks %q:\n%v", c.want, err)
			}
			if strings.Contains(err.Error(), "cli-test-pa55word") {
				t.Fatal("the error leaks the secret")
			}
		})
	}
}
