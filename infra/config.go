package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"
)

// project is the Pulumi project name, and so the namespace of every config key
// (`pulumi config set todo-chatbot:<key> ...`).
const project = "todo-chatbot"

// key is one setting as Pulumi.yaml's `config:` block declares it: that block is the only
// list of settings. Secrecy is the "Secret:" prefix of the description, because a
// `secret: true` key makes the CLI demand ciphertext even for its "" default.
type key struct {
	Type        string `yaml:"type"` // string or integer
	Default     any    `yaml:"default"`
	Description string `yaml:"description"`
}

func (k key) secret() bool { return strings.HasPrefix(k.Description, "Secret:") }

var exampleRE = regexp.MustCompile(`e\.g\. (\S+)`)

// example is a value for the `pulumi config set` hint in error messages: the one after
// "e.g." in the description, else the default.
func (k key) example() string {
	if m := exampleRE.FindStringSubmatch(k.Description); m != nil {
		return strings.TrimRight(m[1], ".,;)")
	}
	return fmt.Sprint(k.Default)
}

// loadKeys reads the settings Pulumi.yaml declares.
func loadKeys(root string) (map[string]key, error) {
	b, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Config map[string]key `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("reading Pulumi.yaml: %w", err)
	}
	return doc.Config, nil
}

// stackConfig is one stack's validated settings, defaults applied, by bare key. It is read
// by name where a setting is used (`cfg.str("namespace")`); a name Pulumi.yaml does not
// declare panics, which every test that runs the program catches.
type stackConfig struct {
	keys   map[string]key
	values map[string]string
}

func (c stackConfig) str(name string) string {
	if _, ok := c.keys[name]; !ok {
		panic("infra: config key " + name + " is not declared in Pulumi.yaml")
	}
	return c.values[name]
}

// int reads an integer setting; readConfig has checked it parses.
func (c stackConfig) int(name string) int {
	n, _ := strconv.Atoi(c.str(name))
	return n
}

// secret is a secret setting as a secret Output: it stays secret from the config to the
// Release's inputs and the state, and shows as [secret] in every diff.
func (c stackConfig) secret(name string) pulumi.StringOutput {
	return pulumi.ToSecret(pulumi.String(c.str(name))).(pulumi.StringOutput)
}

// String lists the settings with secrets masked, so a stackConfig can be logged or shown
// in a test failure (%v, %+v, %s and %#v all use it) without leaking one.
func (c stackConfig) String() string {
	names := make([]string, 0, len(c.values))
	for name := range c.values {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		v := c.values[name]
		if c.keys[name].secret() && v != "" {
			v = "[secret]"
		}
		fmt.Fprintf(&b, "%s=%q ", name, v)
	}
	return strings.TrimSpace(b.String())
}

func (c stackConfig) GoString() string { return "stackConfig{" + c.String() + "}" }

// Decisions derived from the settings, each made here once.

// promoting: this stack deploys another stack's images instead of building.
func (c stackConfig) promoting() bool { return c.str("promoteFrom") != "" }

// minikube: the images are built into Minikube's Docker daemon and not pushed anywhere,
// which is the case when the stack neither pushes to a registry nor promotes.
func (c stackConfig) minikube() bool { return c.registry() == "" && !c.promoting() }

// inClusterPostgres: the chart's own PostgreSQL runs, a dev convenience for Minikube stacks
// without a databaseUrl.
func (c stackConfig) inClusterPostgres() bool { return c.str("databaseUrl") == "" && c.minikube() }

func (c stackConfig) registry() string { return strings.TrimSuffix(c.str("registry"), "/") }

// registryServer is the host part of the registry, which is what `docker login` takes.
func (c stackConfig) registryServer() string {
	host, _, _ := strings.Cut(c.registry(), "/")
	return host
}

// imageRepository is backendImage or frontendImage, under the registry when one is set.
func (c stackConfig) imageRepository(name string) string {
	if c.registry() == "" {
		return name
	}
	return c.registry() + "/" + name
}

// readConfig reads every setting of the stack, applies Pulumi.yaml's defaults and checks
// everything that can be checked before a resource exists. Every problem is reported at
// once, each naming the key and the command that fixes it; a secret is never echoed.
func readConfig(ctx *pulumi.Context, root string) (stackConfig, error) {
	keys, err := loadKeys(root)
	if err != nil {
		return stackConfig{}, err
	}
	c := stackConfig{keys: keys, values: map[string]string{}}
	var errs []error
	for name, k := range keys {
		full := project + ":" + name
		v, set := ctx.GetConfig(full)
		v = strings.TrimSpace(v)
		if !set || v == "" {
			v = fmt.Sprint(k.Default)
		} else if k.secret() && !ctx.IsConfigSecret(full) {
			errs = append(errs, fmt.Errorf("config %s is stored in plaintext but is a secret: run `pulumi config set --secret %s %s` to encrypt it",
				full, full, quoteExample(k.example())))
		}
		if _, err := strconv.Atoi(v); k.Type == "integer" && err != nil {
			errs = append(errs, c.invalid(name, "must be a whole number, not "+strconv.Quote(v)))
		}
		c.values[name] = v
	}
	for _, name := range undeclaredKeys(keys) {
		errs = append(errs, unknownKey(keys, name))
	}
	errs = append(errs, validate(c)...)
	if len(errs) == 0 && c.promoting() && promotionTarget(ctx, c.str("promoteFrom")) == ctx.Organization()+"/"+ctx.Project()+"/"+ctx.Stack() {
		errs = append(errs, fmt.Errorf("config %s:promoteFrom names this stack itself; name the stack to promote from, e.g. `pulumi config set %s:promoteFrom organization/%s/staging`",
			project, project, ctx.Project()))
	}
	if len(errs) == 0 {
		c.values["kubeconfig"], err = resolveKubeconfig(c.str("kubeconfig"))
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return stackConfig{}, fmt.Errorf("invalid configuration of stack %s:\n%w", ctx.Stack(), err)
	}
	return c, nil
}

// setCommand is the `pulumi config set` command that sets a key, with --secret when the key
// is a secret.
func (c stackConfig) setCommand(name string) string {
	k := c.keys[name]
	flag := ""
	if k.secret() {
		flag = "--secret "
	}
	return fmt.Sprintf("pulumi config set %s%s:%s %s", flag, project, name, quoteExample(k.example()))
}

// invalid reports a bad value; callers never put a secret's value in problem.
func (c stackConfig) invalid(name, problem string) error {
	return fmt.Errorf("config %s:%s %s: fix it with `%s`", project, name, problem, c.setCommand(name))
}

func quoteExample(v string) string {
	if v == "" || strings.ContainsAny(v, " <>&|;$`'\"") {
		return strconv.Quote(v)
	}
	return v
}

