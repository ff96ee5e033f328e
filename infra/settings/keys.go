// Package settings is the one place where the stack's configuration is defined, defaulted
// and validated, and where it is mapped to the chart's values. It is plain Go with no Pulumi
// import: the Pulumi program, the CLI-backed tests and the real-cluster test all call it, so
// what they install is exactly what `pulumi up` would.
package settings

// Namespace is the Pulumi project name, and so the namespace of every config key
// (`pulumi config set todo-chatbot:<key> ...`).
const Namespace = "todo-chatbot"

// Kind is the type of a config value.
type Kind string

const (
	String  Kind = "string"
	Integer Kind = "integer"
)

// Key documents one config key. Pulumi.yaml documents the same keys; a test keeps the two
// in step.
type Key struct {
	Name        string
	Kind        Kind
	Default     string // "" means unset (an optional value)
	Secret      bool   // must be set with `pulumi config set --secret`
	Description string
	Example     string // a value for the `pulumi config set` hint in error messages
}

// Keys is every config key the program reads, in the order Pulumi.yaml lists them.
var Keys = []Key{
	{Name: "kubeContext", Kind: String, Default: "minikube", Example: "minikube",
		Description: "kubeconfig context of the target cluster"},
	{Name: "kubeconfig", Kind: String, Example: "~/.kube/config",
		Description: "path of the kubeconfig file; default $KUBECONFIG or ~/.kube/config"},
	{Name: "namespace", Kind: String, Default: "todo-chatbot", Example: "todo-chatbot",
		Description: "Kubernetes namespace of the release (created if missing)"},
	{Name: "minikubeProfile", Kind: String, Default: "minikube", Example: "minikube",
		Description: "Minikube profile whose Docker daemon builds the images"},
	{Name: "dockerHost", Kind: String, Example: "tcp://192.168.49.2:2376",
		Description: "Docker daemon for the image builds; default DOCKER_HOST, then `minikube docker-env`"},
	{Name: "imageTag", Kind: String, Default: "v1", Example: "v1",
		Description: "tag of the built images"},
	{Name: "registry", Kind: String, Example: "registry.example.com/todo",
		Description: "registry to push the images to; empty builds into Minikube's daemon without pushing"},
	{Name: "registryUsername", Kind: String, Example: "deploy-bot",
		Description: "registry user name"},
	{Name: "registryPassword", Kind: String, Secret: true, Example: "<password>",
		Description: "registry password or token"},
	{Name: "backendReplicas", Kind: Integer, Default: "1", Example: "1",
		Description: "number of backend pods"},
	{Name: "frontendReplicas", Kind: Integer, Default: "1", Example: "1",
		Description: "number of frontend pods"},
	{Name: "frontendNodePort", Kind: Integer, Default: "0", Example: "30080",
		Description: "node port of the frontend Service (30000-32767); 0 lets Kubernetes choose"},
	{Name: "databaseUrl", Kind: String, Secret: true, Example: "postgresql://user:pass@host:5432/todo",
		Description: "PostgreSQL URL of the backend; unset on Minikube runs an in-cluster PostgreSQL"},
	{Name: "geminiApiKey", Kind: String, Secret: true, Example: "<api-key>",
		Description: "Gemini API key; unset runs the offline assistant"},
	{Name: "geminiModel", Kind: String, Example: "gemini-2.5-flash",
		Description: "Gemini model name; empty uses the backend's default"},
	{Name: "promoteFrom", Kind: String, Example: "organization/todo-chatbot/staging",
		Description: "stack whose exported images this stack deploys, without building"},
	{Name: "releaseTimeout", Kind: Integer, Default: "600", Example: "600",
		Description: "seconds Helm waits for the release to become ready before rolling back"},
}

// KeyByName returns the documented key with that name.
func KeyByName(name string) (Key, bool) {
	for _, k := range Keys {
		if k.Name == name {
			return k, true
		}
	}
	return Key{}, false
}
