package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// cluster reaches the release's pods with kubectl, the same tool the README's openCommand
// and `make verify` use, pointed at the stack's kubeconfig context and namespace.
type cluster struct {
	kubectl   []string // kubectl with --context/--kubeconfig/-n
	release   string
	namespace string
}

func (c cluster) cmd(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, c.kubectl[0], append(append([]string{}, c.kubectl[1:]...), args...)...) //nolint:gosec // our own arguments
}

// component is one of the chart's Deployments and the path its readiness probe uses.
type component struct {
	name   string // backend, frontend
	health string
}

var components = []component{{"backend", "/readyz"}, {"frontend", "/api/healthz"}}

type podList struct {
	Items []struct {
		Metadata struct {
			Name              string            `json:"name"`
			Annotations       map[string]string `json:"annotations"`
			DeletionTimestamp *string           `json:"deletionTimestamp"`
		} `json:"metadata"`
		Spec struct {
			Containers []struct {
				Ports []struct {
					Name          string `json:"name"`
					ContainerPort int    `json:"containerPort"`
				} `json:"ports"`
			} `json:"containers"`
		} `json:"spec"`
		Status struct {
			ContainerStatuses []struct {
				Ready   bool   `json:"ready"`
				ImageID string `json:"imageID"`
				State   struct {
					Running *struct{} `json:"running"`
				} `json:"state"`
			} `json:"containerStatuses"`
		} `json:"status"`
	} `json:"items"`
}

// imageIDAnnotation is the chart's pod annotation holding the built image's ID (see
// todo-chatbot.podAnnotations): a new ID is a new pod template.
const imageIDAnnotation = "todo-chatbot/image-id"

