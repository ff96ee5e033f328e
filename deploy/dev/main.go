// Command dev is `make dev`: it deploys the stack once, then watches backend/, frontend/,
// charts/ and the Pulumi program, and on each saved change runs `pulumi up` and reports
// what changed, what was rebuilt, and the time from the save to the new code answering.
// Ctrl-C stops watching and leaves the deployment running.
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
	"strings"
	"syscall"
	"time"

	"github.com/distribution/reference"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"

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
}

func run() error {
	var o options
	flag.StringVar(&o.stack, "stack", envOr("STACK", "dev"), "stack to deploy and update")
	flag.StringVar(&o.root, "root", ".", "the repository (the Pulumi project)")
	flag.DurationVar(&o.debounce, "debounce", 150*time.Millisecond, "quiet time that ends a batch of saves")
	flag.DurationVar(&o.timeout, "answer-timeout", 5*time.Minute, "how long to wait for new code to answer")
	flag.StringVar(&o.logPath, "log", "", "file for Pulumi's full progress output (default build/dev.log)")
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
	c, err := clusterOf(updates, stack)
	if err != nil {
		return err
	}
	d := devLoop{stack: stack, cluster: c, log: logf, logPath: o.logPath, timeout: o.timeout}

	say("deploying stack %s once (full Pulumi output in %s)", o.stack, rel(root, o.logPath))
	if err := d.deploy(updates, change{savedAt: time.Now()}); err != nil {
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
			say("stopped watching; the deployment keeps running (make destroy removes it)")
			return nil
		case err := <-werrs:
			say("file watching: %v", err)
		case ch := <-changes:
			ch.paths = known.update(root, ch.paths)
			if len(ch.paths) == 0 {
				continue // saved without a change in content
			}
			if err := d.deploy(updates, ch); err != nil && stopping.Err() != nil {
				say("stopped during an update; run `make dev` or `make up` to finish it")
				return nil
			}
		}
	}
}

// devLoop runs updates and reports them.
type devLoop struct {
	stack   auto.Stack
	cluster cluster
	log     io.Writer
	logPath string
	timeout time.Duration
	last    updateResult
	running map[string]map[string]bool // component -> runtime image IDs its pods ran at the last check
	built   map[string]string          // component -> the image ID those pods were built from
}

// deploy runs one update for ch and waits for the new code to answer.
func (d *devLoop) deploy(ctx context.Context, ch change) error {
	if len(ch.paths) > 0 {
		say("changed: %s", list(ch.paths, 6))
	}
	fmt.Fprintf(d.log, "\n==== %s pulumi up (%s)\n", time.Now().Format(time.RFC3339), strings.Join(ch.paths, " "))
	r, err := up(ctx, d.stack, d.log)
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
	}
	return nil
}

// imageID is the built image's ID or digest from the stack output (repository:tag@sha256:...).
func (d *devLoop) imageID(comp string) string {
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
func clusterOf(ctx context.Context, stack auto.Stack) (cluster, error) {
	cfg, err := stack.GetAllConfig(ctx)
	if err != nil {
		return cluster{}, err
	}
	get := func(key, def string) string {
		if v, ok := cfg[layout.ConfigKey(key)]; ok && !v.Secret && v.Value != "" {
			return v.Value
		}
		return def
	}
	kubectl, err := lookKubectl()
	if err != nil {
		return cluster{}, err
	}
	ns := get("namespace", "todo-chatbot")
	args := []string{kubectl, "--context", get("kubeContext", "minikube"), "-n", ns}
	if kc := get("kubeconfig", ""); kc != "" {
		args = append(args, "--kubeconfig", kc)
	}
	return cluster{kubectl: args, release: layout.ReleaseName, namespace: ns}, nil
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
