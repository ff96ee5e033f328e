// Command dev is `make dev`: it deploys the stack once, then watches backend/, frontend/,
// charts/ and the Pulumi program, and on each saved change runs `pulumi up` and reports
// what changed, what was rebuilt, and the time from the save to the new code answering.
// Ctrl-C stops watching and leaves the deployment running.
//
// Live update (on by default, -live-update=false or `make dev LIVE_UPDATE=0` turns it off;
// live.go): the program deploys the chart's liveUpdate mode (TODO_LIVE_UPDATE=1 in its
// environment, so the state records it), and a saved backend/app/**.py or frontend/src/**
// file is copied into the running pods, whose dev servers reload it, instead of a rebuild.
// Anything else (dependencies, a Dockerfile, the chart, the program, a failed sync) goes
// through `pulumi up` as before, with one line saying why.
//
// Why the Automation API and fsnotify rather than `pulumi watch`: `pulumi watch` needs the
// separate pulumi-watch binary (not installable here), triggers on every file in the
// project (node_modules, .next, editor swap files) with no ignore rules, and reports only
// the engine's summary. The Automation API drives the same CLI and language host as
// `make up`, and its event stream says which image was rebuilt and how long each step took;
// fsnotify (inotify) is the file-watching library the Go ecosystem uses, and
// moby/patternmatcher reads .dockerignore exactly as docker and pulumi-docker do.
//
// deploy/pulumi.sh sets up the state backend, passphrase and stack, then runs this.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/distribution/reference"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"golang.org/x/sys/unix"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "make dev: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	stack    string
	root     string
	debounce time.Duration
	timeout  time.Duration
	logPath  string
	live     bool
}

func run() error {
	var o options
	flag.StringVar(&o.stack, "stack", envOr("STACK", "dev"), "stack to deploy and update")
	flag.StringVar(&o.root, "root", ".", "the repository (the Pulumi project)")
	flag.DurationVar(&o.debounce, "debounce", 150*time.Millisecond, "quiet time that ends a batch of saves")
	flag.DurationVar(&o.timeout, "answer-timeout", 5*time.Minute, "how long to wait for new code to answer")
	flag.StringVar(&o.logPath, "log", "", "file for Pulumi's full progress output (default build/dev.log)")
	liveDefault := envOr("LIVE_UPDATE", "1")
	flag.BoolVar(&o.live, "live-update", liveDefault != "0" && liveDefault != "false",
		"copy saved backend/app/**.py and frontend/src/** files into the running dev pods instead of rebuilding (LIVE_UPDATE=0 turns it off)")
	flag.Parse()
	root, err := filepath.Abs(o.root)
	if err != nil {
		return err
	}
	if o.logPath == "" {
		o.logPath = filepath.Join(root, "build", "dev.log")
	}
	if err := os.MkdirAll(filepath.Dir(o.logPath), 0o755); err != nil {
		return err
	}
	logf, err := os.Create(o.logPath)
	if err != nil {
		return err
	}
	defer logf.Close()

	// The first Ctrl-C stops watching; an update already running finishes (Pulumi, which
	// gets the terminal's Ctrl-C too, stops it at a safe point). A second one aborts.
	stopping, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopWithParent()
	updates, abort := context.WithCancel(context.Background())
	defer abort()
	go func() {
		<-stopping.Done()
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		abort()
	}()

	srcs, err := sources(root)
	if err != nil {
		return err
	}
	w, err := newWatcher(root, srcs, o.debounce)
	if err != nil {
		return err
	}
	defer w.Close()
	known, err := w.snapshot()
	if err != nil {
		return err
	}
	changes, werrs, quit := make(chan change), make(chan error, 1), make(chan struct{})
	defer close(quit)
	go w.run(quit, changes, werrs)

	ws, err := auto.NewLocalWorkspace(updates, auto.WorkDir(root))
	if err != nil {
		return err
	}
	stack, err := auto.SelectStack(updates, o.stack, ws)
	if err != nil {
		return fmt.Errorf("stack %s: %w (deploy/pulumi.sh creates it; run `make dev`, not this binary)", o.stack, err)
	}
	c, cfg, err := clusterOf(updates, stack)
	if err != nil {
		return err
	}
	live := o.live
	if live {
		if why := noLiveUpdate(cfg); why != "" {
			say("live update off: %s", why)
			live = false
		}
	}
	// The program reads it (infra/config.go): the state records which mode is deployed.
	liveEnv := map[bool]string{true: "1", false: "0"}[live]
	ws.SetEnvVar(layout.LiveUpdateEnv, liveEnv)
	if live {
		say("live update on: saved backend/app/**.py and frontend/src/** files are copied into the running pods; anything else rebuilds (make dev LIVE_UPDATE=0 turns it off)")
	}
	d := devLoop{stack: stack, stackName: o.stack, cluster: c, log: logf, logPath: o.logPath, timeout: o.timeout,
		root: root, live: live, pending: map[string]map[string]bool{}}

	say("deploying stack %s once (full Pulumi output in %s)", o.stack, rel(root, o.logPath))
	if err := d.deploy(updates, change{savedAt: time.Now()}, nil); err != nil {
		if stopping.Err() != nil {
			return nil
		}
		say("the first deployment failed; fix it and save: make dev keeps watching")
	}
	if out, ok := d.last.outputs["openCommand"]; ok {
		say("open the app: %v", out.Value)
	}
	say("watching backend/, frontend/, charts/ and the program; Ctrl-C stops (the deployment stays)")
	for {
		select {
		case <-stopping.Done():
			if live {
				say("stopped watching; the deployment keeps running in live-update mode (make up deploys the production images again; make destroy removes it)")
			} else {
				say("stopped watching; the deployment keeps running (make destroy removes it)")
			}
			return nil
		case err := <-werrs:
			say("file watching: %v", err)
		case ch := <-changes:
			ch.paths = known.update(root, ch.paths)
			if len(ch.paths) == 0 {
				continue // saved without a change in content
			}
			if err := d.handle(updates, ch); err != nil && stopping.Err() != nil {
				say("stopped during an update; run `make dev` or `make up` to finish it")
				return nil
			}
		}
	}
}