// answering waits until the component's new code answers: every pod of the component that
// is not shutting down comes from the pod template of the image just built (its image-id
// annotation is want; "" when the image did not change) and runs a different image than the
// pods before (the container runtime's imageID is not in previous: the runtime's ID need not
// equal the builder's, e.g. a Docker image imported into containerd, but a rebuilt image
// always has a new one), all are Ready, and an HTTP request to one of them through
// `kubectl port-forward` gets a 2xx from its health route. It returns the pod that answered
// and the runtime image IDs the component's pods now run.
func (c cluster) answering(ctx context.Context, comp component, want string, previous map[string]bool, timeout time.Duration) (string, map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	selector := fmt.Sprintf("app.kubernetes.io/instance=%s,app.kubernetes.io/component=%s", c.release, comp.name)
	var last string
	staleSince, restarted := map[string]time.Time{}, map[string]bool{}
	for {
		pod, port, running, why := c.newPodsReady(ctx, selector, want, previous)
		if stale, ok := strings.CutPrefix(why, stalePrefix); ok {
			// A pod of the new template runs the previous image: it started before the
			// node had the new one under the same tag (imagePullPolicy IfNotPresent, an
			// image loaded into the node after the build, as with `kind load` or this
			// repository's test node). Give the node a moment, then restart that pod once.
			name := strings.Fields(stale)[0]
			if staleSince[name].IsZero() {
				staleSince[name] = time.Now()
			} else if time.Since(staleSince[name]) > staleGrace && !restarted[name] && len(restarted) < maxStaleRestarts {
				restarted[name] = true
				say("  %s: pod %s started with the previous image (the node got the new one after it started); restarting it", comp.name, name)
				_ = c.cmd(ctx, "delete", "pod", name, "--wait=false").Run()
			}
		}
		if why == "" {
			err := c.probe(ctx, pod, port, comp.health)
			if err == nil {
				return pod, running, nil
			}
			why = err.Error()
		}
		if ctx.Err() != nil {
			// The deadline cut the last attempt short: report why the one before failed.
			return "", nil, fmt.Errorf("%s: the new code did not answer within %s: %s", comp.name, timeout, last)
		}
		last = why
		select {
		case <-ctx.Done():
			return "", nil, fmt.Errorf("%s: the new code did not answer within %s: %s", comp.name, timeout, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stalePrefix starts the reason newPodsReady gives for a pod of the new template that runs
// the previous image; staleGrace is how long such a pod is left before it is restarted.
const (
	stalePrefix = "stale pod "
	staleGrace  = 5 * time.Second
	// maxStaleRestarts bounds the restarts of one check: if the node still has not got the
	// image after that, restarting more would not help; the check times out naming the pod.
	maxStaleRestarts = 3
)

// newPodsReady returns a Ready pod running want, its http port and the runtime image IDs
// of the live pods, or why not yet.
func (c cluster) newPodsReady(ctx context.Context, selector, want string, previous map[string]bool) (pod string, port int, running map[string]bool, why string) {
	out, err := c.cmd(ctx, "get", "pods", "-l", selector, "-o", "json").Output()
	if err != nil {
		return "", 0, nil, "kubectl get pods: " + errText(err)
	}
	var pods podList
	if err := json.Unmarshal(out, &pods); err != nil {
		return "", 0, nil, err.Error()
	}
	running = map[string]bool{}
	live := 0
	for _, p := range pods.Items {
		if p.Metadata.DeletionTimestamp != nil {
			continue // shutting down: out of the Service's endpoints already
		}
		live++
		if want != "" && !strings.HasSuffix(p.Metadata.Annotations[imageIDAnnotation], want) {
			return "", 0, nil, fmt.Sprintf("pod %s still has image %s", p.Metadata.Name, short(p.Metadata.Annotations[imageIDAnnotation]))
		}
		if len(p.Status.ContainerStatuses) == 0 {
			return "", 0, nil, "pod " + p.Metadata.Name + " has no container yet"
		}
		for _, cs := range p.Status.ContainerStatuses {
			if want != "" && previous[cs.ImageID] {
				return "", 0, nil, fmt.Sprintf("%s%s runs the previous image %s", stalePrefix, p.Metadata.Name, short(cs.ImageID))
			}
			if !cs.Ready {
				return "", 0, nil, "pod " + p.Metadata.Name + " is not Ready"
			}
			running[cs.ImageID] = true
		}
		if pod == "" {
			pod = p.Metadata.Name
			for _, ctr := range p.Spec.Containers {
				for _, pt := range ctr.Ports {
					if pt.Name == "http" {
						port = pt.ContainerPort
					}
				}
			}
		}
	}
	if live == 0 {
		return "", 0, nil, "no pod yet"
	}
	if port == 0 {
		return "", 0, nil, "pod " + pod + " has no port named http"
	}
	return pod, port, running, ""
}

var forwarding = regexp.MustCompile(`Forwarding from 127\.0\.0\.1:(\d+)`)

// probe GETs path on the pod through a port-forward of a free local port.
func (c cluster) probe(ctx context.Context, pod string, port int, path string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	pf := c.cmd(ctx, "port-forward", "--address", "127.0.0.1", "pod/"+pod, fmt.Sprintf(":%d", port))
	stdout, err := pf.StdoutPipe()
	if err != nil {
		return err
	}
	if err := pf.Start(); err != nil {
		return err
	}
	defer func() { _ = pf.Process.Kill(); _ = pf.Wait() }()
	local := ""
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := forwarding.FindStringSubmatch(sc.Text()); m != nil {
			local = m[1]
			break
		}
	}
	if local == "" {
		return fmt.Errorf("kubectl port-forward to %s did not start", pod)
	}
	go func() { // keep draining so kubectl never blocks on a full pipe
		for sc.Scan() {
		}
	}()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+local+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s on %s: %w", path, pod, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s on %s: %s", path, pod, resp.Status)
	}
	return nil
}

func short(id string) string {
	if i := strings.LastIndex(id, "sha256:"); i >= 0 && len(id) >= i+19 {
		return id[i : i+19]
	}
	if id == "" {
		return "(none)"
	}
	return id
}

func errText(err error) string {
	if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
		return strings.TrimSpace(string(ee.Stderr))
	}
	return err.Error()
}
