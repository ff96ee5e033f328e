package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// process is one control-plane component running in its own process group, with its
// output in a log file, so stopping it also stops anything it spawned.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // exit status, valid after done
}

func startProcess(name, logPath string, env []string, bin string, args ...string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), env...)
	// Setpgid: stop() signals the whole group. Pdeathsig: if the test binary dies without
	// running t.Cleanup (go test -timeout panics, a crash), the kernel kills the component.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the *thread* that forked the child exits, and the Go runtime
		// may retire threads; pinning this goroutine to its thread for the child's whole
		// life keeps the signal tied to the child's real parent.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			logFile.Close()
			started <- fmt.Errorf("start %s: %w", name, err)
			return
		}
		registerGroup(cmd.Process.Pid)
		started <- nil
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the whole process group, and SIGKILL if it is still there after
// grace.
func (p *process) stop(grace time.Duration) {
	pgid := p.cmd.Process.Pid
	defer unregisterGroup(pgid)
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Children that ignored SIGTERM while the leader exited are still in the group.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// Process groups still running. If the test binary is interrupted (Ctrl-C, or go test's
// own timeout sends SIGQUIT after printing stacks), t.Cleanup does not run, so a signal
// handler kills them instead of leaving servers listening.
var (
	groupsMu sync.Mutex
	groups   = map[int]bool{}
	sigOnce  sync.Once
)

// signalTeardown, when set, removes the node after the processes are killed on a signal.
var signalTeardown func()

func setSignalTeardown(f func()) {
	groupsMu.Lock()
	signalTeardown = f
	groupsMu.Unlock()
}

func registerGroup(pgid int) {
	sigOnce.Do(func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		go func() {
			s := <-ch
			killAllGroups()
			groupsMu.Lock()
			teardown := signalTeardown
			groupsMu.Unlock()
			if teardown != nil {
				teardown()
			}
			fmt.Fprintf(os.Stderr, "cluster harness: %v received, cluster killed and removed\n", s)
			os.Exit(2)
		}()
	})
	groupsMu.Lock()
	groups[pgid] = true
	groupsMu.Unlock()
}

func unregisterGroup(pgid int) {
	groupsMu.Lock()
	delete(groups, pgid)
	groupsMu.Unlock()
}

func killAllGroups() {
	groupsMu.Lock()
	defer groupsMu.Unlock()
	for pgid := range groups {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}

// waitFor polls check until it returns nil, the process dies, or the timeout passes.
func waitFor(what string, timeout time.Duration, p *process, check func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited while waiting for %s: %v (log: %s)", p.name, what, p.err, p.logPath)
		}
		if last = check(); last == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.Join(fmt.Errorf("timed out after %s waiting for %s", timeout, what), last)
}

// noInheritedFDs marks every descriptor this process inherited above stderr close-on-exec,
// so no process the harness starts holds one: the runner's lock on the node
// (/tmp/todo-locks/node.lock, taken by tests/env/node.sh) must go when the runner does,
// not live on in a daemon (a PostgreSQL server, a shim) a killed test left behind and make
// every later run wait.
func noInheritedFDs() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		var fd int
		if _, err := fmt.Sscan(e.Name(), &fd); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
