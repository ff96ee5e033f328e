// Command todo-chatbot is the Pulumi program that deploys the Todo Chatbot: on the dev stack
// it builds the images into Minikube's Docker daemon and installs the Helm chart there;
// other stacks push to a registry or promote another stack's images (see Pulumi.yaml).
// All construction lives in package infra (start at infra.Program) so tests and the
// Automation API can drive it.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/todo-chatbot/todo-chatbot/infra"
)

func main() {
	pulumi.Run(infra.Program)
}
