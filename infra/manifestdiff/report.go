package manifestdiff

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Report is what a preview says about a release: the objects the upgrade changes, against
// what. Its JSON form (JSON) is the machine-readable one CI reads.
type Report struct {
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	// Against is what the rendered objects were compared with: "cluster" (the release as
	// deployed, read from the cluster), "recorded" (the objects the last `pulumi up`
	// recorded in the stack, when the cluster cannot be reached) or "nothing" (a first
	// install).
	Against string   `json:"against"`
	Objects []Change `json:"objects"`
	// Unknown lists the values that are known only after this run's builds.
	Unknown []string `json:"unknown,omitempty"`
}

// JSONPrefix starts the diagnostic that carries a Report as JSON.
const JSONPrefix = "object preview (json): "

// JSON is the report on one line, after JSONPrefix.
func (r Report) JSON() string {
	if r.Objects == nil {
		r.Objects = []Change{}
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "<digest after build>" as written
	_ = enc.Encode(r)
	return JSONPrefix + strings.TrimSuffix(b.String(), "\n")
}

// maxLines bounds each object's diff in the text form (a created Deployment is long).
const maxLines = 24

// Text is the report for people: one line per object (+ create, ~ update, - delete), its
// changed fields under it, and the workloads that roll.
func (r Report) Text() string {
	var b strings.Builder
	against := map[string]string{
		"cluster":  "the release deployed in the cluster",
		"recorded": "the objects recorded at the last `pulumi up` (the cluster was not reachable)",
		"nothing":  "nothing (a first install)",
	}[r.Against]
	if len(r.Objects) == 0 {
		fmt.Fprintf(&b, "release %s/%s: no Kubernetes object changes (compared with %s)", r.Namespace, r.Release, against)
		return b.String()
	}
	fmt.Fprintf(&b, "release %s/%s: %d Kubernetes object(s) change, compared with %s:\n", r.Namespace, r.Release, len(r.Objects), against)
	var rolls []string
	for _, c := range r.Objects {
		sign := map[string]string{"create": "+", "update": "~", "delete": "-"}[c.Op]
		fmt.Fprintf(&b, "%s %s (%s)", sign, c.ID(), c.Op)
		if len(c.SecretKeys) > 0 {
			fmt.Fprintf(&b, " secret keys changed: %s", strings.Join(c.SecretKeys, ", "))
		}
		if len(c.Rolls) > 0 {
			fmt.Fprintf(&b, " ROLLS: %s", strings.Join(c.Rolls, "; "))
			rolls = append(rolls, fmt.Sprintf("%s/%s (%s)", c.Kind, c.Name, strings.Join(c.Rolls, "; ")))
		}
		b.WriteString("\n")
		d := c.Diff
		if len(d) > maxLines {
			d = append(d[:maxLines:maxLines], fmt.Sprintf("… %d more lines", len(c.Diff)-maxLines))
		}
		for _, l := range d {
			b.WriteString("    " + l + "\n")
		}
	}
	if len(rolls) == 0 {
		b.WriteString("no Deployment or StatefulSet rolls")
	} else {
		b.WriteString("rolls: " + strings.Join(rolls, ", "))
	}
	if len(r.Unknown) > 0 {
		fmt.Fprintf(&b, "\nknown after the build: %s (shown as %s)", strings.Join(r.Unknown, ", "), UnknownText)
	}
	return b.String()
}
