package images

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// build is one `docker build` and what its BuildKit output says about each step.
type build struct {
	output   string
	duration time.Duration
	steps    map[string]string // BuildKit vertex number -> instruction, e.g. "[builder 3/5] RUN pip install ..."
	cached   map[string]bool   // vertex numbers BuildKit reported as CACHED
}

var (
	stepLine   = regexp.MustCompile(`^#(\d+) (\[[^\]]+\] .*)$`)
	cachedLine = regexp.MustCompile(`^#(\d+) CACHED$`)
)

func parseBuild(output string) build {
	b := build{output: output, steps: map[string]string{}, cached: map[string]bool{}}
	for _, line := range strings.Split(output, "\n") {
		line = strings.TrimSpace(line)
		if m := stepLine.FindStringSubmatch(line); m != nil {
			b.steps[m[1]] = m[2]
		} else if m := cachedLine.FindStringSubmatch(line); m != nil {
			b.cached[m[1]] = true
		}
	}
	return b
}

// dependencySteps are the RUN steps that install dependencies from a lockfile or requirements.
var dependencyStep = regexp.MustCompile(`RUN .*\b(pip3? install|python3 -m pip install|npm (ci|install)|yarn install|pnpm install)\b`)

func (b build) dependencySteps() []string {
	var ids []string
	for id, step := range b.steps {
		if dependencyStep.MatchString(step) {
			ids = append(ids, id)
		}
	}
	return ids
}

// dockerBuild builds dockerfile in contextDir with the stand-in base as BASE_IMAGE and nothing
// else changed, with plain progress so the output names every step and whether it was cached.
// The full output is kept in the log dir.
func dockerBuild(t *testing.T, d docker, c config, logName, tag, contextDir, dockerfile, base string, extra ...string) (build, error) {
	t.Helper()
	args := append([]string{"build", "--progress=plain", "--tag", tag, "--file", dockerfile,
		"--build-arg", "BASE_IMAGE=" + base}, extra...)
	args = append(args, contextDir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	start := time.Now()
	t.Logf("docker %s", strings.Join(args, " "))
	// The output goes to the log file as it comes, so a long build can be watched.
	logFile := filepath.Join(c.logDir, logName+".log")
	f, err := os.Create(logFile)
	if err != nil {
		return build{}, err
	}
	defer f.Close()
	var buf bytes.Buffer
	cmd := d.cmd(ctx, args...)
	cmd.Stdout = io.MultiWriter(f, &buf)
	cmd.Stderr = cmd.Stdout
	err = cmd.Run()
	out := buf.Bytes()
	b := parseBuild(string(out))
	b.duration = time.Since(start)
	if err != nil {
		return b, fmt.Errorf("docker build of %s failed after %s (%v); full output in %s:\n%s",
			tag, b.duration.Round(time.Second), err, logFile, tail(string(out), 40))
	}
	t.Logf("built %s in %s (output in %s)", tag, b.duration.Round(time.Second), logFile)
	return b, nil
}

// The real images are built once per test binary and shared by the tests that need them.
var (
	buildOnce = map[string]*sync.Once{"backend": {}, "frontend": {}}
	builds    = map[string]build{}
	buildErrs = map[string]error{}
)

// builtImage returns the build of comp's real image (todo-<name>:v1), building it on first use.
func builtImage(t *testing.T, comp component) build {
	t.Helper()
	c := loadConfig(t)
	d := docker{bin: c.dockerBin}
	buildOnce[comp.name].Do(func() {
		for _, f := range []string{comp.dockerfile, filepath.Join(comp.context, ".dockerignore")} {
			if _, err := os.Stat(f); err != nil {
				buildErrs[comp.name] = fmt.Errorf("%s image: %v (the Pulumi program builds %s with it)", comp.name, err, comp.tag)
				return
			}
		}
		builds[comp.name], buildErrs[comp.name] = dockerBuild(t, d, c, "build-"+comp.name, comp.tag, comp.context, comp.dockerfile, comp.base)
	})
	if err := buildErrs[comp.name]; err != nil {
		t.Fatal(err)
	}
	return builds[comp.name]
}

func TestBuildBackend(t *testing.T)  { testBuild(t, 0) }
func TestBuildFrontend(t *testing.T) { testBuild(t, 1) }

func testBuild(t *testing.T, which int) {
	c := loadConfig(t)
	d := docker{bin: c.dockerBin}
	backend, frontend := components(c)
	comp := []component{backend, frontend}[which]
	builtImage(t, comp)
	var img, base imageInfo
	d.inspect(t, "image", comp.tag, &img)
	d.inspect(t, "image", comp.base, &base)
	if len(img.RootFS.Layers) <= len(base.RootFS.Layers) || img.RootFS.Layers[0] != base.RootFS.Layers[0] {
		t.Errorf("%s is not built on the stand-in base %s (layers %v, base layers %v)", comp.tag, comp.base, img.RootFS.Layers, base.RootFS.Layers)
	}
	if _, ok := img.Config.ExposedPorts[fmt.Sprintf("%d/tcp", comp.port)]; !ok {
		t.Errorf("%s exposes %v, want %d/tcp (the Dockerfile contract)", comp.tag, img.Config.ExposedPorts, comp.port)
	}
	t.Logf("%s: %d MB total, %d MB above the stand-in base", comp.tag, img.Size>>20, (img.Size-base.Size)>>20)
}
