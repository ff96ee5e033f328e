// Package infratest runs the Pulumi program, infra.Program, under Pulumi's mocks (mocks
// keyed on type tokens, as in pulumi/examples testing-unit-go-components) and reports what
// it declared. It is how every test gets "what `pulumi up` would do": the infra tests read
// the resource graph and the stack outputs, the chart and cluster tests read the values
// the program hands to the Helm release (Values). There is no second path to those values.
//
// The config reaches the program the way the Pulumi engine passes it (PULUMI_CONFIG and
// PULUMI_CONFIG_SECRET_KEYS), in the project directory as the working directory; both are
// the process's, set for the run and restored after it, so tests calling it must not run
// in parallel with each other.
package infratest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"gopkg.in/yaml.v3"

	"github.com/todo-chatbot/todo-chatbot/infra"
	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// Type tokens of what the program declares.
const (
	ComponentType      = infra.ComponentType
	ReleaseType        = "kubernetes:helm.sh/v3:Release"
	ImageType          = "docker:index/image:Image"
	DockerProvider     = "pulumi:providers:docker"
	KubernetesProvider = "pulumi:providers:kubernetes"
	StackReferenceType = "pulumi:pulumi:StackReference"
)

// Stack is a stack to run the program for. The zero value is the dev stack with no config
// set, on this checkout.
type Stack struct {
	Name string // "dev" when empty
	// Config holds bare keys (no "todo-chatbot:" prefix). Pulumi.yaml's defaults fill the
	// rest, as the CLI does. Secret settings (infra.SecretKeys) are passed as secrets, as
	// `pulumi config set --secret` stores them, unless listed in Plaintext.
	Config    map[string]string
	Plaintext []string
	// Root is the project directory (Pulumi.yaml, build contexts, chart); this checkout
	// when empty. The program runs in Dir, Root when empty, as Pulumi runs it there.
	Root, Dir string
	// Env is set for the run ("" unsets). DOCKER_HOST, DOCKER_CERT_PATH and DOCKER_TLS_VERIFY name a
	// stand-in daemon unless Env sets them (to "" to unset).
	Env map[string]string
	// Sources are the outputs of the stacks promoteFrom may name, by stack name.
	Sources map[string]map[string]string
	// Build distinguishes builds: the mocked image IDs change with it, as a rebuild's do.
	Build string
	// ImageIDs are the IDs the mocked builds report, by image name (repository:tag);
	// ImageID(name, Build) for the others.
	ImageIDs map[string]string
	// Services are the Service names the mocked release reports; <release>-backend,
	// <release>-frontend and <release>-postgresql when nil.
	Services []string
}

// Resource is one resource the program declared.
type Resource struct {
	Type, Name, Provider, Parent string
	Inputs                       resource.PropertyMap
	Read                         bool // read (a StackReference), not registered
}

// Result is one run of the program.
type Result struct {
	Resources []Resource
	Outputs   map[string]internals.UnsafeAwaitOutputResult // the stack outputs
}

// Run runs infra.Program for the stack under mocks. A program error is returned with the
// resources declared before it.
func Run(t testing.TB, s Stack) (*Result, error) {
	t.Helper()
	root := s.Root
	if root == "" {
		root = RepoRoot(t)
	}
	dir := s.Dir
	if dir == "" {
		dir = root
	}
	name := s.Name
	if name == "" {
		name = "dev"
	}
	// The stand-in daemon is never contacted: DOCKER_DEFAULT_PLATFORM answers for it.
	env := map[string]string{"DOCKER_HOST": "tcp://192.168.49.2:2376", "DOCKER_CERT_PATH": "/home/u/.minikube/certs", "DOCKER_TLS_VERIFY": "1",
		"DOCKER_DEFAULT_PLATFORM": "linux/amd64"}
	for k, v := range configEnv(t, root, s) {
		env[k] = v
	}
	for k, v := range s.Env {
		env[k] = v
	}
	// The environment and working directory are the process's: set them for the run only,
	// so the caller's relative paths and environment are untouched afterwards.
	defer setenv(env)()
	back, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.Chdir(back) }()

	m := &mocks{stack: s}
	var exports map[string]pulumi.Input
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		err := infra.Program(ctx)
		exports = ctx.GetCurrentExportMap()
		return err
	}, pulumi.WithMocks("todo-chatbot", name, m))
	r := &Result{Resources: m.resources, Outputs: map[string]internals.UnsafeAwaitOutputResult{}}
	if err != nil {
		return r, err
	}
	for name, in := range exports {
		out, err := internals.UnsafeAwaitOutput(context.Background(), pulumi.ToOutput(in))
		if err != nil {
			t.Fatalf("stack output %s: %v", name, err)
		}
		r.Outputs[name] = out
	}
	return r, nil
}

