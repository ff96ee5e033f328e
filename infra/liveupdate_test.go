package infra_test

import (
	"strings"
	"testing"

	"github.com/todo-chatbot/todo-chatbot/infra/infratest"
	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// make dev's live update (TODO_LIVE_UPDATE=1, set only by deploy/dev for its Automation API
// runs): the frontend image is the Dockerfile's dev stage under its own tag, the backend
// image is the production one, and the release gets liveUpdate.enabled. Without it the
// program declares exactly what it always did: no target, the plain tag, no liveUpdate value.
func TestLiveUpdateMode(t *testing.T) {
	images := func(st *infratest.Result) map[string]infratest.Resource {
		out := map[string]infratest.Resource{}
		for _, img := range st.OfType(infratest.ImageType) {
			out[img.Name] = img
		}
		return out
	}
	for _, off := range []string{"", "0", "false"} {
		st := infratest.MustRun(t, infratest.Stack{Env: map[string]string{layout.LiveUpdateEnv: off}})
		for name, img := range images(st) {
			if _, ok := img.Inputs["build"].ObjectValue()["target"]; ok {
				t.Errorf("%s=%q: %s builds target %v, want the Dockerfile's last stage", layout.LiveUpdateEnv, off, name, img.Inputs["build"])
			}
			if n := str(t, img.Inputs["imageName"]); strings.HasSuffix(n, layout.LiveUpdateTagSuffix) {
				t.Errorf("%s=%q: %s is %s", layout.LiveUpdateEnv, off, name, n)
			}
		}
		if v, ok := st.Release(t).Values["liveUpdate"]; ok {
			t.Errorf("%s=%q: the release gets liveUpdate %v; production values must stay as they were", layout.LiveUpdateEnv, off, v)
		}
	}

	st := infratest.MustRun(t, infratest.Stack{Env: map[string]string{layout.LiveUpdateEnv: "1"}})
	imgs := images(st)
	fe, be := imgs["frontend-image"], imgs["backend-image"]
	if got := str(t, at(t, fe.Inputs["build"], "target")); got != layout.FrontendDevTarget {
		t.Errorf("live update: frontend build target %q, want %q", got, layout.FrontendDevTarget)
	}
	if got := str(t, fe.Inputs["imageName"]); got != "todo-frontend:v1-dev" {
		t.Errorf("live update: frontend imageName %q, want todo-frontend:v1-dev (never the production tag)", got)
	}
	if _, ok := be.Inputs["build"].ObjectValue()["target"]; ok || str(t, be.Inputs["imageName"]) != "todo-backend:v1" {
		t.Errorf("live update: backend build %v as %v, want the production image todo-backend:v1", be.Inputs["build"], be.Inputs["imageName"])
	}
	values := st.Release(t).Values
	lu, _ := values["liveUpdate"].(map[string]any)
	if lu["enabled"] != true || len(lu) != 1 {
		t.Errorf("live update: release values liveUpdate = %v, want {enabled: true} (the chart's defaults do the rest)", values["liveUpdate"])
	}
	fv, _ := values["frontend"].(map[string]any)
	if img, _ := fv["image"].(map[string]any); img["tag"] != "v1-dev" {
		t.Errorf("live update: frontend image values %v, want tag v1-dev", fv["image"])
	}
}

func TestLiveUpdateErrors(t *testing.T) {
	cases := []struct {
		name   string
		value  string
		config map[string]string
		want   []string
	}{
		{"not a switch", "yes", nil, []string{layout.LiveUpdateEnv, `"yes"`, "want 1"}},
		{"registry stack", "1", map[string]string{"registry": "registry.example.com/team", "databaseUrl": "postgresql://u:p@db:5432/todo"},
			[]string{layout.LiveUpdateEnv, "registry.example.com/team", "make dev LIVE_UPDATE=0"}},
		{"promoting stack", "1", map[string]string{"promoteFrom": "staging", "databaseUrl": "postgresql://u:p@db:5432/todo"},
			[]string{layout.LiveUpdateEnv, "todo-chatbot:promoteFrom", "make dev LIVE_UPDATE=0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := infratest.Run(t, infratest.Stack{Config: c.config, Env: map[string]string{layout.LiveUpdateEnv: c.value},
				Sources: map[string]map[string]string{"organization/todo-chatbot/staging": {}}})
			if err == nil {
				t.Fatal("the program ran")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
			if n := len(st.Resources); n != 0 {
				t.Errorf("%d resources declared before the error, want none", n)
			}
		})
	}
}
