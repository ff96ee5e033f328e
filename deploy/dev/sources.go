package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/todo-chatbot/todo-chatbot/infra/chartdigest"
	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// A source is one part of the repository whose edits change the deployment: an image build
// context, the chart, or the Pulumi program. It answers, for a changed path, whether the
// deployment depends on it, with the same rules as the tool that reads the files, so editor
// droppings and caches trigger nothing:
//   - an image context: its .dockerignore, read with moby/patternmatcher as docker and
//     pulumi-docker read it (pulumi-docker hashes the context with these rules);
//   - the chart: the files Helm loads (chartdigest.Files: .helmignore), whose digest the
//     program passes to the release;
//   - the program: the Go files `go build` compiles, go.mod/go.sum and the Pulumi*.yaml files.
type source struct {
	name string // backend, frontend, chart, program
	dir  string // absolute; "" for the program (the repository root, non-recursive parts)
	// matters reports whether rel (slash-separated, relative to dir) is read by the tool.
	matters func(rel string, isDir bool) bool
}

// sources lists what `make dev` watches under root.
func sources(root string) ([]source, error) {
	var out []source
	for _, c := range []struct{ name, context string }{
		{"backend", layout.BackendContext},
		{"frontend", layout.FrontendContext},
	} {
		dir := filepath.Join(root, filepath.FromSlash(c.context))
		m, err := dockerignore(dir)
		if err != nil {
			return nil, err
		}
		out = append(out, source{name: c.name, dir: dir, matters: m})
	}
	chartDir := filepath.Join(root, filepath.FromSlash(layout.ChartDir))
	out = append(out, source{name: "chart", dir: chartDir, matters: chartFiles(chartDir)})
	out = append(out, source{name: "program", dir: root, matters: programFile})
	return out, nil
}

// dockerignore returns the context's .dockerignore rules. The Dockerfile and .dockerignore
// always matter (docker sends them whatever the rules say).
func dockerignore(dir string) (func(string, bool) bool, error) {
	var patterns []string
	if f, err := os.Open(filepath.Join(dir, ".dockerignore")); err == nil {
		patterns, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, err
		}
	} else if !os.IsNotExist(err) {
		return nil, err
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, err
	}
	return func(rel string, isDir bool) bool {
		if rel == "Dockerfile" || rel == ".dockerignore" {
			return true
		}
		excluded, err := pm.MatchesOrParentMatches(rel)
		if err != nil || !excluded {
			return true
		}
		// An excluded directory still matters if a later "!" rule may re-include something
		// below it (docker descends into it then too).
		return isDir && pm.Exclusions()
	}, nil
}

// chartFiles says whether rel is one of the files Helm loads (chartdigest.Files, which
// honours .helmignore). The listing is re-read on each call (a chart is a few dozen files);
// a file deleted or renamed away matters if the previous listing had it.
func chartFiles(chartDir string) func(string, bool) bool {
	known, _ := chartdigest.Files(chartDir)
	return func(rel string, isDir bool) bool {
		if isDir {
			return !strings.HasPrefix(filepath.Base(rel), ".")
		}
		files, err := chartdigest.Files(chartDir)
		if err != nil {
			return true // a broken .helmignore: the program reports it
		}
		was := slices.Contains(known, rel)
		known = files
		return was || slices.Contains(files, rel) || rel == ".helmignore"
	}
}

// programFile: what the Go language host compiles or the CLI reads. Test files and other
// folders of the repository are not part of the program binary.
func programFile(rel string, isDir bool) bool {
	if isDir {
		return rel == "infra" || strings.HasPrefix(rel, "infra/") && !strings.Contains(rel, "testdata")
	}
	base := filepath.Base(rel)
	switch {
	case rel == "go.mod" || rel == "go.sum":
		return true
	case !strings.Contains(rel, "/") && strings.HasPrefix(base, "Pulumi.") && strings.HasSuffix(base, ".yaml"):
		return true
	case strings.HasSuffix(base, ".go") && !strings.HasSuffix(base, "_test.go"):
		return !strings.Contains(rel, "/") || strings.HasPrefix(rel, "infra/")
	}
	return false
}
