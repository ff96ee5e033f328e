package infra

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

var (
	// RFC 1123 label: what Kubernetes accepts as a namespace name.
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// Docker's tag grammar.
	imageTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	// host[:port][/path...], lower-case path components as Docker requires.
	registryRef = regexp.MustCompile(`^[A-Za-z0-9.-]+(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)
	// RFC 1123 subdomain: a host name an Ingress rule takes, and a Secret or IngressClass name.
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// stack, project/stack or org/project/stack.
	stackRef = regexp.MustCompile(`^([A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]+$`)
	// The schemes the backend accepts (see the backend's DATABASE_URL contract).
	databaseSchemes = []string{"postgresql://", "postgres://", "postgresql+psycopg://", "sqlite:///"}
)

// validate checks the settings' values beyond their Pulumi.yaml type, and how they combine.
// A problem names its key through the field (keyOf), never by a string.
func (s *Settings) validate() []error {
	var errs []error
	bad := func(field any, problem string) { errs = append(errs, s.invalid(field, problem)) }
	for _, field := range []*string{&s.KubeContext, &s.MinikubeProfile} {
		if *field == "" {
			bad(field, "is empty")
		}
	}
	if ns := s.Namespace; !dnsLabel.MatchString(ns) || len(ns) > 63 {
		bad(&s.Namespace, fmt.Sprintf("%q is not a Kubernetes namespace name (lower-case letters, digits and '-', at most 63)", ns))
	}
	if h := s.DockerHost; h != "" {
		if u, err := url.Parse(h); err != nil || !slices.Contains([]string{"tcp", "unix", "ssh", "npipe"}, u.Scheme) {
			bad(&s.DockerHost, fmt.Sprintf("%q is not a Docker host (tcp://host:port, unix:///path or ssh://user@host)", h))
		}
	}
	if tag := s.ImageTag; !imageTag.MatchString(tag) {
		bad(&s.ImageTag, fmt.Sprintf("%q is not a Docker tag (letters, digits, '_', '.', '-'; at most 128)", tag))
	}
	if r := s.registry(); r != "" {
		switch host := s.registryServer(); {
		case strings.Contains(r, "://") || !registryRef.MatchString(r):
			bad(&s.Registry, fmt.Sprintf("%q is not a registry (host[:port][/path], no scheme)", r))
		case !strings.ContainsAny(host, ".:") && host != "localhost":
			// pulumi-docker pushes only fully qualified names (it checks the domain).
			bad(&s.Registry, fmt.Sprintf("%q does not start with a registry host: use docker.io/%s for Docker Hub, or host[:port]/path", r, r))
		}
	}
	user, password := s.RegistryUsername, s.RegistryPassword.IsSet()
	if user != "" && !password {
		bad(&s.RegistryPassword, "is missing while registryUsername is set")
	}
	if password && user == "" {
		bad(&s.RegistryUsername, "is missing while registryPassword is set")
	}
	if (user != "" || password) && s.registry() == "" && !s.promoting() {
		bad(&s.Registry, "is missing while registry credentials are set")
	}
	for _, field := range []*int{&s.BackendReplicas, &s.FrontendReplicas} {
		if n := *field; n < minReplicas {
			bad(field, fmt.Sprintf("is %d: replicas cannot be negative", n))
		}
	}
	if p := s.FrontendNodePort; p != 0 && (p < minNodePort || p > maxNodePort) {
		bad(&s.FrontendNodePort, fmt.Sprintf("is %d: a node port must be within %d-%d (Kubernetes' default range), or unset", p, minNodePort, maxNodePort))
	}
	if db := s.DatabaseURL.Reveal(); db != "" && !slices.ContainsFunc(databaseSchemes, func(p string) bool { return strings.HasPrefix(db, p) }) {
		// Never echo the value: it holds a password.
		bad(&s.DatabaseURL, "must start with one of "+strings.Join(databaseSchemes, ", "))
	}
	if !s.DatabaseURL.IsSet() && !s.minikube() {
		bad(&s.DatabaseURL, "is required: only a Minikube stack (no registry, no promoteFrom) runs an in-cluster PostgreSQL")
	}
	if h := s.IngressHost; h != "" && (!dnsSubdomain.MatchString(h) || len(h) > 253) {
		bad(&s.IngressHost, fmt.Sprintf("%q is not a host name (lower-case letters, digits, '-' and '.', no scheme, port or path)", h))
	}
	for _, field := range []*string{&s.IngressClassName, &s.IngressCertificate} {
		switch v := *field; {
		case v == "":
		case !dnsSubdomain.MatchString(v) || len(v) > 253:
			bad(field, fmt.Sprintf("%q is not a Kubernetes object name (lower-case letters, digits, '-' and '.')", v))
		case s.IngressHost == "":
			bad(field, "is set but ingressHost is not: set the host the Ingress serves, or unset this key")
		}
	}
	if p := s.PromoteFrom; p != "" && !stackRef.MatchString(p) {
		bad(&s.PromoteFrom, fmt.Sprintf("%q is not a stack (stack, project/stack or organization/project/stack)", p))
	}
	if t := s.ReleaseTimeout; t <= 0 {
		bad(&s.ReleaseTimeout, fmt.Sprintf("is %d: it must be a positive number of seconds", t))
	}
	return errs
}

// The bounds the chart's schema also enforces (values.schema.json: replicaCount minimum,
// service.nodePort range); a test holds the two to the same numbers.
const (
	minReplicas = 0
	minNodePort = 30000
	maxNodePort = 32767
)

// invalid reports a bad value of the field; callers never put a secret's value in problem.
func (s *Settings) invalid(field any, problem string) error {
	key := s.keyOf(field)
	return fmt.Errorf("config %s %s: fix it with `%s`", layout.ConfigKey(key), problem, setCommand(key))
}
