package infra

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/todo-chatbot/todo-chatbot/infra/dockerenv"
	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// image is one of the two images as the chart and the stack outputs see it.
type image struct {
	Repository string
	Tag        string
	// Digest ("sha256:...") pins the image as repository@digest; "" deploys repository:tag.
	Digest pulumi.StringInput
	// ID changes with every build; the chart writes it as a pod-template annotation, so a
	// rebuild under the same tag still rolls the pods.
	ID pulumi.StringInput
	// Exported is the stackoutput another stack promotes: repository[:tag]@sha256:...
	Exported pulumi.StringOutput
}

// imageSource is where the release's images come from: built by this stack (imageBuilds)
// or promoted from another stack's outputs (promotion). Program picks one, once.
type imageSource interface {
	// declare declares what the images need (nothing, for a promotion) and returns them.
	declare(ctx *pulumi.Context, c stackConfig, opts ...pulumi.ResourceOption) (backend, frontend image, err error)
}

// imageBuilds are the two docker.Image builds, planned before any resource exists.
type imageBuilds struct {
	daemon   dockerenv.Daemon
	platform string // linux/<arch> of the daemon; "" when it could not be learnt (platformErr)
	// platformErr is warned about, not fatal: the build still runs for the daemon's default.
	platformErr       error
	backend, frontend imageBuild
}

type imageBuild struct {
	resource   string // logical name in the Pulumi tree
	repository string
	context    string
	dockerfile string
	// target is the Dockerfile stage to build ("" for the last, the production image) and
	// tagSuffix what follows imageTag in the tag: the frontend's live-update build is
	// <repository>:<imageTag>-dev from the dev stage, so it never takes the production tag.
	target    string
	tagSuffix string
}

// planBuilds checks the build contexts and finds the Docker daemon (a promotion never gets
// here, so it needs no Docker and no Minikube).
func planBuilds(c stackConfig, p projectPaths) (imageBuilds, error) {
	for _, f := range []string{layout.BackendDockerfile, layout.FrontendDockerfile} {
		if _, err := os.Stat(filepath.Join(p.Root, filepath.FromSlash(f))); err != nil {
			return imageBuilds{}, fmt.Errorf("cannot build the images: %s is missing in %s", f, p.Root)
		}
	}
	if c.minikube() {
		// Before the daemon is even looked for: a multi-node cluster refuses docker-env.
		// An unreachable cluster is not an error here (a preview must work offline; the
		// release reports it).
		if nodes, err := dockerenv.Nodes(c.kubeconfigPath, c.KubeContext, 5*time.Second); err == nil && len(nodes) > 1 {
			return imageBuilds{}, dockerenv.MultiNodeError(c.KubeContext, nodes)
		}
	}
	daemon, err := dockerenv.Discover(dockerenv.Sources{
		DockerHost:      c.DockerHost,
		MinikubeProfile: c.MinikubeProfile,
		Getenv:          os.Getenv,
	})
	if err != nil {
		return imageBuilds{}, err
	}
	platform, platformErr := dockerenv.Platform(daemon, os.Getenv)
	frontend := imageBuild{resource: "frontend-image", repository: c.imageRepository(layout.FrontendImage), context: p.FrontendContext, dockerfile: p.FrontendDockerfile}
	if c.liveUpdate {
		// next dev needs the sources and the full node_modules; the backend's production
		// image serves live update as it is (the chart only changes its command).
		frontend.target, frontend.tagSuffix = layout.FrontendDevTarget, layout.LiveUpdateTagSuffix
	}
	return imageBuilds{
		daemon:      daemon,
		platform:    platform,
		platformErr: platformErr,
		backend:     imageBuild{resource: "backend-image", repository: c.imageRepository(layout.BackendImage), context: p.BackendContext, dockerfile: p.BackendDockerfile},
		frontend:    frontend,
	}, nil
}

