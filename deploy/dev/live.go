package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// Live update (Tilt's live_update, Skaffold's manual sync): a saved source file is copied
// into every running pod of its component, whose dev server (python3 -m app.devserver, next dev;
// the chart's liveUpdate mode) picks it up, instead of rebuilding the image and rolling the
// Deployment. What cannot be applied that way falls back to `pulumi up` (fall_back_on).

// liveRule says which files of a component's build context are synced into its pods, where
// they go, and how the watcher knows the new code answers.
type liveRule struct {
	component string
	context   string // the build context, relative to the repository root
	container string
	// workdir is where the image holds the context's files (WORKDIR; COPY app ./app):
	// a synced file goes to workdir/<its path in the context>.
	workdir string
	// syncs reports whether a context-relative path is synced (else it falls back).
	syncs func(rel string) bool
	what  string // the synced files, for messages
	// script runs in the container with the tar of the synced files on stdin and the paths
	// to delete as arguments; exit 3 is a failed sync (fall back), other failures are the new
	// code not answering.
	script func(port int, paths []string) []string
}

// ruleFor is the rule of the build context a repository-relative path is in.
func ruleFor(path string) (liveRule, bool) {
	owner := strings.SplitN(path, "/", 2)[0]
	for _, r := range liveRules {
		if r.context == owner {
			return r, true
		}
	}
	return liveRule{}, false
}

var liveRules = []liveRule{
	{
		component: "backend", context: layout.BackendContext, container: "backend", workdir: "/app",
		syncs: func(rel string) bool { return strings.HasPrefix(rel, "app/") && strings.HasSuffix(rel, ".py") },
		what:  "backend/app/**.py",
		script: func(port int, _ []string) []string {
			return []string{"sh", "-c", `before=$(cat /proc/1/task/1/children 2>/dev/null || true)
cd /app || exit 3
if [ $# -gt 0 ]; then rm -f -- "$@" || exit 3; fi
tar -x -m -f - || exit 3
exec python3 -c "$0" "$before"`, fmt.Sprintf(backendWait, port)}
		},
	},
	{
		component: "frontend", context: layout.FrontendContext, container: "frontend", workdir: "/app",
		syncs: func(rel string) bool { return strings.HasPrefix(rel, "src/") },
		what:  "frontend/src/**",
		script: func(port int, paths []string) []string {
			return []string{"sh", "-c", `cd /app || exit 3
if [ $# -gt 0 ]; then rm -f -- "$@" || exit 3; fi
tar -x -m -f - || exit 3
exec node -e "$0"`, fmt.Sprintf(frontendWait, port, jsonStrings(routesOf(paths)))}
		},
	},
}

// backendWait (python3, in the backend container): the dev server (app.devserver, PID 1)
// forks a new uvicorn worker when a .py file changes. The new code answers once a worker that was not
// there before the sync answers /readyz. Without /proc/<pid>/task/<pid>/children (a kernel
// without CONFIG_PROC_CHILDREN) it can only wait for /readyz.
const backendWait = `import sys, time, urllib.request
before = set(sys.argv[1].split())
def kids():
    try:
        return set(open("/proc/1/task/1/children").read().split())
    except OSError:
        return None
deadline, last = time.time() + 30, "no new worker process yet"
while time.time() < deadline:
    k = kids()
    if k is None or k - before:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/readyz", timeout=2) as r:
                print(r.status)
                sys.exit(0)
        except Exception as e:
            last = str(e)
    time.sleep(0.05)
print("the reloaded server did not answer /readyz within 30s: " + last, file=sys.stderr)
sys.exit(4)
`