// devLoop runs updates and reports them.
type devLoop struct {
	stack     auto.Stack
	stackName string
	root      string
	live      bool
	// pending: per component, the files (context-relative) synced into its pods since its
	// image was last built; a later sync sends them all, and `pulumi up` leaves that image
	// alone (--exclude) unless it rebuilds the component anyway.
	pending map[string]map[string]bool
	warmed  map[string]bool // next dev pods already asked for their first compile
	cluster cluster
	log     io.Writer
	logPath string
	timeout time.Duration
	last    updateResult
	running map[string]map[string]bool // component -> runtime image IDs its pods ran at the last check
	built   map[string]string          // component -> the image ID those pods were built from
}

// handle reacts to one change: with live update, each component's files are synced into its
// pods when they all can be, and whatever cannot (or failed to) goes through `pulumi up`.
func (d *devLoop) handle(ctx context.Context, ch change) error {
	say("changed: %s", list(ch.paths, 6))
	if !d.live {
		return d.deploy(ctx, ch, nil)
	}
	byComponent := map[string][]string{}
	needUp, program := false, false
	for _, p := range ch.paths {
		if rule, ok := ruleFor(p); ok {
			byComponent[rule.component] = append(byComponent[rule.component], p)
		} else if strings.HasPrefix(p, layout.ChartDir+"/") {
			needUp = true
		} else {
			needUp, program = true, true
		}
	}
	rebuild := map[string]bool{}
	for _, rule := range liveRules {
		paths := byComponent[rule.component]
		if len(paths) == 0 {
			continue
		}
		reason := ""
		for _, p := range paths {
			if reason = rule.fallbackReason(p); reason != "" {
				break
			}
		}
		if reason != "" {
			say("%s", reason)
			rebuild[rule.component] = true
			continue
		}
		if err := d.liveUpdate(ctx, rule, paths, ch.savedAt); err != nil {
			if !errors.Is(err, errSync) {
				continue // synced, but the new code does not answer: the user's to fix, a rebuild would not help
			}
			say("%s: live update failed (%v), rebuilding", rule.component, err)
			rebuild[rule.component] = true
		}
	}
	if !needUp && len(rebuild) == 0 {
		return nil
	}
	// Leave the images of live-updated components alone unless they are rebuilt anyway: a
	// dependency change of one component rolls only that one, as without live update. A
	// program change updates everything (it may change how images are built).
	var exclude []string
	for _, comp := range components {
		if len(d.pending[comp.name]) > 0 && !rebuild[comp.name] && !program {
			exclude = append(exclude, d.imageURN(comp.name))
		}
	}
	return d.deploy(ctx, ch, exclude)
}

