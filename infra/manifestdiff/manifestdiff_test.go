package manifestdiff

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
)

// The project's chart, rendered for real: these tests need no cluster.
const chartDir = "../../charts/todo-chatbot"

var rel = Release{Name: "todo-chatbot", Namespace: "todo-chatbot"}

func load(t *testing.T, dir string) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// vals are chart values as the program passes them; set overrides dotted keys.
func vals(set map[string]any) map[string]any {
	v := map[string]any{
		"backend":  map[string]any{"replicaCount": 2, "image": map[string]any{"id": "sha256:" + strings.Repeat("a", 64)}},
		"frontend": map[string]any{"replicaCount": 2, "image": map[string]any{"id": "sha256:" + strings.Repeat("b", 64)}},
		"env":      map[string]any{"secrets": map[string]any{"GEMINI_API_KEY": "AIza-unit-old-key-not-for-output", "DATABASE_URL": ""}},
	}
	for path, value := range set {
		keys := strings.Split(path, ".")
		m := v
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[keys[len(keys)-1]] = value
	}
	return v
}

func render(t *testing.T, ch *chart.Chart, values map[string]any, deployed []Object) []Object {
	t.Helper()
	objs, err := Render(ch, rel, values, deployed)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// deployed is the chart installed with the old values: the release an upgrade replaces.
func deployed(t *testing.T, ch *chart.Chart) []Object {
	return render(t, ch, vals(nil), nil)
}

func byID(changes []Change) map[string]Change {
	m := map[string]Change{}
	for _, c := range changes {
		m[c.ID()] = c
	}
	return m
}

func ids(changes []Change) []string {
	var out []string
	for _, c := range changes {
		out = append(out, c.Op+" "+c.ID())
	}
	slices.Sort(out)
	return out
}

func TestRenderIsTheUpgradesObjectsWithoutHooks(t *testing.T) {
	objs := deployed(t, load(t, chartDir))
	var got []string
	for _, o := range objs {
		got = append(got, o.Kind+"/"+o.Name)
		if o.Namespace != rel.Namespace {
			t.Errorf("%s: namespace %q", o.ID(), o.Namespace)
		}
	}
	for _, want := range []string{"Deployment/todo-chatbot-backend", "Deployment/todo-chatbot-frontend", "StatefulSet/todo-chatbot-postgresql",
		"Secret/todo-chatbot-secrets", "Secret/todo-chatbot-postgresql", "Service/todo-chatbot-backend"} {
		if !slices.Contains(got, want) {
			t.Errorf("rendered objects %v lack %s", got, want)
		}
	}
	for _, name := range got {
		if strings.HasPrefix(name, "Pod/") {
			t.Errorf("the helm test hook %s is not part of an upgrade", name)
		}
	}
}

// An upgrade with unchanged values changes nothing: in particular the chart's PostgreSQL
// password, random on install, is found again through lookup in the deployed objects.
func TestUnchangedValuesChangeNoObject(t *testing.T) {
	ch := load(t, chartDir)
	old := deployed(t, ch)
	if ch := Diff(old, render(t, ch, vals(nil), old)); len(ch) != 0 {
		t.Fatalf("an upgrade with the same values changes %v", ids(ch))
	}
}

func TestSecretChangeNamesOnlyTheKeyAndRollsBothDeployments(t *testing.T) {
	const newKey = "AIza-unit-NEW-key-not-for-output"
	ch := load(t, chartDir)
	old := deployed(t, ch)
	changes := Diff(old, render(t, ch, vals(map[string]any{"env.secrets.GEMINI_API_KEY": newKey}), old))
	want := []string{"update Deployment/todo-chatbot/todo-chatbot-backend", "update Deployment/todo-chatbot/todo-chatbot-frontend", "update Secret/todo-chatbot/todo-chatbot-secrets"}
	if got := ids(changes); !slices.Equal(got, want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
	m := byID(changes)
	if keys := m["Secret/todo-chatbot/todo-chatbot-secrets"].SecretKeys; !slices.Equal(keys, []string{"GEMINI_API_KEY"}) {
		t.Errorf("secret keys %v, want [GEMINI_API_KEY]", keys)
	}
	for _, d := range []string{"backend", "frontend"} {
		c := m["Deployment/todo-chatbot/todo-chatbot-"+d]
		if !slices.Equal(c.Rolls, []string{"config checksum checksum/secret"}) {
			t.Errorf("%s rolls %v, want the secret checksum", d, c.Rolls)
		}
	}
	r := Report{Release: rel.Name, Namespace: rel.Namespace, Against: "cluster", Objects: changes}
	out := r.Text() + "\n" + r.JSON()
	t.Logf("the report:\n%s", out)
	old64 := base64.StdEncoding.EncodeToString([]byte("AIza-unit-old-key-not-for-output"))
	new64 := base64.StdEncoding.EncodeToString([]byte(newKey))
	for _, leak := range []string{"not-for-output", old64, new64, fingerprintPrefix} {
		if strings.Contains(out, leak) {
			t.Errorf("the report shows %q", leak)
		}
	}
	if !strings.Contains(out, "+ data.GEMINI_API_KEY: (new secret value)") || !strings.Contains(out, "+ spec.template.metadata.annotations.checksum/secret: (new checksum)") {
		t.Error("the report does not name the changed key")
	}
}

func TestReplicasChangeIsOneFieldAndNoRoll(t *testing.T) {
	ch := load(t, chartDir)
	old := deployed(t, ch)
	changes := Diff(old, render(t, ch, vals(map[string]any{"backend.replicaCount": 3}), old))
	if got := ids(changes); !slices.Equal(got, []string{"update Deployment/todo-chatbot/todo-chatbot-backend"}) {
		t.Fatalf("changes %v", got)
	}
	c := changes[0]
	if !slices.Equal(c.Fields, []string{"spec.replicas"}) || len(c.Rolls) != 0 {
		t.Errorf("fields %v rolls %v, want spec.replicas and no roll", c.Fields, c.Rolls)
	}
	if want := []string{"- spec.replicas: 2", "+ spec.replicas: 3"}; !slices.Equal(c.Diff, want) {
		t.Errorf("diff %q, want %q", c.Diff, want)
	}
}

func TestTemplateEditOfOneServiceAndImageRoll(t *testing.T) {
	dir := copyChart(t)
	edit(t, dir, "templates/backend-service.yaml", "metadata:\n", "metadata:\n  annotations:\n    unit.todo-chatbot/edit: \"1\"\n")
	old := deployed(t, load(t, chartDir))
	changes := Diff(old, render(t, load(t, dir), vals(map[string]any{"frontend.image.id": Unknown}), old))
	m := byID(changes)
	if got := ids(changes); !slices.Equal(got, []string{"update Deployment/todo-chatbot/todo-chatbot-frontend", "update Service/todo-chatbot/todo-chatbot-backend"}) {
		t.Fatalf("changes %v", got)
	}
	if f := m["Service/todo-chatbot/todo-chatbot-backend"].Fields; !slices.Equal(f, []string{"metadata.annotations", "metadata.annotations.unit.todo-chatbot/edit"}) &&
		!slices.Equal(f, []string{"metadata.annotations.unit.todo-chatbot/edit"}) {
		t.Errorf("service fields %v", f)
	}
	fe := m["Deployment/todo-chatbot/todo-chatbot-frontend"]
	if !fe.Unknown || len(fe.Rolls) != 1 || !strings.HasPrefix(fe.Rolls[0], "image ("+UnknownText) {
		t.Errorf("frontend: unknown %v rolls %v, want an image roll known after the build", fe.Unknown, fe.Rolls)
	}
	text := Report{Release: rel.Name, Namespace: rel.Namespace, Against: "cluster", Objects: changes}.Text()
	if strings.Contains(text, Unknown) || !strings.Contains(text, `todo-chatbot/image-id: "`+UnknownText+`"`) {
		t.Errorf("the unknown image ID is not shown as %s:\n%s", UnknownText, text)
	}
}

func TestAutoscalingAddsAndRemovesAnObject(t *testing.T) {
	ch := load(t, chartDir)
	old := deployed(t, ch)
	on := render(t, ch, vals(map[string]any{"backend.autoscaling": map[string]any{"enabled": true}}), old)
	changes := Diff(old, on)
	m := byID(changes)
	if c, ok := m["HorizontalPodAutoscaler/todo-chatbot/todo-chatbot-backend"]; !ok || c.Op != "create" {
		t.Fatalf("enabling autoscaling: changes %v, want the HPA created", ids(changes))
	}
	if c := m["Deployment/todo-chatbot/todo-chatbot-backend"]; !slices.Equal(c.Fields, []string{"spec.replicas"}) || len(c.Rolls) != 0 {
		t.Errorf("backend Deployment: fields %v rolls %v, want only spec.replicas left to the HPA", c.Fields, c.Rolls)
	}
	back := Diff(on, render(t, ch, vals(nil), on))
	if c, ok := byID(back)["HorizontalPodAutoscaler/todo-chatbot/todo-chatbot-backend"]; !ok || c.Op != "delete" {
		t.Fatalf("disabling autoscaling: changes %v, want the HPA deleted", ids(back))
	}
}

// The change trigger: a comment or whitespace edit renders the same objects, so the same
// digest; an edit of an object or a chart version bump (helm.sh/chart label) changes it.
func TestDigestChangesExactlyWithTheObjects(t *testing.T) {
	dir := copyChart(t)
	digest := func() string {
		return Digest(render(t, load(t, dir), vals(nil), standIn(t, render(t, load(t, dir), vals(nil), nil))))
	}
	before := digest()
	if again := digest(); again != before {
		t.Fatalf("two renders of the same chart differ: %s, %s", before, again)
	}
	edit(t, dir, "templates/backend-service.yaml", "metadata:\n", "# a comment only\nmetadata:\n")
	edit(t, dir, "templates/_helpers.tpl", "{{/*", "{{/* a helper comment, and a blank line\n\n*/}}\n{{/*")
	if d := digest(); d != before {
		t.Errorf("a comment-only edit changed the digest")
	}
	edit(t, dir, "Chart.yaml", "version: 0.4.0", "version: 0.4.1")
	bumped := digest()
	if bumped == before {
		t.Errorf("a chart version bump left the digest as it was")
	}
	edit(t, dir, "templates/backend-service.yaml", "metadata:\n", "metadata:\n  annotations: {unit: edit}\n")
	if digest() == bumped {
		t.Errorf("a template edit left the digest as it was")
	}
	if Digest(render(t, load(t, dir), vals(map[string]any{"env.secrets.GEMINI_API_KEY": "other"}), nil)) == bumped {
		t.Errorf("a secret change left the digest as it was")
	}
}

// What the stack records has no Secret value and compares like the objects themselves.
func TestRecordedObjectsHoldNoSecretAndDecode(t *testing.T) {
	ch := load(t, chartDir)
	objs := deployed(t, ch)
	enc := Encode(objs)
	for _, o := range objs {
		if o.Kind != "Secret" {
			continue
		}
		for k, v := range o.Body["data"].(map[string]any) {
			raw, _ := base64.StdEncoding.DecodeString(v.(string))
			if (len(raw) > 0 && strings.Contains(enc, string(raw))) || strings.Contains(enc, v.(string)) {
				t.Errorf("the recorded objects hold %s's %s", o.Name, k)
			}
		}
	}
	back, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if ch := Diff(back, objs); len(ch) != 0 {
		t.Errorf("recorded objects differ from the objects: %v", ids(ch))
	}
	if ch := Diff(back, render(t, ch, vals(map[string]any{"env.secrets.GEMINI_API_KEY": "changed"}), objs)); len(byID(ch)["Secret/todo-chatbot/todo-chatbot-secrets"].SecretKeys) != 1 {
		t.Errorf("a secret change against the recorded objects: %v", ids(ch))
	}
}

// standIn replaces Secret values as the program's trigger render does.
func standIn(t *testing.T, objs []Object) []Object {
	out := Redact(objs)
	for _, o := range out {
		if m, ok := o.Body["data"].(map[string]any); ok && o.Kind == "Secret" {
			for k := range m {
				m[k] = base64.StdEncoding.EncodeToString([]byte("stand-in"))
			}
		}
	}
	return out
}

func copyChart(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "todo-chatbot")
	if err := os.CopyFS(dst, os.DirFS(chartDir)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func edit(t *testing.T, dir, rel, old, new string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", rel, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkPreview is what the object preview adds to a `pulumi preview` besides reading
// the release from the cluster: the chart loaded and rendered three times (as installed,
// the change trigger, the upgrade) and the diff, for no change and for one edit
// (bench/infra.sh prints both).
func BenchmarkPreview(b *testing.B) {
	t := &testing.T{}
	live := deployed(t, load(t, chartDir))
	for _, c := range []struct {
		name string
		set  map[string]any
	}{{"no-change", nil}, {"one-edit", map[string]any{"backend.replicaCount": 3}}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ch, err := loader.Load(chartDir)
				if err != nil {
					b.Fatal(err)
				}
				v := vals(c.set)
				installed, _ := Render(ch, rel, v, nil)
				_ = Digest(must(Render(ch, rel, v, installed)))
				_ = Diff(live, must(Render(ch, rel, v, live)))
			}
		})
	}
}

func must(objs []Object, err error) []Object {
	if err != nil {
		panic(err)
	}
	return objs
}
