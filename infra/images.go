package infra

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/todo-chatbot/todo-chatbot/infra/chartvalues"
	"github.com/todo-chatbot/todo-chatbot/infra/dockerenv"
	"github.com/todo-chatbot/todo-chatbot/infra/imageref"
	"github.com/todo-chatbot/todo-chatbot/infra/settings"
)

// imageSource says where the release's images come from: built here (Build) or taken from
// another stack (Promote). Exactly one is set.
type imageSource struct {
	Build   *buildSpec
	Promote *promotion
}

// buildSpec is what the two docker.Image builds need, decided before any resource exists.
type buildSpec struct {
	Daemon   dockerenv.Daemon
	Backend  imageBuild
	Frontend imageBuild
}

type imageBuild struct {
	Resource   string // logical name in the Pulumi tree
	ImageName  string // repository:tag
	Repository string
	Tag        string
	Context    string
	Dockerfile string
}

// buildPlan checks the build contexts and finds the Docker daemon. Promotion never gets
// here, so it needs no Docker and no Minikube.
func buildPlan(s settings.Settings, p projectPaths) (imageSource, error) {
	for _, f := range []string{settings.BackendDockerfile, settings.FrontendDockerfile} {
		if _, err := os.Stat(filepath.Join(p.Root, filepath.FromSlash(f))); err != nil {
			return imageSource{}, fmt.Errorf("cannot build the images: %s is missing in %s", f, p.Root)
		}
	}
	daemon, err := dockerenv.Discover(dockerenv.Sources{
		DockerHost:      s.DockerHost,
		MinikubeProfile: s.MinikubeProfile,
		Getenv:          os.Getenv,
	})
	if err != nil {
		return imageSource{}, err
	}
	image := func(resource, name, context, dockerfile string) imageBuild {
		repo := s.ImageRepository(name)
		return imageBuild{Resource: resource, ImageName: repo + ":" + s.ImageTag, Repository: repo,
			Tag: s.ImageTag, Context: context, Dockerfile: dockerfile}
	}
	return imageSource{Build: &buildSpec{
		Daemon:   daemon,
		Backend:  image("backend-image", settings.BackendImageName, p.BackendContext, p.BackendDockerfile),
		Frontend: image("frontend-image", settings.FrontendImageName, p.FrontendContext, p.FrontendDockerfile),
	}}, nil
}

// newDockerProvider points pulumi-docker at the discovered daemon (Minikube's, usually).
func newDockerProvider(ctx *pulumi.Context, d dockerenv.Daemon, opts ...pulumi.ResourceOption) (*docker.Provider, error) {
	args := &docker.ProviderArgs{Host: pulumi.String(d.Host)}
	if d.TLSVerify && d.CertPath != "" {
		args.CertPath = pulumi.String(d.CertPath)
	}
	return docker.NewProvider(ctx, "docker", args, opts...)
}

// builtImage is one built image as the chart and the stack outputs see it.
type builtImage struct {
	Chart  chartvalues.Image[pulumi.StringInput]
	Pinned pulumi.StringOutput // repository:tag@sha256:..., exported for promotion
}

// buildImage declares one docker.Image. On Minikube it is built into Minikube's daemon and
// not pushed (skipPush): the kubelet finds it there. With a registry it is pushed, with the
// registry credentials from (secret) config when set. pulumi-docker hashes the build context
// honouring .dockerignore, so an unchanged backend/ is no diff and a code change is.
func buildImage(ctx *pulumi.Context, s settings.Settings, b imageBuild, password pulumi.StringOutput, opts ...pulumi.ResourceOption) (builtImage, error) {
	args := &docker.ImageArgs{
		ImageName: pulumi.String(b.ImageName),
		Build: &docker.DockerBuildArgs{
			Context:    pulumi.String(b.Context),
			Dockerfile: pulumi.String(b.Dockerfile),
		},
		SkipPush: pulumi.Bool(s.Minikube()),
	}
	if s.Registry != "" && s.RegistryUsername != "" {
		args.Registry = &docker.RegistryArgs{
			Server:   pulumi.String(s.RegistryServer()),
			Username: pulumi.String(s.RegistryUsername),
			Password: password,
		}
	}
	img, err := docker.NewImage(ctx, b.Resource, args, opts...)
	if err != nil {
		return builtImage{}, err
	}
	// repoDigest is repository@sha256:<manifest digest> for a pushed image and the local
	// image ID (sha256:...) for a Minikube build. Either way it changes with every rebuild,
	// so as the chart's image ID it rolls the pods even when the tag stays v1.
	id := img.RepoDigest
	digest := pulumi.String("").ToStringOutput()
	if !s.Minikube() {
		// A pushed image is deployed pinned: repository@digest.
		digest = img.RepoDigest.ApplyT(func(rd string) string {
			if i := strings.LastIndex(rd, "@"); i >= 0 {
				return rd[i+1:]
			}
			return ""
		}).(pulumi.StringOutput)
	}
	pinned := pulumi.All(img.ImageName, img.RepoDigest).ApplyT(func(v []any) (string, error) {
		return imageref.Pinned(v[0].(string), v[1].(string))
	}).(pulumi.StringOutput)
	return builtImage{
		Chart:  chartvalues.Image[pulumi.StringInput]{Repository: b.Repository, Tag: b.Tag, Digest: digest, ID: id},
		Pinned: pinned,
	}, nil
}
