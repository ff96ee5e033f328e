package manifestdiff

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Unknown stands in for a value not known while previewing (the ID or digest of an image
// that this run builds). It is a well-formed digest, so the chart's schema and templates
// accept it; previews show it as UnknownText.
var Unknown = "sha256:" + strings.Repeat("0", 64)

// UnknownText is how previews show Unknown.
const UnknownText = "<digest after build>"

// Change is one object the upgrade creates, changes or deletes.
type Change struct {
	Op        string `json:"op"` // create, update or delete
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Fields are the changed field paths (spec.replicas, metadata.labels.helm.sh/chart,
	// spec.template.spec.containers[backend].image); a list element with a name is
	// addressed by it.
	Fields []string `json:"fields,omitempty"`
	// SecretKeys are the keys of a Secret whose value is added, changed or removed; the
	// values are never reported.
	SecretKeys []string `json:"secretKeys,omitempty"`
	// Rolls says why a Deployment, StatefulSet or DaemonSet will replace its pods (its
	// pod template changes); empty when it does not roll.
	Rolls []string `json:"rolls,omitempty"`
	// Unknown: the change involves a value known only after a build in this run.
	Unknown bool `json:"unknown,omitempty"`
	// Diff is the field-level unified diff ("- path: old", "+ path: new").
	Diff []string `json:"-"`
}

// ID is kind/namespace/name.
func (c Change) ID() string { return c.Kind + "/" + c.Namespace + "/" + c.Name }

// Diff compares the objects an upgrade would apply with the deployed ones (both as
// rendered manifests; either may hold Secret values or fingerprints) and lists the changes
// in Helm's install order, then the deletions.
func Diff(deployed, rendered []Object) []Change {
	old := map[string]Object{}
	for _, o := range Redact(deployed) {
		old[o.ID()] = o
	}
	var changes []Change
	seen := map[string]bool{}
	for _, o := range Redact(rendered) {
		seen[o.ID()] = true
		before, ok := old[o.ID()]
		c := Change{Op: "update", Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
		if !ok {
			c.Op = "create"
		}
		if compare(&c, before, o, ok) {
			changes = append(changes, c)
		}
	}
	for _, o := range Redact(deployed) {
		if !seen[o.ID()] {
			c := Change{Op: "delete", Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
			compare(&c, o, Object{}, true)
			changes = append(changes, c)
		}
	}
	return changes
}

// compare fills c from the two (redacted) objects and says whether they differ.
func compare(c *Change, before, after Object, existed bool) bool {
	var a, b []field
	if existed {
		a = flatten(before.Body)
	}
	if after.Body != nil {
		b = flatten(after.Body)
	}
	av, bv := values(a), values(b)
	for _, f := range b {
		if old, ok := av[f.path]; !ok || old != f.value {
			c.Fields = append(c.Fields, f.path)
		}
	}
	for _, f := range a {
		if _, ok := bv[f.path]; !ok {
			c.Fields = append(c.Fields, f.path)
		}
	}
	if len(c.Fields) == 0 {
		return false
	}
	sort.Strings(c.Fields)
	if c.Kind == "Secret" {
		for _, p := range c.Fields {
			for _, prefix := range []string{"data.", "stringData."} {
				if k, ok := strings.CutPrefix(p, prefix); ok {
					c.SecretKeys = append(c.SecretKeys, k)
				}
			}
		}
	}
	if c.Op == "update" && workload(c.Kind) {
		c.Rolls = rollReasons(c.Fields, bv)
	}
	c.Unknown = strings.Contains(strings.Join(lines(b), "\n"), Unknown)
	c.Diff = unified(display(a, false, nil), display(b, true, av))
	return true
}

func workload(kind string) bool {
	return kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet"
}

// rollReasons: a workload replaces its pods exactly when its pod template changes; the
// reasons name what in the template changed.
func rollReasons(fields []string, after map[string]string) []string {
	var reasons, other []string
	add := func(r string) {
		for _, have := range reasons {
			if have == r {
				return
			}
		}
		reasons = append(reasons, r)
	}
	for _, p := range fields {
		rest, ok := strings.CutPrefix(p, "spec.template.")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(rest, "metadata.annotations.checksum/"):
			add("config checksum " + strings.TrimPrefix(rest, "metadata.annotations."))
		case rest == "metadata.annotations.todo-chatbot/image-id" || isImage(rest):
			if strings.Contains(after[p], Unknown) {
				add("image (" + UnknownText + ": rolls if the build makes a new image)")
			} else {
				add("image")
			}
		default:
			other = append(other, rest)
		}
	}
	if len(other) > 0 {
		r := "pod template: " + strings.Join(other[:min(len(other), 3)], ", ")
		if len(other) > 3 {
			r += fmt.Sprintf(" and %d more", len(other)-3)
		}
		add(r)
	}
	return reasons
}

func isImage(p string) bool {
	return (strings.HasPrefix(p, "spec.containers[") || strings.HasPrefix(p, "spec.initContainers[")) &&
		strings.HasSuffix(p, "].image")
}

// field is one leaf of a manifest: its path and its value as JSON.
type field struct{ path, value string }

// flatten lists a manifest's leaves in path order. Paths are dotted; a list element that
// has a name (containers, env, ports, volumes) is addressed by it, [name], else by index.
func flatten(body map[string]any) []field {
	var out []field
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if len(v) == 0 {
				out = append(out, field{prefix, "{}"})
				return
			}
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, v[k])
			}
		case []any:
			if len(v) == 0 {
				out = append(out, field{prefix, "[]"})
				return
			}
			names := map[string]bool{}
			for _, e := range v {
				m, _ := e.(map[string]any)
				if n, ok := m["name"].(string); ok && !names[n] {
					names[n] = true
				}
			}
			for i, e := range v {
				key := strconv.Itoa(i)
				if len(names) == len(v) {
					key = e.(map[string]any)["name"].(string)
				}
				walk(prefix+"["+key+"]", e)
			}
		default:
			b, _ := json.Marshal(v)
			out = append(out, field{prefix, string(b)})
		}
	}
	walk("", body)
	return out
}

