package settings

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestReadStackFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "Pulumi.test.yaml")
	body := `secretsprovider: passphrase
encryptionsalt: v1:abc
config:
  todo-chatbot:kubeContext: minikube
  todo-chatbot:backendReplicas: 2
  todo-chatbot:databaseUrl:
    secure: v1:Zm9vYmFy
  kubernetes:context: other
`
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ReadStackFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"kubeContext": "minikube", "backendReplicas": "2"}; !reflect.DeepEqual(f.Values, want) {
		t.Fatalf("values %v, want %v", f.Values, want)
	}
	if !reflect.DeepEqual(f.SecretKeys, []string{"databaseUrl"}) {
		t.Fatalf("secret keys %v", f.SecretKeys)
	}
	values, err := LoadStackFile(p)
	if err != nil || !reflect.DeepEqual(values, f.Values) {
		t.Fatalf("LoadStackFile = %v, %v", values, err)
	}
}

func TestReadStackFileRejectsStructuredValues(t *testing.T) {
	p := filepath.Join(t.TempDir(), "Pulumi.test.yaml")
	if err := os.WriteFile(p, []byte("config:\n  todo-chatbot:namespace:\n    - a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadStackFile(p); err == nil {
		t.Fatal("a list value must be an error")
	}
}
