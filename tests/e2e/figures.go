package e2e

import (
	"fmt"
	"time"
)

// The fault figures charts/todo-chatbot/README.md states, as the bounds TestUserCommands
// asserts under load through the NodePort (no build tag, so the infra part's static check,
// tests/scripts, reads the same constants and checks the READMEs state exactly these). Each
// is a bound, not a measurement: the test logs what it measured every run.
const (
	// A deleted backend pod: this many requests may fail (the other replica serves, and the
	// deleted one drains in its preStop pause).
	BackendPodDeletedFailures = 0
	// A deleted PostgreSQL pod: its replacement is Ready within this after the delete (the
	// old pod's shutdown included), and requests fail for at most this long.
	PostgresPodDeletedReady   = 15 * time.Second
	PostgresPodDeletedFailing = 20 * time.Second
	// The PostgreSQL container's process killed with SIGKILL (no shutdown): the kubelet
	// restarts it in the same pod, which is Ready within this after the kill (crash recovery
	// from the write-ahead log included), and requests fail for at most this long.
	PostgresKilledReady   = 20 * time.Second
	PostgresKilledFailing = 25 * time.Second
	// A worker cut off the network under load (TestManyNodes): requests fail for at most
	// this long after the cut. The control plane sees a node as lost only when its
	// heartbeats have stopped for node-monitor-grace-period (kube-controller-manager's
	// default, 50 s in v1.33), then marks its pods not Ready and the endpoints drop them;
	// until then a Service keeps sending a share of requests to the lost pods, which time
	// out (the load's client waits 10 s). So: grace period + one client timeout + slack.
	NodeLossFailing = 75 * time.Second
)

// Seconds writes a bound as the READMEs do: "15 s".
func Seconds(d time.Duration) string { return fmt.Sprintf("%g s", d.Seconds()) }
