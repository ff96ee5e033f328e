package chart

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/todo-chatbot/todo-chatbot/infra/docblock"
)

// The chart README's values table is generated from values.schema.json (every value, its
// type and description) and values.yaml (its default), so a value cannot be added without
// a description, and the table cannot drift: `make docs` rewrites it (UPDATE_DOCS=1); every
// other run fails while it is stale.
func TestREADMEValuesTable(t *testing.T) {
	dir := chartDir(t)
	chart, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var schema schemaNode
	if err := json.Unmarshal(chart.Schema, &schema); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("| Key | Type | Default | Meaning |\n| --- | --- | --- | --- |\n")
	var missing []string
	schema.leaves(nil, func(path []string, n schemaNode) {
		key := strings.Join(path, ".")
		if n.Description == "" {
			missing = append(missing, key)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", key, n.typeName(schema.Definitions), defaultOf(chart.Values, path), docblock.Cell(n.Description))
	})
	if len(missing) > 0 {
		t.Fatalf("values.schema.json: give these values a description (the README's table shows it): %s", strings.Join(missing, ", "))
	}
	if err := docblock.Sync(filepath.Join(dir, "README.md"), "values table", b.String()); err != nil {
		t.Fatal(err)
	}
}

type schemaNode struct {
	Type        any                   `json:"type"`
	Ref         string                `json:"$ref"`
	Enum        []any                 `json:"enum"`
	Description string                `json:"description"`
	Properties  map[string]schemaNode `json:"properties"`
	Definitions map[string]schemaNode `json:"definitions"` // the root's
}

// leaves calls fn for every value a user sets: a node without properties of its own.
func (n schemaNode) leaves(path []string, fn func([]string, schemaNode)) {
	if len(n.Properties) == 0 {
		fn(path, n)
		return
	}
	keys := make([]string, 0, len(n.Properties))
	for k := range n.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n.Properties[k].leaves(append(append([]string(nil), path...), k), fn)
	}
}

func (n schemaNode) typeName(definitions map[string]schemaNode) string {
	switch {
	case n.Ref != "":
		return definitions[strings.TrimPrefix(n.Ref, "#/definitions/")].typeName(nil)
	case len(n.Enum) > 0:
		var vals []string
		for _, v := range n.Enum {
			vals = append(vals, fmt.Sprint(v))
		}
		return "one of " + strings.Join(vals, ", ")
	case n.Type != nil:
		return fmt.Sprint(n.Type)
	}
	return "any"
}

// defaultOf is the value's default in values.yaml, short enough for a table cell.
func defaultOf(values map[string]any, path []string) string {
	var v any = values
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return "unset"
		}
		if v, ok = m[k]; !ok {
			return "unset"
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "see values.yaml"
	}
	if len(b) > 60 {
		return "see values.yaml"
	}
	return "`" + docblock.Cell(string(b)) + "`"
}
