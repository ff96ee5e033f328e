package infra

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// toInput turns the values tree from chartvalues.Build[pulumi.StringInput] into nested
// pulumi.Map/pulumi.Array, keeping each pulumi.Input leaf as it is. A secret leaf (the
// database URL, the API key) so stays a secret leaf: only it shows as [secret] in
// `pulumi preview`, instead of the whole values tree turning secret and hiding every diff.
func toInput(v any) (pulumi.Input, error) { return toInputAt("values", v) }

func toInputAt(at string, v any) (pulumi.Input, error) {
	switch v := v.(type) {
	case nil:
		// The zero value of S in chartvalues (an unset digest, say): the chart's "" default.
		return pulumi.String(""), nil
	case pulumi.Input:
		return v, nil
	case string:
		return pulumi.String(v), nil
	case int:
		return pulumi.Int(v), nil
	case bool:
		return pulumi.Bool(v), nil
	case map[string]any:
		m := pulumi.Map{}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			in, err := toInputAt(at+"."+k, v[k])
			if err != nil {
				return nil, err
			}
			m[k] = in
		}
		return m, nil
	case []any:
		a := pulumi.Array{}
		for i, e := range v {
			in, err := toInputAt(fmt.Sprintf("%s[%d]", at, i), e)
			if err != nil {
				return nil, err
			}
			a = append(a, in)
		}
		return a, nil
	}
	return nil, fmt.Errorf("%s: unsupported chart value of type %T", at, v)
}
