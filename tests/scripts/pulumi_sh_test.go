// Package scripts tests the shell scripts themselves: deploy/pulumi.sh (what `make up`
// runs) against stand-in tools, and shellcheck over the scripts.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// deploy/pulumi.sh cannot run end to end here (no Minikube), so these tests run it against
// stand-in go/pulumi/minikube/docker commands that record how they were called, with a
// PATH holding only those and the few system tools the script uses.

type shellRun struct {
	out   string
	err   error
	calls []string // one line per stand-in call: "tool args..."
	home  string
}

func runPulumiSh(t *testing.T, fakes []string, env map[string]string, args ...string) shellRun {
	t.Helper()
	bin := t.TempDir()
	for _, tool := range []string{"bash", "env", "dirname", "grep", "mkdir", "chmod", "od", "tr", "cat", "sh"} {
		real, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("system tool %s: %v", tool, err)
		}
		if err := os.Symlink(real, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	calls := filepath.Join(t.TempDir(), "calls")
	for _, tool := range fakes {
		script := "#!/bin/sh\necho \"" + tool + " $*\" >>" + calls + "\n"
		switch tool {
		case "minikube":
			// Not running until started; `ip` answers.
			script += "case \"$3\" in status) exit 7;; ip) echo 192.168.49.2;; esac\ncase \"$1\" in ip) echo 192.168.49.2;; esac\nexit 0\n"
		case "pulumi":
			script += "echo \"env PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE_FILE=$PULUMI_CONFIG_PASSPHRASE_FILE\" >>" + calls + "\n" +
				"case \"$1 $2\" in 'stack select') exit 1;; 'stack output') case \"$3\" in frontendNodePort) echo 30080;; openCommand) echo 'minikube -p minikube service todo-chatbot-frontend -n todo-chatbot';; esac;; esac\nexit 0\n"
		}
		if err := os.WriteFile(filepath.Join(bin, tool), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	home := t.TempDir()
	cmd := exec.Command(filepath.Join(repoRoot, "deploy", "pulumi.sh"), args...)
	cmd.Env = []string{"PATH=" + bin, "HOME=" + home, "PULUMI_TODO_HOME=" + filepath.Join(home, "pt"), "TODO_CACHE=" + filepath.Join(home, "cache")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	r := shellRun{out: string(out), err: err, home: filepath.Join(home, "pt")}
	if b, readErr := os.ReadFile(calls); readErr == nil {
		r.calls = strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	return r
}

func TestPulumiShNamesMissingTools(t *testing.T) {
	r := runPulumiSh(t, []string{"go", "pulumi", "docker"}, nil, "preview")
	if r.err == nil {
		t.Fatalf("want a failure without minikube:\n%s", r.out)
	}
	for _, w := range []string{"missing: minikube", "https://minikube.sigs.k8s.io/docs/start/", "make preview"} {
		if !strings.Contains(r.out, w) {
			t.Errorf("output lacks %q:\n%s", w, r.out)
		}
	}
	if strings.Contains(r.out, "missing: docker") || strings.Contains(r.out, "missing: pulumi") {
		t.Errorf("only minikube is missing:\n%s", r.out)
	}
	if len(r.calls) != 0 {
		t.Errorf("nothing may run before the tool check passes, ran %v", r.calls)
	}

	r = runPulumiSh(t, nil, nil, "up")
	for _, w := range []string{"missing: go", "missing: pulumi", "get.pulumi.com", "missing: minikube", "missing: docker"} {
		if !strings.Contains(r.out, w) {
			t.Errorf("with no tools, output lacks %q:\n%s", w, r.out)
		}
	}
}

func TestPulumiShUpOnMinikube(t *testing.T) {
	r := runPulumiSh(t, []string{"go", "pulumi", "minikube", "docker"}, nil, "up")
	if r.err != nil {
		t.Fatalf("deploy/pulumi.sh up: %v\n%s", r.err, r.out)
	}
	calls := strings.Join(r.calls, "\n")
	for _, w := range []string{
		"minikube -p minikube status",
		"minikube -p minikube start",
		"pulumi stack init dev --secrets-provider passphrase",
		"pulumi up --stack dev --yes",
		"env PULUMI_BACKEND_URL=file://" + r.home + "/state PULUMI_CONFIG_PASSPHRASE_FILE=" + r.home + "/passphrase",
	} {
		if !strings.Contains(calls, w) {
			t.Errorf("no call %q in:\n%s", w, calls)
		}
	}
	if strings.Contains(calls, "pulumi login") {
		t.Error("the script must not change the user's pulumi login")
	}
	for _, w := range []string{"open http://192.168.49.2:30080", "minikube -p minikube service todo-chatbot-frontend"} {
		if !strings.Contains(r.out, w) {
			t.Errorf("output lacks %q:\n%s", w, r.out)
		}
	}

	info, err := os.Stat(filepath.Join(r.home, "passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("passphrase file mode %v, want 0600", info.Mode().Perm())
	}
	pass, _ := os.ReadFile(filepath.Join(r.home, "passphrase"))
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).Match(pass) {
		t.Errorf("passphrase is not 32 random bytes in hex (%d chars)", len(pass))
	}
	if strings.Contains(r.out, string(pass)) {
		t.Error("the passphrase was printed")
	}
}

// A registry stack needs neither Minikube nor Docker on this machine.
func TestPulumiShRegistryStackSkipsMinikube(t *testing.T) {
	r := runPulumiSh(t, []string{"go", "pulumi"}, map[string]string{"STACK": "prod"}, "preview", "--diff")
	if r.err != nil {
		t.Fatalf("deploy/pulumi.sh preview for prod: %v\n%s", r.err, r.out)
	}
	calls := strings.Join(r.calls, "\n")
	if !strings.Contains(calls, "pulumi preview --stack prod --diff") {
		t.Errorf("preview call missing or without the extra argument:\n%s", calls)
	}
	if strings.Contains(calls, "minikube") {
		t.Errorf("prod promotes: no minikube call expected:\n%s", calls)
	}
}

func TestPulumiShRejectsUnknownCommand(t *testing.T) {
	r := runPulumiSh(t, nil, nil, "refresh")
	if r.err == nil || !strings.Contains(r.out, "usage:") {
		t.Fatalf("want usage, got %v:\n%s", r.err, r.out)
	}
}

func TestPulumiShDestroyStartsMinikubeToo(t *testing.T) {
	r := runPulumiSh(t, []string{"go", "pulumi", "minikube", "docker"}, nil, "destroy")
	if r.err != nil {
		t.Fatalf("deploy/pulumi.sh destroy: %v\n%s", r.err, r.out)
	}
	calls := strings.Join(r.calls, "\n")
	for _, w := range []string{"minikube -p minikube start", "pulumi destroy --stack dev --yes"} {
		if !strings.Contains(calls, w) {
			t.Errorf("no call %q in:\n%s", w, calls)
		}
	}
	if strings.Contains(r.out, "open http") {
		t.Error("destroy prints no open hint")
	}
}
