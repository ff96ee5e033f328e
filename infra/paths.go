package infra

import (
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// projectPaths are the repository paths the program hands to the providers.
type projectPaths struct {
	Root string // absolute: the directory of Pulumi.yaml
	// Relative to the working directory the program (and so the providers, which Pulumi
	// starts in the same directory) runs in; "backend" etc. when that is the project root.
	// Relative paths keep the state free of machine-specific absolute paths, so the same
	// stack previewed from another checkout shows no spurious diff.
	BackendContext     string
	BackendDockerfile  string
	FrontendContext    string
	FrontendDockerfile string
	Chart              string
}

// resolvePaths finds the project root (Pulumi's root directory, or the nearest parent of
// the working directory holding Pulumi.yaml) and expresses the paths relative to the
// working directory, so the program works from any directory Pulumi runs it in.
func resolvePaths(ctx *pulumi.Context) (projectPaths, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return projectPaths{}, err
	}
	root := ctx.RootDirectory()
	if root == "" {
		if root, err = layout.FindRoot(cwd); err != nil {
			return projectPaths{}, err
		}
	}
	rel := func(p string) string {
		abs := filepath.Join(root, filepath.FromSlash(p))
		if r, err := filepath.Rel(cwd, abs); err == nil {
			return filepath.ToSlash(r)
		}
		return abs
	}
	return projectPaths{
		Root:               root,
		BackendContext:     rel(layout.BackendContext),
		BackendDockerfile:  rel(layout.BackendDockerfile),
		FrontendContext:    rel(layout.FrontendContext),
		FrontendDockerfile: rel(layout.FrontendDockerfile),
		Chart:              rel(layout.ChartDir),
	}, nil
}
