package images

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBackendImageHasNoCompiler: the compiler and headers a wheel build might need belong in a
// builder stage at most, never in the image that runs.
func TestBackendImageHasNoCompiler(t *testing.T) {
	c := loadConfig(t)
	d := docker{bin: c.dockerBin}
	backend, _ := components(c)
	builtImage(t, backend)
	found := d.shell(t, backend.tag, `
for c in gcc cc c++ g++ clang cpp tcc x86_64-linux-gnu-gcc x86_64-linux-gnu-gcc-12 aarch64-linux-gnu-gcc; do
  command -v "$c" || true
done
# cc1 is the compiler proper, whatever the driver is called.
find / -xdev \( -name cc1 -o -name cc1plus \) -type f 2>/dev/null || true`)
	if found != "" {
		t.Errorf("%s contains a compiler:\n%s", backend.tag, found)
	}
	if out := d.shell(t, backend.tag, "test -x /opt/venv/bin/python3 && /opt/venv/bin/python3 -c 'import fastapi, uvicorn, sqlalchemy, psycopg, alembic' && echo ok"); out != "ok" {
		t.Errorf("%s: the venv in /opt/venv cannot import the app's dependencies: %s", backend.tag, out)
	}
}

// TestFrontendImageHasOnlyTracedNodeModules: the runtime image holds the Next.js standalone
// server, whose node_modules is what `next build` traced as needed, and nothing more: no full
// `npm ci` tree next to it.
func TestFrontendImageHasOnlyTracedNodeModules(t *testing.T) {
	c := loadConfig(t)
	d := docker{bin: c.dockerBin}
	_, frontend := components(c)
	builtImage(t, frontend)

	listNodeModules := "find / -xdev -type d -name node_modules -prune 2>/dev/null | sort"
	inBase := map[string]bool{}
	for _, dir := range strings.Fields(d.shell(t, frontend.base, listNodeModules)) {
		inBase[dir] = true
	}
	var added []string
	for _, dir := range strings.Fields(d.shell(t, frontend.tag, listNodeModules)) {
		if !inBase[dir] {
			added = append(added, dir)
		}
	}
	if len(added) != 1 || added[0] != "/app/node_modules" {
		t.Errorf("%s adds node_modules at %v; want only the standalone server's /app/node_modules", frontend.tag, added)
	}
	if out := d.shell(t, frontend.tag, "test -f /app/server.js && test -d /app/.next/static && echo ok"); out != "ok" {
		t.Errorf("%s: /app/server.js or /app/.next/static is missing (Next.js standalone output, with its static files)", frontend.tag)
	}

	// /app/node_modules must be exactly what `next build` traced into .next/standalone in the
	// build stage. Both are built from one snapshot of the context (from cache when it matches
	// what v1 was built from), so the shared working tree changing in between cannot matter.
	stage, workdir := buildStage(t, frontend.dockerfile)
	ctxDir := t.TempDir()
	copyContext(t, frontend.context, ctxDir)
	rel, _ := filepath.Rel(frontend.context, frontend.dockerfile)
	dockerfile := filepath.Join(ctxDir, rel)
	runtimeTag, traceTag := "todo-images-test/frontend-snapshot:runtime", "todo-images-test/frontend-snapshot:build-stage"
	defer d.run(t.Context(), nil, "rmi", "-f", runtimeTag, traceTag) //nolint:errcheck // best effort
	if _, err := dockerBuild(t, d, c, "frontend-snapshot", runtimeTag, ctxDir, dockerfile, frontend.base); err != nil {
		t.Fatal(err)
	}
	if _, err := dockerBuild(t, d, c, "frontend-snapshot-build-stage", traceTag, ctxDir, dockerfile, frontend.base, "--target", stage); err != nil {
		t.Fatal(err)
	}
	listFiles := func(image, dir string) []string {
		return strings.Fields(d.shell(t, image, "cd "+dir+" && find . -type f | sort"))
	}
	traced := listFiles(traceTag, workdir+"/.next/standalone/node_modules")
	shipped := listFiles(runtimeTag, "/app/node_modules")
	installed := strings.TrimSpace(d.shell(t, traceTag, "find "+workdir+"/node_modules -type f | wc -l"))
	if len(traced) == 0 {
		t.Fatalf("the build stage %q has no %s/.next/standalone/node_modules: is output: \"standalone\" set?", stage, workdir)
	}
	if extra, missing := diff(shipped, traced), diff(traced, shipped); len(extra)+len(missing) > 0 {
		t.Errorf("the runtime image's /app/node_modules differs from the standalone trace: %d files more (%v), %d files fewer (%v)",
			len(extra), head(extra, 5), len(missing), head(missing, 5))
	}
	size := d.shell(t, frontend.tag, "du -sk /app/node_modules | cut -f1")
	t.Logf("%s: /app/node_modules = the standalone trace, %d files, %s KiB (the build stage installed %s files)",
		frontend.tag, len(shipped), size, installed)
}

// buildStage finds the stage of a Dockerfile that runs the Next.js build, and its WORKDIR.
func buildStage(t *testing.T, dockerfile string) (stage, workdir string) {
	t.Helper()
	raw, err := os.ReadFile(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	from := regexp.MustCompile(`(?i)^FROM\s+\S+(\s+AS\s+(\S+))?`)
	cur, dir := "", "/"
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if m := from.FindStringSubmatch(line); m != nil {
			cur, dir = m[2], "/"
		} else if f := strings.Fields(line); len(f) == 2 && strings.EqualFold(f[0], "WORKDIR") {
			dir = f[1]
		} else if strings.HasPrefix(strings.ToUpper(line), "RUN ") && (strings.Contains(line, "next build") || strings.Contains(line, "npm run build")) {
			if cur == "" {
				t.Fatalf("%s: the stage that runs the build has no name (FROM ... AS build)", dockerfile)
			}
			return cur, dir
		}
	}
	t.Fatalf("%s: no stage runs `npm run build` or `next build`", dockerfile)
	return "", ""
}

// diff returns the entries of a that are not in b.
func diff(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

func head(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// TestImagesHoldNoLocalSecretsOrCaches looks inside the real images for what .dockerignore
// must have kept out, in case the working tree had it.
func TestImagesHoldNoLocalSecretsOrCaches(t *testing.T) {
	c := loadConfig(t)
	d := docker{bin: c.dockerBin}
	backend, frontend := components(c)
	for _, comp := range []component{backend, frontend} {
		builtImage(t, comp)
		out := d.shell(t, comp.tag, `for d in /app /opt/app /srv; do [ -d "$d" ] || continue
  find "$d" -path '*/node_modules' -prune -o \( -name '.env' -o -name '.env.*' -o -name '.venv' \
    -o -name '.pytest_cache' -o -name '.ruff_cache' -o -name '.git' -o -path '*/.next/cache/*' \) -print; done`)
		var bad []string
		for _, f := range strings.Fields(out) {
			if !strings.HasSuffix(f, ".env.example") {
				bad = append(bad, f)
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s holds files that must stay out of images: %v", comp.tag, bad)
		}
	}
}
