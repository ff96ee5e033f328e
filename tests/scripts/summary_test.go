package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// junit writes one part's results as `make test` leaves them: a JUnit file and the .status
// line (exit code, seconds) that tests/run/all.sh writes.
func junit(t *testing.T, results, part, rc, cases string) {
	t.Helper()
	dir := filepath.Join(results, part)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	xml := `<?xml version="1.0"?><testsuite name="` + part + `">` + cases + `</testsuite>`
	if err := os.WriteFile(filepath.Join(dir, part+".xml"), []byte(xml), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".status"), []byte(rc+" 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// summarize runs tests/run/summarize.py over results, with CI set or unset, and returns the
// verdict line of each part and whether the run passed.
func summarize(t *testing.T, results string, ci bool, parts ...string) (map[string]string, bool) {
	t.Helper()
	cmd := exec.Command("python3", append([]string{filepath.Join(repoRoot, "tests", "run", "summarize.py"), results}, parts...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CI=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if ci {
		cmd.Env = append(cmd.Env, "CI=true")
	}
	out, err := cmd.CombinedOutput()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatalf("summarize.py: %v\n%s", err, out)
	}
	verdicts := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		for _, p := range parts {
			if len(f) > 5 && f[0] == p {
				verdicts[p] = strings.Join(f[5:], " ")
			}
		}
	}
	t.Logf("summary (CI=%v):\n%s", ci, out)
	return verdicts, err == nil
}

// A part whose every test was skipped tested nothing: SKIPPED, never ok, and with CI=true
// the run fails; a part with a passing test and a skip stays ok.
func TestSummaryReportsAnAllSkippedPart(t *testing.T) {
	results := t.TempDir()
	skip := `<testcase classname="e2e" name="TestUserCommands"><skipped message="no plugins"/></testcase>`
	pass := `<testcase classname="chart" name="TestLint"/>`
	junit(t, results, "chart", "0", pass+skip)
	junit(t, results, "e2e", "0", skip)

	v, passed := summarize(t, results, false, "chart", "e2e")
	if v["chart"] != "ok" || !strings.HasPrefix(v["e2e"], "SKIPPED") || !passed {
		t.Errorf("without CI: verdicts %v, run passed %v; want chart ok, e2e SKIPPED, passed", v, passed)
	}
	v, passed = summarize(t, results, true, "chart", "e2e")
	if v["chart"] != "ok" || !strings.HasPrefix(v["e2e"], "FAILED") || passed {
		t.Errorf("with CI=true: verdicts %v, run passed %v; want chart ok, e2e FAILED, run failed", v, passed)
	}
	v, passed = summarize(t, results, true, "chart")
	if v["chart"] != "ok" || !passed {
		t.Errorf("with CI=true, only the part that ran a test: verdicts %v, run passed %v", v, passed)
	}
}

// A staticvet that cannot be built fails tests/env/staticvet.sh (and so the lint part's case
// "staticvet built") with the go command's output.
func TestStaticvetBuildFailureFails(t *testing.T) {
	bin := t.TempDir()
	for _, tool := range []string{"bash", "dirname", "mkdir", "cat", "mv"} {
		real, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("system tool %s: %v", tool, err)
		}
		if err := os.Symlink(real, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	// A go command that fails as `go build` does when the module proxy cannot be reached.
	fakeGo := "#!/bin/sh\necho 'go: honnef.co/go/tools@v0.7.0: module lookup disabled' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	cmd := exec.Command(filepath.Join(repoRoot, "tests", "env", "staticvet.sh"))
	cmd.Env = []string{"PATH=" + bin, "HOME=" + home, "TODO_CACHE=" + filepath.Join(home, "cache")}
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("tests/env/staticvet.sh exited 0 although go build failed:\n%s", out)
	}
	for _, want := range []string{"module lookup disabled", "did not build"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the failure does not show %q:\n%s", want, out)
		}
	}
}
