package infra

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

func stagingOutputs(be, fe string) map[string]resource.PropertyMap {
	outs := resource.PropertyMap{"namespace": resource.NewStringProperty("todo-staging")}
	if be != "" {
		outs["backendImage"] = resource.NewStringProperty(be)
	}
	if fe != "" {
		outs["frontendImage"] = resource.NewStringProperty(fe)
	}
	return map[string]resource.PropertyMap{"organization/todo-chatbot/staging": outs}
}

// Promotion deploys the source stack's digest-pinned images: no image build, no Docker
// provider, and no Docker discovery (no DOCKER_HOST, no minikube on PATH here).
func TestPromotionDeclaresNoImage(t *testing.T) {
	newProject(t)
	setConfig(t, map[string]string{"promoteFrom": "organization/todo-chatbot/staging", "kubeContext": "prod",
		"databaseUrl": secretDBURL}, "databaseUrl")
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("PATH", t.TempDir())
	st := mustRun(t, "prod", &mocks{stackOutputs: stagingOutputs(stagingBE, stagingFE)})

	if n := len(st.m.ofType(imageType)); n != 0 {
		t.Fatalf("promotion declared %d images", n)
	}
	if n := len(st.m.ofType(dockerProv)); n != 0 {
		t.Fatalf("promotion declared %d docker providers", n)
	}
	ref := st.m.one(t, stackRefType)
	if !ref.Read || ref.Name != "organization/todo-chatbot/staging" {
		t.Fatalf("stack reference %+v", ref)
	}
	values := st.m.one(t, releaseType).Inputs["values"]
	for component, want := range map[string]struct{ repo, digest string }{
		"backend":  {"registry.example.com/todo/todo-backend", stagingBE[strings.Index(stagingBE, "@")+1:]},
		"frontend": {"registry.example.com/todo/todo-frontend", stagingFE[strings.Index(stagingFE, "@")+1:]},
	} {
		if got := str(t, path(t, values, component, "image", "repository")); got != want.repo {
			t.Errorf("%s repository %q", component, got)
		}
		if got := str(t, path(t, values, component, "image", "digest")); got != want.digest {
			t.Errorf("%s digest %q, want %q", component, got, want.digest)
		}
		if got := str(t, path(t, values, component, "image", "id")); got != want.digest {
			t.Errorf("%s id %q", component, got)
		}
	}
	if path(t, values, "postgresql", "enabled").BoolValue() {
		t.Error("a promoted stack runs no in-cluster PostgreSQL")
	}
	if st.outputs["backendImage"].Value != stagingBE || st.outputs["frontendImage"].Value != stagingFE {
		t.Errorf("a promoted stack re-exports the same references: %v %v", st.outputs["backendImage"].Value, st.outputs["frontendImage"].Value)
	}
}

func TestPromotionSourceErrors(t *testing.T) {
	cases := []struct {
		name     string
		be, fe   string
		wantText []string
	}{
		{"no image outputs", "", "", []string{"stack organization/todo-chatbot/staging exports no backendImage", "pulumi up", "pulumi config set todo-chatbot:promoteFrom"}},
		{"no frontend output", stagingBE, "", []string{"exports no frontendImage"}},
		{"not pinned", "registry.example.com/todo/todo-backend:v1", stagingFE, []string{"not pinned by digest"}},
		{"minikube source", "todo-backend:v1@" + imageID, stagingFE, []string{"not in a registry", "promote from a stack that pushes to a registry"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			newProject(t)
			setConfig(t, map[string]string{"promoteFrom": "organization/todo-chatbot/staging", "databaseUrl": secretDBURL}, "databaseUrl")
			st, err := run(t, "prod", &mocks{stackOutputs: stagingOutputs(c.be, c.fe)})
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range append(c.wantText, "todo-chatbot:promoteFrom") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if n := len(st.m.ofType(releaseType)); n != 0 {
				t.Error("a release was declared despite a bad promotion source")
			}
		})
	}
}
