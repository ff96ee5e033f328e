package settings

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

var (
	// RFC 1123 label: what Kubernetes accepts as a namespace name.
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// Docker's tag grammar.
	imageTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	// host[:port][/path...], lower-case path components as Docker requires.
	registryRef = regexp.MustCompile(`^[A-Za-z0-9.-]+(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)
	// stack, project/stack or org/project/stack.
	stackRef = regexp.MustCompile(`^([A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]+$`)
	// The schemes the backend accepts (see the backend's DATABASE_URL contract).
	databaseSchemes = []string{"postgresql://", "postgres://", "postgresql+psycopg://", "sqlite:///"}
)

func validate(s Settings, errs *errorList) {
	if s.KubeContext == "" {
		errs.add(invalid("kubeContext", "is empty"))
	}
	if !dnsLabel.MatchString(s.Namespace) || len(s.Namespace) > 63 {
		errs.add(invalid("namespace", fmt.Sprintf("%q is not a Kubernetes namespace name (lower-case letters, digits and '-', at most 63)", s.Namespace)))
	}
	if s.MinikubeProfile == "" {
		errs.add(invalid("minikubeProfile", "is empty"))
	}
	if s.DockerHost != "" {
		if u, err := url.Parse(s.DockerHost); err != nil || !oneOf(u.Scheme, "tcp", "unix", "ssh", "npipe") {
			errs.add(invalid("dockerHost", fmt.Sprintf("%q is not a Docker host (tcp://host:port, unix:///path or ssh://user@host)", s.DockerHost)))
		}
	}
	if !imageTag.MatchString(s.ImageTag) {
		errs.add(invalid("imageTag", fmt.Sprintf("%q is not a Docker tag (letters, digits, '_', '.', '-'; at most 128)", s.ImageTag)))
	}
	if s.Registry != "" {
		host, _, _ := strings.Cut(s.Registry, "/")
		switch {
		case strings.Contains(s.Registry, "://") || !registryRef.MatchString(s.Registry):
			errs.add(invalid("registry", fmt.Sprintf("%q is not a registry (host[:port][/path], no scheme)", s.Registry)))
		case !strings.ContainsAny(host, ".:") && host != "localhost":
			// pulumi-docker pushes only fully qualified names (it checks the domain).
			errs.add(invalid("registry", fmt.Sprintf("%q does not start with a registry host: use docker.io/%s for Docker Hub, or host[:port]/path", s.Registry, s.Registry)))
		}
	}
	if s.RegistryUsername != "" && !s.RegistryPassword.IsSet() {
		errs.add(invalid("registryPassword", "is missing while registryUsername is set"))
	}
	if s.RegistryPassword.IsSet() && s.RegistryUsername == "" {
		errs.add(invalid("registryUsername", "is missing while registryPassword is set"))
	}
	if (s.RegistryUsername != "" || s.RegistryPassword.IsSet()) && s.Registry == "" && !s.Promoting() {
		errs.add(invalid("registry", "is missing while registry credentials are set"))
	}
	for _, name := range []string{"backendReplicas", "frontendReplicas"} {
		n := s.BackendReplicas
		if name == "frontendReplicas" {
			n = s.FrontendReplicas
		}
		if n < 0 {
			errs.add(invalid(name, fmt.Sprintf("is %d: replicas cannot be negative", n)))
		}
	}
	if p := s.FrontendNodePort; p != 0 && (p < 30000 || p > 32767) {
		errs.add(invalid("frontendNodePort", fmt.Sprintf("is %d: a node port must be within 30000-32767 (Kubernetes' default range), or unset", p)))
	}
	if s.DatabaseURL.IsSet() && !hasPrefix(s.DatabaseURL.Reveal(), databaseSchemes) {
		// Never echo the value: it holds a password.
		errs.add(invalid("databaseUrl", "must start with one of "+strings.Join(databaseSchemes, ", ")))
	}
	if !s.DatabaseURL.IsSet() && !s.Minikube() {
		errs.add(fmt.Errorf("config %s:databaseUrl is required: only a Minikube stack (no registry, no promoteFrom) runs an in-cluster PostgreSQL; set it with `%s`",
			Namespace, setCommand("databaseUrl")))
	}
	if s.PromoteFrom != "" && !stackRef.MatchString(s.PromoteFrom) {
		errs.add(invalid("promoteFrom", fmt.Sprintf("%q is not a stack (stack, project/stack or organization/project/stack)", s.PromoteFrom)))
	}
	if s.ReleaseTimeout <= 0 {
		errs.add(invalid("releaseTimeout", fmt.Sprintf("is %d: it must be a positive number of seconds", s.ReleaseTimeout)))
	}
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
