package cluster

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// criClient talks to the node's containerd through the CRI, the API the kubelet uses: to
// see the images the kubelet sees, and to take pods down at the end the way the kubelet
// does (StopPodSandbox runs the CNI teardown, so no pod network namespace, veth or
// iptables rule of a pod outlives it).
type criClient struct {
	conn    *grpc.ClientConn
	runtime runtimeapi.RuntimeServiceClient
	images  runtimeapi.ImageServiceClient
}

// criAt connects to the containerd listening at sock.
func criAt(sock string) (*criClient, error) {
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	cl := &criClient{conn: conn, runtime: runtimeapi.NewRuntimeServiceClient(conn), images: runtimeapi.NewImageServiceClient(conn)}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := cl.runtime.Version(ctx, &runtimeapi.VersionRequest{}); err != nil {
		conn.Close()
		return nil, err
	}
	return cl, nil
}

// imageID returns the image ID the runtime has for ref ("" when it has none). For an
// image loaded from Docker it equals Docker's image ID (both are the config digest).
func (cl *criClient) imageID(ctx context.Context, ref string) (string, error) {
	st, err := cl.images.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: ref}})
	if err != nil {
		return "", err
	}
	if st.Image == nil {
		return "", nil
	}
	return st.Image.Id, nil
}

// removeAllPods stops and removes every pod sandbox (and so every container) on the node.
func (cl *criClient) removeAllPods(ctx context.Context) error {
	list, err := cl.runtime.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range list.Items {
		if _, err := cl.runtime.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: s.Id}); err != nil {
			errs = append(errs, fmt.Errorf("stop pod %s/%s: %w", s.Metadata.Namespace, s.Metadata.Name, err))
		}
		if _, err := cl.runtime.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: s.Id}); err != nil {
			errs = append(errs, fmt.Errorf("remove pod %s/%s: %w", s.Metadata.Namespace, s.Metadata.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (cl *criClient) close() { cl.conn.Close() }

// KillContainer sends SIGKILL to a running container's main process through containerd, as
// a crash or the kernel's OOM killer would: no preStop, no SIGTERM, no shutdown of any kind,
// unlike deleting the pod. containerID is what a pod's status gives (containerd://<id>); the
// kubelet then restarts the container in the same pod.
func (c *Cluster) KillContainer(ctx context.Context, containerID string) error {
	id, ok := strings.CutPrefix(containerID, "containerd://")
	if !ok || id == "" {
		return fmt.Errorf("not a containerd container ID: %q", containerID)
	}
	out, err := ctr(ctx, containerdSock, "tasks", "kill", "--signal", "SIGKILL", id).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ctr tasks kill --signal SIGKILL %s: %v: %s", id, err, out)
	}
	return nil
}

// ctr is containerd's own CLI on the containerd at sock, in the namespace the kubelet uses.
func ctr(ctx context.Context, sock string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ctr", append([]string{"--address", sock, "--namespace", "k8s.io"}, args...)...)
}
