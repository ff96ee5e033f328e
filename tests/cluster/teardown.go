package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// podNetnsGlob is where containerd 1.6 pins each pod's network namespace (not configurable
// in 1.6). No other CRI runtime runs on the machine while the runner holds node.lock, so
// every such namespace is this node's.
const podNetnsGlob = "/run/netns/cni-*"

// cgroupRoots are the cgroup v1 hierarchies (and the v2 mount beside them) in which the
// kubelet (cgroupfs driver) creates "kubepods".
func cgroupRoots() []string {
	roots, _ := filepath.Glob("/sys/fs/cgroup/*")
	return roots
}

// teardownNode removes everything the node made, in the order that lets each step
// succeed: pods through the CRI (CNI teardown included) while containerd still runs, then
// every remaining process of the node (runtime shims and container processes included),
// then mounts, cgroups, the network namespace (with every interface and iptables rule in
// it) and the state directories. It is idempotent and also cleans what a killed run left.
// It returns what it could not remove.
func teardownNode(logf func(string, ...any)) error {
	var errs []error
	for _, sock := range containerdSockets() {
		if cl, err := criAt(sock); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if err := cl.removeAllPods(ctx); err != nil {
				errs = append(errs, err)
			}
			cancel()
			cl.close()
		}
	}
	if n := killNodeProcesses(); n > 0 {
		logf("teardown: killed %d leftover node process(es)", n)
	}
	errs = append(errs, unmountAll()...)
	errs = append(errs, removeCgroups()...)
	if err := deleteNetns(); err != nil {
		errs = append(errs, err)
	}
	if left := mountsUnder(stateDir, dataDir, containerdRoot()); len(left) == 0 {
		for _, d := range []string{stateDir, dataDir} {
			if err := os.RemoveAll(d); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// containerdSockets are the sockets of every node's containerd that exist now.
func containerdSockets() []string {
	var out []string
	for _, pattern := range []string{containerdSock, filepath.Join(stateDir, "m*", "containerd", "containerd.sock")} {
		found, _ := filepath.Glob(pattern)
		out = append(out, found...)
	}
	return out
}

// cgroupTops are the cgroups the kubelets create or run under, in every hierarchy: the
// first node's kubepods, and each other node's cgroup root (kubepods inside it).
func cgroupTops() []string {
	var out []string
	for _, root := range cgroupRoots() {
		if _, err := os.Stat(filepath.Join(root, "kubepods")); err == nil {
			out = append(out, filepath.Join(root, "kubepods"))
		}
		found, _ := filepath.Glob(filepath.Join(root, netnsName+"-m*"))
		out = append(out, found...)
	}
	return out
}

// leftovers lists everything of the node that still exists: the check that the teardown
// really removed every process, mount, namespace, interface, cgroup and rule.
func leftovers() []string {
	var out []string
	for _, p := range nodeProcesses() {
		out = append(out, fmt.Sprintf("process %d (%s)", p.pid, p.cmdline))
	}
	for _, m := range mountsUnder(stateDir, dataDir, containerdRoot(), "/run/netns/") {
		out = append(out, "mount "+m)
	}
	if ns, _ := filepath.Glob(podNetnsGlob); len(ns) > 0 {
		out = append(out, "pod network namespaces "+strings.Join(ns, " "))
	}
	for _, ns := range nodeNetnses() {
		out = append(out, "network namespace "+filepath.Base(ns))
	}
	if exec.Command("ip", "link", "show", hostVeth).Run() == nil {
		out = append(out, "interface "+hostVeth)
	}
	for _, d := range []string{stateDir, dataDir} {
		if _, err := os.Stat(d); err == nil {
			out = append(out, "directory "+d)
		}
	}
	for _, top := range cgroupTops() {
		out = append(out, "cgroup "+top)
	}
	for _, chain := range hostChains() {
		out = append(out, "host iptables chain "+chain)
	}
	return out
}

type proc struct {
	pid     int
	cmdline string
}

// nodeProcesses finds the node's processes by what they cannot hide: the runtime shims
// name the node's containerd socket on their command line, the node's daemons run in its
// network namespace, and the containers' processes sit in the kubelet's kubepods cgroups.
func nodeProcesses() []proc {
	nsInos := map[uint64]bool{}
	for _, ns := range nodeNetnses() {
		if st, err := os.Stat(ns); err == nil {
			nsInos[st.Sys().(*syscall.Stat_t).Ino] = true
		}
	}
	inPods := map[int]bool{}
	for _, top := range cgroupTops() {
		_ = filepath.WalkDir(top, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.Name() == "cgroup.procs" {
				b, _ := os.ReadFile(path)
				for _, f := range strings.Fields(string(b)) {
					if pid, err := strconv.Atoi(f); err == nil {
						inPods[pid] = true
					}
				}
			}
			return nil
		})
	}
	self := os.Getpid()
	var out []proc
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue // gone, or a kernel thread
		}
		cmdline := strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
		mine := inPods[pid] || strings.Contains(cmdline, containerdSock) || strings.Contains(cmdline, stateDir+"/")
		if !mine && len(nsInos) > 0 {
			if st, err := os.Stat(filepath.Join("/proc", e.Name(), "ns", "net")); err == nil {
				mine = nsInos[st.Sys().(*syscall.Stat_t).Ino]
			}
		}
		if mine {
			out = append(out, proc{pid, cmdline})
		}
	}
	return out
}

