package infra

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// chartValues are the values the release hands to charts/todo-chatbot: the one place a
// setting becomes a chart value (see the chart's values.yaml for what each one does).
// The secrets stay secret leaves, so only they show as [secret] in `pulumi preview`
// instead of the whole tree turning secret and hiding every diff.
// chartDigest, the release's change trigger, is added by Program (see objectpreview.go).
func chartValues(c stackConfig, backend, frontend image) pulumi.Map {
	backendValues := pulumi.Map{
		"replicaCount": pulumi.Int(c.BackendReplicas),
		"image":        imageValues(backend),
	}
	if model := c.GeminiModel; model != "" {
		backendValues["geminiModel"] = pulumi.String(model)
	}
	frontendValues := pulumi.Map{
		"replicaCount": pulumi.Int(c.FrontendReplicas),
		"image":        imageValues(frontend),
	}
	if port := c.FrontendNodePort; port != 0 {
		frontendValues["service"] = pulumi.Map{"nodePort": pulumi.Int(port)}
	}
	return pulumi.Map{
		"backend":  backendValues,
		"frontend": frontendValues,
		"env": pulumi.Map{"secrets": pulumi.Map{
			"DATABASE_URL":   c.DatabaseURL.Output(),
			"GEMINI_API_KEY": c.GeminiAPIKey.Output(),
		}},
		"postgresql": pulumi.Map{"enabled": pulumi.Bool(c.inClusterPostgres())},
	}
}

func imageValues(img image) pulumi.Map {
	return pulumi.Map{
		"repository": pulumi.String(img.Repository),
		"tag":        pulumi.String(img.Tag),
		"digest":     img.Digest,
		"id":         img.ID,
	}
}
