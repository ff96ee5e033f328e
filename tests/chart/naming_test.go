package chart

import (
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// TestReleaseNaming: names derive from the release ("<release>-todo-chatbot-*" unless the
// release name already holds the chart name), and every reference follows.
func TestReleaseNaming(t *testing.T) {
	cases := []struct {
		release string
		extra   []string
		prefix  string
	}{
		{"todo-chatbot", nil, "todo-chatbot"},
		{"todo-chatbot-staging", nil, "todo-chatbot-staging"},
		{"demo", nil, "demo-todo-chatbot"},
		{"demo", []string{"fullnameOverride=todo"}, "todo"},
	}
	for _, c := range cases {
		t.Run(c.prefix, func(t *testing.T) {
			r, err := renderRelease(t, c.release, nil, values.Options{StringValues: c.extra})
			if err != nil {
				t.Fatal(err)
			}
			find[*corev1.Service](t, r, c.prefix+"-backend")
			find[*corev1.Service](t, r, c.prefix+"-postgresql")
			backend := find[*appsv1.Deployment](t, r, c.prefix+"-backend")
			fe, _ := container(find[*appsv1.Deployment](t, r, c.prefix+"-frontend").Spec.Template.Spec, "frontend")
			if e, _ := envVar(fe, "BACKEND_URL"); e.Value != "http://"+c.prefix+"-backend:8000" {
				t.Errorf("BACKEND_URL %q does not name the backend Service %s-backend", e.Value, c.prefix)
			}
			be, _ := container(backend.Spec.Template.Spec, "backend")
			if e, _ := envVar(be, "DATABASE_URL"); e.ValueFrom.SecretKeyRef.Name != c.prefix+"-secrets" {
				t.Errorf("DATABASE_URL read from %q, want %s-secrets", e.ValueFrom.SecretKeyRef.Name, c.prefix)
			}
			find[*corev1.Secret](t, r, c.prefix+"-secrets")
			if sa := backend.Spec.Template.Spec.ServiceAccountName; sa != c.prefix {
				t.Errorf("pods run as ServiceAccount %q, want %q", sa, c.prefix)
			}
		})
	}
}

// TestServiceAccount: the chart's own token-less ServiceAccount, or a named existing one.
func TestServiceAccount(t *testing.T) {
	r := mustRender(t, nil, values.Options{})
	sa := find[*corev1.ServiceAccount](t, r, "todo-chatbot")
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Error("the ServiceAccount mounts API tokens")
	}
	r = mustRender(t, nil, values.Options{Values: []string{"serviceAccount.create=false"}, StringValues: []string{"serviceAccount.name=restricted-sa"}})
	if n := len(all[*corev1.ServiceAccount](r)); n != 0 {
		t.Errorf("serviceAccount.create=false still renders %d ServiceAccounts", n)
	}
	for _, p := range podTemplates(r) {
		if p.Spec.ServiceAccountName != "restricted-sa" {
			t.Errorf("%s runs as %q, want restricted-sa", p.Owner, p.Spec.ServiceAccountName)
		}
	}
}
