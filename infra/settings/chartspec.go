package settings

import "github.com/todo-chatbot/todo-chatbot/infra/chartvalues"

// ChartSpec is the one place that maps a stack's settings to the chart's values: the
// program calls it with S = pulumi.StringInput, the tests with S = string, so the
// real-cluster test installs exactly what `pulumi up` would. databaseURL and geminiAPIKey
// are the secrets as S (the program passes secret Outputs); whether the in-cluster
// PostgreSQL runs is decided from s.
func ChartSpec[S any](s Settings, backend, frontend chartvalues.Image[S], databaseURL, geminiAPIKey S, chartDigest string) chartvalues.Spec[S] {
	return chartvalues.Spec[S]{
		Backend:           backend,
		Frontend:          frontend,
		BackendReplicas:   s.BackendReplicas,
		FrontendReplicas:  s.FrontendReplicas,
		FrontendNodePort:  s.FrontendNodePort,
		InClusterPostgres: s.InClusterPostgres(),
		DatabaseURL:       databaseURL,
		GeminiAPIKey:      geminiAPIKey,
		GeminiModel:       s.GeminiModel,
		ChartDigest:       chartDigest,
	}
}
