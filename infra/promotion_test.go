package infra_test

import (
	"strings"
	"testing"

	"github.com/todo-chatbot/todo-chatbot/infra/infratest"
)

const staging = "organization/todo-chatbot/staging"

func promoting(t *testing.T, be, fe string) (*infratest.Result, error) {
	t.Helper()
	outputs := map[string]string{"namespace": "todo-staging"}
	if be != "" {
		outputs["backendImage"] = be
	}
	if fe != "" {
		outputs["frontendImage"] = fe
	}
	// No DOCKER_HOST and no minikube on PATH: promotion needs neither.
	return infratest.Run(t, infratest.Stack{Name: "prod", Config: map[string]string{"promoteFrom": staging, "kubeContext": "prod", "databaseUrl": secretDBURL},
		Env: map[string]string{"DOCKER_HOST": "", "PATH": t.TempDir()}, Sources: map[string]map[string]string{staging: outputs}})
}

// Promotion deploys the source stack's images exactly as exported, tagged or not: no image
// build, no Docker provider, and the same references re-exported (an untagged source gains
// no tag).
func TestPromotion(t *testing.T) {
	untaggedBE := strings.Replace(stagingBE, ":v1@", "@", 1)
	for _, be := range []string{stagingBE, untaggedBE} {
		st, err := promoting(t, be, stagingFE)
		if err != nil {
			t.Fatalf("promoting %s: %v", be, err)
		}
		if n, m := len(st.OfType(infratest.ImageType)), len(st.OfType(infratest.DockerProvider)); n != 0 || m != 0 {
			t.Fatalf("promotion declared %d images and %d docker providers", n, m)
		}
		if ref := st.One(t, infratest.StackReferenceType); !ref.Read || ref.Name != staging {
			t.Fatalf("stack reference %+v", ref)
		}
		values := st.One(t, infratest.ReleaseType).Inputs["values"]
		for component, ref := range map[string]string{"backend": be, "frontend": stagingFE} {
			name, digest, _ := strings.Cut(ref, "@")
			repo, tag, _ := strings.Cut(name, ":v")
			if tag != "" {
				tag = "v" + tag
			}
			img := func(key string) string { return str(t, at(t, values, component, "image", key)) }
			if img("repository") != repo || img("tag") != tag || img("digest") != digest || img("id") != digest {
				t.Errorf("%s image values %v, want %s (tag %q) @ %s", component, at(t, values, component, "image"), repo, tag, digest)
			}
		}
		if at(t, values, "postgresql", "enabled").BoolValue() {
			t.Error("a promoted stack runs no in-cluster PostgreSQL")
		}
		if st.Outputs["backendImage"].Value != be || st.Outputs["frontendImage"].Value != stagingFE {
			t.Errorf("re-exported %v and %v, want exactly %s and %s", st.Outputs["backendImage"].Value, st.Outputs["frontendImage"].Value, be, stagingFE)
		}
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
		{"minikube source", "todo-backend:v1@" + infratest.ImageID("todo-backend:v1", ""), stagingFE, []string{"not in a registry", "promote from a stack that pushes to a registry"}},
		{"not a reference", "registry.example.com/Todo Backend", stagingFE, []string{"invalid reference format"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := promoting(t, c.be, c.fe)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range append(c.wantText, "todo-chatbot:promoteFrom") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if n := len(st.OfType(infratest.ReleaseType)); n != 0 {
				t.Error("a release was declared despite a bad promotion source")
			}
		})
	}
}
