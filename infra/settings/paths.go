package settings

// Paths in the repository, relative to the project root (the directory of Pulumi.yaml).
// The image tests reuse them so they build what `pulumi up` builds.
const (
	BackendContext     = "backend"
	FrontendContext    = "frontend"
	BackendDockerfile  = "backend/Dockerfile"
	FrontendDockerfile = "frontend/Dockerfile"
	ChartDir           = "charts/todo-chatbot"

	// Image names without a registry; with `registry` set they become <registry>/<name>.
	BackendImageName  = "todo-backend"
	FrontendImageName = "todo-frontend"

	// ReleaseName is the Helm release's name; the chart's resource names derive from it.
	ReleaseName = "todo-chatbot"
)
