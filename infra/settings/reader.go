package settings

import (
	"strconv"
	"strings"
)

// reader reads raw values, falling back to each key's default.
type reader struct {
	values map[string]string
	errs   *errorList
}

func (r reader) str(name string) string {
	v, ok := r.values[name]
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		k, _ := KeyByName(name)
		return k.Default
	}
	return v
}

func (r reader) integer(name string) int {
	v := r.str(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.errs.add(invalid(name, "must be a whole number, not "+strconv.Quote(v)))
		return 0
	}
	return n
}
