package infra

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
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

// validate checks the settings' values beyond their Pulumi.yaml type, and how they combine.
func validate(c stackConfig) []error {
	var errs []error
	bad := func(name, problem string) { errs = append(errs, c.invalid(name, problem)) }
	for _, name := range []string{"kubeContext", "minikubeProfile"} {
		if c.str(name) == "" {
			bad(name, "is empty")
		}
	}
	if ns := c.str("namespace"); !dnsLabel.MatchString(ns) || len(ns) > 63 {
		bad("namespace", fmt.Sprintf("%q is not a Kubernetes namespace name (lower-case letters, digits and '-', at most 63)", ns))
	}
	if h := c.str("dockerHost"); h != "" {
		if u, err := url.Parse(h); err != nil || !slices.Contains([]string{"tcp", "unix", "ssh", "npipe"}, u.Scheme) {
			bad("dockerHost", fmt.Sprintf("%q is not a Docker host (tcp://host:port, unix:///path or ssh://user@host)", h))
		}
	}
	if tag := c.str("imageTag"); !imageTag.MatchString(tag) {
		bad("imageTag", fmt.Sprintf("%q is not a Docker tag (letters, digits, '_', '.', '-'; at most 128)", tag))
	}
	if r := c.registry(); r != "" {
		switch host := c.registryServer(); {
		case strings.Contains(r, "://") || !registryRef.MatchString(r):
			bad("registry", fmt.Sprintf("%q is not a registry (host[:port][/path], no scheme)", r))
		case !strings.ContainsAny(host, ".:") && host != "localhost":
			// pulumi-docker pushes only fully qualified names (it checks the domain).
			bad("registry", fmt.Sprintf("%q does not start with a registry host: use docker.io/%s for Docker Hub, or host[:port]/path", r, r))
		}
	}
	user, password := c.str("registryUsername"), c.str("registryPassword")
	if user != "" && password == "" {
		bad("registryPassword", "is missing while registryUsername is set")
	}
	if password != "" && user == "" {
		bad("registryUsername", "is missing while registryPassword is set")
	}
	if (user != "" || password != "") && c.registry() == "" && !c.promoting() {
		bad("registry", "is missing while registry credentials are set")
	}
	for _, name := range []string{"backendReplicas", "frontendReplicas"} {
		if n := c.int(name); n < 0 {
			bad(name, fmt.Sprintf("is %d: replicas cannot be negative", n))
		}
	}
	if p := c.int("frontendNodePort"); p != 0 && (p < 30000 || p > 32767) {
		bad("frontendNodePort", fmt.Sprintf("is %d: a node port must be within 30000-32767 (Kubernetes' default range), or unset", p))
	}
	if db := c.str("databaseUrl"); db != "" && !slices.ContainsFunc(databaseSchemes, func(s string) bool { return strings.HasPrefix(db, s) }) {
		// Never echo the value: it holds a password.
		bad("databaseUrl", "must start with one of "+strings.Join(databaseSchemes, ", "))
	}
	if c.str("databaseUrl") == "" && !c.minikube() {
		errs = append(errs, fmt.Errorf("config %s:databaseUrl is required: only a Minikube stack (no registry, no promoteFrom) runs an in-cluster PostgreSQL; set it with `%s`",
			project, c.setCommand("databaseUrl")))
	}
	if p := c.str("promoteFrom"); p != "" && !stackRef.MatchString(p) {
		bad("promoteFrom", fmt.Sprintf("%q is not a stack (stack, project/stack or organization/project/stack)", p))
	}
	if t := c.int("releaseTimeout"); t <= 0 {
		bad("releaseTimeout", fmt.Sprintf("is %d: it must be a positive number of seconds", t))
	}
	return errs
}
