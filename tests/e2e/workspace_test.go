//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// repoRoot is the checkout this test belongs to.
func repoRoot(t *testing.T) string {
	root, err := layout.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// copyRepo copies the checkout's files (tracked and untracked, minus what .gitignore
// excludes: node_modules, .venv, build/) into a temporary directory, so the test edits code
// and runs the CLI there and never touches the real work tree.
func copyRepo(t *testing.T, repo string) string {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files in %s: %v", repo, err)
	}
	dst := filepath.Join(t.TempDir(), "todo-chatbot")
	n := 0
	for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(repo, rel)
		fi, err := os.Lstat(src)
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the work tree, or a symlink/submodule
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, b, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
		n++
	}
	t.Logf("project copied to %s (%d files); every edit happens there", dst, n)
	return dst
}

// editLine replaces the one occurrence of old in dir/rel by new: a one-line code change.
func editLine(t *testing.T, dir, rel, old, new string) {
	t.Helper()
	path := filepath.Join(dir, rel)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if c := bytes.Count(b, []byte(old)); c != 1 {
		t.Fatalf("%s: want exactly one %q to edit, found %d (the file changed: update this test's edit)", rel, old, c)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}
