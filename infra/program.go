// Package infra is the Pulumi program that deploys the Todo Chatbot. Read it from Program
// down: config is read and validated first (config.go), then the images are either built
// (images.go) or taken from another stack (promotion.go), then one Helm release installs the
// chart (release.go), all under one TodoChatbot component (component.go).
package infra

import (
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Program is the whole Pulumi program; main.go runs it, tests run it under mocks.
func Program(ctx *pulumi.Context) error {
	outputs, err := deploy(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(outputs))
	for name := range outputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ctx.Export(name, outputs[name])
	}
	return nil
}

// deploy declares everything and returns the stack outputs.
func deploy(ctx *pulumi.Context) (map[string]pulumi.Output, error) {
	// Everything that can be checked before declaring a resource is checked here, so a bad
	// stack fails in seconds with a message instead of half-way through a deployment.
	s, err := readSettings(ctx)
	if err != nil {
		return nil, err
	}
	paths, err := resolvePaths(ctx)
	if err != nil {
		return nil, err
	}
	chartDigest, err := chartDigest(paths)
	if err != nil {
		return nil, err
	}

	var source imageSource
	if s.Promoting() {
		source, err = promotedImages(ctx, s)
	} else {
		source, err = buildPlan(s, paths)
	}
	if err != nil {
		return nil, err
	}

	app, err := NewTodoChatbot(ctx, "todo-chatbot", &TodoChatbotArgs{
		Settings:    s,
		Paths:       paths,
		Images:      source,
		ChartDigest: chartDigest,
		Secrets:     readSecrets(ctx),
	})
	if err != nil {
		return nil, err
	}
	return stackOutputs(s, app), nil
}
