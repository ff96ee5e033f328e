package chart

import (
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
)

// TestLint is `helm lint --strict` (warnings fail too) through Helm's own lint action, with
// the chart's defaults and with every realistic value set. tests/run/lint.sh runs it.
func TestLint(t *testing.T) {
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			vals, err := mergedValues(t, sc.values, sc.extra)
			if err != nil {
				t.Fatal(err)
			}
			lint := action.NewLint()
			lint.Strict = true
			lint.Namespace = namespace
			// Lint against the oldest Kubernetes the chart declares, so deprecations show.
			lint.KubeVersion = &chartutil.KubeVersion{Version: "v1.30.0", Major: "1", Minor: "30"}
			result := lint.Run([]string{chartDir(t)}, vals)
			for _, msg := range result.Messages {
				t.Logf("lint: %s", msg)
			}
			if len(result.Errors) > 0 {
				t.Fatalf("helm lint --strict failed: %v", result.Errors)
			}
			if result.TotalChartsLinted != 1 {
				t.Fatalf("linted %d charts, want 1", result.TotalChartsLinted)
			}
		})
	}
}
