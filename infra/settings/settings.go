package settings

import (
	"fmt"
	"strings"
)

// Settings is the validated configuration of one stack, with defaults applied.
type Settings struct {
	KubeContext     string
	Kubeconfig      string // "" = $KUBECONFIG or ~/.kube/config
	Namespace       string
	MinikubeProfile string
	DockerHost      string // "" = discover (environment, then `minikube docker-env`)
	ImageTag        string

	Registry         string // "" = build into Minikube's daemon, no push
	RegistryUsername string
	RegistryPassword Secret

	BackendReplicas  int
	FrontendReplicas int
	FrontendNodePort int // 0 = Kubernetes chooses

	DatabaseURL  Secret // "" on Minikube = in-cluster PostgreSQL
	GeminiAPIKey Secret // "" = offline assistant
	GeminiModel  string

	PromoteFrom    string // stack reference; "" = build the images
	ReleaseTimeout int    // seconds
}

// Promoting reports whether this stack deploys another stack's images instead of building.
func (s Settings) Promoting() bool { return s.PromoteFrom != "" }

// Minikube reports whether the target is Minikube: the images are built into Minikube's
// Docker daemon and not pushed anywhere, which is the case when the stack neither pushes to
// a registry nor promotes another stack's (registry-hosted) images.
func (s Settings) Minikube() bool { return s.Registry == "" && !s.Promoting() }

// InClusterPostgres reports whether the chart's own PostgreSQL is enabled: a dev
// convenience for Minikube stacks without a databaseUrl.
func (s Settings) InClusterPostgres() bool { return !s.DatabaseURL.IsSet() && s.Minikube() }

// ImageRepository returns the repository of one of the images (BackendImageName or
// FrontendImageName), prefixed by the registry when one is configured.
func (s Settings) ImageRepository(name string) string {
	if s.Registry == "" {
		return name
	}
	return s.Registry + "/" + name
}

// RegistryServer is the host part of the registry, which is what `docker login` takes.
func (s Settings) RegistryServer() string {
	host, _, _ := strings.Cut(s.Registry, "/")
	return host
}

// Input is the raw configuration of a stack.
type Input struct {
	// Values maps bare config keys (no "todo-chatbot:" prefix) to their values as strings,
	// secrets already decrypted.
	Values map[string]string
	// SecretKeys lists the bare keys whose values are stored encrypted. KnowsSecrets says
	// whether that list is authoritative; only then is a plaintext value for a secret key an
	// error.
	SecretKeys   []string
	KnowsSecrets bool
}

// Parse validates a stack's configuration and applies the defaults. It does not know which
// values were encrypted; ParseInput with KnowsSecrets does.
func Parse(values map[string]string) (Settings, error) {
	return ParseInput(Input{Values: values})
}

// ParseInput validates a stack's configuration and applies the defaults. Every problem is
// reported (joined), each naming the key and the command that fixes it.
func ParseInput(in Input) (Settings, error) {
	var errs errorList
	values := map[string]string{}
	for k, v := range in.Values {
		values[strings.TrimPrefix(k, Namespace+":")] = v
	}
	secret := map[string]bool{}
	for _, k := range in.SecretKeys {
		secret[strings.TrimPrefix(k, Namespace+":")] = true
	}

	for name := range values {
		if _, ok := KeyByName(name); !ok {
			errs.add(unknownKey(name))
		}
	}
	if in.KnowsSecrets {
		for _, k := range Keys {
			// An empty value is an unset one (Pulumi.yaml's "" default), not a leaked secret.
			if v := strings.TrimSpace(values[k.Name]); v != "" && k.Secret && !secret[k.Name] {
				errs.add(fmt.Errorf("config %s:%s is stored in plaintext but is a secret: run `pulumi config set --secret %s:%s %s` to encrypt it",
					Namespace, k.Name, Namespace, k.Name, quoteExample(k.Example)))
			}
		}
	}

	r := reader{values: values, errs: &errs}
	s := Settings{
		KubeContext:      r.str("kubeContext"),
		Kubeconfig:       r.str("kubeconfig"),
		Namespace:        r.str("namespace"),
		MinikubeProfile:  r.str("minikubeProfile"),
		DockerHost:       r.str("dockerHost"),
		ImageTag:         r.str("imageTag"),
		Registry:         strings.TrimSuffix(r.str("registry"), "/"),
		RegistryUsername: r.str("registryUsername"),
		RegistryPassword: Secret(r.str("registryPassword")),
		BackendReplicas:  r.integer("backendReplicas"),
		FrontendReplicas: r.integer("frontendReplicas"),
		FrontendNodePort: r.integer("frontendNodePort"),
		DatabaseURL:      Secret(r.str("databaseUrl")),
		GeminiAPIKey:     Secret(r.str("geminiApiKey")),
		GeminiModel:      r.str("geminiModel"),
		PromoteFrom:      r.str("promoteFrom"),
		ReleaseTimeout:   r.integer("releaseTimeout"),
	}
	validate(s, &errs)
	if err := errs.err(); err != nil {
		return Settings{}, err
	}
	return s, nil
}
