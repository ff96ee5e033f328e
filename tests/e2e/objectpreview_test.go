//go:build e2e

package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/todo-chatbot/todo-chatbot/tests/cluster"
)

// objectPreviewPrefix starts the diagnostic carrying the object preview as JSON
// (infra/manifestdiff.JSONPrefix; README "What `pulumi preview` shows").
const objectPreviewPrefix = "object preview (json): "

// objectReport is the machine-readable object preview.
type objectReport struct {
	Against string `json:"against"`
	Objects []struct {
		Op         string   `json:"op"`
		Kind       string   `json:"kind"`
		Namespace  string   `json:"namespace"`
		Name       string   `json:"name"`
		Fields     []string `json:"fields"`
		SecretKeys []string `json:"secretKeys"`
		Rolls      []string `json:"rolls"`
	} `json:"objects"`
}

// named is "op kind/name" of each object the preview names.
func (r objectReport) named() []string {
	var out []string
	for _, o := range r.Objects {
		out = append(out, o.Op+" "+o.Kind+"/"+o.Name)
	}
	sort.Strings(out)
	return out
}

// rolls are the Deployments the preview says will roll, as component suffixes.
func (r objectReport) rolls() []string {
	var out []string
	for _, o := range r.Objects {
		if o.Kind == "Deployment" && len(o.Rolls) > 0 {
			out = append(out, strings.TrimPrefix(o.Name, release+"-"))
		}
	}
	return out
}

