package dockerenv

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fixture(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/minikube-docker-env.txt")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRealMinikubeOutput(t *testing.T) {
	vars, err := ParseEnv(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"DOCKER_TLS_VERIFY":       "1",
		"DOCKER_HOST":             "tcp://192.168.49.2:2376",
		"DOCKER_CERT_PATH":        "/home/u/.minikube/certs",
		"MINIKUBE_ACTIVE_DOCKERD": "minikube",
	}
	if len(vars) != len(want) {
		t.Fatalf("got %v, want %v", vars, want)
	}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("%s = %q, want %q", k, vars[k], v)
		}
	}
}

func TestParseRejectsGarbage(t *testing.T) {
	for _, in := range []string{"DOCKER_HOST=tcp://x\n", "export =x\n", "export A=\"unterminated\n", "set -x DOCKER_HOST tcp://x\n"} {
		if _, err := ParseEnv([]byte(in)); err == nil {
			t.Errorf("ParseEnv(%q): want an error", in)
		}
	}
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPrecedence(t *testing.T) {
	minikubeCalls := 0
	minikube := func(profile string) ([]byte, error) {
		minikubeCalls++
		if profile != "dev" {
			t.Errorf("minikube profile %q, want dev", profile)
		}
		return fixture(t), nil
	}
	environ := env(map[string]string{"DOCKER_HOST": "tcp://10.0.0.5:2376", "DOCKER_CERT_PATH": "/certs", "DOCKER_TLS_VERIFY": "1"})

	d, err := Discover(Sources{DockerHost: "unix:///run/docker.sock", MinikubeProfile: "dev", Getenv: environ, MinikubeEnv: minikube})
	if err != nil || d.Host != "unix:///run/docker.sock" || !strings.Contains(d.Source, "config") {
		t.Fatalf("explicit config first: %+v, %v", d, err)
	}
	d, err = Discover(Sources{MinikubeProfile: "dev", Getenv: environ, MinikubeEnv: minikube})
	if err != nil || d.Host != "tcp://10.0.0.5:2376" || d.CertPath != "/certs" || !d.TLSVerify || !strings.Contains(d.Source, "DOCKER_HOST") {
		t.Fatalf("environment second: %+v, %v", d, err)
	}
	if minikubeCalls != 0 {
		t.Fatalf("minikube ran %d times although config or environment named a daemon", minikubeCalls)
	}
	d, err = Discover(Sources{MinikubeProfile: "dev", Getenv: env(nil), MinikubeEnv: minikube})
	if err != nil {
		t.Fatal(err)
	}
	if d.Host != "tcp://192.168.49.2:2376" || d.CertPath != "/home/u/.minikube/certs" || !d.TLSVerify || !strings.Contains(d.Source, "minikube -p dev docker-env") {
		t.Fatalf("minikube last: %+v", d)
	}
}

func TestNothingWorksSaysWhatToRun(t *testing.T) {
	_, err := Discover(Sources{MinikubeProfile: "dev", Getenv: env(nil),
		MinikubeEnv: func(string) ([]byte, error) { return nil, errors.New(`profile "dev" not found`) }})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, s := range []string{"minikube start -p dev", "eval $(minikube -p dev docker-env)", "pulumi config set todo-chatbot:dockerHost", `profile "dev" not found`} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q:\n%v", s, err)
		}
	}
	_, err = Discover(Sources{Getenv: env(nil), MinikubeEnv: func(string) ([]byte, error) { return []byte("# nothing\n"), nil }})
	if err == nil || !strings.Contains(err.Error(), "no DOCKER_HOST") {
		t.Fatalf("output without DOCKER_HOST: %v", err)
	}
}

// The real command runner, against a stand-in `minikube` on PATH that prints the recorded
// output, and against a PATH without minikube.
func TestMinikubeDockerEnvRunsMinikube(t *testing.T) {
	bin := t.TempDir()
	script := "#!/bin/sh\n[ \"$1 $2 $3 $4 $5\" = \"-p dev docker-env --shell bash\" ] || { echo \"bad args: $*\" >&2; exit 2; }\ncat " + filepath.Join(mustAbs(t, "testdata"), "minikube-docker-env.txt") + "\n"
	if err := os.WriteFile(filepath.Join(bin, "minikube"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+"/usr/bin:/bin")
	d, err := Discover(Sources{MinikubeProfile: "dev", Getenv: env(nil)})
	if err != nil || d.Host != "tcp://192.168.49.2:2376" {
		t.Fatalf("Discover via the minikube command: %+v, %v", d, err)
	}
	if _, err := MinikubeDockerEnv("other"); err == nil || !strings.Contains(err.Error(), "bad args") {
		t.Fatalf("a failing minikube's stderr must be reported: %v", err)
	}

	t.Setenv("PATH", t.TempDir())
	_, err = Discover(Sources{Getenv: env(nil)})
	if err == nil || !strings.Contains(err.Error(), "minikube is not installed") {
		t.Fatalf("without minikube: %v", err)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
