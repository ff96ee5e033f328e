package images

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// TestDockerfilesDefaultToTheSeedBases: users build exactly the seed's images, and the tests
// change nothing but the base: BASE_IMAGE defaults to the real base, and every stage starts
// from it (directly or from an earlier stage). Needs no engine.
func TestDockerfilesDefaultToTheSeedBases(t *testing.T) {
	root, err := layout.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		layout.BackendDockerfile:  "python:3.11-slim",
		layout.FrontendDockerfile: "node:18-alpine",
	}
	argLine := regexp.MustCompile(`(?i)^ARG\s+BASE_IMAGE=(\S+)$`)
	fromLine := regexp.MustCompile(`(?i)^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$`)
	for path, base := range want {
		t.Run(filepath.Dir(path), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(root, path))
			if err != nil {
				t.Fatal(err)
			}
			var defaults []string
			stages := map[string]bool{}
			froms := 0
			for _, line := range strings.Split(string(raw), "\n") {
				line = strings.TrimSpace(line)
				if m := argLine.FindStringSubmatch(line); m != nil && froms == 0 {
					defaults = append(defaults, m[1])
				}
				if m := fromLine.FindStringSubmatch(line); m != nil {
					froms++
					if m[1] != "${BASE_IMAGE}" && m[1] != "$BASE_IMAGE" && !stages[strings.ToLower(m[1])] {
						t.Errorf("%s: %q does not start from ${BASE_IMAGE} or an earlier stage, so the stand-in base would not apply", path, line)
					}
					if m[2] != "" {
						stages[strings.ToLower(m[2])] = true
					}
				}
			}
			if len(defaults) != 1 || defaults[0] != base {
				t.Errorf("%s: want exactly one global `ARG BASE_IMAGE=%s` before the first FROM, found defaults %v", path, base, defaults)
			}
			if froms == 0 {
				t.Errorf("%s has no FROM", path)
			}
		})
	}
}