// objectPreview runs `pulumi preview --json` and returns the object preview under the
// release (ok false when there is none: no object changes), and the preview's steps.
func (e *env) objectPreview(t *testing.T) (objectReport, bool, preview) {
	t.Helper()
	out := e.p.okJSON("preview", "--stack", "dev", "--json", "--non-interactive")
	var doc struct {
		Steps       []previewStep `json:"steps"`
		Diagnostics []struct {
			Message  string `json:"message"`
			Severity string `json:"severity"`
			URN      string `json:"urn"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("pulumi preview --json: %v\n%s", err, e.p.redact(lastLines(out, 40)))
	}
	var r objectReport
	found := false
	for _, d := range doc.Diagnostics {
		msg, ok := strings.CutPrefix(strings.TrimSpace(d.Message), objectPreviewPrefix)
		if !ok {
			if strings.Contains(d.Message, "Kubernetes object(s) change") {
				t.Logf("object preview under %s:\n%s", d.URN[strings.LastIndex(d.URN, "::")+2:], e.p.redact(d.Message))
			}
			continue
		}
		if !strings.HasSuffix(d.URN, "Release::"+release) {
			t.Errorf("the object preview is under %s, want the release", d.URN)
		}
		if err := json.Unmarshal([]byte(msg), &r); err != nil {
			t.Fatalf("the object preview's JSON: %v", err)
		}
		found = true
	}
	return r, found, preview{Steps: doc.Steps, raw: out}
}

// releaseObjects maps each object of the release (kind/name) to a digest of what an
// upgrade can change in it as stored: spec, data, labels and annotations. Not
// resourceVersion or generation: controllers write status while pods roll, and Helm's
// three-way patch rewrites a NetworkPolicy with an empty rule list (`egress: []`) on every
// upgrade, which bumps its generation while the stored spec stays the same (seen on the
// node): a write that changes nothing is not a change the preview should name.
func (e *env) releaseObjects(t *testing.T) map[string]string {
	t.Helper()
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: e.c.Kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: cluster.ContextName}).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for kind, gvr := range map[string]schema.GroupVersionResource{
		"Deployment":              {Group: "apps", Version: "v1", Resource: "deployments"},
		"StatefulSet":             {Group: "apps", Version: "v1", Resource: "statefulsets"},
		"Service":                 {Version: "v1", Resource: "services"},
		"Secret":                  {Version: "v1", Resource: "secrets"},
		"ConfigMap":               {Version: "v1", Resource: "configmaps"},
		"ServiceAccount":          {Version: "v1", Resource: "serviceaccounts"},
		"PodDisruptionBudget":     {Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"},
		"HorizontalPodAutoscaler": {Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"},
		"NetworkPolicy":           {Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"},
	} {
		list, err := dyn.Resource(gvr).Namespace(devNamespace).List(e.k.Ctx(), metav1.ListOptions{})
		if err != nil {
			t.Fatalf("listing %s: %v", gvr.Resource, err)
		}
		for _, o := range list.Items {
			if o.GetAnnotations()["meta.helm.sh/release-name"] != release {
				continue
			}
			annotations := o.GetAnnotations()
			delete(annotations, "deployment.kubernetes.io/revision") // moves with the template
			stored, _ := json.Marshal(map[string]any{"spec": o.Object["spec"], "data": o.Object["data"],
				"labels": o.GetLabels(), "annotations": annotations})
			sum := sha256.Sum256(stored) // a digest: a Secret's data is in it
			m[kind+"/"+o.GetName()] = hex.EncodeToString(sum[:])
		}
	}
	return m
}

// changedObjects is what an upgrade did to the release's objects, as "op kind/name".
func changedObjects(before, after map[string]string) []string {
	var out []string
	for id, v := range after {
		switch old, ok := before[id]; {
		case !ok:
			out = append(out, "create "+id)
		case old != v:
			out = append(out, "update "+id)
		}
	}
	for id := range before {
		if _, ok := after[id]; !ok {
			out = append(out, "delete "+id)
		}
	}
	sort.Strings(out)
	return out
}

// TestObjectPreview: for each edit, `pulumi preview` names exactly the objects the
// following `pulumi up` changes (created, written or deleted, seen from the API server)
// and exactly the Deployments that roll; a Secret change names the key, never the value;
// an edit that renders the same objects makes no Helm revision; with the API server
// unreachable the preview compares with what the last up recorded and still succeeds.
func TestObjectPreview(t *testing.T) {
	e := newEnv(t)
	s := &suite{t: t, bind: func(t *testing.T) { e.p.t, e.k.T = t, t }}
	s.step("install", func(t *testing.T) {
		e.initDev("1")
		if r, ok, _ := e.objectPreview(t); !ok || r.Against != "nothing" || len(r.Objects) == 0 {
			t.Errorf("the first preview: object preview %v (against %q, %d objects), want every object created", ok, r.Against, len(r.Objects))
		}
		e.p.ok("up", "--stack", "dev", "--yes", "--skip-preview", "--non-interactive")
	})
	newKey := e.p.secret("AIza-e2e-" + randomHex(t, 12))
	for _, c := range []struct {
		name   string
		edit   func(t *testing.T)
		want   []string // "op kind/name" the preview names and the up changes
		rolls  []string // Deployments that roll
		secret string   // the Secret key the preview names
	}{
		{name: "template-edit-of-one-service",
			edit: func(t *testing.T) {
				editLine(t, e.dir, "charts/todo-chatbot/templates/backend-service.yaml", "metadata:\n",
					"metadata:\n  annotations:\n    e2e.todo-chatbot/preview: \"1\"\n")
			},
			want: []string{"update Service/todo-chatbot-backend"}},
		{name: "replicas",
			edit: func(t *testing.T) { e.p.ok("config", "set", "--stack", "dev", "backendReplicas", "2") },
			// A second replica also brings the backend's PodDisruptionBudget.
			want: []string{"create PodDisruptionBudget/todo-chatbot-backend", "update Deployment/todo-chatbot-backend"}},
		{name: "gemini-api-key",
			edit:  func(t *testing.T) { e.p.ok("config", "set", "--stack", "dev", "--secret", "geminiApiKey", newKey) },
			want:  []string{"update Deployment/todo-chatbot-backend", "update Deployment/todo-chatbot-frontend", "update Secret/todo-chatbot-secrets"},
			rolls: []string{"backend", "frontend"}, secret: "GEMINI_API_KEY"},
		{name: "comment-only-template-edit",
			edit: func(t *testing.T) {
				editLine(t, e.dir, "charts/todo-chatbot/templates/frontend-service.yaml", "metadata:\n",
					"# a comment: the same objects render\nmetadata:\n")
			}},
		{name: "network-policies-off",
			edit: func(t *testing.T) {
				editLine(t, e.dir, "charts/todo-chatbot/values.yaml", "networkPolicy:\n  enabled: true", "networkPolicy:\n  enabled: false")
			},
			want: []string{"delete NetworkPolicy/todo-chatbot-backend", "delete NetworkPolicy/todo-chatbot-frontend",
				"delete NetworkPolicy/todo-chatbot-postgresql", "delete NetworkPolicy/todo-chatbot-test"}},
		{name: "network-policies-on",
			edit: func(t *testing.T) {
				editLine(t, e.dir, "charts/todo-chatbot/values.yaml", "networkPolicy:\n  enabled: false", "networkPolicy:\n  enabled: true")
			},
			want: []string{"create NetworkPolicy/todo-chatbot-backend", "create NetworkPolicy/todo-chatbot-frontend",
				"create NetworkPolicy/todo-chatbot-postgresql", "create NetworkPolicy/todo-chatbot-test"}},
		{name: "backend-image-rebuild",
			// A source edit rebuilds the backend image: its new ID is known only after the
			// build, so the preview shows it in place and says the backend rolls.
			edit: func(t *testing.T) {
				editLine(t, e.dir, "backend/app/main.py", "app = create_app()\n", "app = create_app()\n# rebuilt by the object preview test\n")
			},
			want: []string{"update Deployment/todo-chatbot-backend"}, rolls: []string{"backend"}},
		{name: "chart-version-bump",
			// Only the helm.sh/chart label changes, on every object; the pod templates carry
			// it, so both Deployments (and the PostgreSQL StatefulSet) roll.
			edit: func(t *testing.T) {
				editLine(t, e.dir, "charts/todo-chatbot/Chart.yaml", "\nversion: 0.4.0\n", "\nversion: 0.4.1\n")
			},
			want: []string{"update Deployment/todo-chatbot-backend", "update Deployment/todo-chatbot-frontend",
				"update NetworkPolicy/todo-chatbot-backend", "update NetworkPolicy/todo-chatbot-frontend",
				"update NetworkPolicy/todo-chatbot-postgresql", "update NetworkPolicy/todo-chatbot-test",
				"update PodDisruptionBudget/todo-chatbot-backend", "update Secret/todo-chatbot-postgresql", "update Secret/todo-chatbot-secrets",
				"update Service/todo-chatbot-backend", "update Service/todo-chatbot-database", "update Service/todo-chatbot-frontend", "update Service/todo-chatbot-frontend-metrics",
				"update Service/todo-chatbot-postgresql", "update ServiceAccount/todo-chatbot", "update StatefulSet/todo-chatbot-postgresql"},
			rolls: []string{"backend", "frontend"}},
	} {
		s.step(c.name, func(t *testing.T) {
			c.edit(t)
			r, shown, pv := e.objectPreview(t)
			if got := r.named(); !slices.Equal(got, c.want) {
				t.Errorf("the preview names %v, want %v", got, c.want)
			}
			if c.want == nil && (shown || len(pv.changes()) != 0) {
				t.Errorf("an edit that renders the same objects previews as a change: %v", pv.changes())
			}
			if got := r.rolls(); !slices.Equal(got, c.rolls) {
				t.Errorf("the preview says %v roll, want %v", got, c.rolls)
			}
			if c.secret != "" {
				for _, o := range r.Objects {
					if o.Kind == "Secret" && !slices.Equal(o.SecretKeys, []string{c.secret}) {
						t.Errorf("Secret %s: keys %v, want [%s]", o.Name, o.SecretKeys, c.secret)
					}
				}
				for _, leak := range []string{newKey, base64.StdEncoding.EncodeToString([]byte(newKey))} {
					if strings.Contains(pv.raw, leak) {
						t.Error("the preview shows the new key")
					}
				}
			}
			objects, revisions, helm := e.releaseObjects(t), e.k.Revisions(), e.releaseRevisions(t, devNamespace)
			e.p.ok("up", "--stack", "dev", "--yes", "--skip-preview", "--non-interactive")
			if got := changedObjects(objects, e.releaseObjects(t)); !slices.Equal(got, c.want) {
				t.Errorf("pulumi up changed %v; the preview named %v", got, r.named())
			}
			e.k.ExpectRolled(revisions, c.rolls...)
			if c.want == nil && e.releaseRevisions(t, devNamespace) != helm {
				t.Errorf("an edit that renders the same objects made a Helm revision")
			}
		})
	}
	s.step("api-server-unreachable", func(t *testing.T) {
		editLine(t, e.dir, "charts/todo-chatbot/templates/backend-service.yaml", "e2e.todo-chatbot/preview: \"1\"", "e2e.todo-chatbot/preview: \"2\"")
		// The stack's kubeconfig file, with its server moved to a closed port, for this
		// preview only: the program and the provider find no API server.
		b, err := os.ReadFile(e.c.Kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		dead := regexp.MustCompile(`(?m)^(\s*server:\s*)\S+$`).ReplaceAll(b, []byte("${1}https://127.0.0.1:9"))
		if err := os.WriteFile(e.c.Kubeconfig, dead, 0o600); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := os.WriteFile(e.c.Kubeconfig, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}()
		start := time.Now()
		out, err := e.p.run("preview", "--stack", "dev", "--diff", "--non-interactive")
		t.Logf("preview with the API server unreachable (%s), exit %v:\n%s", time.Since(start).Round(100*time.Millisecond), err, e.p.redact(lastLines(out, 40)))
		if err != nil {
			t.Errorf("the preview failed with the API server unreachable")
		}
		if n := strings.Count(out, "cannot read release "+devNamespace+"/"+release+" from the cluster"); n != 1 {
			t.Errorf("the fallback line appears %d times, want once", n)
		}
		if !strings.Contains(out, "compared with the objects recorded at the last `pulumi up`") ||
			!strings.Contains(out, "~ Service/"+devNamespace+"/"+release+"-backend (update)") {
			t.Errorf("the preview does not compare with the recorded objects")
		}
	})
	s.step("no-secret-anywhere", func(t *testing.T) { e.p.scanForSecrets(t, e.k.Logs()) })
}
