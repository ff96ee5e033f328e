package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The fixture breaks one rule of each kind staticvet must catch: plain checks (S, SA, ST),
// unused code, and the fact-based checks on the standard library's functions and on a
// deprecated function of the module's own.
var fixture = map[string]string{
	"go.mod": "module example.com/fixture\n\ngo 1.26\n",
	"old/old.go": `// Package old has a deprecated function.
package old

// Sum adds.
//
// Deprecated: use New.
func Sum(a, b int) int { return a + b }

// New adds.
func New(a, b int) int { return a + b }
`,
	"use/use.go": `// Package use breaks the rules.
package use

import (
	"errors"
	"strings"

	"example.com/fixture/old"
)

// Flag compares a bool to true.
func Flag(b bool) bool {
	if b == true {
		return true
	}
	return false
}

// Err has a capitalized error string ending in a period.
func Err() error { return errors.New("Something failed.") }

// Title calls a deprecated function of the standard library.
func Title(s string) string { return strings.Title(s) }

// Upper drops the result of a function without side effects.
func Upper(s string) string {
	strings.ToUpper(s)
	return s
}

// Add calls a deprecated function of this module.
func Add() int { return old.Sum(1, 2) }

func neverCalled() {}
`,
}

// What staticcheck v0.7.0 itself prints for the fixture, line for line.
var want = []string{
	"use/use.go:13:2: should use 'return b == true' instead of 'if b == true { return true }; return false' (S1008)",
	"use/use.go:13:5: should omit comparison to bool constant, can be simplified to b (S1002)",
	"use/use.go:20:27: error strings should not be capitalized (ST1005)",
	"use/use.go:20:27: error strings should not end with punctuation or newlines (ST1005)",
	"use/use.go:23:38: strings.Title has been deprecated since Go 1.18 and an alternative has been available since Go 1.0: The rule Title uses for word boundaries does not handle Unicode punctuation properly. Use golang.org/x/text/cases instead.  (SA1019)",
	"use/use.go:27:2: ToUpper doesn't have side effects and its return value is ignored (SA4017)",
	"use/use.go:32:25: old.Sum is deprecated: use New.  (SA1019)",
	"use/use.go:34:6: func neverCalled is unused (U1000)",
}

func TestReportsWhatStaticcheckReports(t *testing.T) {
	tool := build(t)
	out, err := vet(write(t, fixture), tool)
	if err == nil {
		t.Fatalf("go vet passed on the fixture; output:\n%s", out)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "#") {
			got = append(got, relative(line))
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("go vet -vettool=staticvet printed:\n%s\nstaticcheck prints:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestQuietOnCleanCode(t *testing.T) {
	tool := build(t)
	clean := map[string]string{"go.mod": fixture["go.mod"], "old/old.go": fixture["old/old.go"]}
	if out, err := vet(write(t, clean), tool); err != nil {
		t.Fatalf("go vet failed on clean code: %v\n%s", err, out)
	}
}

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "staticvet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func write(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func vet(dir, tool string) (string, error) {
	cmd := exec.Command("go", "vet", "-vettool="+tool, "./...")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// relative cuts a diagnostic's path down to the fixture's file name. The go command prints it
// relative to the fixture, or whole under -trimpath, where a cached vet result replays the path
// of whichever fixture directory first produced it.
func relative(line string) string {
	for name := range fixture {
		if i := strings.Index(line, name+":"); i >= 0 {
			return line[i:]
		}
	}
	return line
}
