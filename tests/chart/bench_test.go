package chart

import (
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
)

// BenchmarkRender: one `helm install --dry-run` (values merge, schema, render, strict
// decode) per scenario. bench/chart.sh prints the table.
func BenchmarkRender(b *testing.B) {
	for _, sc := range scenarios(b) {
		b.Run(sc.name, func(b *testing.B) {
			for b.Loop() {
				mustRender(b, sc.values, sc.extra)
			}
		})
	}
}

// BenchmarkLint: `helm lint --strict` of the chart with its defaults.
func BenchmarkLint(b *testing.B) {
	dir := chartDir(b)
	for b.Loop() {
		lint := action.NewLint()
		lint.Strict = true
		lint.KubeVersion = &chartutil.KubeVersion{Version: "v1.25.0", Major: "1", Minor: "25"}
		if res := lint.Run([]string{dir}, map[string]interface{}{}); len(res.Errors) > 0 {
			b.Fatal(res.Errors)
		}
	}
}
