package clitest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/todo-chatbot/todo-chatbot/infra"
)

// The real Pulumi engine runs the real program through the Automation API (an inline
// program needs no Go language host). No resource plugin can be installed here, so a
// deployment stops at the first provider; everything before it is real: the CLI merges
// Pulumi.yaml's defaults into the config, passes the secret keys, and resolves
// StackReferences with its built-in provider, and the program's validation runs on that.

const (
	goodBE = "registry.example.com/todo/todo-backend:v1@sha256:3333333333333333333333333333333333333333333333333333333333333333"
	goodFE = "registry.example.com/todo/todo-frontend:v1@sha256:4444444444444444444444444444444444444444444444444444444444444444"
)

type engine struct {
	t    *testing.T
	p    *project
	opts []auto.LocalWorkspaceOption
}

func newEngine(t *testing.T) *engine {
	p := newProject(t) // skips without the CLI; sets up state, passphrase and Pulumi.yaml
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(p.cli, filepath.Join(root, "bin", "pulumi")); err != nil {
		t.Fatal(err)
	}
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: root, SkipVersionCheck: true})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range p.env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "PULUMI_") {
			env[k] = v
		}
	}
	// The inline program runs in this process: give it a Docker host so a dev stack gets
	// past daemon discovery to the (missing) provider plugins.
	t.Setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
	return &engine{t: t, p: p, opts: []auto.LocalWorkspaceOption{
		auto.WorkDir(p.dir), auto.Pulumi(cmd), auto.EnvVars(env), auto.SecretsProvider("passphrase"),
	}}
}

func (e *engine) stack(name string, program pulumi.RunFunc, config auto.ConfigMap) auto.Stack {
	e.t.Helper()
	ctx := context.Background()
	s, err := auto.UpsertStackInlineSource(ctx, name, "todo-chatbot", program, e.opts...)
	if err != nil {
		e.t.Fatalf("stack %s: %v", name, err)
	}
	if err := s.SetAllConfig(ctx, config); err != nil {
		e.t.Fatalf("config of %s: %v", name, err)
	}
	return s
}

// preview runs `pulumi preview` of the real program and returns its error text.
func (e *engine) preview(name string, config auto.ConfigMap) string {
	e.t.Helper()
	s := e.stack(name, infra.Program, config)
	_, err := s.Preview(context.Background())
	if err == nil {
		e.t.Fatalf("preview of %s succeeded without provider plugins?", name)
	}
	return redact(err.Error())
}

// pastValidation reports whether a preview got through the program's checks to the
// declaration of provider resources, which fail here for want of plugins.
func pastValidation(out string) bool {
	return strings.Contains(out, "no resource plugin 'pulumi-resource-") &&
		!strings.Contains(out, "invalid configuration") && !strings.Contains(out, "promoteFrom")
}

func source(outputs map[string]string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		for k, v := range outputs {
			ctx.Export(k, pulumi.String(v))
		}
		return nil
	}
}

func TestEngineRunsTheProgramsValidation(t *testing.T) {
	e := newEngine(t)
	secretDB := auto.ConfigValue{Value: dbURL, Secret: true}

	// The committed dev stack, as the CLI hands it over, passes the program's checks.
	if out := e.preview("dev", auto.ConfigMap{}); !pastValidation(out) {
		t.Fatalf("dev stack did not get past validation:\n%s", out)
	}
	// A negative replica count, through the real engine.
	out := e.preview("dev", auto.ConfigMap{"backendReplicas": {Value: "-1"}})
	if !strings.Contains(out, "todo-chatbot:backendReplicas is -1") || !strings.Contains(out, "pulumi config set todo-chatbot:backendReplicas 1") {
		t.Fatalf("negative replicas:\n%s", out)
	}
	// A plaintext secret: the engine tells the program which keys are secret.
	out = e.preview("dev", auto.ConfigMap{"backendReplicas": {Value: "1"}, "databaseUrl": {Value: dbURL}})
	if !strings.Contains(out, "todo-chatbot:databaseUrl is stored in plaintext") {
		t.Fatalf("plaintext secret:\n%s", out)
	}
	if strings.Contains(out, "cli-test-pa55word") {
		t.Fatal("the error leaks the secret")
	}
	if out := e.preview("dev", auto.ConfigMap{"databaseUrl": secretDB}); !pastValidation(out) {
		t.Fatalf("an encrypted databaseUrl must pass:\n%s", out)
	}
}

func TestEnginePromotion(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	secretDB := auto.ConfigValue{Value: dbURL, Secret: true}

	staging := e.stack("staging", source(map[string]string{"backendImage": goodBE, "frontendImage": goodFE}), auto.ConfigMap{})
	if _, err := staging.Up(ctx); err != nil {
		t.Fatalf("up of the source stack: %v", redact(err.Error()))
	}
	out := e.preview("prod", auto.ConfigMap{"databaseUrl": secretDB})
	if !pastValidation(out) {
		t.Fatalf("promotion from staging did not get past validation:\n%s", out)
	}
	// Promotion declares no Docker provider: only the Kubernetes plugin is missing.
	if strings.Contains(out, "pulumi-resource-docker") || !strings.Contains(out, "pulumi-resource-kubernetes") {
		t.Fatalf("promotion must need the Kubernetes provider only:\n%s", out)
	}

	half := e.stack("half", source(map[string]string{"backendImage": goodBE}), auto.ConfigMap{})
	if _, err := half.Up(ctx); err != nil {
		t.Fatalf("up of the half source stack: %v", redact(err.Error()))
	}
	out = e.preview("prod", auto.ConfigMap{"databaseUrl": secretDB, "promoteFrom": {Value: "organization/todo-chatbot/half"}})
	if !strings.Contains(out, "stack organization/todo-chatbot/half exports no frontendImage") {
		t.Fatalf("promotion from a stack without image outputs:\n%s", out)
	}
}
