package chart

import (
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
)

// Fake secrets: recognisable strings that must never appear outside the Secret.
const (
	fakeGeminiKey  = "AIzaFAKE-gemini-key-for-chart-tests-0123"
	fakeDBPassword = "ext-db-password-for-chart-tests-4567"
	fakeDBURL      = "postgresql://todo:" + fakeDBPassword + "@db.example.com:5432/todo"
)

// scenario is one realistic set of values.
type scenario struct {
	name   string
	values map[string]any // nil: the chart's own defaults
	extra  values.Options // --set / --set-string over the values file
	// secrets are values given to the chart that must appear only inside Secrets.
	secrets []string
	// secretName is the Secret the pods read DATABASE_URL and GEMINI_API_KEY from.
	secretName string
	// kinds counts the objects expected per kind (hooks included).
	kinds map[string]int
	// networkPolicyOff: the scenario turns the NetworkPolicies off.
	networkPolicyOff bool
}

func scenarios(t testing.TB) []scenario {
	t.Helper()
	// What the Pulumi program sends for these stacks' config.
	externalConfig := map[string]string{"databaseUrl": fakeDBURL, "geminiApiKey": fakeGeminiKey,
		"geminiModel": "gemini-2.5-flash", "frontendNodePort": "30080"}
	minikube := programValues(t, nil)
	external := programValues(t, externalConfig)
	ha := programValues(t, merge(externalConfig, map[string]string{"backendReplicas": "3", "frontendReplicas": "3"}))
	// A registry stack's images are pushed and deployed pinned by digest.
	pinned := programValues(t, merge(externalConfig, map[string]string{"registry": "registry.example.com/team"}))
	inCluster := programValues(t, map[string]string{"geminiApiKey": fakeGeminiKey})

	// Objects every release has: Secret, ServiceAccount, three Services (backend, frontend and
	// the frontend's ClusterIP metrics Service, so the NodePort never exposes /metrics), two
	// Deployments, the `helm test` Pod and the NetworkPolicies of the frontend, backend and test pods.
	base := func(more map[string]int) map[string]int {
		k := map[string]int{"Secret": 1, "ServiceAccount": 1, "Service": 3, "Deployment": 2, "Pod": 1, "NetworkPolicy": 3}
		for kind, n := range more {
			k[kind] += n
		}
		return k
	}
	postgres := map[string]int{"Secret": 1, "Service": 2, "StatefulSet": 1, "NetworkPolicy": 1} // headless + client Service
	return []scenario{
		{name: "chart-defaults", secretName: "todo-chatbot-secrets", kinds: base(postgres)},
		{name: "pulumi-minikube-in-cluster-db", values: minikube, secretName: "todo-chatbot-secrets", kinds: base(postgres)},
		{name: "in-cluster-db-with-gemini", values: inCluster, secrets: []string{fakeGeminiKey},
			secretName: "todo-chatbot-secrets", kinds: base(postgres)},
		{name: "external-db", values: external, secrets: []string{fakeDBURL, fakeDBPassword, fakeGeminiKey},
			secretName: "todo-chatbot-secrets", kinds: base(nil)},
		{name: "existing-secret",
			extra:      values.Options{StringValues: []string{"env.existingSecret=my-todo-secrets"}, Values: []string{"postgresql.enabled=false"}},
			secretName: "my-todo-secrets", kinds: base(map[string]int{"Secret": -1})},
		{name: "three-replicas-pdb", values: ha, secrets: []string{fakeDBURL, fakeGeminiKey},
			secretName: "todo-chatbot-secrets", kinds: base(map[string]int{"PodDisruptionBudget": 2})},
		{name: "autoscaling-hpa", values: external, secrets: []string{fakeDBURL, fakeGeminiKey},
			extra:      values.Options{Values: []string{"backend.autoscaling.enabled=true", "frontend.autoscaling.enabled=true"}},
			secretName: "todo-chatbot-secrets", kinds: base(map[string]int{"HorizontalPodAutoscaler": 2, "PodDisruptionBudget": 2})},
		{name: "network-policy-off", values: inCluster, secrets: []string{fakeGeminiKey},
			extra:      values.Options{Values: []string{"networkPolicy.enabled=false"}},
			secretName: "todo-chatbot-secrets", kinds: base(map[string]int{"Secret": 1, "Service": 2, "StatefulSet": 1, "NetworkPolicy": -3}),
			networkPolicyOff: true},
		// The seed's own command: only --set env.secrets.*, nothing about postgresql.
		{name: "seed-helm-install-external-db", secrets: []string{fakeDBURL, fakeDBPassword, fakeGeminiKey},
			extra:      values.Options{Values: []string{"env.secrets.DATABASE_URL=" + fakeDBURL, "env.secrets.GEMINI_API_KEY=" + fakeGeminiKey}},
			secretName: "todo-chatbot-secrets", kinds: base(nil)},
		{name: "in-cluster-db-no-persistence", values: minikube,
			extra:      values.Options{Values: []string{"postgresql.persistence.enabled=false"}},
			secretName: "todo-chatbot-secrets", kinds: base(postgres)},
		{name: "every-optional-key", values: external, secrets: []string{fakeDBURL, fakeGeminiKey},
			extra: values.Options{JSONValues: []string{
				`imagePullSecrets=[{"name":"regcred"}]`,
				`serviceAccount={"annotations":{"example.com/role":"todo"}}`,
				`backend.extraEnv=[{"name":"LOG_LEVEL","value":"debug"}]`,
				`frontend.extraEnv=[{"name":"NEXT_TELEMETRY_DISABLED","value":"1"}]`,
				`backend.podAnnotations={"prometheus.io/scrape":"true"}`,
				`frontend.podLabels={"team":"web"}`,
				`backend.nodeSelector={"kubernetes.io/os":"linux"}`,
				`frontend.tolerations=[{"key":"dedicated","operator":"Equal","value":"web","effect":"NoSchedule"}]`,
				`backend.affinity={"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":100,"podAffinityTerm":{"topologyKey":"kubernetes.io/hostname","labelSelector":{"matchLabels":{"app.kubernetes.io/component":"backend"}}}}]}}`,
				`backend.probes={"liveness":{"initialDelaySeconds":5,"periodSeconds":20}}`,
				`backend.resources={"requests":{"cpu":"100m","memory":"256Mi"},"limits":{"cpu":"2","memory":"1Gi"}}`,
				`backend.migrations={"enabled":false}`,
			}},
			secretName: "todo-chatbot-secrets", kinds: base(nil)},
		{name: "digest-pinned-registry", values: pinned, secrets: []string{fakeDBURL, fakeGeminiKey},
			secretName: "todo-chatbot-secrets", kinds: base(nil)},
	}
}

// merge returns a copy of a with b's keys set over it.
func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
