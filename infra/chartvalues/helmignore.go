package chartvalues

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"strings"
)

// helmignore is a .helmignore with the matching rules of Helm's pkg/ignore (v3), kept here
// so this package stays free of Helm's dependency tree: patterns are path.Match globs, a
// pattern without '/' matches the base name, a leading '/' anchors it to the chart root, a
// trailing '/' matches directories only, '!' negates, '**' is not supported, and Helm's
// default rule ignores dotfiles in templates/.
type helmignore []ignoreRule

type ignoreRule struct {
	pattern string
	negate  bool
	dirOnly bool
	base    bool // match the base name only
}

func loadHelmignore(file string) (helmignore, error) {
	data, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	var rules helmignore
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.Contains(line, "**") {
			return nil, fmt.Errorf("%s: %q: Helm does not support ** in .helmignore", file, line)
		}
		if _, err := path.Match(line, "abc"); err != nil {
			return nil, fmt.Errorf("%s: %q: %w", file, line, err)
		}
		rules = append(rules, newRule(line))
	}
	rules = append(rules, newRule("templates/.?*"))
	return rules, s.Err()
}

func newRule(line string) ignoreRule {
	r := ignoreRule{}
	if strings.HasPrefix(line, "!") {
		r.negate, line = true, line[1:]
	}
	if strings.HasSuffix(line, "/") {
		r.dirOnly, line = true, strings.TrimSuffix(line, "/")
	}
	switch {
	case strings.HasPrefix(line, "/"):
		line = strings.TrimPrefix(line, "/")
	case !strings.Contains(line, "/"):
		r.base = true
	}
	r.pattern = line
	return r
}

// ignore follows Helm's Rules.Ignore: the first matching rule decides, and a negated rule
// ignores everything it does not match.
func (rules helmignore) ignore(rel string, isDir bool) bool {
	for _, r := range rules {
		name := rel
		if r.base {
			name = path.Base(rel)
		}
		matched, _ := path.Match(r.pattern, name)
		if r.negate {
			if r.dirOnly && !isDir {
				return true
			}
			if !matched {
				return true
			}
			continue
		}
		if r.dirOnly && !isDir {
			continue
		}
		if matched {
			return true
		}
	}
	return false
}
