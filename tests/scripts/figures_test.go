package scripts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/todo-chatbot/todo-chatbot/tests/e2e"
)

// The fault figures the READMEs state are the bounds the end-to-end test asserts
// (tests/e2e/figures.go): one constant per figure, so a README cannot drift from the test.
func TestREADMEsStateTheFaultBounds(t *testing.T) {
	want := []string{
		"a deleted backend pod fails no request",
		"a deleted PostgreSQL pod is Ready again within " + e2e.Seconds(e2e.PostgresPodDeletedReady) +
			" and requests fail for at most " + e2e.Seconds(e2e.PostgresPodDeletedFailing),
		"killed with SIGKILL is restarted and Ready within " + e2e.Seconds(e2e.PostgresKilledReady) +
			" and requests fail for at most " + e2e.Seconds(e2e.PostgresKilledFailing),
	}
	if e2e.BackendPodDeletedFailures != 0 {
		t.Fatalf("BackendPodDeletedFailures is %d: the READMEs say a deleted backend pod fails no request", e2e.BackendPodDeletedFailures)
	}
	for _, readme := range []string{"charts/todo-chatbot/README.md", "tests/e2e/README.md"} {
		b, err := os.ReadFile(filepath.Join(repoRoot, readme))
		if err != nil {
			t.Fatal(err)
		}
		// Line breaks in the Markdown are spaces.
		text := strings.Join(strings.Fields(string(b)), " ")
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s does not state %q (tests/e2e/figures.go)", readme, w)
			}
		}
	}
}

// The many-node figures: the same constants, in the README's production section and the
// end-to-end README.
func TestREADMEsStateTheNodeLossBound(t *testing.T) {
	for _, c := range []struct{ readme, want string }{
		{"README.md", "fails requests for at most " + e2e.Seconds(e2e.NodeLossFailing)},
		{"README.md", "a drain under load fails no request"},
		{"tests/e2e/README.md", "requests fail for at most " + e2e.Seconds(e2e.NodeLossFailing) + " after the cut"},
	} {
		b, err := os.ReadFile(filepath.Join(repoRoot, c.readme))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(strings.Fields(string(b)), " "), c.want) {
			t.Errorf("%s does not state %q (tests/e2e/figures.go)", c.readme, c.want)
		}
	}
}