func values(fs []field) map[string]string {
	m := make(map[string]string, len(fs))
	for _, f := range fs {
		m[f.path] = f.value
	}
	return m
}

func lines(fs []field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.path + ": " + f.value
	}
	return out
}

// display is the lines a diff shows: fingerprints become "(secret value)", or "(new secret
// value)" on the new side when the key's fingerprint changed, so a changed key shows as a
// changed line and no value or fingerprint is ever printed; checksum/* pod annotations
// (the chart's checksum of Secret data) likewise; Unknown becomes UnknownText.
func display(fs []field, after bool, before map[string]string) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		v := f.value
		switch {
		case strings.HasPrefix(v, `"`+fingerprintPrefix):
			v = "(secret value)"
			if after && before[f.path] != f.value {
				v = "(new secret value)"
			}
		case strings.Contains(f.path, ".annotations.checksum/"):
			// A checksum of Secret data: not shown either, a changed one says so.
			v = "(checksum)"
			if after && before[f.path] != f.value {
				v = "(new checksum)"
			}
		}
		out[i] = strings.ReplaceAll(f.path+": "+v, Unknown, UnknownText)
	}
	return out
}

// unified is the line diff of a and b with no context: the changed fields, each line
// "- path: old" or "+ path: new". The diff itself is diffmatchpatch's line mode.
func unified(a, b []string) []string {
	dmp := diffmatchpatch.New()
	ta, tb, lineArray := dmp.DiffLinesToChars(join(a), join(b))
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ta, tb, false), lineArray)
	var out []string
	for _, d := range diffs {
		sign := ""
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			sign = "- "
		case diffmatchpatch.DiffInsert:
			sign = "+ "
		default:
			continue
		}
		for _, l := range strings.Split(strings.TrimSuffix(d.Text, "\n"), "\n") {
			out = append(out, sign+l)
		}
	}
	return out
}

func join(ls []string) string {
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}
