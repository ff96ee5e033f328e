package chart

import (
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"

	"github.com/todo-chatbot/todo-chatbot/infra/chartvalues"
)

// Fake secrets: recognisable strings that must never appear outside the Secret.
const (
	fakeGeminiKey  = "AIzaFAKE-gemini-key-for-chart-tests-0123"
	fakeDBPassword = "ext-db-password-for-chart-tests-4567"
	fakeDBURL      = "postgresql://todo:" + fakeDBPassword + "@db.example.com:5432/todo"
	backendID      = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	frontendID     = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	backendDigest  = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
	frontendDigest = "sha256:4444444444444444444444444444444444444444444444444444444444444444"
)

// scenario is one realistic set of values.
type scenario struct {
	name  string
	spec  *chartvalues.Spec[string] // nil: the chart's own defaults
	extra values.Options            // --set / --set-string over the spec's values file
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
	// The Pulumi program's default Minikube stack, with the built images' IDs.
	minikube := chartDefaultsSpec(t)
	minikube.Backend.ID, minikube.Frontend.ID = backendID, frontendID

	external := chartDefaultsSpec(t)
	external.InClusterPostgres = false
	external.DatabaseURL, external.GeminiAPIKey = fakeDBURL, fakeGeminiKey
	external.GeminiModel = "gemini-2.5-flash"
	external.FrontendNodePort = 30080

	ha := external
	ha.BackendReplicas, ha.FrontendReplicas = 3, 3

	pinned := external
	pinned.Backend.Repository, pinned.Frontend.Repository = "registry.example.com/team/todo-backend", "registry.example.com/team/todo-frontend"
	pinned.Backend.Digest, pinned.Frontend.Digest = backendDigest, frontendDigest

	existing := chartDefaultsSpec(t)
	existing.InClusterPostgres = false

	inCluster := chartDefaultsSpec(t)
	inCluster.GeminiAPIKey = fakeGeminiKey

	// Objects every release has: Secret, ServiceAccount, two Services, two Deployments, the
	// `helm test` Pod and the NetworkPolicies of the frontend, backend and test pods.
	base := func(more map[string]int) map[string]int {
		k := map[string]int{"Secret": 1, "ServiceAccount": 1, "Service": 2, "Deployment": 2, "Pod": 1, "NetworkPolicy": 3}
		for kind, n := range more {
			k[kind] += n
		}
		return k
	}
	postgres := map[string]int{"Secret": 1, "Service": 1, "StatefulSet": 1, "NetworkPolicy": 1}
	return []scenario{
		{name: "chart-defaults", secretName: "todo-chatbot-secrets", kinds: base(postgres)},
		{name: "pulumi-minikube-in-cluster-db", spec: &minikube, secretName: "todo-chatbot-secrets", kinds: base(postgres)},
		{name: "in-cluster-db-with-gemini", spec: &inCluster, secrets: []string{fakeGeminiKey},
			secretName: "todo-chatbot-secrets", kinds: base(postgres)},
		{name: "external-db", spec: &external, secrets: []string{fakeDBURL, fakeDBPassword, fakeGeminiKey},
			secretName: "todo-chatbot-secrets", kinds: base(nil)},
		{name: "existing-secret", spec: &existing,
			extra:      values.Options{StringValues: []string{"env.existingSecret=my-todo-secrets"}},
			secretName: "my-todo-secrets", kinds: base(map[string]int{"Secret": -1})},
		{name: "three-replicas-pdb", spec: &ha, secrets: []string{fakeDBURL, fakeGeminiKey},
			secretName: "todo-chatbot-secrets", kinds: base(map[string]int{"PodDisruptionBudget": 2})},
		{name: "autoscaling-hpa", spec: &external, secrets: []string{fakeDBURL, fakeGeminiKey},
			extra:      values.Options{Values: []string{"backend.autoscaling.enabled=true", "frontend.autoscaling.enabled=true"}},
			secretName: "todo-chatbot-secrets", kinds: base(map[string]int{"HorizontalPodAutoscaler": 2, "PodDisruptionBudget": 2})},
		{name: "network-policy-off", spec: &inCluster, secrets: []string{fakeGeminiKey},
			extra:      values.Options{Values: []string{"networkPolicy.enabled=false"}},
			secretName: "todo-chatbot-secrets", kinds: base(map[string]int{"Secret": 1, "Service": 1, "StatefulSet": 1, "NetworkPolicy": -3}),
			networkPolicyOff: true},
		// The seed's own command: only --set env.secrets.*, nothing about postgresql.
		{name: "seed-helm-install-external-db", secrets: []string{fakeDBURL, fakeDBPassword, fakeGeminiKey},
			extra:      values.Options{Values: []string{"env.secrets.DATABASE_URL=" + fakeDBURL, "env.secrets.GEMINI_API_KEY=" + fakeGeminiKey}},
			secretName: "todo-chatbot-secrets", kinds: base(nil)},
		{name: "in-cluster-db-no-persistence", spec: &minikube,
			extra:      values.Options{Values: []string{"postgresql.persistence.enabled=false"}},
			secretName: "todo-chatbot-secrets", kinds: base(postgres)},
		{name: "every-optional-key", spec: &external, secrets: []string{fakeDBURL, fakeGeminiKey},
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
		{name: "digest-pinned-registry", spec: &pinned, secrets: []string{fakeDBURL, fakeGeminiKey},
			secretName: "todo-chatbot-secrets", kinds: base(nil)},
	}
}
