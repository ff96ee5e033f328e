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
	values := pulumi.Map{
		"backend":  backendValues,
		"frontend": frontendValues,
		"env": pulumi.Map{"secrets": pulumi.Map{
			"DATABASE_URL":   c.DatabaseURL.Output(),
			"GEMINI_API_KEY": c.GeminiAPIKey.Output(),
		}},
		"postgresql": pulumi.Map{"enabled": pulumi.Bool(c.inClusterPostgres())},
	}
	if ingress := ingressValues(c); ingress != nil {
		values["ingress"] = ingress
	}
	// Only make dev's live update sets it: every other deployment's values stay as they were.
	if c.liveUpdate {
		values["liveUpdate"] = pulumi.Map{"enabled": pulumi.Bool(true)}
	}
	return values
}

// ingressValues routes ingressHost to the frontend through the chart's Ingress; nil leaves
// the chart's default (no Ingress).
func ingressValues(c stackConfig) pulumi.Map {
	host := c.IngressHost
	if host == "" {
		return nil
	}
	ingress := pulumi.Map{
		"enabled": pulumi.Bool(true),
		"hosts": pulumi.Array{pulumi.Map{"host": pulumi.String(host), "paths": pulumi.Array{
			pulumi.Map{"path": pulumi.String("/"), "pathType": pulumi.String("Prefix")}}}},
	}
	if class := c.IngressClassName; class != "" {
		ingress["className"] = pulumi.String(class)
	}
	if secret := c.IngressCertificate; secret != "" {
		ingress["tls"] = pulumi.Array{pulumi.Map{"secretName": pulumi.String(secret), "hosts": pulumi.StringArray{pulumi.String(host)}}}
	}
	return ingress
}

func imageValues(img image) pulumi.Map {
	return pulumi.Map{
		"repository": pulumi.String(img.Repository),
		"tag":        pulumi.String(img.Tag),
		"digest":     img.Digest,
		"id":         img.ID,
	}
}
