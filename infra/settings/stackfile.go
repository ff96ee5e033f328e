package settings

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// StackFile is what a Pulumi.<stack>.yaml holds for this project's namespace.
type StackFile struct {
	Values     map[string]string // non-secret values by bare key
	SecretKeys []string          // bare keys stored as `secure:` ciphertext
}

// LoadStackFile reads the non-secret config of a Pulumi.<stack>.yaml: bare keys (no
// "todo-chatbot:" prefix) to values. Keys of other namespaces are left out.
func LoadStackFile(path string) (map[string]string, error) {
	f, err := ReadStackFile(path)
	return f.Values, err
}

// ReadStackFile reads a Pulumi.<stack>.yaml's config for this project's namespace.
func ReadStackFile(path string) (StackFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return StackFile{}, err
	}
	var doc struct {
		Config map[string]yaml.Node `yaml:"config"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return StackFile{}, fmt.Errorf("%s: %w", path, err)
	}
	out := StackFile{Values: map[string]string{}}
	for full, node := range doc.Config {
		name, ok := strings.CutPrefix(full, Namespace+":")
		if !ok {
			continue
		}
		switch node.Kind {
		case yaml.ScalarNode:
			out.Values[name] = node.Value
		case yaml.MappingNode:
			var secure struct {
				Secure string `yaml:"secure"`
			}
			if err := node.Decode(&secure); err != nil || secure.Secure == "" {
				return StackFile{}, fmt.Errorf("%s: config %s is a structured value; this project's settings are plain values", path, full)
			}
			out.SecretKeys = append(out.SecretKeys, name)
		default:
			return StackFile{}, fmt.Errorf("%s: config %s is a structured value; this project's settings are plain values", path, full)
		}
	}
	return out, nil
}
