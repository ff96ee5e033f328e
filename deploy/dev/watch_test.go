package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// repoCopy copies the files the watcher reads (the real .dockerignore and .helmignore
// files, the chart, a few sources) into a temporary repository.
func repoCopy(t *testing.T) string {
	t.Helper()
	real, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, p := range []string{"backend/.dockerignore", "backend/Dockerfile", "backend/app", "frontend/.dockerignore",
		"frontend/Dockerfile", "frontend/src", "frontend/package.json", "charts", "main.go", "go.mod", "Pulumi.yaml", "infra/program.go"} {
		dst := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("cp", "-a", filepath.Join(real, p), dst).CombinedOutput(); err != nil {
			t.Fatalf("copy %s: %v %s", p, err, out)
		}
	}
	for _, d := range []string{"frontend/node_modules/next", "frontend/.next/cache", "backend/.venv/lib", "backend/app/__pycache__"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestSourcesMatterAsTheirToolsReadThem(t *testing.T) {
	root := repoCopy(t)
	srcs, err := sources(root)
	if err != nil {
		t.Fatal(err)
	}
	w := &watcher{root: root, sources: srcs}
	cases := map[string]bool{
		"backend/app/main.py":                                   true,
		"backend/Dockerfile":                                    true,
		"backend/requirements.txt":                              true,
		"backend/app/__pycache__/main.cpython-311.pyc":          false,
		"backend/.venv/lib/x.py":                                false,
		"backend/app/.main.py.swp":                              false,
		"backend/app/main.py~":                                  false,
		"backend/tests/test_x.py":                               false,
		"frontend/src/app/page.tsx":                             true,
		"frontend/package-lock.json":                            true,
		"frontend/node_modules/next/index.js":                   false,
		"frontend/.next/cache/webpack/x.pack":                   false,
		"frontend/src/app/4913":                                 false,
		"frontend/README.md":                                    false,
		"charts/todo-chatbot/templates/backend-deployment.yaml": true,
		"charts/todo-chatbot/values.yaml":                       true,
		"charts/todo-chatbot/templates/x.yaml.swp":              false,
		"charts/todo-chatbot/values.yaml.bak":                   false,
		"main.go":                                               true,
		"infra/program.go":                                      true,
		"infra/program_test.go":                                 false,
		"Pulumi.yaml":                                           true,
		"Pulumi.dev.yaml":                                       true,
		"go.sum":                                                true,
		"README.md":                                             false,
		"build/pulumi-program":                                  false,
		"tests/images/build_test.go":                            false,
	}
	for p, want := range cases {
		abs := filepath.Join(root, filepath.FromSlash(p))
		s, ok := w.owner(abs)
		got := ok && s.matters(w.rel(s, abs), false)
		if got != want {
			t.Errorf("%s matters = %v, want %v (source %q)", p, got, want, s.name)
		}
	}
}

// TestWatcherBatchesSavesAndIgnoresDroppings drives the real inotify watcher: droppings
// and caches produce nothing, a burst of saves is one change naming the files, a new
// directory is watched, and a save of identical bytes is filtered out.
func TestWatcherBatchesSavesAndIgnoresDroppings(t *testing.T) {
	root := repoCopy(t)
	srcs, err := sources(root)
	if err != nil {
		t.Fatal(err)
	}
	w, err := newWatcher(root, srcs, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	known, err := w.snapshot()
	if err != nil {
		t.Fatal(err)
	}
	changes, errs, stop := make(chan change), make(chan error, 1), make(chan struct{})
	defer close(stop)
	go w.run(stop, changes, errs)

	write := func(p, body string) {
		t.Helper()
		abs := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(abs, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	expectNone := func(why string) {
		t.Helper()
		select {
		case c := <-changes:
			t.Fatalf("%s triggered a change: %v", why, c.paths)
		case <-time.After(500 * time.Millisecond):
		}
	}
	expect := func(why string, want ...string) {
		t.Helper()
		select {
		case c := <-changes:
			got := known.update(root, c.paths)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("%s: change %v, want %v", why, got, want)
			}
		case err := <-errs:
			t.Fatal(err)
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no change within 5s", why)
		}
	}

	write("frontend/node_modules/next/x.js", "x")
	write("frontend/.next/cache/webpack/0.pack", "x")
	write("backend/app/.main.py.swp", "x")
	write("backend/app/__pycache__/main.cpython-311.pyc", "x")
	write("charts/todo-chatbot/templates/x.yaml~", "x")
	write("infra/program_test.go", "package infra")
	expectNone("droppings and caches")

	main := "backend/app/main.py"
	body, _ := os.ReadFile(filepath.Join(root, main))
	for i := range 3 { // an editor's save: several writes in a burst
		write(main, string(body)+strings.Repeat("\n# edit", i+1))
	}
	write("charts/todo-chatbot/templates/backend-deployment.yaml", "# edited\n")
	expect("a burst of saves", main, "charts/todo-chatbot/templates/backend-deployment.yaml")

	write("frontend/src/app/newdir/page.tsx", "export default 1\n")
	expect("a file in a new directory", "frontend/src/app/newdir/page.tsx")
	time.Sleep(200 * time.Millisecond) // the new directory's watch is in place
	write("frontend/src/app/newdir/page.tsx", "export default 2\n")
	expect("an edit in the new directory", "frontend/src/app/newdir/page.tsx")

	cur, _ := os.ReadFile(filepath.Join(root, main))
	write(main, string(cur)) // the same bytes again
	select {
	case c := <-changes:
		if got := known.update(root, c.paths); len(got) != 0 {
			t.Fatalf("a save of identical bytes counted as a change: %v", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the identical save produced no event at all (the content check was not exercised)")
	}
}

// What live update syncs and what falls back to a rebuild, with the one-line reason.
func TestLiveUpdateFallbackRules(t *testing.T) {
	rule := func(comp string) liveRule {
		for _, r := range liveRules {
			if r.component == comp {
				return r
			}
		}
		t.Fatalf("no live rule for %s", comp)
		return liveRule{}
	}
	for _, c := range []struct{ comp, path, want string }{
		{"backend", "backend/app/api/health.py", ""},
		{"backend", "backend/app/chat/new_module.py", ""},
		{"backend", "backend/requirements.txt", "backend/requirements.txt: dependencies changed, rebuilding backend"},
		{"backend", "backend/Dockerfile", "backend/Dockerfile: the image's Dockerfile changed, rebuilding backend"},
		{"backend", "backend/.dockerignore", "backend/.dockerignore: the build context's rules changed, rebuilding backend"},
		{"backend", "backend/alembic/versions/0003_x.py", "backend/alembic/versions/0003_x.py: migrations run before the server starts, rebuilding backend"},
		{"backend", "backend/app/data.json", "backend/app/data.json: not live-updatable (live update syncs only backend/app/**.py), rebuilding backend"},
		{"frontend", "frontend/src/app/api/status/route.ts", ""},
		{"frontend", "frontend/src/components/TodoList.tsx", ""},
		{"frontend", "frontend/package.json", "frontend/package.json: dependencies changed, rebuilding frontend"},
		{"frontend", "frontend/package-lock.json", "frontend/package-lock.json: dependencies changed, rebuilding frontend"},
		{"frontend", "frontend/next.config.mjs", "frontend/next.config.mjs: next dev reads it only at start, rebuilding frontend"},
		{"frontend", "frontend/public/robots.txt", "frontend/public/robots.txt: not live-updatable (live update syncs only frontend/src/**), rebuilding frontend"},
	} {
		if got := rule(c.comp).fallbackReason(c.path); got != c.want {
			t.Errorf("%s: %q, want %q", c.path, got, c.want)
		}
	}
}

func TestLiveUpdateRoutes(t *testing.T) {
	for _, c := range []struct {
		paths []string
		want  []string
	}{
		{[]string{"src/app/api/status/route.ts"}, []string{"/api/status"}},
		{[]string{"src/app/page.tsx", "src/components/TodoList.tsx"}, []string{"/"}},
		{[]string{"src/app/api/todos/[id]/route.ts"}, []string{"/"}},
		{[]string{"src/lib/api.ts"}, []string{"/"}},
		{[]string{"src/app/(shop)/cart/page.tsx", "src/app/api/healthz/route.ts"}, []string{"/cart", "/api/healthz"}},
	} {
		if got := routesOf(c.paths); !slices.Equal(got, c.want) {
			t.Errorf("routesOf(%v) = %v, want %v", c.paths, got, c.want)
		}
	}
}
