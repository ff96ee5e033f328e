package infra

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// Settings are a stack's settings, one field per key of Pulumi.yaml's `config:` block (the
// `config` tag). The two declare different facts of one key: Pulumi.yaml its type, default
// and description, which the CLI reads; this struct the name the code uses (a typo is a
// compile error), the Go type (a Secret field is a secret), and the example an error hint
// shows. checkDeclared holds the two against each other when the program starts.
type Settings struct {
	KubeContext        string `config:"kubeContext" example:"minikube"`
	Kubeconfig         string `config:"kubeconfig" example:"~/.kube/config"`
	Namespace          string `config:"namespace" example:"todo-chatbot"`
	MinikubeProfile    string `config:"minikubeProfile" example:"minikube"`
	DockerHost         string `config:"dockerHost" example:"tcp://192.168.49.2:2376"`
	ImageTag           string `config:"imageTag" example:"v1"`
	Registry           string `config:"registry" example:"registry.example.com/team"`
	RegistryUsername   string `config:"registryUsername" example:"deploy-bot"`
	RegistryPassword   Secret `config:"registryPassword" example:"<password>"`
	BackendReplicas    int    `config:"backendReplicas" example:"1"`
	FrontendReplicas   int    `config:"frontendReplicas" example:"1"`
	FrontendNodePort   int    `config:"frontendNodePort" example:"30080"`
	DatabaseURL        Secret `config:"databaseUrl" example:"postgresql://user:password@host:5432/db"`
	GeminiAPIKey       Secret `config:"geminiApiKey" example:"<api-key>"`
	GeminiModel        string `config:"geminiModel" example:"gemini-2.5-flash"`
	IngressHost        string `config:"ingressHost" example:"todo.example.com"`
	IngressClassName   string `config:"ingressClassName" example:"nginx"`
	IngressCertificate string `config:"ingressCertificate" example:"todo-example-com-tls"`
	PromoteFrom        string `config:"promoteFrom" example:"organization/todo-chatbot/staging"`
	ReleaseTimeout     int    `config:"releaseTimeout" example:"600"`
}

// Secret is a secret setting. It prints as [secret] (%v, %s, %+v, %#v), so a Settings can
// be logged or shown in a test failure without leaking one; Reveal is for the checks that
// need the value and never echo it, Output for the resources.
type Secret struct{ value string }

func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return "[secret]"
}
func (s Secret) GoString() string { return strconv.Quote(s.String()) }
func (s Secret) Reveal() string   { return s.value }
func (s Secret) IsSet() bool      { return s.value != "" }

// Output keeps the secret secret from the config to the resources' inputs and the state,
// and shows it as [secret] in every diff.
func (s Secret) Output() pulumi.StringOutput {
	return pulumi.ToSecret(pulumi.String(s.value)).(pulumi.StringOutput)
}

var secretType = reflect.TypeOf(Secret{})

// Declaration is one key of Pulumi.yaml's `config:` block.
type Declaration struct {
	Name        string
	Type        string `yaml:"type"` // string or integer
	Default     any    `yaml:"default"`
	Description string `yaml:"description"`
	Secret      bool   `yaml:"secret"` // must stay false: see Pulumi.yaml
}

// DefaultString is the default as the program and the CLI see it ("" or 0 means unset).
func (d Declaration) DefaultString() string { return fmt.Sprint(d.Default) }

// ProjectFile is what the program reads of Pulumi.yaml: its name and its settings in the
// order the file declares them.
type ProjectFile struct {
	Name     string
	Settings []Declaration
}

