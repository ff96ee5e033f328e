// Package images builds the backend and frontend images from their real Dockerfiles on a real
// Docker engine (a private dockerd started by tests/run/images.sh), runs them against
// PostgreSQL, and checks what the seed plan's last step asks: the frontend reaches the backend
// and the backend reaches the database. Run it with `make test-images` (or
// `PARTS=images make test`): the script starts the engine and the stand-in base images.
package images

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// config is what tests/run/images.sh hands the tests through the environment.
type config struct {
	root       string // repository root
	dockerBin  string // the docker.io client (has the built-in BuildKit client)
	pythonBase string // stand-in for python:3.11-slim
	nodeBase   string // stand-in for node:18-alpine
	logDir     string // build and container logs kept for a failing run
}

func loadConfig(t *testing.T) config {
	t.Helper()
	root, err := layout.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	c := config{
		root:       root,
		dockerBin:  os.Getenv("TODO_DOCKER"),
		pythonBase: os.Getenv("TODO_STANDIN_PYTHON"),
		nodeBase:   os.Getenv("TODO_STANDIN_NODE"),
		logDir:     filepath.Join(root, "build", "images"),
	}
	for name, v := range map[string]string{
		"DOCKER_HOST": os.Getenv("DOCKER_HOST"), "TODO_STANDIN_PYTHON": c.pythonBase, "TODO_STANDIN_NODE": c.nodeBase,
	} {
		if v == "" {
			t.Fatalf("%s is not set: these tests need the private Docker engine and stand-in bases that "+
				"tests/run/images.sh sets up; run `make test-images` (or `PARTS=images make test`)", name)
		}
	}
	if c.dockerBin == "" {
		c.dockerBin = "/usr/bin/docker"
	}
	if err := os.MkdirAll(c.logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	return c
}

// component is one image as the Pulumi program builds it (same context and Dockerfile).
type component struct {
	name       string // "backend" or "frontend"
	tag        string // todo-backend:v1
	context    string // absolute build context
	dockerfile string // absolute Dockerfile
	base       string // the stand-in base passed as BASE_IMAGE
	port       int    // the port the server listens on
}

func components(c config) (backend, frontend component) {
	backend = component{
		name: "backend", tag: layout.BackendImage + ":v1",
		context: filepath.Join(c.root, layout.BackendContext), dockerfile: filepath.Join(c.root, layout.BackendDockerfile),
		base: c.pythonBase, port: 8000,
	}
	frontend = component{
		name: "frontend", tag: layout.FrontendImage + ":v1",
		context: filepath.Join(c.root, layout.FrontendContext), dockerfile: filepath.Join(c.root, layout.FrontendDockerfile),
		base: c.nodeBase, port: 3000,
	}
	return backend, frontend
}
