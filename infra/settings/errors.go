package settings

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// errorList collects every config problem so a user fixes them all in one go.
type errorList []error

func (l *errorList) add(err error) { *l = append(*l, err) }

func (l errorList) err() error {
	if len(l) == 0 {
		return nil
	}
	return errors.Join(l...)
}

// setCommand is the `pulumi config set` command that sets a key, with --secret when the key
// is a secret.
func setCommand(name string) string {
	k, _ := KeyByName(name)
	flag := ""
	if k.Secret {
		flag = "--secret "
	}
	return fmt.Sprintf("pulumi config set %s%s:%s %s", flag, Namespace, name, quoteExample(k.Example))
}

func quoteExample(v string) string {
	if v == "" || strings.ContainsAny(v, " <>&|;$`'\"") {
		return strconv.Quote(v)
	}
	return v
}

// invalid reports a bad value. The value itself is never echoed for secret keys.
func invalid(name, problem string) error {
	return fmt.Errorf("config %s:%s %s: fix it with `%s`", Namespace, name, problem, setCommand(name))
}

func unknownKey(name string) error {
	hint := ""
	if near := nearestKey(name); near != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", near)
	}
	return fmt.Errorf("config %s:%s is not a setting of this project%s: remove it with `pulumi config rm %s:%s`; Pulumi.yaml lists the settings",
		Namespace, name, hint, Namespace, name)
}

// nearestKey suggests the documented key a typo most likely meant.
func nearestKey(name string) string {
	best, bestDist := "", 4
	for _, k := range Keys {
		if d := distance(strings.ToLower(name), strings.ToLower(k.Name)); d < bestDist {
			best, bestDist = k.Name, d
		}
	}
	return best
}

// distance is the Levenshtein edit distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
