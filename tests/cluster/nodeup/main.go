// Command nodeup is `make node-up`: it starts the test node of package cluster (a real
// one-node Kubernetes cluster and its Docker API, in a network namespace with no route out),
// builds the app images into it, prints how to reach it, and keeps it up until Ctrl-C, which
// stops it and removes everything it made. Run it through tests/run/node-up.sh, which
// prepares what the node needs around it (tests/env/node.sh) and holds the node lock.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/todo-chatbot/todo-chatbot/tests/cluster"
)

// run gives cluster.Start what it asks of a test: logging, failing, cleanups and temporary
// directories. Start and the node's teardown use only the methods defined here; the embedded
// testing.TB (nil) is there because the interface cannot be implemented outside package
// testing otherwise, so any other method panics.
type run struct {
	testing.TB
	dir      string // the temporary directories go under it; tests/run/node-up.sh removes it
	mu       sync.Mutex
	failed   bool
	cleanups []func()
	n        int
}

// fatal unwinds main's goroutine from Fatal to the cleanups, as FailNow does for a test.
type fatal struct{}

func (r *run) Helper()                         {}
func (r *run) Name() string                    { return "node-up" }
func (r *run) Log(args ...any)                 { log.Print(args...) }
func (r *run) Logf(format string, args ...any) { log.Printf(format, args...) }
func (r *run) Error(args ...any)               { r.fail(); log.Print(append([]any{"ERROR: "}, args...)...) }
func (r *run) Errorf(format string, args ...any) {
	r.fail()
	log.Printf("ERROR: "+format, args...)
}
func (r *run) Fatal(args ...any)                 { r.Error(args...); panic(fatal{}) }
func (r *run) Fatalf(format string, args ...any) { r.Errorf(format, args...); panic(fatal{}) }
func (r *run) FailNow()                          { r.fail(); panic(fatal{}) }
func (r *run) Fail()                             { r.fail() }
func (r *run) Failed() bool                      { r.mu.Lock(); defer r.mu.Unlock(); return r.failed }
func (r *run) Context() context.Context          { return context.Background() }
func (r *run) fail()                             { r.mu.Lock(); r.failed = true; r.mu.Unlock() }

func (r *run) Cleanup(f func()) {
	r.mu.Lock()
	r.cleanups = append(r.cleanups, f)
	r.mu.Unlock()
}

func (r *run) TempDir() string {
	r.mu.Lock()
	r.n++
	dir := filepath.Join(r.dir, fmt.Sprint(r.n))
	r.mu.Unlock()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		r.Fatal(err)
	}
	return dir
}

// cleanup runs the cleanups newest first, as testing does.
func (r *run) cleanup() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func main() {
	log.SetFlags(log.Ltime)
	if len(os.Args) != 2 {
		log.Fatal("usage: nodeup DIR (run it through tests/run/node-up.sh, i.e. make node-up)")
	}
	r := &run{dir: os.Args[1]}
	// Ctrl-C is handled by package cluster, as in every node test: once the node's first
	// process runs, a signal kills its processes, removes everything the node made and exits.
	code := 0
	func() {
		defer func() {
			if p := recover(); p != nil {
				if _, ok := p.(fatal); !ok {
					panic(p)
				}
			}
			if r.Failed() {
				code = 1
			}
		}()
		c := cluster.Start(r)
		if _, _, err := c.BuildAppImages(context.Background()); err != nil {
			r.Fatal(err)
		}
		fmt.Fprintf(os.Stderr, "\nThe node is up. In another shell:\n  export KUBECONFIG=%s DOCKER_HOST=%s\n"+
			"  kubectl --context %s get nodes    # NodePorts: http://%s:<port>; host as seen from pods: %s\n"+
			"Ctrl-C here stops and removes it.\n", c.Kubeconfig, c.DockerHost, c.Context, c.NodeIP, c.HostIP)
		select {}
	}()
	r.cleanup()
	os.Exit(code)
}
