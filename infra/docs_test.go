package infra

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/todo-chatbot/todo-chatbot/infra/docblock"
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
	if err := docblock.Sync(filepath.Join(root, "README.md"), "settings table", settingsTable(p)); err != nil {
		t.Fatal(err)
	}
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
		meaning := docblock.Cell(d.Description)
		if f.secret {
			meaning = "**secret**: " + strings.TrimSpace(strings.TrimPrefix(meaning, "Secret:"))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` |\n", f.key, def, meaning, setCommand(f.key))
	}
	return b.String()
}
