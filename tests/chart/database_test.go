package chart

import (
	"maps"
	"net/url"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// TestInClusterPostgres: with no DATABASE_URL the chart runs PostgreSQL and writes its URL,
// with the generated password, into the application Secret.
func TestInClusterPostgres(t *testing.T) {
	vals := programValues(t, nil)
	if vals["postgresql"].(map[string]any)["enabled"] != true {
		t.Fatal("a default Minikube stack should use the in-cluster PostgreSQL")
	}
	r := mustRender(t, vals, values.Options{})

	pgSecret := find[*corev1.Secret](t, r, "todo-chatbot-postgresql")
	password := string(pgSecret.Data["password"])
	if len(password) < 24 {
		t.Errorf("generated password has %d characters, want >= 24", len(password))
	}
	if pgSecret.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Errorf("the password Secret is not kept on uninstall, but the PVC with the data is")
	}
	app := find[*corev1.Secret](t, r, "todo-chatbot-secrets")
	u, err := url.Parse(string(app.Data["DATABASE_URL"]))
	if err != nil {
		t.Fatalf("DATABASE_URL does not parse: %v", err)
	}
	got, _ := u.User.Password()
	if u.Scheme != "postgresql" || u.Host != "todo-chatbot-database:5432" || u.Path != "/todo" ||
		u.User.Username() != "todo" || got != password {
		t.Errorf("DATABASE_URL is not postgresql://todo:<the generated password>@todo-chatbot-database:5432/todo (scheme %s host %s path %s, same password: %v)",
			u.Scheme, u.Host, u.Path, got == password)
	}

	sts := find[*appsv1.StatefulSet](t, r, "todo-chatbot-postgresql")
	svc := find[*corev1.Service](t, r, "todo-chatbot-postgresql")
	if svc.Spec.ClusterIP != corev1.ClusterIPNone || sts.Spec.ServiceName != svc.Name {
		t.Errorf("PostgreSQL Service is not the StatefulSet's headless Service (clusterIP %q, serviceName %q)", svc.Spec.ClusterIP, sts.Spec.ServiceName)
	}
	// Clients connect through a ClusterIP Service (a stable address, no DNS answer to go
	// stale while the pod is replaced), selecting the same pod.
	client := find[*corev1.Service](t, r, "todo-chatbot-database")
	if client.Spec.ClusterIP == corev1.ClusterIPNone || client.Spec.Type != corev1.ServiceTypeClusterIP ||
		!maps.Equal(client.Spec.Selector, svc.Spec.Selector) || len(client.Spec.Ports) != 1 || client.Spec.Ports[0].Port != 5432 {
		t.Errorf("the database's client Service: type %s clusterIP %q selector %v ports %v; want a ClusterIP on 5432 selecting the PostgreSQL pod",
			client.Spec.Type, client.Spec.ClusterIP, client.Spec.Selector, client.Spec.Ports)
	}
	pod := sts.Spec.Template.Spec
	if c := pod.Containers[0]; c.Image != "postgres:16-alpine" {
		t.Errorf("PostgreSQL image %q, want postgres:16-alpine", c.Image)
	}
	// A high UID (the contract the node's stand-in image honours too, /work NOTES-chart):
	// the volume is made writable for it through fsGroup.
	if sc := pod.SecurityContext; sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 10001 || sc.RunAsGroup == nil || *sc.RunAsGroup != 10001 ||
		sc.FSGroup == nil || *sc.FSGroup != 10001 || sc.FSGroupChangePolicy == nil || *sc.FSGroupChangePolicy != corev1.FSGroupChangeOnRootMismatch {
		t.Errorf("PostgreSQL pod securityContext %+v, want runAsUser/runAsGroup/fsGroup 10001, fsGroupChangePolicy OnRootMismatch", sc)
	}
	if e, _ := envVar(pod.Containers[0], "PGDATA"); e.Value != "/var/lib/postgresql/data/pgdata" {
		t.Errorf("PGDATA %q, want a subdirectory of the data volume", e.Value)
	}
	if e, _ := envVar(pod.Containers[0], "POSTGRES_PASSWORD"); e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
		e.ValueFrom.SecretKeyRef.Name != pgSecret.Name {
		t.Errorf("POSTGRES_PASSWORD is not read from %s: %+v", pgSecret.Name, e)
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 || sts.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage().String() != "1Gi" {
		t.Errorf("PostgreSQL has no 1Gi volumeClaimTemplate: %+v", sts.Spec.VolumeClaimTemplates)
	}

	// A fresh install draws a new password (there is no Secret to look up client-side).
	again := mustRender(t, vals, values.Options{})
	if string(find[*corev1.Secret](t, again, "todo-chatbot-postgresql").Data["password"]) == password {
		t.Error("two fresh installs generated the same password")
	}

	// With an external database there is no PostgreSQL at all.
	ext := mustRender(t, programValues(t, map[string]string{"databaseUrl": fakeDBURL}), values.Options{})
	if n := len(all[*appsv1.StatefulSet](ext)); n != 0 {
		t.Errorf("external database still renders %d StatefulSets", n)
	}
}

// TestExistingSecret: the chart creates no Secret and every reference names the user's.
func TestExistingSecret(t *testing.T) {
	r := mustRender(t, nil, values.Options{StringValues: []string{"env.existingSecret=my-todo-secrets"}, Values: []string{"postgresql.enabled=false"}})
	if s := all[*corev1.Secret](r); len(s) != 0 {
		t.Errorf("existingSecret still renders Secrets: %v", r.names())
	}
	backend := find[*appsv1.Deployment](t, r, "todo-chatbot-backend")
	for _, d := range all[*appsv1.Deployment](r) {
		if _, ok := d.Spec.Template.Annotations["checksum/secret"]; ok {
			t.Errorf("%s: checksum/secret rendered for a Secret the chart cannot see", d.Name)
		}
	}
	be, _ := container(backend.Spec.Template.Spec, "backend")
	if e, _ := envVar(be, "GEMINI_API_KEY"); e.ValueFrom.SecretKeyRef.Optional == nil || !*e.ValueFrom.SecretKeyRef.Optional {
		t.Error("GEMINI_API_KEY is required from a user-managed Secret; it should be optional (offline assistant)")
	}
	if e, _ := envVar(be, "DATABASE_URL"); e.ValueFrom.SecretKeyRef.Optional != nil && *e.ValueFrom.SecretKeyRef.Optional {
		t.Error("DATABASE_URL is optional; the backend cannot run without it")
	}
}

// TestDatabaseChoice: postgresql.enabled "auto" (the default) picks the in-cluster database
// unless the user names an external one, so the seed's
// `helm install todo-chatbot charts/todo-chatbot --set env.secrets.DATABASE_URL=... --set
// env.secrets.GEMINI_API_KEY=...` works as written; explicit true/false are obeyed.
func TestDatabaseChoice(t *testing.T) {
	cases := []struct {
		name     string
		opts     values.Options
		inClust  bool
		appURL   string // DATABASE_URL in the chart's Secret; "" = none rendered
		noSecret bool
	}{
		{"defaults: in-cluster", values.Options{}, true, "", false},
		{"seed flow: --set DATABASE_URL and GEMINI_API_KEY", values.Options{Values: []string{
			"env.secrets.DATABASE_URL=" + fakeDBURL, "env.secrets.GEMINI_API_KEY=" + fakeGeminiKey}}, false, fakeDBURL, false},
		{"existingSecret alone", values.Options{StringValues: []string{"env.existingSecret=my-todo-secrets"}}, false, "", true},
		{"explicit auto with a URL", values.Options{Values: []string{"postgresql.enabled=auto", "env.secrets.DATABASE_URL=" + fakeDBURL}}, false, fakeDBURL, false},
		{"explicit true, no URL", values.Options{Values: []string{"postgresql.enabled=true"}}, true, "", false},
		{"explicit false with a URL", values.Options{Values: []string{"postgresql.enabled=false", "env.secrets.DATABASE_URL=" + fakeDBURL}}, false, fakeDBURL, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustRender(t, nil, c.opts)
			n := len(all[*appsv1.StatefulSet](r))
			if c.inClust != (n == 1) {
				t.Fatalf("in-cluster PostgreSQL: %d StatefulSets, want in-cluster=%v (rendered %v)", n, c.inClust, r.names())
			}
			if c.noSecret {
				if s := all[*corev1.Secret](r); len(s) != 0 {
					t.Errorf("the chart renders Secrets next to env.existingSecret: %v", r.names())
				}
				return
			}
			got := string(find[*corev1.Secret](t, r, "todo-chatbot-secrets").Data["DATABASE_URL"])
			switch {
			case c.appURL != "" && got != c.appURL:
				t.Error("DATABASE_URL in the Secret is not the URL given")
			case c.appURL == "" && !strings.HasPrefix(got, "postgresql://todo:") || c.appURL == "" && !strings.HasSuffix(got, "@todo-chatbot-database:5432/todo"):
				t.Error("DATABASE_URL in the Secret is not the in-cluster PostgreSQL's")
			}
		})
	}
}