// MustRun is Run that fails the test on a program error.
func MustRun(t testing.TB, s Stack) *Result {
	t.Helper()
	r, err := Run(t, s)
	if err != nil {
		t.Fatalf("the program failed: %v", err)
	}
	return r
}

// Values returns the values the program hands to the Helm release for a stack with this
// config (bare keys, secrets revealed): exactly what Helm installs on `pulumi up`, with
// stand-in image IDs.
func Values(t testing.TB, config map[string]string) map[string]any {
	t.Helper()
	return MustRun(t, Stack{Config: config}).Release(t).Values
}

// Release is the Helm release as the program declares it.
type Release struct {
	Name, Namespace, Chart string
	Values                 map[string]any // secrets revealed
}

// Release returns the one helm.Release the run declared.
func (r *Result) Release(t testing.TB) Release {
	t.Helper()
	in := r.One(t, ReleaseType).Inputs
	values, _ := Reveal(in["values"]).Mappable().(map[string]any)
	return Release{Name: in["name"].StringValue(), Namespace: in["namespace"].StringValue(),
		Chart: in["chart"].StringValue(), Values: values}
}

// OfType returns the declared resources of one type token.
func (r *Result) OfType(token string) []Resource {
	var out []Resource
	for _, res := range r.Resources {
		if res.Type == token {
			out = append(out, res)
		}
	}
	return out
}

// One returns the one resource of that type, failing the test if there is not exactly one.
func (r *Result) One(t testing.TB, token string) Resource {
	t.Helper()
	rs := r.OfType(token)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, got %d", token, len(rs))
	}
	return rs[0]
}

// Reveal replaces secret values by their plaintext, recursively.
func Reveal(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return Reveal(v.SecretValue().Element)
	case v.IsObject():
		m := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			m[k] = Reveal(e)
		}
		return resource.NewObjectProperty(m)
	}
	return v
}

// StackConfig returns a committed Pulumi.<stack>.yaml's config as bare keys (its secrets,
// which are ciphertext, left out).
func StackConfig(t testing.TB, stack string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(RepoRoot(t), "Pulumi."+stack+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("Pulumi.%s.yaml: %v", stack, err)
	}
	out := map[string]string{}
	for full, v := range doc.Config {
		if name, ok := strings.CutPrefix(full, layout.Project+":"); ok {
			if _, secure := v.(map[string]any); !secure {
				out[name] = fmt.Sprint(v)
			}
		}
	}
	return out
}

