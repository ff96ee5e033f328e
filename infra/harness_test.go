package infra

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/todo-chatbot/todo-chatbot/infra/settings"
)

// Test harness: runs the real program under pulumi.WithMocks (mocks keyed on type tokens,
// as in pulumi/examples' testing-unit-go) against a throwaway project directory, with the
// stack config passed the way the Pulumi engine passes it (PULUMI_CONFIG and
// PULUMI_CONFIG_SECRET_KEYS), and records every resource the program declares.

const (
	imageID     = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	pushDigest  = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	stagingBE   = "registry.example.com/todo/todo-backend:v1@sha256:3333333333333333333333333333333333333333333333333333333333333333"
	stagingFE   = "registry.example.com/todo/todo-frontend:v1@sha256:4444444444444444444444444444444444444444444444444444444444444444"
	secretDBURL = "postgresql://todo:pa55-not-for-logs@db.example.com:5432/todo"
	secretKey   = "AIza-test-key-not-for-logs"
)

// registered is one resource the program declared.
type registered struct {
	Type, Name, Provider, Parent string
	Version                      string // provider plugin version the SDK pins
	Inputs                       resource.PropertyMap
	Read                         bool
}

type mocks struct {
	mu        sync.Mutex
	resources []registered
	// stackOutputs answers StackReference reads, by stack name.
	stackOutputs map[string]resource.PropertyMap
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := registered{Type: args.TypeToken, Name: args.Name, Provider: args.Provider, Inputs: args.Inputs, Read: args.ReadRPC != nil}
	if args.RegisterRPC != nil {
		r.Parent = args.RegisterRPC.GetParent()
		r.Version = args.RegisterRPC.GetVersion()
	}
	if args.ReadRPC != nil {
		r.Parent = args.ReadRPC.GetParent()
	}
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()

	state := args.Inputs.Copy()
	switch args.TypeToken {
	case "docker:index/image:Image":
		// What pulumi-docker reports: the local image ID when skipPush, else repo@digest.
		name := args.Inputs["imageName"].StringValue()
		repo := name[:strings.LastIndex(name, ":")]
		state["repoDigest"] = resource.NewStringProperty(repo + "@" + pushDigest)
		if args.Inputs["skipPush"].IsBool() && args.Inputs["skipPush"].BoolValue() {
			state["repoDigest"] = resource.NewStringProperty(imageID)
		}
		state["baseImageName"] = resource.NewStringProperty(name)
	case "kubernetes:helm.sh/v3:Release":
		state["status"] = resource.NewObjectProperty(resource.PropertyMap{
			"name":      args.Inputs["name"],
			"namespace": args.Inputs["namespace"],
			"status":    resource.NewStringProperty("deployed"),
			"revision":  resource.NewNumberProperty(1),
		})
	case "pulumi:pulumi:StackReference":
		outs, ok := m.stackOutputs[args.ID]
		if !ok {
			return "", nil, fmt.Errorf("unknown stack %q", args.ID)
		}
		state = resource.PropertyMap{
			"name":              resource.NewStringProperty(args.ID),
			"outputs":           resource.NewObjectProperty(outs),
			"secretOutputNames": resource.NewArrayProperty(nil),
		}
	}
	return args.Name + "-id", state, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

// ofType returns the recorded resources of one type token.
func (m *mocks) ofType(token string) []registered {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []registered
	for _, r := range m.resources {
		if r.Type == token {
			out = append(out, r)
		}
	}
	return out
}

func (m *mocks) one(t *testing.T, token string) registered {
	t.Helper()
	rs := m.ofType(token)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, got %d", token, len(rs))
	}
	return rs[0]
}

// stack is one program run's result.
type stack struct {
	m       *mocks
	outputs map[string]internals.UnsafeAwaitOutputResult
}

