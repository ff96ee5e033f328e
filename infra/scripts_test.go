package infra

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The infra scripts are shellcheck-clean (tests/run/infra.sh installs shellcheck when it
// can; deploy/pulumi.sh is what `make up` runs on users' machines).
func TestScriptsAreShellcheckClean(t *testing.T) {
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("SKIPPED LOUDLY: shellcheck is not installed (sudo apt-get install shellcheck); tests/run/infra.sh installs it when run as root")
	}
	repo := filepath.Dir(packageDir)
	for _, script := range []string{"deploy/pulumi.sh", "tests/run/infra.sh", "bench/infra.sh"} {
		cmd := exec.Command(shellcheck, "-x", script)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("shellcheck %s: %v\n%s", script, err, out)
		}
	}
}

// packageDir is this package's source directory, read before tests chdir elsewhere.
var packageDir = func() string { d, _ := os.Getwd(); return d }()