// liveUpdate syncs one component's saved files into its pods and reports it.
func (d *devLoop) liveUpdate(ctx context.Context, rule liveRule, paths []string, savedAt time.Time) error {
	if d.pending[rule.component] == nil {
		d.pending[rule.component] = map[string]bool{}
	}
	var changed []string
	for _, p := range paths {
		rel := strings.TrimPrefix(p, rule.context+"/")
		d.pending[rule.component][rel] = true
		changed = append(changed, rel)
	}
	var files []liveFile
	for rel := range d.pending[rule.component] {
		files = append(files, liveFile{rel: rel})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].rel < files[j].rel })
	res, err := d.cluster.liveSync(ctx, d.root, rule, files, changed)
	if err != nil {
		if !errors.Is(err, errSync) {
			say("  %s: synced %s into %d pod(s), but the new code does not answer: %v (fix and save again)", rule.component, list(changed, 4), len(res.pods), err)
		}
		return err
	}
	answered := "answers"
	if res.answered != "" {
		answered = "answers " + res.answered
	}
	say("  %s live-updated %s in %d pod(s) (%s; sync and reload %.1fs): new code %s: %.1fs after the save",
		rule.component, list(changed, 4), len(res.pods), strings.Join(res.pods, ", "), res.took.Seconds(), answered, time.Since(savedAt).Seconds())
	return nil
}

// imageURN is the URN of a component's image resource, as the last update reported it.
func (d *devLoop) imageURN(comp string) string {
	if urn, ok := d.last.urns[comp+"-image"]; ok {
		return urn
	}
	return fmt.Sprintf("urn:pulumi:%s::%s::%s$docker:index/image:Image::%s-image", d.stackName, layout.Project, layout.Project+":index:TodoChatbot", comp)
}

// deploy runs one update for ch (leaving the exclude URNs as they are) and waits for the new
// code to answer.
func (d *devLoop) deploy(ctx context.Context, ch change, exclude []string) error {
	fmt.Fprintf(d.log, "\n==== %s pulumi up (%s)\n", time.Now().Format(time.RFC3339), strings.Join(ch.paths, " "))
	r, err := up(ctx, d.stack, d.log, exclude)
	if r.urns != nil && len(r.urns) == 0 {
		r.urns = d.last.urns
	}
	d.last = r
	if err != nil {
		if len(r.steps) > 0 {
			say("pulumi up done before the failure: %s", strings.Join(r.summary(), "; "))
		}
		for _, e := range r.errors {
			say("  error: %s", e)
		}
		say("update failed after %.1fs (details in %s); fix and save again", r.took.Seconds(), d.logPath)
		return err
	}
	if len(r.steps) == 0 {
		say("pulumi up: no change (%.1fs)", r.took.Seconds())
	} else {
		say("pulumi up %.1fs: %s", r.took.Seconds(), strings.Join(r.summary(), "; "))
	}

	// Which components must be checked: the ones whose image was rebuilt, or both when the
	// release changed for another reason (chart, values, secrets), or on the first deploy.
	rebuilt := map[string]bool{}
	for _, img := range r.rebuilt() {
		rebuilt[strings.TrimSuffix(img, "-image")] = true
	}
	for comp := range d.pending {
		if rebuilt[comp] || len(ch.paths) == 0 {
			delete(d.pending, comp) // its image now holds the synced files
		}
	}
	if len(exclude) > 0 {
		say("  left as built (live-updated since): %s", strings.Join(imageNames(exclude), ", "))
	}
	releaseChanged := false
	for _, s := range r.steps {
		releaseChanged = releaseChanged || s.isRelease()
	}
	for _, comp := range components {
		if len(ch.paths) > 0 && !rebuilt[comp.name] && !(releaseChanged && len(rebuilt) == 0) {
			continue
		}
		want := ""
		if rebuilt[comp.name] {
			want = d.imageID(comp.name)
		}
		previous := d.running[comp.name]
		if want != "" && want == d.built[comp.name] {
			// Rebuilt to the very same image (e.g. only a Dockerfile comment changed, all
			// from cache): nothing rolls, so nothing new is expected to run.
			want, previous = "", nil
		}
		pod, running, err := d.cluster.answering(ctx, comp, want, previous, d.timeout)
		if err != nil {
			say("  %v", err)
			return err
		}
		if d.running == nil {
			d.running, d.built = map[string]map[string]bool{}, map[string]string{}
		}
		d.running[comp.name] = running
		if id := d.imageID(comp.name); id != "" {
			d.built[comp.name] = id
		}
		what := "answers"
		if want != "" {
			what = "answers with image " + short(want)
		}
		say("  %s %s (pod %s): %.1fs after the save", comp.name, what, pod, time.Since(ch.savedAt).Seconds())
		if d.live && comp.name == "frontend" {
			// next dev compiles a page on its first request: do that now, not on the first save.
			if d.warmed == nil {
				d.warmed = map[string]bool{}
			}
			n, took, err := d.cluster.prewarm(ctx, d.warmed)
			switch {
			case err != nil && !strings.Contains(err.Error(), "signal: interrupt"): // not Ctrl-C
				say("  frontend: pre-warming next dev failed: %v", err)
			case err == nil && n > 0:
				say("  frontend: next dev compiled / and /api/status in %.1fs (pre-warm)", took.Seconds())
			}
		}
	}
	return nil
}

