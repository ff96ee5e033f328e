package chart

import (
	"net/url"
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// TestInClusterPostgres: with no DATABASE_URL the chart runs PostgreSQL and writes its URL,
// with the generated password, into the application Secret.
func TestInClusterPostgres(t *testing.T) {
	spec := chartDefaultsSpec(t)
	if !spec.InClusterPostgres {
		t.Fatal("a default Minikube stack should use the in-cluster PostgreSQL")
	}
	r := mustRender(t, &spec, values.Options{})

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
	if u.Scheme != "postgresql" || u.Host != "todo-chatbot-postgresql:5432" || u.Path != "/todo" ||
		u.User.Username() != "todo" || got != password {
		t.Errorf("DATABASE_URL is not postgresql://todo:<the generated password>@todo-chatbot-postgresql:5432/todo (scheme %s host %s path %s, same password: %v)",
			u.Scheme, u.Host, u.Path, got == password)
	}

	sts := find[*appsv1.StatefulSet](t, r, "todo-chatbot-postgresql")
	svc := find[*corev1.Service](t, r, "todo-chatbot-postgresql")
	if svc.Spec.ClusterIP != corev1.ClusterIPNone || sts.Spec.ServiceName != svc.Name {
		t.Errorf("PostgreSQL Service is not the StatefulSet's headless Service (clusterIP %q, serviceName %q)", svc.Spec.ClusterIP, sts.Spec.ServiceName)
	}
	pod := sts.Spec.Template.Spec
	if c := pod.Containers[0]; c.Image != "postgres:16-alpine" {
		t.Errorf("PostgreSQL image %q, want postgres:16-alpine", c.Image)
	}
	if sc := pod.SecurityContext; sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 70 || sc.FSGroup == nil || *sc.FSGroup != 70 {
		t.Errorf("PostgreSQL pod securityContext %+v, want runAsUser 70 and fsGroup 70", sc)
	}
	if e, _ := envVar(pod.Containers[0], "POSTGRES_PASSWORD"); e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
		e.ValueFrom.SecretKeyRef.Name != pgSecret.Name {
		t.Errorf("POSTGRES_PASSWORD is not read from %s: %+v", pgSecret.Name, e)
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 || sts.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests.Storage().String() != "1Gi" {
		t.Errorf("PostgreSQL has no 1Gi volumeClaimTemplate: %+v", sts.Spec.VolumeClaimTemplates)
	}

	// A fresh install draws a new password (there is no Secret to look up client-side).
	again := mustRender(t, &spec, values.Options{})
	if string(find[*corev1.Secret](t, again, "todo-chatbot-postgresql").Data["password"]) == password {
		t.Error("two fresh installs generated the same password")
	}

	// With an external database there is no PostgreSQL at all.
	spec.InClusterPostgres, spec.DatabaseURL = false, fakeDBURL
	ext := mustRender(t, &spec, values.Options{})
	if n := len(all[*appsv1.StatefulSet](ext)); n != 0 {
		t.Errorf("external database still renders %d StatefulSets", n)
	}
}

// TestExistingSecret: the chart creates no Secret and every reference names the user's.
func TestExistingSecret(t *testing.T) {
	spec := chartDefaultsSpec(t)
	spec.InClusterPostgres = false
	r := mustRender(t, &spec, values.Options{StringValues: []string{"env.existingSecret=my-todo-secrets"}})
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
