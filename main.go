// Command todo-chatbot is the Pulumi program that deploys the Todo Chatbot to Minikube.
// All construction lives in package infra so tests and the Automation API can drive it.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/todo-chatbot/todo-chatbot/infra"
)

func main() {
	pulumi.Run(infra.Program)
}
