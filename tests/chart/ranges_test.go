package chart

import (
	"fmt"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/todo-chatbot/todo-chatbot/infra/infratest"
)

// The Pulumi program checks replica counts and the node port before it declares anything;
// the chart's schema checks the same values when Helm installs. Both must draw the line at
// the same numbers, or a stack passes the one and fails the other half-way through a
// deployment. Each edge runs the real program (under mocks) and the real schema.
func TestProgramAndSchemaRangesAgree(t *testing.T) {
	chart, err := loader.Load(chartDir(t))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		key    string
		values func(n int) map[string]any
		edges  []int
	}{
		{"backendReplicas", func(n int) map[string]any { return map[string]any{"backend": map[string]any{"replicaCount": n}} }, []int{-1, 0, 1}},
		{"frontendReplicas", func(n int) map[string]any { return map[string]any{"frontend": map[string]any{"replicaCount": n}} }, []int{-1, 0, 1}},
		{"frontendNodePort", func(n int) map[string]any {
			return map[string]any{"frontend": map[string]any{"service": map[string]any{"nodePort": n}}}
		}, []int{29999, 30000, 32767, 32768}},
	}
	for _, c := range cases {
		for _, n := range c.edges {
			t.Run(fmt.Sprintf("%s=%d", c.key, n), func(t *testing.T) {
				_, err := infratest.Run(t, infratest.Stack{Config: map[string]string{c.key: fmt.Sprint(n)}})
				program := err == nil
				if err != nil && !strings.Contains(err.Error(), "todo-chatbot:"+c.key) {
					t.Fatalf("the program fails for another reason: %v", err)
				}
				// Over the chart's defaults, as Helm validates what it installs.
				values, err := chartutil.CoalesceValues(chart, c.values(n))
				if err != nil {
					t.Fatal(err)
				}
				schema := chartutil.ValidateAgainstSchema(chart, values) == nil
				if program != schema {
					t.Errorf("the program accepts it: %v; the chart's schema: %v", program, schema)
				}
			})
		}
	}
}
