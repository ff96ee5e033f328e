package infra

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/todo-chatbot/todo-chatbot/infra/settings"
)

// TodoChatbot is the whole deployment as one node of the Pulumi tree: its children are the
// providers, the two images (unless promoting) and the Helm release.
type TodoChatbot struct {
	pulumi.ResourceState

	BackendImage  pulumi.StringOutput // repository:tag@sha256:...
	FrontendImage pulumi.StringOutput
	Namespace     pulumi.StringOutput
	ReleaseName   pulumi.StringOutput
	ReleaseStatus pulumi.StringOutput
}

// TodoChatbotArgs is everything decided before any resource is declared.
type TodoChatbotArgs struct {
	Settings    settings.Settings
	Paths       projectPaths
	Images      imageSource
	ChartDigest string
	Secrets     secretInputs
}

// NewTodoChatbot declares the providers, the images and the release.
func NewTodoChatbot(ctx *pulumi.Context, name string, args *TodoChatbotArgs, opts ...pulumi.ResourceOption) (*TodoChatbot, error) {
	app := &TodoChatbot{}
	if err := ctx.RegisterComponentResource("todo-chatbot:index:TodoChatbot", name, app, opts...); err != nil {
		return nil, err
	}
	s := args.Settings
	parent := pulumi.Parent(app)

	k8s, err := newKubernetesProvider(ctx, s, parent)
	if err != nil {
		return nil, err
	}

	var backend, frontend builtImage
	switch {
	case args.Images.Build != nil:
		b := args.Images.Build
		dockerProvider, err := newDockerProvider(ctx, b.Daemon, parent)
		if err != nil {
			return nil, err
		}
		if backend, err = buildImage(ctx, s, b.Backend, args.Secrets.RegistryPassword, parent, pulumi.Provider(dockerProvider)); err != nil {
			return nil, err
		}
		if frontend, err = buildImage(ctx, s, b.Frontend, args.Secrets.RegistryPassword, parent, pulumi.Provider(dockerProvider)); err != nil {
			return nil, err
		}
	case args.Images.Promote != nil:
		backend = promotedImage(args.Images.Promote.Backend, s.ImageTag)
		frontend = promotedImage(args.Images.Promote.Frontend, s.ImageTag)
	}

	spec := settings.ChartSpec[pulumi.StringInput](s, backend.Chart, frontend.Chart,
		args.Secrets.DatabaseURL, args.Secrets.GeminiAPIKey, args.ChartDigest)
	release, err := newRelease(ctx, s, args.Paths.Chart, spec, parent, pulumi.Provider(k8s))
	if err != nil {
		return nil, err
	}

	app.BackendImage = backend.Pinned
	app.FrontendImage = frontend.Pinned
	app.Namespace = release.Status.Namespace().Elem()
	app.ReleaseName = release.Status.Name().Elem()
	app.ReleaseStatus = release.Status.Status()
	err = ctx.RegisterResourceOutputs(app, pulumi.Map{
		"backendImage":  app.BackendImage,
		"frontendImage": app.FrontendImage,
		"namespace":     app.Namespace,
		"releaseName":   app.ReleaseName,
		"releaseStatus": app.ReleaseStatus,
	})
	return app, err
}