// frontendWait (node, in the frontend container): next dev notices the files (inotify),
// recompiles what imports them and holds a request to a route until its compile is done.
// After a moment for the file events, it requests the routes of the saved files (the page
// otherwise) and prints their status; any HTTP answer is next dev answering with the new
// code (a compile error is a 500 with the error, which the user has to fix, not a rebuild).
const frontendWait = `const port = %d, routes = %s;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  await sleep(300);
  const out = [];
  for (const route of routes) {
    const deadline = Date.now() + 120000;
    for (;;) {
      try {
        const r = await fetch("http://127.0.0.1:" + port + route, { signal: AbortSignal.timeout(60000) });
        await r.arrayBuffer();
        out.push(route + " " + r.status);
        break;
      } catch (e) {
        if (Date.now() > deadline) { console.error("next dev did not answer " + route + ": " + e); process.exit(4); }
        await sleep(200);
      }
    }
  }
  console.log(out.join(", "));
})();
`

// routesOf is what to request after a frontend sync: the route of each saved page or route
// handler (src/app/<segments>/page.tsx or route.ts, without dynamic segments), else "/".
func routesOf(paths []string) []string {
	var routes []string
	for _, p := range paths {
		rest, ok := strings.CutPrefix(p, "src/app/")
		if !ok {
			continue
		}
		dir, file := path.Split(rest)
		base := strings.TrimSuffix(file, path.Ext(file))
		if (base != "page" && base != "route") || strings.Contains(dir, "[") {
			continue
		}
		var segs []string
		for _, s := range strings.Split(strings.Trim(dir, "/"), "/") {
			if s != "" && !strings.HasPrefix(s, "(") { // (group) segments are not in the URL
				segs = append(segs, s)
			}
		}
		if r := "/" + strings.Join(segs, "/"); !slices.Contains(routes, r) {
			routes = append(routes, r)
		}
	}
	if len(routes) == 0 {
		routes = []string{"/"}
	}
	return routes
}

func jsonStrings(s []string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// fallbackReason says why a changed file of a component cannot be live-updated ("" when it
// can): one line, e.g. "backend/requirements.txt: dependencies changed, rebuilding".
func (r liveRule) fallbackReason(rootRel string) string {
	rel := strings.TrimPrefix(rootRel, r.context+"/")
	if r.syncs(rel) {
		return ""
	}
	why := "not live-updatable (live update syncs only " + r.what + ")"
	switch base := path.Base(rel); {
	case rel == "requirements.txt" || rel == "package.json" || rel == "package-lock.json":
		why = "dependencies changed"
	case base == "Dockerfile":
		why = "the image's Dockerfile changed"
	case base == ".dockerignore":
		why = "the build context's rules changed"
	case strings.HasPrefix(rel, "alembic/") || rel == "alembic.ini":
		why = "migrations run before the server starts"
	case rel == "next.config.mjs" || rel == "tsconfig.json":
		why = "next dev reads it only at start"
	}
	return rootRel + ": " + why + ", rebuilding " + r.component
}

// liveFile is one synced file: its path in the context and whether it was deleted.
type liveFile struct {
	rel     string
	deleted bool
}

// syncResult is one component's live update.
type syncResult struct {
	pods     []string
	answered string // what the wait printed, e.g. "200" or "/api/status 200"
	took     time.Duration
}

// errSync is a sync that did not reach every pod: the watcher falls back to a rebuild.
var errSync = errors.New("sync failed")

// liveSync copies files (paths relative to the context; all the files synced since the
// component's image was built, so a pod started from that image in between gets them all)
// into every running pod of the component and waits until each pod's dev server answers
// with them.
func (c cluster) liveSync(ctx context.Context, root string, r liveRule, files []liveFile, changed []string) (syncResult, error) {
	t0 := time.Now()
	pods, port, err := c.runningPods(ctx, r.component)
	if err != nil {
		return syncResult{}, fmt.Errorf("%w: %v", errSync, err)
	}
	var archive bytes.Buffer
	tw := tar.NewWriter(&archive)
	var deleted []string
	for _, f := range files {
		if f.deleted {
			deleted = append(deleted, f.rel)
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, r.context, filepath.FromSlash(f.rel)))
		if err != nil {
			if os.IsNotExist(err) {
				deleted = append(deleted, f.rel)
				continue
			}
			return syncResult{}, fmt.Errorf("%w: %v", errSync, err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: f.rel, Mode: 0o644, Size: int64(len(b)), ModTime: time.Now(), Typeflag: tar.TypeReg}); err != nil {
			return syncResult{}, err
		}
		if _, err := tw.Write(b); err != nil {
			return syncResult{}, err
		}
	}
	if err := tw.Close(); err != nil {
		return syncResult{}, err
	}
	script := r.script(port, changed)
	var mu sync.Mutex
	res := syncResult{pods: pods}
	var errs []error
	var wg sync.WaitGroup
	for _, pod := range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := append([]string{"exec", "-i", pod, "-c", r.container, "--"}, script...)
			cmd := c.cmd(ctx, append(args, deleted...)...)
			cmd.Stdin = bytes.NewReader(archive.Bytes())
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			mu.Lock()
			defer mu.Unlock()
			var ee *exec.ExitError
			switch {
			case err == nil:
				res.answered = strings.TrimSpace(stdout.String())
			case errors.As(err, &ee) && ee.ExitCode() == 4:
				errs = append(errs, fmt.Errorf("pod %s: %s", pod, strings.TrimSpace(stderr.String())))
			default:
				errs = append(errs, fmt.Errorf("%w: pod %s: %v %s", errSync, pod, err, strings.TrimSpace(stderr.String())))
			}
		}()
	}
	wg.Wait()
	res.took = time.Since(t0)
	return res, errors.Join(errs...)
}

