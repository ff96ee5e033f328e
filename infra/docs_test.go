package infra

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// README.md's settings table is generated from Pulumi.yaml (key, default, description) and
// Settings (secrecy, example), so it cannot drift from what the program reads. `make docs`
// rewrites it (UPDATE_DOCS=1); every other run fails while the README differs.
func TestREADMESettingsTable(t *testing.T) {
	root := checkoutRoot(t)
	p, err := ReadProjectFile(root)
	if err != nil {
		t.Fatal(err)
	}
	updateGenerated(t, filepath.Join(root, "README.md"), "settings table", settingsTable(p))
}

func settingsTable(p ProjectFile) string {
	var b strings.Builder
	b.WriteString("| key | default | meaning | example |\n| --- | --- | --- | --- |\n")
	for _, f := range settingFields() {
		d, _ := p.Declaration(f.key)
		def := d.DefaultString()
		if def == "" || (f.integer && def == "0") {
			def = "unset"
		} else {
			def = "`" + def + "`"
		}
		meaning := strings.Join(strings.Fields(d.Description), " ")
		if f.secret {
			meaning = "**secret**: " + strings.TrimSpace(strings.TrimPrefix(meaning, "Secret:"))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` |\n", f.key, def, strings.ReplaceAll(meaning, "|", `\|`), setCommand(f.key))
	}
	return b.String()
}

// updateGenerated checks (or, with UPDATE_DOCS=1, rewrites) the part of a Markdown file
// between `<!-- begin NAME ... -->` and `<!-- end NAME -->`.
func updateGenerated(t *testing.T, path, name, body string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	begin := strings.Index(text, "<!-- begin "+name)
	end := strings.Index(text, "<!-- end "+name+" -->")
	if begin < 0 || end < begin {
		t.Fatalf("%s has no <!-- begin %s --> ... <!-- end %s --> block", path, name, name)
	}
	begin += strings.Index(text[begin:], "-->\n") + len("-->\n")
	if text[begin:end] == body {
		return
	}
	if os.Getenv("UPDATE_DOCS") != "1" {
		t.Fatalf("%s: the %s is out of date: run `make docs` and commit the result", filepath.Base(path), name)
	}
	if err := os.WriteFile(path, []byte(text[:begin]+body+text[end:]), 0o644); err != nil {
		t.Fatal(err)
	}
}