func imageNames(urns []string) []string {
	var out []string
	for _, u := range urns {
		out = append(out, urnName(u))
	}
	return out
}

// noLiveUpdate says why the stack cannot run live update ("" when it can): its images are
// pushed to a registry or promoted, so there is no dev image to deploy (infra refuses it).
func noLiveUpdate(cfg map[string]string) string {
	for _, key := range []string{"registry", "promoteFrom"} {
		if cfg[key] != "" {
			return fmt.Sprintf("the stack sets %s (only a stack that builds into the cluster's daemon, like dev, runs live update); every save rebuilds", layout.ConfigKey(key))
		}
	}
	return ""
}

// imageID is the built image's ID or digest, as the update's events or the stack output
// (repository:tag@sha256:...) report it.
func (d *devLoop) imageID(comp string) string {
	if id, ok := d.last.imageIDs[comp+"-image"]; ok {
		if ref, err := reference.Parse(id); err == nil {
			if digested, ok := ref.(reference.Digested); ok {
				return digested.Digest().String()
			}
		}
		if strings.HasPrefix(id, "sha256:") {
			return id
		}
	}
	out, ok := d.last.outputs[comp+"Image"]
	if !ok {
		return ""
	}
	s, _ := out.Value.(string)
	ref, err := reference.Parse(s)
	if digested, ok := ref.(reference.Digested); err == nil && ok {
		return digested.Digest().String()
	}
	return ""
}

// clusterOf reads where the stack deploys from its configuration (defaults as in Pulumi.yaml).
func clusterOf(ctx context.Context, stack auto.Stack) (cluster, map[string]string, error) {
	cfg, err := stack.GetAllConfig(ctx)
	if err != nil {
		return cluster{}, nil, err
	}
	plain := map[string]string{}
	for k, v := range cfg {
		if name, ok := strings.CutPrefix(k, layout.Project+":"); ok && !v.Secret {
			plain[name] = v.Value
		}
	}
	get := func(key, def string) string {
		if v, ok := cfg[layout.ConfigKey(key)]; ok && !v.Secret && v.Value != "" {
			return v.Value
		}
		return def
	}
	kubectl, err := lookKubectl()
	if err != nil {
		return cluster{}, nil, err
	}
	ns := get("namespace", "todo-chatbot")
	args := []string{kubectl, "--context", get("kubeContext", "minikube"), "-n", ns}
	if kc := get("kubeconfig", ""); kc != "" {
		args = append(args, "--kubeconfig", kc)
	}
	return cluster{kubectl: args, release: layout.ReleaseName, namespace: ns}, plain, nil
}

func lookKubectl() (string, error) {
	p, err := exec.LookPath("kubectl")
	if err != nil {
		return "", errors.New("kubectl not found: make dev checks the new pods with it; install it: https://kubernetes.io/docs/tasks/tools/")
	}
	return p, nil
}

func say(format string, args ...any) {
	fmt.Printf("%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func list(paths []string, max int) string {
	if len(paths) <= max {
		return strings.Join(paths, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(paths[:max], ", "), len(paths)-max)
}

func rel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil {
		return r
	}
	return p
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// stopWithParent asks the kernel for a SIGTERM when the process that started the watcher
// (make) goes: a watcher whose terminal or test run was killed outright must not live on
// as an orphan, deploying on every save and holding what its parent held.
func stopWithParent() {
	parent := os.Getppid()
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0, 0, 0); err != nil {
		return // not Linux-like enough: Ctrl-C still stops it
	}
	if os.Getppid() != parent { // the parent went before the request took effect
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
}
