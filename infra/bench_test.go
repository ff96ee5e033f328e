package infra_test

import (
	"testing"

	"github.com/todo-chatbot/todo-chatbot/infra/infratest"
)

// BenchmarkProgramUnderMocks is the time to evaluate the whole program (config, chart
// digest, resource graph) under mocks: the part of `pulumi preview` the program itself costs.
func BenchmarkProgramUnderMocks(b *testing.B) {
	s := infratest.Stack{Config: map[string]string{"frontendNodePort": "30080", "geminiApiKey": secretKey}}
	for i := 0; i < b.N; i++ {
		infratest.MustRun(b, s)
	}
}
