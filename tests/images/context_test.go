package images

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// planted are files a developer's working tree really has (secrets, virtualenvs, installed
// packages, build output, caches) that must never reach an image. They are planted in a copy
// of each build context, never in the shared working tree.
var planted = map[string][]string{
	"backend":  {".env", ".env.local", ".venv/pyvenv.cfg", "__pycache__/planted.cpython-311.pyc", "app/__pycache__/planted.cpython-311.pyc", ".pytest_cache/README.md", ".ruff_cache/CACHEDIR.TAG", ".mypy_cache/CACHEDIR.TAG", ".coverage"},
	"frontend": {".env", ".env.local", ".env.production.local", "node_modules/planted/index.js", ".next/cache/planted", "coverage/lcov.info", "test-results/planted.json", "tsconfig.tsbuildinfo"},
}

// skipCopy are directories not worth copying into the throwaway contexts (they are planted
// back as small files where the test needs them).
var skipCopy = map[string]bool{"node_modules": true, ".venv": true, ".next": true, "__pycache__": true,
	".pytest_cache": true, ".ruff_cache": true, ".mypy_cache": true, "coverage": true, "test-results": true, "playwright-report": true}

// copyContext copies a build context into dir, leaving out heavy local directories.
func copyContext(t *testing.T, src, dir string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if e.IsDir() && skipCopy[e.Name()] {
			return filepath.SkipDir
		}
		target := filepath.Join(dir, rel)
		info, err := e.Info()
		if err != nil {
			return err
		}
		switch {
		case e.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case info.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatalf("copy build context %s: %v", src, err)
	}
}

// TestDockerignoreKeepsSecretsAndCachesOut builds a "context listing" image from a copy of
// each real build context (its .dockerignore included) with the planted files added, and
// asserts that none of them reached the builder, while the Dockerfile's own sources did.
func TestDockerignoreKeepsSecretsAndCachesOut(t *testing.T) {
	c := loadConfig(t)
	d := docker{bin: c.dockerBin}
	backend, frontend := components(c)
	for _, comp := range []component{backend, frontend} {
		t.Run(comp.name, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(comp.context, ".dockerignore")); err != nil {
				t.Fatalf("%s has no .dockerignore: every local secret and cache would be sent to the builder", comp.context)
			}
			ctxDir := t.TempDir()
			copyContext(t, comp.context, ctxDir)
			for _, p := range planted[comp.name] {
				f := filepath.Join(ctxDir, p)
				if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(f, []byte("PLANTED_BY_IMAGE_TEST=must-not-reach-the-image\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			// The listing Dockerfile lives outside the context, so the context's own
			// .dockerignore is the one the builder applies, exactly as for the real build.
			lister := filepath.Join(t.TempDir(), "list-context.Dockerfile")
			if err := os.WriteFile(lister, []byte("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY . /context/\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			tag := "todo-images-test/context-" + comp.name + ":listing"
			if _, err := dockerBuild(t, d, c, "context-"+comp.name, tag, ctxDir, lister, comp.base); err != nil {
				t.Fatal(err)
			}
			defer d.run(t.Context(), nil, "rmi", "-f", tag) //nolint:errcheck // best effort
			listing := d.shell(t, tag, "cd /context && find . -mindepth 1 | sort")
			files := map[string]bool{}
			for _, f := range strings.Split(listing, "\n") {
				files[strings.TrimPrefix(f, "./")] = true
			}
			for _, p := range planted[comp.name] {
				if files[p] {
					t.Errorf("%s reached the %s build context: add it to %s/.dockerignore", p, comp.name, comp.context)
				}
			}
			// The context must still hold what the image needs, or the listing proves nothing.
			rel, _ := filepath.Rel(comp.context, comp.dockerfile)
			wantSome := map[string][]string{"backend": {"requirements.txt", "app"}, "frontend": {"package.json", "package-lock.json"}}
			for _, f := range wantSome[comp.name] {
				if !files[f] {
					t.Errorf("%s is missing from the %s build context (the .dockerignore leaves out too much?); context: %s", f, comp.name, tail(listing, 30))
				}
			}
			t.Logf("%s build context: %d entries (Dockerfile %s)", comp.name, len(files), rel)
		})
	}
}