// RepoRoot is this checkout's root, the directory of Pulumi.yaml.
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := layout.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// ImageID is the image ID the mocked docker.Image reports for an image (repository:tag)
// in a build.
func ImageID(imageName, build string) string {
	sum := sha256.Sum256([]byte(imageName + "\x00" + build))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// PushDigest is the manifest digest the mocked docker.Image reports for a pushed image.
func PushDigest(imageName, build string) string { return ImageID("pushed "+imageName, build) }

// setenv sets variables ("" unsets) and returns what restores them.
func setenv(vars map[string]string) (restore func()) {
	old := map[string]*string{}
	for k, v := range vars {
		if prev, ok := os.LookupEnv(k); ok {
			old[k] = &prev
		} else {
			old[k] = nil
		}
		if v == "" {
			os.Unsetenv(k)
		} else {
			os.Setenv(k, v)
		}
	}
	return func() {
		for k, v := range old {
			if v == nil {
				os.Unsetenv(k)
			} else {
				os.Setenv(k, *v)
			}
		}
	}
}

// configEnv passes the stack config as the engine does: Pulumi.yaml's defaults merged with
// the stack's values, and the secret keys listed.
func configEnv(t testing.TB, root string, s Stack) map[string]string {
	t.Helper()
	project, err := infra.ReadProjectFile(root)
	if err != nil {
		t.Fatal(err)
	}
	cfg := map[string]string{}
	for _, d := range project.Settings {
		cfg[layout.ConfigKey(d.Name)] = d.DefaultString()
	}
	var secret []string
	for name, v := range s.Config {
		cfg[layout.ConfigKey(name)] = v
		if slices.Contains(infra.SecretKeys(), name) && !slices.Contains(s.Plaintext, name) {
			secret = append(secret, layout.ConfigKey(name))
		}
	}
	c, _ := json.Marshal(cfg)
	sk, _ := json.Marshal(secret)
	return map[string]string{pulumi.EnvConfig: string(c), pulumi.EnvConfigSecretKeys: string(sk)}
}

// mocks answers for the providers: what pulumi-docker, pulumi-kubernetes and the engine's
// StackReference report, recording every resource.
type mocks struct {
	stack     Stack
	mu        sync.Mutex
	resources []Resource
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := Resource{Type: args.TypeToken, Name: args.Name, Provider: args.Provider, Inputs: args.Inputs, Read: args.ReadRPC != nil}
	if args.RegisterRPC != nil {
		r.Parent = args.RegisterRPC.GetParent()
	}
	if args.ReadRPC != nil {
		r.Parent = args.ReadRPC.GetParent()
	}
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()

	state := args.Inputs.Copy()
	switch args.TypeToken {
	case ImageType:
		// The local image ID when only built (skipPush), else repository@<manifest digest>.
		name := args.Inputs["imageName"].StringValue()
		repoDigest, set := m.stack.ImageIDs[name]
		if !set {
			repoDigest = ImageID(name, m.stack.Build)
		}
		if !args.Inputs["skipPush"].BoolValue() {
			repoDigest = name[:strings.LastIndex(name, ":")] + "@" + PushDigest(name, m.stack.Build)
		}
		state["repoDigest"] = resource.NewStringProperty(repoDigest)
		state["baseImageName"] = resource.NewStringProperty(name)
	case ReleaseType:
		release := args.Inputs["name"].StringValue()
		services := m.stack.Services
		if services == nil {
			services = []string{release + "-backend", release + "-frontend", release + "-postgresql"}
		}
		var names []resource.PropertyValue
		for _, s := range services {
			names = append(names, resource.NewStringProperty(s))
		}
		state["resourceNames"] = resource.NewObjectProperty(resource.PropertyMap{"Service/v1": resource.NewArrayProperty(names)})
		state["status"] = resource.NewObjectProperty(resource.PropertyMap{
			"name":      args.Inputs["name"],
			"namespace": args.Inputs["namespace"],
			"status":    resource.NewStringProperty("deployed"),
			"revision":  resource.NewNumberProperty(1),
		})
	case StackReferenceType:
		outs, ok := m.stack.Sources[args.ID]
		if !ok {
			return "", nil, fmt.Errorf("unknown stack %q", args.ID)
		}
		state = resource.PropertyMap{
			"name":              resource.NewStringProperty(args.ID),
			"outputs":           resource.NewPropertyValue(toAny(outs)),
			"secretOutputNames": resource.NewArrayProperty(nil),
		}
	}
	return args.Name + "-id", state, nil
}

func (m *mocks) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

func toAny(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
