package infra

import (
	"reflect"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/utilities"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// This file declares pulumi-kubernetes' helm.Release (kubernetes:helm.sh/v3:Release, the
// same resource and provider as helm/v3.NewRelease) with just the properties the program
// sets. Why not import github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3:
// that package also holds the legacy helm Chart component, which imports the kubernetes
// yaml package and through it every Kubernetes API group (~70 large generated packages).
// Pulumi builds the program with `go build` on every `pulumi up`/`preview`, and measured
// here that import made the binary 165 MB instead of 44 MB and each relink ~4x slower
// (hack/bench-infra.sh prints the build times). The property names and the compat flag
// below are those of helm/v3.NewRelease in pulumi-kubernetes v4.33.0, whose SDK version
// (utilities.PkgResourceDefaultOpts) pins the provider plugin as NewRelease does.

// HelmRelease is a helm.Release: an installed chart.
type HelmRelease struct {
	pulumi.CustomResourceState

	// Status is the release's status object: name, namespace, revision, status, chart,
	// version, appVersion.
	Status pulumi.MapOutput `pulumi:"status"`
}

// HelmReleaseArgs are the helm.Release inputs the program uses.
type HelmReleaseArgs struct {
	Name            pulumi.StringPtrInput
	Chart           pulumi.StringInput
	Namespace       pulumi.StringPtrInput
	CreateNamespace pulumi.BoolPtrInput
	Timeout         pulumi.IntPtrInput
	Atomic          pulumi.BoolPtrInput
	CleanupOnFail   pulumi.BoolPtrInput
	MaxHistory      pulumi.IntPtrInput
	Values          pulumi.MapInput
	Compat          pulumi.StringPtrInput
}

// helmReleaseArgs is the wire shape of HelmReleaseArgs (property names of the schema).
type helmReleaseArgs struct {
	Name            *string        `pulumi:"name"`
	Chart           string         `pulumi:"chart"`
	Namespace       *string        `pulumi:"namespace"`
	CreateNamespace *bool          `pulumi:"createNamespace"`
	Timeout         *int           `pulumi:"timeout"`
	Atomic          *bool          `pulumi:"atomic"`
	CleanupOnFail   *bool          `pulumi:"cleanupOnFail"`
	MaxHistory      *int           `pulumi:"maxHistory"`
	Values          map[string]any `pulumi:"values"`
	Compat          *string        `pulumi:"compat"`
}

// ElementType tells the SDK how to marshal HelmReleaseArgs.
func (HelmReleaseArgs) ElementType() reflect.Type {
	return reflect.TypeOf((*helmReleaseArgs)(nil)).Elem()
}

// NewHelmRelease registers a helm.Release, as helm/v3.NewRelease does.
func NewHelmRelease(ctx *pulumi.Context, name string, args *HelmReleaseArgs, opts ...pulumi.ResourceOption) (*HelmRelease, error) {
	args.Compat = pulumi.StringPtr("true")
	var r HelmRelease
	err := ctx.RegisterResource("kubernetes:helm.sh/v3:Release", name, args, &r, utilities.PkgResourceDefaultOpts(opts)...)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// statusField is one string field of the release status ("" until known).
func (r *HelmRelease) statusField(field string) pulumi.StringOutput {
	return r.Status.ApplyT(func(status map[string]any) string {
		s, _ := status[field].(string)
		return s
	}).(pulumi.StringOutput)
}
