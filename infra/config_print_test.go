package infra

import (
	"fmt"
	"strings"
	"testing"
)

// A stackConfig can be printed (a log line, a test failure) without leaking a secret.
func TestSecretsNeverPrint(t *testing.T) {
	c := stackConfig{
		keys:   map[string]key{"databaseUrl": {Description: "Secret: URL"}, "namespace": {Description: "namespace"}},
		values: map[string]string{"databaseUrl": "postgresql://todo:hunter2@db/todo", "namespace": "todo"},
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, c)
		if strings.Contains(out, "hunter2") || !strings.Contains(out, "[secret]") || !strings.Contains(out, `namespace="todo"`) {
			t.Errorf("%s prints %s", verb, out)
		}
	}
}
