// Package infra is the Pulumi program that deploys the Todo Chatbot. Read it from Program
// down: the settings Pulumi.yaml declares are read and checked (config.go, validate.go),
// the images are built (images.go) or promoted from another stack (promotion.go), and one
// Helm release (release.go) installs the chart with the values built in values.go; the
// stack outputs come from what the release reports (outputs.go).
package infra

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// ComponentType is the type token of the component every resource of the program is under.
const ComponentType = layout.Project + ":index:TodoChatbot"

// todoChatbot is the whole deployment as one node of the Pulumi tree: its children are the
// providers, the two images (unless promoting) and the Helm release.
type todoChatbot struct {
	pulumi.ResourceState
}

// Program is the whole Pulumi program; main.go runs it, tests run it under mocks
// (infra/infratest).
func Program(ctx *pulumi.Context) error {
	// Everything that can be checked before declaring a resource is checked first, so a
	// bad stack fails in seconds with a message instead of half-way through a deployment.
	paths, err := resolvePaths(ctx)
	if err != nil {
		return err
	}
	c, err := readConfig(ctx, paths.Root)
	if err != nil {
		return err
	}
	var images imageSource
	if c.promoting() {
		images, err = readPromotion(ctx, c)
	} else {
		images, err = planBuilds(c, paths)
	}
	if err != nil {
		return err
	}

	app := &todoChatbot{}
	if err := ctx.RegisterComponentResource(ComponentType, layout.ReleaseName, app); err != nil {
		return err
	}
	parent := pulumi.Parent(app)
	k8s, err := newKubernetesProvider(ctx, c, parent)
	if err != nil {
		return err
	}
	backend, frontend, err := images.declare(ctx, c, parent)
	if err != nil {
		return err
	}
	// The chart rendered with these values: the release's change trigger, and in a
	// preview what the upgrade changes, object by object (objectpreview.go).
	values := chartValues(c, backend, frontend)
	objects, err := planObjects(ctx, c, paths.Chart, values)
	if err != nil {
		return err
	}
	values["chartDigest"] = objects.digest
	release, err := newRelease(ctx, c, paths.Chart, values, parent, pulumi.Provider(k8s))
	if err != nil {
		return err
	}
	objects.show(ctx, release)
	objects.exportObjects(ctx)

	outputs := stackOutputs(c, backend, frontend, release)
	for name, value := range outputs {
		ctx.Export(name, value)
	}
	return ctx.RegisterResourceOutputs(app, outputs)
}
