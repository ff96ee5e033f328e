//go:build cluster

package cluster

import (
	"fmt"
	"os"
	"testing"
)

// TestHoldNode starts the node, builds the app images into it, prints how to reach it and
// keeps it up until interrupted (Ctrl-C tears everything down): `make node-up`, for
// driving the node by hand (kubectl, helm, pulumi, docker) as one would a Minikube.
func TestHoldNode(t *testing.T) {
	if os.Getenv("TODO_NODE_HOLD") == "" {
		t.Skip("set TODO_NODE_HOLD=1 (make node-up) to start the node and keep it up")
	}
	c := Start(t)
	if _, _, err := c.BuildAppImages(t.Context()); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "\nThe node is up. In another shell:\n  export KUBECONFIG=%s DOCKER_HOST=%s\n"+
		"  kubectl --context %s get nodes    # NodePorts: http://%s:<port>; host as seen from pods: %s\n"+
		"Ctrl-C here stops and removes it.\n", c.Kubeconfig, c.DockerHost, c.Context, c.NodeIP, c.HostIP)
	select {}
}