// declare points a Docker provider at the daemon and builds both images with it.
func (b imageBuilds) declare(ctx *pulumi.Context, c stackConfig, opts ...pulumi.ResourceOption) (backend, frontend image, err error) {
	args := &docker.ProviderArgs{Host: pulumi.String(b.daemon.Host)}
	if b.daemon.TLSVerify && b.daemon.CertPath != "" {
		args.CertPath = pulumi.String(b.daemon.CertPath)
	}
	provider, err := docker.NewProvider(ctx, "docker", args, opts...)
	if err != nil {
		return image{}, image{}, err
	}
	opts = append(opts, pulumi.Provider(provider))
	if b.platformErr != nil {
		_ = ctx.Log.Warn(b.platformErr.Error()+"; building for the daemon's default platform", &pulumi.LogArgs{Resource: provider})
	}
	if backend, err = b.backend.declare(ctx, c, b.platform, opts...); err != nil {
		return image{}, image{}, err
	}
	frontend, err = b.frontend.declare(ctx, c, b.platform, opts...)
	return backend, frontend, err
}

// declare declares one docker.Image. On Minikube it is built into Minikube's daemon and
// not pushed (skipPush): the kubelet finds it there. With a registry it is pushed, with the
// registry credentials from (secret) config when set. pulumi-docker hashes the build context
// honouring .dockerignore, so an unchanged backend/ is no diff and a code change is.
func (b imageBuild) declare(ctx *pulumi.Context, c stackConfig, platform string, opts ...pulumi.ResourceOption) (image, error) {
	tag := c.ImageTag + b.tagSuffix
	build := &docker.DockerBuildArgs{
		Context:    pulumi.String(b.context),
		Dockerfile: pulumi.String(b.dockerfile),
	}
	if b.target != "" {
		build.Target = pulumi.String(b.target)
	}
	if platform != "" {
		build.Platform = pulumi.String(platform)
	}
	args := &docker.ImageArgs{
		ImageName: pulumi.String(b.repository + ":" + tag),
		Build:     build,
		SkipPush:  pulumi.Bool(c.minikube()),
	}
	if c.registry() != "" && c.RegistryUsername != "" {
		args.Registry = &docker.RegistryArgs{
			Server:   pulumi.String(c.registryServer()),
			Username: pulumi.String(c.RegistryUsername),
			Password: c.RegistryPassword.Output(),
		}
	}
	img, err := docker.NewImage(ctx, b.resource, args, opts...)
	if err != nil {
		return image{}, err
	}
	// repoDigest is repository@sha256:<manifest digest> for a pushed image and the local
	// image ID (sha256:...) for a Minikube build; either way it changes with every build.
	pinned := func(part func(reference.Canonical) string) pulumi.StringOutput {
		return img.RepoDigest.ApplyT(func(rd string) (string, error) {
			ref, err := pin(b.repository+":"+tag, rd)
			if err != nil {
				return "", err
			}
			return part(ref), nil
		}).(pulumi.StringOutput)
	}
	exported := pinned(reference.Canonical.String)
	// A pushed image is deployed pinned, repository@digest; a Minikube one by its tag.
	var dgst pulumi.StringInput = pulumi.String("")
	if !c.minikube() {
		dgst = pinned(func(r reference.Canonical) string { return r.Digest().String() })
	}
	return image{Repository: b.repository, Tag: tag, Digest: dgst, ID: img.RepoDigest, Exported: exported}, nil
}

// pin is the reference a stack exports for a built image: name is the repository:tag it
// was built as, repoDigest what pulumi-docker reports, repository@sha256:... for a pushed
// image or the bare image ID (sha256:...) for one only built into a daemon (Minikube).
func pin(name, repoDigest string) (reference.Canonical, error) {
	ref, err := reference.Parse(name)
	named, ok := ref.(reference.Named)
	if err != nil || !ok {
		return nil, fmt.Errorf("image %s is not a repository:tag reference: %v", name, err)
	}
	d, err := digest.Parse(repoDigest)
	if r, refErr := reference.Parse(repoDigest); err != nil && refErr == nil {
		if digested, ok := r.(reference.Digested); ok {
			d, err = digested.Digest(), nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("image %s: repoDigest %q holds no sha256 digest", name, repoDigest)
	}
	return reference.WithDigest(named, d)
}
