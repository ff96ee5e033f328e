package infra

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// BenchmarkProgramUnderMocks is the time to evaluate the whole program (config, chart
// digest, resource graph) under mocks: the part of `pulumi preview` the program itself costs.
func BenchmarkProgramUnderMocks(b *testing.B) {
	newProject(b)
	setConfig(b, map[string]string{"frontendNodePort": "30080", "geminiApiKey": secretKey}, "geminiApiKey")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			_, err := deploy(ctx)
			return err
		}, pulumi.WithMocks("todo-chatbot", "dev", &mocks{}))
		if err != nil {
			b.Fatal(err)
		}
	}
}
