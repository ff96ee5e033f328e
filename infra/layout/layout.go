// Package layout names where the deployed parts are in the repository and what the
// deployment calls them: the one place for these facts, shared by the Pulumi program
// (package infra), make dev (deploy/dev) and the tests. Paths are relative to the project
// root, the directory of Pulumi.yaml.
package layout

import (
	"fmt"
	"os"
	"path/filepath"
)

const (
	BackendContext     = "backend"
	FrontendContext    = "frontend"
	BackendDockerfile  = "backend/Dockerfile"
	FrontendDockerfile = "frontend/Dockerfile"
	ChartDir           = "charts/todo-chatbot"

	// Image names without a registry; with `registry` set they become <registry>/<name>.
	BackendImage  = "todo-backend"
	FrontendImage = "todo-frontend"

	// ReleaseName is the Helm release's name; the chart derives its resources' names from it.
	ReleaseName = "todo-chatbot"

	// Project is the Pulumi project's name (Pulumi.yaml), and so the namespace of every
	// config key: `pulumi config set todo-chatbot:<key> ...`.
	Project = "todo-chatbot"

	// LiveUpdateEnv, set to 1 in the program's environment, deploys make dev's live-update
	// mode: the chart's liveUpdate values and the frontend image's dev target (tagged
	// <imageTag>-dev). Only make dev (deploy/dev) sets it, for the Automation API's runs; the
	// state records what it deployed, so the next plain `pulumi up` puts production back.
	LiveUpdateEnv = "TODO_LIVE_UPDATE"
	// FrontendDevTarget is the frontend Dockerfile's stage with `next dev` and the full
	// node_modules; LiveUpdateTagSuffix marks the images built for live update.
	FrontendDevTarget   = "dev"
	LiveUpdateTagSuffix = "-dev"
)

// ConfigKey is a setting's full config key, <project>:<key>.
func ConfigKey(key string) string { return Project + ":" + key }

// FindRoot returns the project root, the nearest directory at or above dir that holds
// Pulumi.yaml. Tests use it instead of their source file's path, which `go build -trimpath`
// (the Go language host's flags, and the test runners' too, so both share one build cache)
// turns into a module path.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "Pulumi.yaml")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no Pulumi.yaml in %s or any directory above it: run from inside the project", dir)
		}
	}
}
