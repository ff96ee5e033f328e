package manifestdiff

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// fingerprintPrefix marks a Secret value replaced by its fingerprint.
const fingerprintPrefix = "fingerprint:sha256:"

// Redact returns copies of objs in which every value of every Secret (data and
// stringData) is replaced by a fingerprint: a SHA-256 of the object, the key and the value.
// Comparing fingerprints tells which keys change without holding a value; a fingerprint
// says no more about a value than the checksum/secret pod annotation the chart already
// writes. Redacting a redacted object changes nothing.
func Redact(objs []Object) []Object {
	out := make([]Object, len(objs))
	for i, o := range objs {
		o.Body = deepCopy(o.Body)
		if o.Kind == "Secret" {
			for _, field := range []string{"data", "stringData"} {
				m, _ := o.Body[field].(map[string]any)
				for k, v := range m {
					s := fmt.Sprint(v)
					if !strings.HasPrefix(s, fingerprintPrefix) {
						sum := sha256.Sum256([]byte(o.ID() + "\x00" + field + "\x00" + k + "\x00" + s))
						m[k] = fingerprintPrefix + hex.EncodeToString(sum[:])
					}
				}
			}
		}
		out[i] = o
	}
	return out
}

// Digest is a digest of the objects with Secret values fingerprinted: it changes exactly
// when a rendered object does, whatever the chart edit that made it (a comment, spacing or
// a helper refactor that renders the same objects leaves it as it was).
func Digest(objs []Object) string {
	h := sha256.New()
	for _, o := range sorted(Redact(objs)) {
		b, _ := json.Marshal(o.Body) // map keys sorted: canonical
		fmt.Fprintf(h, "%s\x00%s\x00", o.ID(), b)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// recorded is the form Encode writes: the object's namespace (a manifest may leave it to
// Helm) and its redacted manifest.
type recorded struct {
	Namespace string         `json:"namespace"`
	Manifest  map[string]any `json:"manifest"`
}

// Encode is the redacted objects as JSON, to keep in the stack's state as what the last
// `pulumi up` deployed: no Secret value is in it, only fingerprints.
func Encode(objs []Object) string {
	var rs []recorded
	for _, o := range sorted(Redact(objs)) {
		rs = append(rs, recorded{o.Namespace, o.Body})
	}
	b, _ := json.Marshal(rs)
	return string(b)
}

// Decode reads what Encode wrote.
func Decode(s string) ([]Object, error) {
	var rs []recorded
	if err := json.Unmarshal([]byte(s), &rs); err != nil {
		return nil, fmt.Errorf("the recorded release objects: %w", err)
	}
	var objs []Object
	for _, r := range rs {
		b, _ := json.Marshal(r.Manifest)
		o, err := parse(string(b), r.Namespace)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, nil
}

func sorted(objs []Object) []Object {
	out := append([]Object(nil), objs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID() < out[j].ID() })
	return out
}
