package infra

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/todo-chatbot/todo-chatbot/infra/settings"
)

// readSettings reads every config key of the project namespace and validates it with
// settings.ParseInput, the same function the CLI-backed and cluster tests use.
func readSettings(ctx *pulumi.Context) (settings.Settings, error) {
	in := settings.Input{Values: map[string]string{}, KnowsSecrets: true}
	read := func(name string) {
		full := settings.Namespace + ":" + name
		if v, ok := ctx.GetConfig(full); ok {
			in.Values[name] = v
			if ctx.IsConfigSecret(full) {
				in.SecretKeys = append(in.SecretKeys, name)
			}
		}
	}
	for _, k := range settings.Keys {
		read(k.Name)
	}
	// Keys the program does not know, so a typo fails instead of being silently ignored.
	unknown, err := undocumentedKeys()
	if err != nil {
		return settings.Settings{}, err
	}
	for _, name := range unknown {
		read(name)
	}
	s, err := settings.ParseInput(in)
	if err != nil {
		return settings.Settings{}, fmt.Errorf("invalid configuration of stack %s:\n%w", ctx.Stack(), err)
	}
	if s.PromoteFrom != "" && promotionTarget(ctx, s.PromoteFrom) == ctx.Organization()+"/"+ctx.Project()+"/"+ctx.Stack() {
		return settings.Settings{}, fmt.Errorf("config %s:promoteFrom names this stack itself; name the stack to promote from, e.g. `pulumi config set %s:promoteFrom organization/%s/staging`",
			settings.Namespace, settings.Namespace, ctx.Project())
	}
	if s.Kubeconfig, err = resolveKubeconfig(s.Kubeconfig); err != nil {
		return settings.Settings{}, err
	}
	return s, nil
}

// resolveKubeconfig expands a leading ~ and checks the file exists, so a typo fails here
// and not as a provider error half-way through.
func resolveKubeconfig(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		path = filepath.Join(home, rest)
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("config %s:kubeconfig: %s does not exist: fix it with `pulumi config set %s:kubeconfig <path>`, or `pulumi config rm %s:kubeconfig` to use $KUBECONFIG or ~/.kube/config",
			settings.Namespace, path, settings.Namespace, settings.Namespace)
	}
	return path, nil
}

// undocumentedKeys lists this project's config keys that settings.Keys does not define.
// The Go SDK has no API to enumerate config, so this reads PULUMI_CONFIG, the variable
// pulumi.Run itself reads the config from when the Pulumi CLI runs the program. (An
// Automation API inline program gets its config another way; it then still reads and
// validates every known key, only a misspelt key goes unreported.)
func undocumentedKeys() ([]string, error) {
	raw := os.Getenv(pulumi.EnvConfig)
	if raw == "" {
		return nil, nil
	}
	var all map[string]string
	if err := json.Unmarshal([]byte(raw), &all); err != nil {
		return nil, fmt.Errorf("reading %s: %w", pulumi.EnvConfig, err)
	}
	var names []string
	for full := range all {
		name, ok := strings.CutPrefix(full, settings.Namespace+":")
		if _, known := settings.KeyByName(name); ok && !known {
			names = append(names, name)
		}
	}
	return names, nil
}

// promotionTarget expands stack or project/stack to organization/project/stack.
func promotionTarget(ctx *pulumi.Context, ref string) string {
	switch strings.Count(ref, "/") {
	case 0:
		return ctx.Organization() + "/" + ctx.Project() + "/" + ref
	case 1:
		return ctx.Organization() + "/" + ref
	}
	return ref
}

// secretInputs are the secret config values as secret Outputs: they stay secret from the
// config to the Release's inputs and the state, and show as [secret] in every diff.
type secretInputs struct {
	DatabaseURL      pulumi.StringOutput
	GeminiAPIKey     pulumi.StringOutput
	RegistryPassword pulumi.StringOutput
}

func readSecrets(ctx *pulumi.Context) secretInputs {
	cfg := config.New(ctx, settings.Namespace)
	return secretInputs{
		DatabaseURL:      cfg.GetSecret("databaseUrl"),
		GeminiAPIKey:     cfg.GetSecret("geminiApiKey"),
		RegistryPassword: cfg.GetSecret("registryPassword"),
	}
}