// killNodeProcesses SIGKILLs the node's processes until none is left (a shim may start a
// process while we kill), and returns how many it killed.
func killNodeProcesses() int {
	killed := 0
	for range 20 {
		ps := nodeProcesses()
		if len(ps) == 0 {
			break
		}
		for _, p := range ps {
			if syscall.Kill(p.pid, syscall.SIGKILL) == nil {
				killed++
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return killed
}

// mountsUnder lists the mount points below any of the prefixes, deepest first.
func mountsUnder(prefixes ...string) []string {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 2 {
			continue
		}
		mp := strings.ReplaceAll(fields[1], `\040`, " ")
		for _, p := range prefixes {
			if strings.HasPrefix(mp, p) && (p != "/run/netns/" || strings.HasPrefix(mp, "/run/netns/cni-")) {
				out = append(out, mp)
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(out)
}

// unmountAll detaches every mount of the node (container root filesystems, sandbox shm,
// the kubelet's volume tmpfs, pod network namespace pins) and removes the pins' files.
func unmountAll() []error {
	var errs []error
	for range 3 { // a mount may be stacked on another at the same point
		ms := mountsUnder(stateDir, dataDir, containerdRoot(), "/run/netns/")
		if len(ms) == 0 {
			break
		}
		for _, m := range ms {
			if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
				errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
			}
		}
	}
	pins, _ := filepath.Glob(podNetnsGlob)
	for _, p := range pins {
		if err := os.Remove(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// removeCgroups removes the kubelets' cgroups (cgroupTops), deepest first, in every hierarchy.
func removeCgroups() []error {
	var errs []error
	for _, top := range cgroupTops() {
		var dirs []string
		_ = filepath.WalkDir(top, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
		slices.SortFunc(dirs, func(a, b string) int { return len(b) - len(a) })
		for _, d := range dirs {
			if err := syscall.Rmdir(d); err != nil && !errors.Is(err, syscall.ENOENT) {
				errs = append(errs, fmt.Errorf("remove cgroup %s: %w", d, err))
			}
		}
	}
	return errs
}

// hostChains lists KUBE-* and CNI-* chains in the host's own iptables (there should never
// be any: kube-proxy and the CNI plugins run inside the node's namespace).
func hostChains() []string {
	var out []string
	for _, tool := range []string{"iptables-save", "ip6tables-save"} {
		b, err := exec.Command(tool).Output()
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, ":KUBE-") || strings.HasPrefix(line, ":CNI-") {
				out = append(out, tool+" "+strings.Fields(line)[0][1:])
			}
		}
	}
	return out
}
