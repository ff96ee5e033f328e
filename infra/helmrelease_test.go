package infra

import (
	"reflect"
	"testing"

	helm "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// HelmRelease must send exactly what helm/v3.NewRelease sends for the same properties: each
// wire field has the SDK's property name and type. (Only this test imports helm/v3, so the
// program binary stays small; see helmrelease.go.)
func TestHelmReleaseMatchesTheSDK(t *testing.T) {
	ours := HelmReleaseArgs{}.ElementType()
	sdk := helm.ReleaseArgs{}.ElementType()
	for i := 0; i < ours.NumField(); i++ {
		f := ours.Field(i)
		sf, ok := sdk.FieldByName(f.Name)
		if !ok {
			t.Errorf("the SDK's Release has no %s", f.Name)
			continue
		}
		if sf.Tag.Get("pulumi") != f.Tag.Get("pulumi") || sf.Type != f.Type {
			t.Errorf("%s: ours %s %v, SDK %s %v", f.Name, f.Tag.Get("pulumi"), f.Type, sf.Tag.Get("pulumi"), sf.Type)
		}
	}
	// Input fields correspond to wire fields by name, as in the generated SDK.
	in := reflect.TypeOf(HelmReleaseArgs{})
	for i := 0; i < in.NumField(); i++ {
		if _, ok := ours.FieldByName(in.Field(i).Name); !ok {
			t.Errorf("input %s has no wire field", in.Field(i).Name)
		}
	}
	// The status fields the program reads exist in the SDK's status type.
	status := reflect.TypeOf(helm.ReleaseStatus{})
	for _, name := range []string{"name", "namespace", "status"} {
		found := false
		for i := 0; i < status.NumField(); i++ {
			found = found || status.Field(i).Tag.Get("pulumi") == name
		}
		if !found {
			t.Errorf("the SDK's release status has no %q", name)
		}
	}
	// Same type token and the provider version the SDK pins.
	m := &mocks{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := NewHelmRelease(ctx, "r", &HelmReleaseArgs{Chart: pulumi.String("c")})
		return err
	}, pulumi.WithMocks("todo-chatbot", "dev", m))
	if err != nil {
		t.Fatal(err)
	}
	r := m.one(t, releaseType)
	if r.Inputs["compat"].StringValue() != "true" {
		t.Error("compat flag missing")
	}
	if r.Version != "4.33.0" {
		t.Errorf("provider version %q, want the SDK's 4.33.0", r.Version)
	}
}
