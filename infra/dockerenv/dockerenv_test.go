package dockerenv

import (
	"errors"
	"net"
	"net/http"
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
	if err != nil || d.Host != "unix:///run/docker.sock" {
		t.Fatalf("explicit config first: %+v, %v", d, err)
	}
	d, err = Discover(Sources{MinikubeProfile: "dev", Getenv: environ, MinikubeEnv: minikube})
	if err != nil || d.Host != "tcp://10.0.0.5:2376" || d.CertPath != "/certs" || !d.TLSVerify {
		t.Fatalf("environment second: %+v, %v", d, err)
	}
	if minikubeCalls != 0 {
		t.Fatalf("minikube ran %d times although config or environment named a daemon", minikubeCalls)
	}
	d, err = Discover(Sources{MinikubeProfile: "dev", Getenv: env(nil), MinikubeEnv: minikube})
	if err != nil {
		t.Fatal(err)
	}
	if d.Host != "tcp://192.168.49.2:2376" || d.CertPath != "/home/u/.minikube/certs" || !d.TLSVerify {
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

// The platform is the daemon's own, as its /version reports it over the daemon's socket;
// DOCKER_DEFAULT_PLATFORM overrides it as in the docker CLI; a daemon that cannot be asked
// is an error naming the override.
func TestPlatform(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"Os":"linux","Arch":"arm64","Version":"28.2.2"}`))
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })

	d := Daemon{Host: "unix://" + sock}
	if p, err := Platform(d, env(nil)); err != nil || p != "linux/arm64" {
		t.Errorf("Platform = %q, %v; want linux/arm64", p, err)
	}
	if p, err := Platform(d, env(map[string]string{"DOCKER_DEFAULT_PLATFORM": "linux/amd64"})); err != nil || p != "linux/amd64" {
		t.Errorf("with DOCKER_DEFAULT_PLATFORM: %q, %v", p, err)
	}
	if _, err := Platform(Daemon{Host: "unix://" + sock + ".missing"}, env(nil)); err == nil {
		t.Error("a missing daemon: want an error")
	}
	if _, err := Platform(Daemon{Host: "ssh://u@h"}, env(nil)); err == nil || !strings.Contains(err.Error(), "DOCKER_DEFAULT_PLATFORM") {
		t.Errorf("ssh daemon: %v, want an error naming DOCKER_DEFAULT_PLATFORM", err)
	}
}
