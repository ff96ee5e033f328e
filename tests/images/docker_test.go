package images

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// docker runs the docker CLI, which is what users run. Secrets are passed through env (as
// `-e NAME` without a value) so they never appear in a command line or an error message.
type docker struct {
	bin string
}

// run returns stdout; the error carries stderr (trimmed) and the arguments.
func (d docker) run(ctx context.Context, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Env = append(append(os.Environ(), "DOCKER_BUILDKIT=1"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("docker %s: %w\n%s", strings.Join(args, " "), err, tail(stderr.String(), 60))
	}
	return stdout.String(), nil
}

// must runs docker and fails the test on error, returning trimmed stdout.
func (d docker) must(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := d.run(ctx, nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// inspect decodes `docker <kind> inspect` of one object.
func (d docker) inspect(t *testing.T, kind, name string, into any) {
	t.Helper()
	out := d.must(t, kind, "inspect", name)
	var list []json.RawMessage
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("docker %s inspect %s: unexpected output %q (%v)", kind, name, tail(out, 5), err)
	}
	if err := json.Unmarshal(list[0], into); err != nil {
		t.Fatalf("docker %s inspect %s: %v", kind, name, err)
	}
}

// imageInfo is the part of `docker image inspect` the tests read.
type imageInfo struct {
	ID     string
	Size   int64
	Config struct {
		User         string
		Env          []string
		ExposedPorts map[string]struct{}
	}
	RootFS struct{ Layers []string }
}

// shell runs a sh script in a throwaway container of image, as root so it can read every
// file, and returns its stdout.
func (d docker) shell(t *testing.T, image, script string) string {
	t.Helper()
	return d.must(t, "run", "--rm", "--user", "0:0", "--network", "none", "--entrypoint", "sh", image, "-c", script)
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = append([]string{"..."}, parts[len(parts)-lines:]...)
	}
	return strings.Join(parts, "\n")
}

// cmd is a docker command with the engine's environment, for callers that want the raw output.
func (d docker) cmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
	return cmd
}
