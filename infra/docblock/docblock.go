// Package docblock keeps generated parts of the READMEs (the settings and values tables) in
// step with their sources: a test renders the table and Sync checks, or with UPDATE_DOCS=1
// rewrites, the part of the Markdown file between `<!-- begin NAME ... -->` and
// `<!-- end NAME -->`. `make docs` runs those tests with UPDATE_DOCS=1.
package docblock

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Sync checks path's NAME block against body; with UPDATE_DOCS=1 in the environment it
// writes body there instead of failing.
func Sync(path, name, body string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	text := string(b)
	begin := strings.Index(text, "<!-- begin "+name)
	end := strings.Index(text, "<!-- end "+name+" -->")
	if begin < 0 || end < begin {
		return fmt.Errorf("%s has no <!-- begin %s --> ... <!-- end %s --> block", path, name, name)
	}
	begin += strings.Index(text[begin:], "-->\n") + len("-->\n")
	if text[begin:end] == body {
		return nil
	}
	if os.Getenv("UPDATE_DOCS") != "1" {
		return fmt.Errorf("%s: the %s is out of date: run `make docs` and commit the result", filepath.Base(path), name)
	}
	return os.WriteFile(path, []byte(text[:begin]+body+text[end:]), 0o644)
}

// Cell escapes a table cell's text for Markdown.
func Cell(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
}