// ReadProjectFile parses root/Pulumi.yaml: the one parser of it, for the program and the
// tests alike.
func ReadProjectFile(root string) (ProjectFile, error) {
	b, err := os.ReadFile(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		return ProjectFile{}, err
	}
	var doc struct {
		Name   string    `yaml:"name"`
		Config yaml.Node `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return ProjectFile{}, fmt.Errorf("reading Pulumi.yaml: %w", err)
	}
	p := ProjectFile{Name: doc.Name}
	// A mapping node keeps the file's order, which is the order errors are reported in.
	for i := 0; i+1 < len(doc.Config.Content); i += 2 {
		d := Declaration{Name: doc.Config.Content[i].Value}
		if err := doc.Config.Content[i+1].Decode(&d); err != nil {
			return ProjectFile{}, fmt.Errorf("reading Pulumi.yaml: config %s: %w", d.Name, err)
		}
		p.Settings = append(p.Settings, d)
	}
	return p, nil
}

// Declaration returns the named setting's declaration.
func (p ProjectFile) Declaration(name string) (Declaration, bool) {
	for _, d := range p.Settings {
		if d.Name == name {
			return d, true
		}
	}
	return Declaration{}, false
}

// settingField is one field of Settings and the key it reads.
type settingField struct {
	key     string
	example string
	index   int
	secret  bool
	integer bool
}

// settingFields lists Settings' fields in declaration order.
func settingFields() []settingField {
	t := reflect.TypeOf(Settings{})
	out := make([]settingField, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		out = append(out, settingField{
			key: f.Tag.Get("config"), example: f.Tag.Get("example"), index: i,
			secret: f.Type == secretType, integer: f.Type.Kind() == reflect.Int,
		})
	}
	return out
}

// SecretKeys are the settings that are secrets (Secret fields), by key.
func SecretKeys() []string {
	var keys []string
	for _, f := range settingFields() {
		if f.secret {
			keys = append(keys, f.key)
		}
	}
	return keys
}

// checkDeclared reports every way Settings and Pulumi.yaml disagree: a key on one side
// only, a type that does not match, a `secret: true` the CLI would misuse, or a secret
// whose description does not say so. A program whose code and Pulumi.yaml drifted apart
// stops here, at start, with one error naming each key.
func checkDeclared(p ProjectFile) error {
	var problems []string
	fields := map[string]settingField{}
	for _, f := range settingFields() {
		fields[f.key] = f
		if _, ok := p.Declaration(f.key); !ok {
			problems = append(problems, fmt.Sprintf("%s is a field of infra.Settings but Pulumi.yaml does not declare it", f.key))
		}
	}
	for _, d := range p.Settings {
		f, ok := fields[d.Name]
		wantType := map[bool]string{true: "integer", false: "string"}[f.integer]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s is declared in Pulumi.yaml but infra.Settings has no field for it", d.Name))
		case d.Type != wantType:
			problems = append(problems, fmt.Sprintf("%s is %q in Pulumi.yaml but %s in infra.Settings", d.Name, d.Type, wantType))
		case d.Default == nil || d.Secret:
			problems = append(problems, fmt.Sprintf("%s needs a default and no `secret: true` in Pulumi.yaml (the CLI treats a key without a default as required, and demands ciphertext for a secret one)", d.Name))
		case f.secret != strings.HasPrefix(d.Description, "Secret:"):
			problems = append(problems, fmt.Sprintf("%s: a Secret field's description starts with \"Secret:\" in Pulumi.yaml, and only then", d.Name))
		}
	}
	if p.Name != layout.Project {
		problems = append(problems, fmt.Sprintf("Pulumi.yaml names project %q; the settings are read as %s:<key>", p.Name, layout.Project))
	}
	if len(problems) > 0 {
		return fmt.Errorf("the settings in Pulumi.yaml and infra.Settings disagree:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// setCommand is the `pulumi config set` command that sets a key, with --secret for a
// secret and the field's example as the value.
func setCommand(key string) string {
	for _, f := range settingFields() {
		if f.key == key {
			flag := ""
			if f.secret {
				flag = "--secret "
			}
			return fmt.Sprintf("pulumi config set %s%s %s", flag, layout.ConfigKey(key), quoteExample(f.example))
		}
	}
	panic("infra: setCommand of an unknown key " + key)
}

func quoteExample(v string) string {
	if v == "" || strings.ContainsAny(v, " <>&|;$`'\"") {
		return strconv.Quote(v)
	}
	return v
}

// keyOf names the setting a pointer into s points at, so validation names keys through
// the struct's fields and never by a string a typo could break.
func (s *Settings) keyOf(field any) string {
	target := reflect.ValueOf(field).Pointer()
	v := reflect.ValueOf(s).Elem()
	for _, f := range settingFields() {
		if v.Field(f.index).Addr().Pointer() == target {
			return f.key
		}
	}
	panic("infra: keyOf takes a pointer to a field of the Settings it is called on")
}

// configSource is where readSettings gets a key's value and secrecy: the Pulumi context
// when the program runs.
type configSource interface {
	GetConfig(key string) (string, bool)
	IsConfigSecret(key string) bool
}

// readSettings fills Settings from the stack's config, Pulumi.yaml's defaults where a key
// is unset, and returns every problem it met in the order the struct declares the keys:
// a number that does not parse, a secret stored in plaintext.
func readSettings(src configSource, p ProjectFile) (Settings, []error) {
	var s Settings
	var errs []error
	v := reflect.ValueOf(&s).Elem()
	for _, f := range settingFields() {
		d, _ := p.Declaration(f.key)
		full := layout.ConfigKey(f.key)
		raw, set := src.GetConfig(full)
		raw = strings.TrimSpace(raw)
		if !set || raw == "" {
			raw = d.DefaultString()
		} else if f.secret && !src.IsConfigSecret(full) {
			errs = append(errs, fmt.Errorf("config %s is stored in plaintext but is a secret: run `%s` to encrypt it", full, setCommand(f.key)))
		}
		field := v.Field(f.index)
		switch {
		case f.secret:
			field.Set(reflect.ValueOf(Secret{raw}))
		case f.integer:
			n, err := strconv.Atoi(raw)
			if err != nil {
				errs = append(errs, fmt.Errorf("config %s must be a whole number, not %s: fix it with `%s`", full, strconv.Quote(raw), setCommand(f.key)))
			}
			field.SetInt(int64(n))
		default:
			field.SetString(raw)
		}
	}
	return s, errs
}
