package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The deploy scripts and the infra part's own are shellcheck-clean (tests/run/infra.sh
// installs shellcheck when it can; deploy/pulumi.sh is what `make up` runs on users'
// machines).
func TestScriptsAreShellcheckClean(t *testing.T) {
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("SKIPPED LOUDLY: shellcheck is not installed (sudo apt-get install shellcheck); tests/run/infra.sh installs it when run as root")
	}
	for _, script := range []string{"deploy/pulumi.sh", "tests/run/infra.sh", "tests/run/lint.sh", "tests/run/node-up.sh", "tests/env/staticvet.sh", "tests/env/warm-caches.sh", "tests/env/helm-build.sh", "tests/run/all.sh", "tests/run/parts.sh", "bench/infra.sh"} {
		cmd := exec.Command(shellcheck, "-x", script)
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s: %v\n%s", script, err, out)
		}
	}
}

// repoRoot is the checkout, two levels above this package's directory.
var repoRoot = func() string { d, _ := os.Getwd(); return filepath.Join(d, "..", "..") }()