// newProject writes a minimal project (Pulumi.yaml, both build contexts, a chart) and makes
// it the working directory, so tests do not depend on the other parts' files.
func newProject(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"Pulumi.yaml":                            "name: todo-chatbot\nruntime: go\n",
		"backend/Dockerfile":                     "FROM scratch\n",
		"backend/app/main.py":                    "print('hi')\n",
		"frontend/Dockerfile":                    "FROM scratch\n",
		"charts/todo-chatbot/Chart.yaml":         "apiVersion: v2\nname: todo-chatbot\nversion: 0.1.0\n",
		"charts/todo-chatbot/values.yaml":        "backend: {}\n",
		"charts/todo-chatbot/templates/nop.yaml": "# nothing\n",
		"charts/todo-chatbot/.helmignore":        "*.swp\n",
	}
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(root)
	return root
}

// setConfig passes stack config the way the engine does. Keys are bare; keys listed in
// secret are marked secret, as `pulumi config set --secret` would.
func setConfig(t testing.TB, values map[string]string, secret ...string) {
	t.Helper()
	// The CLI merges Pulumi.yaml's defaults into the config it passes (every key has one;
	// a test checks Pulumi.yaml and settings.Keys agree), so the program always sees them.
	cfg := map[string]string{}
	for _, k := range settings.Keys {
		cfg["todo-chatbot:"+k.Name] = k.Default
	}
	for k, v := range values {
		cfg["todo-chatbot:"+k] = v
	}
	var secretKeys []string
	for _, k := range secret {
		secretKeys = append(secretKeys, "todo-chatbot:"+k)
	}
	b, _ := json.Marshal(cfg)
	t.Setenv(pulumi.EnvConfig, string(b))
	s, _ := json.Marshal(secretKeys)
	t.Setenv(pulumi.EnvConfigSecretKeys, string(s))
	// A known Docker daemon and no minikube on PATH, unless a test says otherwise.
	t.Setenv("DOCKER_HOST", "tcp://192.168.49.2:2376")
	t.Setenv("DOCKER_CERT_PATH", "/home/u/.minikube/certs")
	t.Setenv("DOCKER_TLS_VERIFY", "1")
}

// run runs the program under mocks for stack name and awaits every stack output.
func run(t *testing.T, stackName string, m *mocks) (stack, error) {
	t.Helper()
	if m == nil {
		m = &mocks{}
	}
	var outputs map[string]pulumi.Output
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		var err error
		outputs, err = deploy(ctx)
		return err
	}, pulumi.WithMocks("todo-chatbot", stackName, m))
	st := stack{m: m, outputs: map[string]internals.UnsafeAwaitOutputResult{}}
	if err != nil {
		return st, err
	}
	for name, o := range outputs {
		r, err := internals.UnsafeAwaitOutput(context.Background(), o)
		if err != nil {
			t.Fatalf("output %s: %v", name, err)
		}
		st.outputs[name] = r
	}
	return st, nil
}

func mustRun(t *testing.T, stackName string, m *mocks) stack {
	t.Helper()
	st, err := run(t, stackName, m)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	return st
}

// path walks nested object properties: path(v, "env", "secrets", "DATABASE_URL").
func path(t *testing.T, v resource.PropertyValue, keys ...string) resource.PropertyValue {
	t.Helper()
	for _, k := range keys {
		if v.IsSecret() {
			t.Fatalf("%s: the values tree is secret above the leaves", k)
		}
		if !v.IsObject() {
			t.Fatalf("%s: not an object: %v", k, v)
		}
		v = v.ObjectValue()[resource.PropertyKey(k)]
	}
	return v
}

func str(t *testing.T, v resource.PropertyValue) string {
	t.Helper()
	if !v.IsString() {
		t.Fatalf("not a plain string: %v", v)
	}
	return v.StringValue()
}

func writeFile(t testing.TB, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// packageDir is this package's source directory, read before tests chdir into temp projects.
var packageDir = func() string { d, _ := os.Getwd(); return d }()
