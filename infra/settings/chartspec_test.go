package settings

import (
	"testing"

	"github.com/todo-chatbot/todo-chatbot/infra/chartvalues"
)

func TestChartSpecMapsSettings(t *testing.T) {
	s, err := Parse(map[string]string{"backendReplicas": "2", "frontendReplicas": "3", "frontendNodePort": "30080", "geminiModel": "gemini-2.5-flash"})
	if err != nil {
		t.Fatal(err)
	}
	be := chartvalues.Image[string]{Repository: "todo-backend", Tag: "v1", ID: "sha256:aa"}
	fe := chartvalues.Image[string]{Repository: "todo-frontend", Tag: "v1", ID: "sha256:bb"}
	spec := ChartSpec(s, be, fe, "", "", "sha256:chart")
	want := chartvalues.Spec[string]{Backend: be, Frontend: fe, BackendReplicas: 2, FrontendReplicas: 3,
		FrontendNodePort: 30080, InClusterPostgres: true, GeminiModel: "gemini-2.5-flash", ChartDigest: "sha256:chart"}
	if spec != want {
		t.Fatalf("spec:\n got %+v\nwant %+v", spec, want)
	}
}

func TestChartSpecExternalDatabase(t *testing.T) {
	s, err := Parse(map[string]string{"databaseUrl": dbURL, "geminiApiKey": "key"})
	if err != nil {
		t.Fatal(err)
	}
	spec := ChartSpec(s, chartvalues.Image[string]{}, chartvalues.Image[string]{}, s.DatabaseURL.Reveal(), s.GeminiAPIKey.Reveal(), "d")
	if spec.InClusterPostgres {
		t.Fatal("with databaseUrl the in-cluster PostgreSQL must be off")
	}
	if spec.DatabaseURL != dbURL || spec.GeminiAPIKey != "key" {
		t.Fatal("secrets not passed through")
	}
}
