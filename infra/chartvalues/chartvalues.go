// Package chartvalues builds the Helm values that the Pulumi program hands to
// charts/todo-chatbot. It is plain Go with no Pulumi import, so the chart tests and the
// real-cluster test can call the very same function with plain strings and install exactly
// what `pulumi up` would.
//
// The type parameter S is the type of the values that are secret or unknown until deploy
// time (secrets, image digests and IDs). Tests use S = string; the Pulumi program uses
// S = pulumi.StringInput so every secret stays a secret leaf inside the values tree instead
// of turning the whole tree secret (which would hide every diff in `pulumi preview`).
package chartvalues

// Image is one component's image as the chart sees it.
type Image[S any] struct {
	Repository string // e.g. "todo-backend" or "registry.example.com/todo-backend"
	Tag        string // e.g. "v1"
	// Digest ("sha256:...") pins the image as repository@digest. Set when promoting a stack's
	// images; the zero value of S (or "") means repository:tag.
	Digest S
	// ID is the built image's ID or repo digest. The chart writes it as a pod-template
	// annotation so that rebuilding the same tag rolls the pods.
	ID S
}

// Spec is everything the program decides about the release's values.
type Spec[S any] struct {
	Backend  Image[S]
	Frontend Image[S]

	BackendReplicas  int
	FrontendReplicas int
	// FrontendNodePort pins the frontend Service's node port; 0 lets Kubernetes choose.
	FrontendNodePort int

	// InClusterPostgres turns on the chart's own PostgreSQL; the program sets it when no
	// databaseUrl is configured and the target is Minikube.
	InClusterPostgres bool
	DatabaseURL       S // env.secrets.DATABASE_URL; empty with InClusterPostgres
	GeminiAPIKey      S // env.secrets.GEMINI_API_KEY; empty runs the offline assistant
	GeminiModel       string

	// ChartDigest is a digest of the chart's files, so a template edit changes the values
	// and pulumi-kubernetes' helm.Release notices it (pulumi/pulumi-kubernetes#2118).
	ChartDigest string
}

// Build returns the values tree for charts/todo-chatbot. Leaves are plain Go values
// (string, int, bool) or values of type S.
func Build[S any](s Spec[S]) map[string]any {
	frontend := map[string]any{
		"replicaCount": s.FrontendReplicas,
		"image":        image(s.Frontend),
	}
	if s.FrontendNodePort > 0 {
		frontend["service"] = map[string]any{"nodePort": s.FrontendNodePort}
	}
	backend := map[string]any{
		"replicaCount": s.BackendReplicas,
		"image":        image(s.Backend),
	}
	if s.GeminiModel != "" {
		backend["geminiModel"] = s.GeminiModel
	}
	return map[string]any{
		"chartDigest": s.ChartDigest,
		"backend":     backend,
		"frontend":    frontend,
		"env": map[string]any{
			"secrets": map[string]any{
				"DATABASE_URL":   s.DatabaseURL,
				"GEMINI_API_KEY": s.GeminiAPIKey,
			},
		},
		"postgresql": map[string]any{"enabled": s.InClusterPostgres},
	}
}

func image[S any](img Image[S]) map[string]any {
	return map[string]any{
		"repository": img.Repository,
		"tag":        img.Tag,
		"digest":     img.Digest,
		"id":         img.ID,
	}
}
