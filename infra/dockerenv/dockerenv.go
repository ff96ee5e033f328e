// Package dockerenv finds the Docker daemon that builds the images, the way a Minikube user
// expects: the stack's dockerHost config first, then DOCKER_HOST (with DOCKER_CERT_PATH and
// DOCKER_TLS_VERIFY) from the environment, then what `minikube -p <profile> docker-env`
// prints. It is plain Go so it can be tested without Pulumi.
package dockerenv

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Daemon is where and how to reach a Docker daemon.
type Daemon struct {
	Host      string // e.g. tcp://192.168.49.2:2376 or unix:///var/run/docker.sock
	CertPath  string // directory with ca.pem, cert.pem, key.pem when TLS is used
	TLSVerify bool
}

// Sources are the inputs of Discover; tests replace them.
type Sources struct {
	DockerHost      string                               // the stack's dockerHost config
	MinikubeProfile string                               // the stack's minikubeProfile config
	Getenv          func(string) string                  // the process environment
	MinikubeEnv     func(profile string) ([]byte, error) // runs `minikube docker-env`
}

// Discover returns the Docker daemon to build on, in order of precedence: the explicit
// dockerHost config, DOCKER_HOST from the environment, `minikube docker-env`.
func Discover(src Sources) (Daemon, error) {
	getenv := src.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if src.DockerHost != "" {
		// Certificates still come from the environment, as the docker CLI does.
		return Daemon{Host: src.DockerHost, CertPath: getenv("DOCKER_CERT_PATH"),
			TLSVerify: truthy(getenv("DOCKER_TLS_VERIFY"))}, nil
	}
	if host := getenv("DOCKER_HOST"); host != "" {
		return Daemon{Host: host, CertPath: getenv("DOCKER_CERT_PATH"),
			TLSVerify: truthy(getenv("DOCKER_TLS_VERIFY"))}, nil
	}
	profile := src.MinikubeProfile
	if profile == "" {
		profile = "minikube"
	}
	run := src.MinikubeEnv
	if run == nil {
		run = MinikubeDockerEnv
	}
	out, err := run(profile)
	if err != nil {
		return Daemon{}, notFound(profile, err)
	}
	vars, err := ParseEnv(out)
	if err != nil {
		return Daemon{}, notFound(profile, err)
	}
	if vars["DOCKER_HOST"] == "" {
		return Daemon{}, notFound(profile, errors.New("its output sets no DOCKER_HOST"))
	}
	return Daemon{Host: vars["DOCKER_HOST"], CertPath: vars["DOCKER_CERT_PATH"],
		TLSVerify: truthy(vars["DOCKER_TLS_VERIFY"])}, nil
}

func notFound(profile string, cause error) error {
	return fmt.Errorf(`cannot find the Docker daemon to build the images on: `+
		"`minikube -p %[1]s docker-env` failed (%[2]v).\n"+
		"Start Minikube with `minikube start -p %[1]s` (or `make up`, which does), "+
		"or point at a daemon yourself: `eval $(minikube -p %[1]s docker-env)` before `pulumi up`, "+
		"or `pulumi config set todo-chatbot:dockerHost tcp://<host>:2376`",
		profile, cause)
}

// MinikubeDockerEnv runs `minikube -p <profile> docker-env --shell bash`.
func MinikubeDockerEnv(profile string) ([]byte, error) {
	if _, err := exec.LookPath("minikube"); err != nil {
		return nil, errors.New("minikube is not installed (https://minikube.sigs.k8s.io/docs/start/)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "minikube", "-p", profile, "docker-env", "--shell", "bash")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, errors.New(firstLine(msg))
	}
	return out, nil
}

// ParseEnv reads the `export NAME="value"` lines of `minikube docker-env --shell bash`,
// skipping comments and blank lines.
func ParseEnv(out []byte) (map[string]string, error) {
	vars := map[string]string{}
	s := bufio.NewScanner(bytes.NewReader(out))
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rest, ok := strings.CutPrefix(line, "export ")
		if !ok {
			return nil, fmt.Errorf("line %d is not an export: %q", n, line)
		}
		name, value, ok := strings.Cut(rest, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("line %d is not NAME=value: %q", n, line)
		}
		if strings.HasPrefix(value, `"`) {
			unquoted, err := strconv.Unquote(value)
			if err != nil {
				return nil, fmt.Errorf("line %d: bad quoting in %q", n, line)
			}
			value = unquoted
		}
		vars[strings.TrimSpace(name)] = value
	}
	return vars, s.Err()
}

func truthy(v string) bool {
	b, err := strconv.ParseBool(v)
	return err == nil && b
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
