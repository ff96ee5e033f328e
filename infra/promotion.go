package infra

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/todo-chatbot/todo-chatbot/infra/chartvalues"
	"github.com/todo-chatbot/todo-chatbot/infra/imageref"
	"github.com/todo-chatbot/todo-chatbot/infra/settings"
)

// promotion is another stack's images, deployed as exported (digest-pinned), without
// building: no docker.Image and no Docker provider, so it runs on a CI runner without
// Docker or Minikube.
type promotion struct {
	From     string
	Backend  imageref.Ref
	Frontend imageref.Ref
}

// promotedImages reads the source stack's exported image references and checks them before
// anything is declared, so a bad source fails with a message instead of a broken release.
func promotedImages(ctx *pulumi.Context, s settings.Settings) (imageSource, error) {
	ref, err := pulumi.NewStackReference(ctx, s.PromoteFrom, nil)
	if err != nil {
		return imageSource{}, err
	}
	p := &promotion{From: s.PromoteFrom}
	for _, out := range []struct {
		name string
		dst  *imageref.Ref
	}{{"backendImage", &p.Backend}, {"frontendImage", &p.Frontend}} {
		details, err := ref.GetOutputDetails(out.name)
		if err != nil {
			return imageSource{}, fmt.Errorf("config %s:promoteFrom: reading stack %s: %w", settings.Namespace, s.PromoteFrom, err)
		}
		v := details.Value
		if v == nil {
			v = details.SecretValue
		}
		str, _ := v.(string)
		if str == "" {
			return imageSource{}, fmt.Errorf("config %s:promoteFrom: stack %s exports no %s; run `pulumi up` on that stack first (it exports its images), or point promoteFrom elsewhere with `pulumi config set %s:promoteFrom <organization>/%s/<stack>`",
				settings.Namespace, s.PromoteFrom, out.name, settings.Namespace, ctx.Project())
		}
		r, err := imageref.Promotable(str)
		if err != nil {
			return imageSource{}, fmt.Errorf("config %s:promoteFrom: stack %s's %s: %w; promote from a stack that pushes to a registry (`pulumi config set %s:promoteFrom <organization>/%s/staging`)",
				settings.Namespace, s.PromoteFrom, out.name, err, settings.Namespace, ctx.Project())
		}
		*out.dst = r
	}
	return imageSource{Promote: p}, nil
}

// promotedImage deploys another stack's image exactly as exported: repository@digest (the
// digest is also the pod annotation that rolls the pods when a new promotion lands).
func promotedImage(ref imageref.Ref, fallbackTag string) builtImage {
	if ref.Tag == "" {
		ref.Tag = fallbackTag
	}
	d := pulumi.String(ref.Digest)
	return builtImage{
		Chart:  chartvalues.Image[pulumi.StringInput]{Repository: ref.Repository, Tag: ref.Tag, Digest: d, ID: d},
		Pinned: pulumi.String(ref.String()).ToStringOutput(),
	}
}
