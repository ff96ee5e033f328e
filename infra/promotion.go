package infra

import (
	"errors"
	"fmt"

	"github.com/distribution/reference"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// promotion is another stack's images, deployed exactly as it exported them (digest-pinned)
// without building: no docker.Image and no Docker provider, so it runs on a CI runner
// without Docker or Minikube.
type promotion struct {
	backend, frontend reference.Canonical
}

// readPromotion reads the source stack's exported images and checks them before anything
// is declared, so a bad source fails with a message instead of a broken release.
func readPromotion(ctx *pulumi.Context, c stackConfig) (promotion, error) {
	from := c.PromoteFrom
	fail := func(format string, args ...any) (promotion, error) {
		return promotion{}, fmt.Errorf("config %s: "+format, append([]any{layout.ConfigKey(c.keyOf(&c.PromoteFrom))}, args...)...)
	}
	stack, err := pulumi.NewStackReference(ctx, from, nil)
	if err != nil {
		return promotion{}, err
	}
	var p promotion
	for _, out := range []struct {
		name string
		dst  *reference.Canonical
	}{{"backendImage", &p.backend}, {"frontendImage", &p.frontend}} {
		details, err := stack.GetOutputDetails(out.name)
		if err != nil {
			return fail("reading stack %s: %w", from, err)
		}
		v := details.Value
		if v == nil {
			v = details.SecretValue
		}
		s, _ := v.(string)
		if s == "" {
			return fail("stack %s exports no %s; run `pulumi up` on that stack first (it exports its images), or point promoteFrom elsewhere with `%s`",
				from, out.name, setCommand(c.keyOf(&c.PromoteFrom)))
		}
		if *out.dst, err = promotable(s); err != nil {
			return fail("stack %s's %s: %w; promote from a stack that pushes to a registry (`%s`)",
				from, out.name, err, setCommand(c.keyOf(&c.PromoteFrom)))
		}
	}
	return p, nil
}

// promotable checks that an exported reference can be deployed elsewhere: pinned by digest
// and in a registry (the bare names of images built into Minikube's daemon are not).
func promotable(s string) (reference.Canonical, error) {
	ref, err := reference.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("image %q: %w", s, err)
	}
	canonical, ok := ref.(reference.Canonical)
	switch {
	case !ok:
		return nil, fmt.Errorf("image %q is not pinned by digest (want repository@sha256:...)", s)
	case reference.Domain(canonical) == "":
		return nil, errors.New("image " + s + " is not in a registry: it was built into a local daemon (a Minikube stack), which other clusters cannot pull from")
	}
	return canonical, nil
}

// declare declares nothing: the images exist. Each is deployed and re-exported exactly as
// the source exported it; its digest is also the pod annotation that rolls the pods when
// a new promotion lands.
func (p promotion) declare(*pulumi.Context, stackConfig, ...pulumi.ResourceOption) (backend, frontend image, err error) {
	return promoted(p.backend), promoted(p.frontend), nil
}

func promoted(ref reference.Canonical) image {
	tag := ""
	if tagged, ok := ref.(reference.Tagged); ok {
		tag = tagged.Tag()
	}
	d := pulumi.String(ref.Digest().String())
	return image{Repository: ref.Name(), Tag: tag, Digest: d, ID: d, Exported: pulumi.String(ref.String()).ToStringOutput()}
}
