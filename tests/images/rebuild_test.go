package images

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sourceFile picks the file a one-line change goes into: the app's own code, never a
// dependency manifest.
func sourceFile(t *testing.T, ctxDir, name string) (path, comment string) {
	t.Helper()
	candidates := map[string][]string{
		"backend":  {"app/main.py", "app/__init__.py"},
		"frontend": {"app/page.tsx", "src/app/page.tsx", "app/layout.tsx", "src/app/layout.tsx"},
	}[name]
	for _, c := range candidates {
		if _, err := os.Stat(filepath.Join(ctxDir, c)); err == nil {
			path = filepath.Join(ctxDir, c)
			break
		}
	}
	if path == "" { // any source file of the app
		ext := map[string]string{"backend": ".py", "frontend": ".tsx"}[name]
		_ = filepath.WalkDir(ctxDir, func(p string, e fs.DirEntry, err error) error {
			if err == nil && path == "" && !e.IsDir() && strings.HasSuffix(p, ext) && !strings.Contains(p, "test") {
				path = p
			}
			return nil
		})
	}
	if path == "" {
		t.Fatalf("no %s source file found to change", name)
	}
	comment = map[string]string{"backend": "# rebuild probe ", "frontend": "// rebuild probe "}[name]
	return path, comment
}

// TestRebuildAfterSourceChangeReusesDependencyLayers copies each build context, changes one
// line of the app's source, rebuilds, and asserts from BuildKit's output that every
// dependency install step came from the cache while the source steps ran again; for the
// backend, whose dependencies are a layer of their own in the final image, it also asserts the
// layers below the source are the very same layers as before the change.
func TestRebuildAfterSourceChangeReusesDependencyLayers(t *testing.T) {
	c := loadConfig(t)
	d := docker{bin: c.dockerBin}
	backend, frontend := components(c)
	for _, comp := range []component{backend, frontend} {
		t.Run(comp.name, func(t *testing.T) {
			builtImage(t, comp)
			// A copy of the context, built as it is first (from cache when it matches what
			// v1 was built from) so the comparison does not depend on the shared working tree
			// staying still, then again after the one-line change.
			ctxDir := t.TempDir()
			copyContext(t, comp.context, ctxDir)
			rel, _ := filepath.Rel(comp.context, comp.dockerfile)
			before, tag := "todo-images-test/rebuild-"+comp.name+":before", "todo-images-test/rebuild-"+comp.name+":after"
			defer d.run(t.Context(), nil, "rmi", "-f", before, tag) //nolint:errcheck // best effort
			if _, err := dockerBuild(t, d, c, "rebuild-"+comp.name+"-before", before, ctxDir, filepath.Join(ctxDir, rel), comp.base); err != nil {
				t.Fatal(err)
			}
			file := changeOneLine(t, ctxDir, comp.name)
			b, err := dockerBuild(t, d, c, "rebuild-"+comp.name, tag, ctxDir, filepath.Join(ctxDir, rel), comp.base)
			if err != nil {
				t.Fatal(err)
			}

			deps := b.dependencySteps()
			if len(deps) == 0 {
				t.Fatalf("no dependency install step (pip install / npm ci) found in the build output; steps: %v", b.steps)
			}
			sort.Strings(deps)
			for _, id := range deps {
				if !b.cached[id] {
					t.Errorf("after a one-line change in %s the dependency step ran again: %s", filepath.Base(file), b.steps[id])
				} else {
					t.Logf("cached: %s", b.steps[id])
				}
			}
			var rerun []string
			for id, step := range b.steps {
				if !b.cached[id] && (strings.Contains(step, "COPY") || strings.Contains(step, "RUN")) {
					rerun = append(rerun, step)
				}
			}
			if len(rerun) == 0 {
				t.Errorf("the rebuild reused every step: the one-line change never reached the build")
			}
			t.Logf("ran again: %v (rebuild took %s)", rerun, b.duration.Round(1e9))

			if comp.name == "backend" {
				var v1, probe, base imageInfo
				d.inspect(t, "image", before, &v1)
				d.inspect(t, "image", tag, &probe)
				d.inspect(t, "image", comp.base, &base)
				shared := 0
				for shared < len(v1.RootFS.Layers) && shared < len(probe.RootFS.Layers) && v1.RootFS.Layers[shared] == probe.RootFS.Layers[shared] {
					shared++
				}
				if shared <= len(base.RootFS.Layers) {
					t.Errorf("the rebuilt backend shares only %d layers with the build before the change, the base has %d: the dependency layer was rebuilt", shared, len(base.RootFS.Layers))
				}
				if shared == len(probe.RootFS.Layers) {
					t.Errorf("the rebuilt backend has exactly the layers of the build before the change: the source change is missing")
				}
				t.Logf("rebuilt backend reuses %d of %d layers (%d above the base)", shared, len(probe.RootFS.Layers), shared-len(base.RootFS.Layers))
			}
		})
	}
}

// changeOneLine appends a comment line to the app's source in ctxDir and returns the file.
func changeOneLine(t *testing.T, ctxDir, name string) string {
	t.Helper()
	file, comment := sourceFile(t, ctxDir, name)
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\n" + comment + randomHex(4) + "\n"); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestRebuildCheckCatchesTheNaiveDockerfile shows the cache assertion above can fail: the seed
// plan's naive backend Dockerfile (COPY . . before pip install) must be caught reinstalling
// its dependencies after the same one-line change.
func TestRebuildCheckCatchesTheNaiveDockerfile(t *testing.T) {
	c := loadConfig(t)
	d := docker{bin: c.dockerBin}
	backend, _ := components(c)
	naive := filepath.Join(c.root, "tests", "images", "naive", "backend.Dockerfile")
	ctxDir := t.TempDir()
	copyContext(t, backend.context, ctxDir)
	tag := "todo-images-test/rebuild-naive-backend:probe"
	defer d.run(t.Context(), nil, "rmi", "-f", tag) //nolint:errcheck // best effort
	if _, err := dockerBuild(t, d, c, "naive-backend", tag, ctxDir, naive, backend.base); err != nil {
		t.Fatal(err)
	}
	changeOneLine(t, ctxDir, backend.name)
	b, err := dockerBuild(t, d, c, "rebuild-naive-backend", tag, ctxDir, naive, backend.base)
	if err != nil {
		t.Fatal(err)
	}
	deps := b.dependencySteps()
	if len(deps) == 0 {
		t.Fatalf("no dependency step found in the naive build's output; steps: %v", b.steps)
	}
	for _, id := range deps {
		if b.cached[id] {
			t.Errorf("the naive Dockerfile's dependency step was reported cached after a source change: the rebuild check cannot tell the difference")
		}
	}
}
