package infra

import (
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Program is a placeholder that pulls in every SDK package the real program uses.
func Program(ctx *pulumi.Context) error {
	_ = config.New(ctx, "todo-chatbot")
	_ = docker.ImageArgs{}
	_ = kubernetes.ProviderArgs{}
	_ = corev1.NamespaceArgs{}
	_ = helmv3.ReleaseArgs{}
	return nil
}
