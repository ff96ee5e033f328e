package infra

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/todo-chatbot/todo-chatbot/infra/settings"
)

// Pulumi.yaml documents exactly the keys settings.Keys defines, with the same type,
// default and secrecy, so what users read is what the program does.
func TestPulumiYamlDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(packageDir, "..", "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var project struct {
		Name   string `yaml:"name"`
		Config map[string]struct {
			Type        string `yaml:"type"`
			Default     any    `yaml:"default"`
			Secret      bool   `yaml:"secret"`
			Description string `yaml:"description"`
		} `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &project); err != nil {
		t.Fatal(err)
	}
	if project.Name != settings.Namespace {
		t.Fatalf("project name %q, want %q (the config namespace)", project.Name, settings.Namespace)
	}
	for _, k := range settings.Keys {
		doc, ok := project.Config[k.Name]
		if !ok {
			t.Errorf("Pulumi.yaml does not document %s", k.Name)
			continue
		}
		if doc.Type != string(k.Kind) || doc.Description == "" {
			t.Errorf("%s: Pulumi.yaml says type %q, settings says %q (description %q)", k.Name, doc.Type, k.Kind, doc.Description)
		}
		// The CLI would demand an encrypted value even for an unset secret's "" default, so
		// secrecy is documented in the description and enforced by the program instead.
		if doc.Secret || k.Secret != strings.HasPrefix(doc.Description, "Secret:") {
			t.Errorf("%s: secret %v, but Pulumi.yaml has secret: %v and description %q", k.Name, k.Secret, doc.Secret, doc.Description)
		}
		// The CLI treats a declared key without a default as required.
		if doc.Default == nil {
			t.Errorf("%s: Pulumi.yaml gives no default, so the CLI would require it on every stack", k.Name)
			continue
		}
		def := fmt.Sprint(doc.Default)
		if def != k.Default {
			t.Errorf("%s: Pulumi.yaml default %q, settings default %q", k.Name, def, k.Default)
		}
	}
	for name := range project.Config {
		if _, ok := settings.KeyByName(name); !ok {
			t.Errorf("Pulumi.yaml documents %s, which the program does not read", name)
		}
	}
}

// The committed stack files are valid (given their secrets) and hold no secret at all.
func TestCommittedStackFiles(t *testing.T) {
	cases := map[string]struct {
		secrets   map[string]string // set with --secret before the first deploy
		minikube  bool
		promoting bool
	}{
		"dev":     {minikube: true},
		"staging": {secrets: map[string]string{"databaseUrl": secretDBURL, "registryPassword": "token"}},
		"prod":    {secrets: map[string]string{"databaseUrl": secretDBURL}, promoting: true},
	}
	for stackName, c := range cases {
		t.Run(stackName, func(t *testing.T) {
			f, err := settings.ReadStackFile(filepath.Join(packageDir, "..", "Pulumi."+stackName+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if len(f.SecretKeys) != 0 {
				t.Errorf("committed stack file holds secrets %v", f.SecretKeys)
			}
			for name := range f.Values {
				if k, _ := settings.KeyByName(name); k.Secret {
					t.Errorf("committed stack file holds secret key %s in plaintext", name)
				}
			}
			in := settings.Input{Values: map[string]string{}, KnowsSecrets: true}
			for k, v := range f.Values {
				in.Values[k] = v
			}
			for k, v := range c.secrets {
				in.Values[k] = v
				in.SecretKeys = append(in.SecretKeys, k)
			}
			s, err := settings.ParseInput(in)
			if err != nil {
				t.Fatalf("Pulumi.%s.yaml is not valid: %v", stackName, err)
			}
			if s.Minikube() != c.minikube || s.Promoting() != c.promoting {
				t.Errorf("Minikube=%v Promoting=%v, want %v %v", s.Minikube(), s.Promoting(), c.minikube, c.promoting)
			}
		})
	}
}