func unknownKey(keys map[string]key, name string) error {
	hint := ""
	best, bestDist := "", 4
	for known := range keys {
		if d := levenshtein.Distance(strings.ToLower(name), strings.ToLower(known), nil); d < bestDist || (d == bestDist && known < best) {
			best, bestDist = known, d
		}
	}
	if best != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", best)
	}
	return fmt.Errorf("config %s:%s is not a setting of this project%s: remove it with `pulumi config rm %s:%s`; Pulumi.yaml lists the settings",
		project, name, hint, project, name)
}

// undeclaredKeys lists this project's config keys that Pulumi.yaml does not declare, so a
// typo fails instead of being ignored. The Go SDK cannot enumerate config, so this reads
// PULUMI_CONFIG, where pulumi.Run itself reads the config from when the CLI runs the
// program. (An Automation API inline program gets its config another way; it then still
// reads and validates every declared key, only a misspelt key goes unreported.)
func undeclaredKeys(keys map[string]key) []string {
	var all map[string]string
	_ = json.Unmarshal([]byte(os.Getenv(pulumi.EnvConfig)), &all)
	var names []string
	for full := range all {
		name, ok := strings.CutPrefix(full, project+":")
		if _, declared := keys[name]; ok && !declared {
			names = append(names, name)
		}
	}
	sort.Strings(names)
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
			project, path, project, project)
	}
	return path, nil
}