// runningPods lists the component's pods that run (not shutting down) and their http port.
func (c cluster) runningPods(ctx context.Context, component string) ([]string, int, error) {
	selector := fmt.Sprintf("app.kubernetes.io/instance=%s,app.kubernetes.io/component=%s", c.release, component)
	out, err := c.cmd(ctx, "get", "pods", "-l", selector, "-o", "json").Output()
	if err != nil {
		return nil, 0, fmt.Errorf("kubectl get pods: %s", errText(err))
	}
	var pods podList
	if err := json.Unmarshal(out, &pods); err != nil {
		return nil, 0, err
	}
	var names []string
	port := 0
	for _, p := range pods.Items {
		if p.Metadata.DeletionTimestamp != nil {
			continue
		}
		running := len(p.Status.ContainerStatuses) > 0
		for _, cs := range p.Status.ContainerStatuses {
			running = running && cs.State.Running != nil
		}
		if !running {
			return nil, 0, fmt.Errorf("pod %s is not running", p.Metadata.Name)
		}
		names = append(names, p.Metadata.Name)
		for _, ctr := range p.Spec.Containers {
			for _, pt := range ctr.Ports {
				if pt.Name == "http" {
					port = pt.ContainerPort
				}
			}
		}
	}
	if len(names) == 0 {
		return nil, 0, errors.New("no running pod")
	}
	return names, port, nil
}

// prewarm asks each new pod of a next dev frontend (not in warmed, which it updates) for the
// page and the readiness route, so their first compile (seconds on a small machine) happens
// now and not on the first save. It returns how many pods it warmed.
func (c cluster) prewarm(ctx context.Context, warmed map[string]bool) (int, time.Duration, error) {
	t0 := time.Now()
	pods, port, err := c.runningPods(ctx, "frontend")
	if err != nil {
		return 0, 0, err
	}
	var errs []error
	n := 0
	for _, pod := range pods {
		if warmed[pod] {
			continue
		}
		warmed[pod] = true
		n++
		cmd := c.cmd(ctx, "exec", pod, "-c", "frontend", "--", "node", "-e", fmt.Sprintf(frontendWait, port, jsonStrings([]string{"/", "/api/status"})))
		if out, err := cmd.CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("pod %s: %v %s", pod, err, strings.TrimSpace(string(out))))
		}
	}
	return n, time.Since(t0), errors.Join(errs...)
}
