// Package layout names where the deployed parts are in the repository and what the
// deployment calls them: the one place for these facts, shared by the Pulumi program
// (package infra), make dev (deploy/dev) and the tests. Paths are relative to the project
// root, the directory of Pulumi.yaml.
package layout

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
)
