package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// stackConfig is one stack's checked settings and what the program derives from them.
type stackConfig struct {
	Settings
	// kubeconfigPath is Settings.Kubeconfig with ~ expanded, checked to exist; "" for the
	// provider's own default ($KUBECONFIG or ~/.kube/config).
	kubeconfigPath string
	// liveUpdate: make dev deploys its live-update mode (layout.LiveUpdateEnv); never a
	// setting of the stack, so no stack file can leave a deployment in it.
	liveUpdate bool
}

// Decisions derived from the settings, each made here once.

// promoting: this stack deploys another stack's images instead of building.
func (s Settings) promoting() bool { return s.PromoteFrom != "" }

// minikube: the images are built into Minikube's Docker daemon and not pushed anywhere,
// which is the case when the stack neither pushes to a registry nor promotes.
func (s Settings) minikube() bool { return s.registry() == "" && !s.promoting() }

// inClusterPostgres: the chart's own PostgreSQL runs, a dev convenience for Minikube stacks
// without a databaseUrl.
func (s Settings) inClusterPostgres() bool { return !s.DatabaseURL.IsSet() && s.minikube() }

func (s Settings) registry() string { return strings.TrimSuffix(s.Registry, "/") }

// registryServer is the host part of the registry, which is what `docker login` takes.
func (s Settings) registryServer() string {
	host, _, _ := strings.Cut(s.registry(), "/")
	return host
}

// imageRepository is backendImage or frontendImage, under the registry when one is set.
func (s Settings) imageRepository(name string) string {
	if s.registry() == "" {
		return name
	}
	return s.registry() + "/" + name
}

// readConfig reads every setting of the stack, applies Pulumi.yaml's defaults and checks
// everything that can be checked before a resource exists. Every problem is reported at
// once, in the order Settings declares the keys, each naming the key and the command that
// fixes it; a secret is never echoed.
func readConfig(ctx *pulumi.Context, root string) (stackConfig, error) {
	project, err := ReadProjectFile(root)
	if err != nil {
		return stackConfig{}, err
	}
	if err := checkDeclared(project); err != nil {
		return stackConfig{}, err
	}
	s, errs := readSettings(ctx, project)
	for _, name := range undeclaredKeys(project) {
		errs = append(errs, unknownKey(project, name))
	}
	errs = append(errs, s.validate()...)
	if len(errs) == 0 && s.promoting() && promotionTarget(ctx, s.PromoteFrom) == ctx.Organization()+"/"+ctx.Project()+"/"+ctx.Stack() {
		key := s.keyOf(&s.PromoteFrom)
		errs = append(errs, fmt.Errorf("config %s names this stack itself; name the stack to promote from, e.g. `%s`",
			layout.ConfigKey(key), setCommand(key)))
	}
	c := stackConfig{Settings: s}
	c.liveUpdate, err = readLiveUpdate(s, os.Getenv)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		c.kubeconfigPath, err = resolveKubeconfig(s.keyOf(&s.Kubeconfig), s.Kubeconfig)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return stackConfig{}, fmt.Errorf("invalid configuration of stack %s:\n%w", ctx.Stack(), err)
	}
	return c, nil
}

// readLiveUpdate reads layout.LiveUpdateEnv: 1/true turns make dev's live-update mode on,
// unset, empty, 0 or false leaves it off. It needs a stack that builds its images into the
// cluster's daemon: a dev image pushed to a registry, or a promotion of one, is refused.
func readLiveUpdate(s Settings, getenv func(string) string) (bool, error) {
	raw := strings.TrimSpace(getenv(layout.LiveUpdateEnv))
	var on bool
	switch strings.ToLower(raw) {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		on = true
	default:
		return false, fmt.Errorf("%s=%q: want 1 (make dev's live update) or 0; unset it for a normal deployment", layout.LiveUpdateEnv, raw)
	}
	switch {
	case s.promoting():
		return false, fmt.Errorf("%s=1 (make dev's live update) cannot deploy a stack that promotes images (%s is set): run `make dev LIVE_UPDATE=0`, or unset %s",
			layout.LiveUpdateEnv, layout.ConfigKey("promoteFrom"), layout.LiveUpdateEnv)
	case s.registry() != "":
		return false, fmt.Errorf("%s=1 (make dev's live update) would push dev images to the registry %s: only a stack that builds into the cluster's daemon (the Minikube dev stack) runs live update; run `make dev LIVE_UPDATE=0`",
			layout.LiveUpdateEnv, s.registry())
	}
	return on, nil
}

func unknownKey(p ProjectFile, name string) error {
	hint := ""
	best, bestDist := "", 4
	for _, d := range p.Settings {
		if dist := levenshtein.Distance(strings.ToLower(name), strings.ToLower(d.Name), nil); dist < bestDist || (dist == bestDist && d.Name < best) {
			best, bestDist = d.Name, dist
		}
	}
	if best != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", best)
	}
	full := layout.ConfigKey(name)
	return fmt.Errorf("config %s is not a setting of this project%s: remove it with `pulumi config rm %s`; Pulumi.yaml lists the settings",
		full, hint, full)
}

// undeclaredKeys lists this project's config keys that Pulumi.yaml does not declare, so a
// typo fails instead of being ignored. The Go SDK cannot enumerate config, so this reads
// PULUMI_CONFIG, where pulumi.Run itself reads the config from when the CLI runs the
// program. (An Automation API inline program gets its config another way; it then still
// reads and validates every declared key, only a misspelt key goes unreported.)
func undeclaredKeys(p ProjectFile) []string {
	var all map[string]string
	_ = json.Unmarshal([]byte(os.Getenv(pulumi.EnvConfig)), &all)
	var names []string
	for full := range all {
		name, ok := strings.CutPrefix(full, layout.Project+":")
		if _, declared := p.Declaration(name); ok && !declared {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
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

// resolveKubeconfig expands a leading ~ and checks the file exists, so a typo fails here
// and not as a provider error half-way through.
func resolveKubeconfig(key, path string) (string, error) {
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
		key = layout.ConfigKey(key)
		return "", fmt.Errorf("config %s: %s does not exist: fix it with `pulumi config set %s <path>`, or `pulumi config rm %s` to use $KUBECONFIG or ~/.kube/config",
			key, path, key, key)
	}
	return path, nil
}
