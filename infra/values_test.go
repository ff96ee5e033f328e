package infra_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/todo-chatbot/todo-chatbot/infra/infratest"
)

// secretPaths lists the dotted paths of the secret leaves in a values tree; it fails when
// a map above the leaves is secret (which would hide every diff in `pulumi preview`).
func secretPaths(t *testing.T, prefix string, v resource.PropertyValue) []string {
	t.Helper()
	switch {
	case v.IsSecret():
		if e := v.SecretValue().Element; e.IsObject() || e.IsArray() {
			t.Errorf("%s: a whole subtree is secret", prefix)
		}
		return []string{prefix}
	case v.IsObject():
		var out []string
		for k, e := range v.ObjectValue() {
			out = append(out, secretPaths(t, strings.TrimPrefix(prefix+"."+string(k), "."), e)...)
		}
		slices.Sort(out)
		return out
	}
	return nil
}

// Where each setting lands in the release's values. Only the two secrets are secret, each
// as a leaf, and no stack output holds one in plaintext.
func TestReleaseValues(t *testing.T) {
	cases := []struct {
		name   string
		config map[string]string
		want   map[string]any // dotted path: value (secrets revealed)
	}{
		{"minikube defaults", nil, map[string]any{
			"backend.replicaCount": 1.0, "frontend.replicaCount": 1.0,
			"backend.image.repository": "todo-backend", "backend.image.tag": "v1", "backend.image.digest": "",
			"backend.image.id": infratest.ImageID("todo-backend:v1", ""), "frontend.image.repository": "todo-frontend",
			"frontend.image.id": infratest.ImageID("todo-frontend:v1", ""), "postgresql.enabled": true,
			"env.secrets.DATABASE_URL": "", "env.secrets.GEMINI_API_KEY": "",
		}},
		{"every chart-bound setting", map[string]string{"backendReplicas": "2", "frontendReplicas": "3", "frontendNodePort": "30080",
			"geminiApiKey": secretKey, "geminiModel": "gemini-2.5-flash", "imageTag": "2024.06"}, map[string]any{
			"backend.replicaCount": 2.0, "frontend.replicaCount": 3.0, "frontend.service.nodePort": 30080.0,
			"backend.geminiModel": "gemini-2.5-flash", "backend.image.tag": "2024.06", "frontend.image.tag": "2024.06",
			"postgresql.enabled": true, "env.secrets.GEMINI_API_KEY": secretKey,
		}},
		{"ingress with TLS", map[string]string{"ingressHost": "todo.example.com", "ingressClassName": "nginx", "ingressCertificate": "todo-tls"}, map[string]any{
			"ingress.enabled": true, "ingress.className": "nginx", "ingress.hosts.0.host": "todo.example.com",
			"ingress.hosts.0.paths.0.path": "/", "ingress.hosts.0.paths.0.pathType": "Prefix",
			"ingress.tls.0.secretName": "todo-tls", "ingress.tls.0.hosts.0": "todo.example.com",
		}},
		{"external database", map[string]string{"databaseUrl": secretDBURL}, map[string]any{
			"postgresql.enabled": false, "env.secrets.DATABASE_URL": secretDBURL,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := infratest.MustRun(t, infratest.Stack{Config: c.config})
			values := st.One(t, infratest.ReleaseType).Inputs["values"]
			for dotted, want := range c.want {
				if got := infratest.Reveal(at(t, values, strings.Split(dotted, ".")...)).V; got != want {
					t.Errorf("%s = %#v, want %#v", dotted, got, want)
				}
			}
			if _, set := values.ObjectValue()["frontend"].ObjectValue()["service"]; set != (c.config["frontendNodePort"] != "") {
				t.Error("frontend.service is set only to pin a node port")
			}
			if _, set := values.ObjectValue()["ingress"]; set != (c.config["ingressHost"] != "") {
				t.Error("ingress is set only when ingressHost is (else the chart's default: no Ingress)")
			}
			_, exported := st.Outputs["ingressUrl"]
			if want := "https://todo.example.com/"; exported != (c.config["ingressHost"] != "") || (exported && st.Outputs["ingressUrl"].Value != want) {
				t.Errorf("ingressUrl output %v (exported %v), want %s exactly when ingressHost is set", st.Outputs["ingressUrl"].Value, exported, want)
			}
			if d := str(t, at(t, values, "chartDigest")); !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(d) {
				t.Errorf("chartDigest %q", d)
			}
			if got := secretPaths(t, "", values); !slices.Equal(got, []string{"env.secrets.DATABASE_URL", "env.secrets.GEMINI_API_KEY"}) {
				t.Errorf("secret leaves %v, want exactly env.secrets.DATABASE_URL and env.secrets.GEMINI_API_KEY", got)
			}
			for name, o := range st.Outputs {
				if s, _ := o.Value.(string); !o.Secret && (strings.Contains(s, secretKey) || strings.Contains(s, secretDBURL)) {
					t.Errorf("output %s holds a plaintext secret", name)
				}
			}
		})
	}
}
