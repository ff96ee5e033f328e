//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The plugin versions the project pins (shared/plugins/README.md; go.mod has the SDKs).
var resourcePlugins = map[string]string{"kubernetes": "v4.33.0", "docker": "v4.11.2"}

// pulumi is the real Pulumi CLI with the real plugins, as a user runs it: a test-local
// PULUMI_HOME holding the two resource plugins, the Go language host next to a copy of the
// CLI binary, a local file state backend and a passphrase-encrypted stack.
type pulumi struct {
	t       *testing.T
	bin     string // the CLI inside binDir, next to pulumi-language-go
	binDir  string
	dir     string // the project: a throwaway copy of the repository
	state   string // the file backend's directory
	home    string // PULUMI_HOME
	tmp     string // TMPDIR of every command: what the CLI and its plugins leave there goes with the test
	env     []string
	logDir  string
	mu      sync.Mutex
	outputs []string // every command's output files, scanned for secrets at the end
	secrets []string // values that must never appear in any output, log or state file
	n       int
	groups  []int     // process groups of the commands run, killed at the end if still alive
	tap     io.Writer // when set, also gets each command's stdout as it comes (benchmarks)
}

// pluginsDir is where the plugins are: $TODO_PLUGINS_DIR, else ../shared/plugins next to
// the repository (as CI and every session lay it out).
func pluginsDir(repo string) string {
	if d := os.Getenv("TODO_PLUGINS_DIR"); d != "" {
		return d
	}
	return filepath.Join(repo, "..", "shared", "plugins")
}

// requirePlugins skips the whole test LOUDLY (the summary lists it with this reason) when
// the CLI or the plugins are absent: nothing on this machine can download them.
func requirePlugins(t *testing.T, repo string) (cli, plugins string) {
	t.Helper()
	plugins = pluginsDir(repo)
	for _, f := range []string{"pulumi-language-go.xz", "pulumi-resource-kubernetes.xz", "pulumi-resource-docker.xz"} {
		if _, err := os.Stat(filepath.Join(plugins, f)); err != nil {
			t.Skipf("SKIPPED LOUDLY: the Pulumi plugins are not in %s (%s missing): the CLI end-to-end test needs the real Go language host and the kubernetes and docker providers, which cannot be downloaded here", plugins, f)
		}
	}
	cli = os.Getenv("TODO_PULUMI_CLI")
	if cli == "" {
		t.Skip("SKIPPED LOUDLY: TODO_PULUMI_CLI is not set; tests/run/e2e.sh builds the Pulumi CLI from source and sets it")
	}
	return cli, plugins
}

// newPulumi installs the plugins into a fresh PULUMI_HOME and prepares the CLI for the
// project in dir. The decompressed plugins are checked against the sha256 sums the
// plugins README publishes and cached by those sums in $TODO_CACHE.
func newPulumi(t *testing.T, cli, plugins, dir string) *pulumi {
	t.Helper()
	sums := publishedSums(t, filepath.Join(plugins, "README.md"))
	cache := filepath.Join(cacheDir(t), "pulumi-plugins")
	unpack := func(name string) string {
		want := sums[name]
		if want == "" {
			t.Fatalf("the plugins README lists no sha256 for %s", name)
		}
		out := filepath.Join(cache, want[:16], name)
		if _, err := os.Stat(out); err == nil {
			return out
		}
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		tmp := out + ".tmp"
		cmd := exec.Command("sh", "-c", `xz -dc "$1" > "$2" && chmod 755 "$2"`, "xz", filepath.Join(plugins, name+".xz"), tmp)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("decompressing %s: %v\n%s", name, err, b)
		}
		if got := fileSHA256(t, tmp); got != want {
			t.Fatalf("%s: sha256 %s, the plugins README says %s", name, got, want)
		}
		if err := os.Rename(tmp, out); err != nil {
			t.Fatal(err)
		}
		return out
	}

	root := t.TempDir()
	p := &pulumi{t: t, dir: dir, binDir: filepath.Join(root, "bin"), state: filepath.Join(root, "state"),
		home: filepath.Join(root, "home"), tmp: filepath.Join(root, "tmp"), logDir: filepath.Join(root, "logs")}
	began := time.Now()
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, g := range p.groups {
			_ = syscall.Kill(-g, syscall.SIGKILL)
		}
		p.checkNothingLeftInTmp(began)
	})
	for _, d := range []string{p.binDir, p.state, p.home, p.tmp, p.logDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// The CLI finds the bundled language host next to its own executable (a real file, not
	// a symlink), as in a release archive.
	p.bin = filepath.Join(p.binDir, "pulumi")
	linkOrCopy(t, cli, p.bin)
	linkOrCopy(t, unpack("pulumi-language-go"), filepath.Join(p.binDir, "pulumi-language-go"))

	pass := make([]byte, 24)
	if _, err := rand.Read(pass); err != nil {
		t.Fatal(err)
	}
	passFile := filepath.Join(root, "passphrase")
	if err := os.WriteFile(passFile, []byte(hex.EncodeToString(pass)), 0o600); err != nil {
		t.Fatal(err)
	}
	p.env = append(os.Environ(),
		"PATH="+p.binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PULUMI_HOME="+p.home,
		// The kubernetes provider writes the kubeconfig it hands to Helm to a temporary file
		// on every run and never removes it: here it lands in the test's directory.
		"TMPDIR="+p.tmp,
		"PULUMI_BACKEND_URL=file://"+p.state,
		"PULUMI_CONFIG_PASSPHRASE=",
		"PULUMI_CONFIG_PASSPHRASE_FILE="+passFile,
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"PULUMI_SKIP_CONFIRMATIONS=true",
		"PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true",
		"NO_COLOR=1",
	)
	for name, version := range resourcePlugins {
		p.ok("plugin", "install", "resource", name, version, "--file", unpack("pulumi-resource-"+name))
	}
	out := p.ok("plugin", "ls")
	for name, version := range resourcePlugins {
		if !strings.Contains(out, name) || !strings.Contains(out, strings.TrimPrefix(version, "v")) {
			t.Fatalf("pulumi plugin ls does not list %s %s:\n%s", name, version, out)
		}
	}
	t.Logf("REAL Pulumi CLI %s with the REAL plugins from %s (Go language host, kubernetes %s, docker %s) in PULUMI_HOME %s",
		strings.TrimSpace(p.ok("version")), plugins, resourcePlugins["kubernetes"], resourcePlugins["docker"], p.home)
	return p
}

// checkNothingLeftInTmp fails the test if a command wrote to the machine's temporary
// directory instead of the test's own (a kubeconfig there names the cluster's keys), and
// says what the commands left in the test's TMPDIR, which is removed with the test.
func (p *pulumi) checkNothingLeftInTmp(since time.Time) {
	outside, _ := filepath.Glob(filepath.Join(os.TempDir(), "kubeconfig*"))
	for _, f := range outside {
		if st, err := os.Stat(f); err == nil && st.ModTime().After(since) {
			p.t.Errorf("%s was written outside the test's TMPDIR during the test and is left behind", f)
		}
	}
	if left, err := os.ReadDir(p.tmp); err == nil && len(left) > 0 {
		p.t.Logf("the Pulumi CLI and its plugins left %d temporary file(s), removed with the test's directory", len(left))
	}
}

// run runs one CLI command in the project. Its full output goes to a file in the log dir
// (scanned for secrets at the end) and is returned; it is never logged unredacted.
func (p *pulumi) run(args ...string) (string, error) {
	out, _, err := p.runSplit(args...)
	return out, err
}

// runSplit is run that also returns stdout alone (for --json output, which warnings on
// stderr must not corrupt).
func (p *pulumi) runSplit(args ...string) (combined, stdout string, err error) {
	p.mu.Lock()
	p.n++
	logFile := filepath.Join(p.logDir, fmt.Sprintf("%02d-%s.log", p.n, args[0]))
	p.outputs = append(p.outputs, logFile)
	p.mu.Unlock()
	cmd := exec.Command(p.bin, args...)
	cmd.Dir, cmd.Env = p.dir, p.env
	// Its own process group, so the language host and providers it starts can be killed
	// with it if the test stops half-way (they would otherwise outlive it).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var all lockedBuffer
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&all, &out), &all
	if p.tap != nil {
		cmd.Stdout = io.MultiWriter(&all, &out, p.tap)
	}
	start := time.Now()
	if err = cmd.Start(); err == nil {
		p.mu.Lock()
		p.groups = append(p.groups, cmd.Process.Pid)
		p.mu.Unlock()
		err = cmd.Wait()
	}
	_ = os.WriteFile(logFile, all.Bytes(), 0o600)
	p.t.Logf("pulumi %s  (%s)", strings.Join(p.redactArgs(args), " "), time.Since(start).Round(100*time.Millisecond))
	return string(all.Bytes()), out.String(), err
}

// lockedBuffer collects stdout and stderr, which exec copies from two goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

// okJSON runs a command with --json output and returns its stdout.
func (p *pulumi) okJSON(args ...string) string {
	p.t.Helper()
	all, out, err := p.runSplit(args...)
	if err != nil {
		p.t.Fatalf("pulumi %s: %v\n%s", strings.Join(p.redactArgs(args), " "), err, p.redact(lastLines(all, 60)))
	}
	return out
}

func (p *pulumi) ok(args ...string) string {
	p.t.Helper()
	out, err := p.run(args...)
	if err != nil {
		p.t.Fatalf("pulumi %s: %v\n%s", strings.Join(p.redactArgs(args), " "), err, p.redact(lastLines(out, 60)))
	}
	return out
}

// fails runs a command that must fail and returns its output.
func (p *pulumi) fails(args ...string) string {
	p.t.Helper()
	out, err := p.run(args...)
	if err == nil {
		p.t.Fatalf("pulumi %s succeeded, want a failure\n%s", strings.Join(p.redactArgs(args), " "), p.redact(lastLines(out, 40)))
	}
	return out
}

// record keeps another command's output for the final secret scan.
func (p *pulumi) record(name string, out []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	f := filepath.Join(p.logDir, fmt.Sprintf("%02d-%s.log", p.n, name))
	_ = os.WriteFile(f, out, 0o600)
	p.outputs = append(p.outputs, f)
}

// secret registers a value that must appear nowhere (output, logs, state) in plaintext.
func (p *pulumi) secret(v string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.secrets = append(p.secrets, v)
	return v
}

func (p *pulumi) redact(s string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range p.secrets {
		s = strings.ReplaceAll(s, v, "[redacted secret]")
	}
	return s
}

func (p *pulumi) redactArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = p.redact(a)
	}
	return out
}

// previewStep is one step of `pulumi preview --json`.
type previewStep struct {
	Op  string `json:"op"`
	URN string `json:"urn"`
}

type preview struct {
	Steps         []previewStep  `json:"steps"`
	ChangeSummary map[string]int `json:"changeSummary"`
	raw           string
}

// previewJSON runs `pulumi preview --json` on stack and parses the plan.
func (p *pulumi) previewJSON(stack string) preview {
	p.t.Helper()
	out := p.okJSON("preview", "--stack", stack, "--json", "--non-interactive")
	var pv preview
	if err := json.Unmarshal([]byte(out), &pv); err != nil {
		p.t.Fatalf("pulumi preview --json: %v\n%s", err, p.redact(lastLines(out, 40)))
	}
	pv.raw = out
	return pv
}

// ops maps each resource, as "<type>::<name>" (e.g. "kubernetes:helm.sh/v3:Release::
// todo-chatbot"), to its step's op. The stack and the component wrapping everything are left
// out: they are "same" whenever their children change.
func (pv preview) ops() map[string]string {
	m := map[string]string{}
	for _, s := range pv.Steps {
		// urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>
		i := strings.LastIndex(s.URN, "::")
		typ, name := s.URN[:i], s.URN[i+2:]
		typ = typ[strings.LastIndex(typ, "::")+2:]
		typ = typ[strings.LastIndex(typ, "$")+1:]
		if typ == "pulumi:pulumi:Stack" || strings.HasSuffix(typ, ":TodoChatbot") {
			continue
		}
		m[typ+"::"+name] = s.Op
	}
	return m
}

// The resources the tests name, as substrings of ops()'s keys.
const (
	backendImage  = "Image::backend"
	frontendImage = "Image::frontend"
	helmRelease   = "Release::"
	dockerProv    = "providers:docker::"
	kubeProv      = "providers:kubernetes::"
)

// op is the op of the one resource whose key contains match ("" if none).
func (pv preview) op(match string) string {
	for key, op := range pv.ops() {
		if strings.Contains(key, match) {
			return op
		}
	}
	return ""
}

// changes are the resources a preview would touch (every op but "same").
func (pv preview) changes() map[string]string {
	m := map[string]string{}
	for key, op := range pv.ops() {
		if op != "same" && op != "read" {
			m[key] = op
		}
	}
	return m
}

// scanForSecrets fails the test if any registered secret appears in plaintext in any CLI
// output, any file under the state backend or PULUMI_HOME, the project's stack files, or
// extra (e.g. pod logs).
func (p *pulumi) scanForSecrets(t *testing.T, extra map[string]string) {
	t.Helper()
	files := append([]string(nil), p.outputs...)
	for _, root := range []string{p.state, p.home} {
		_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && !strings.Contains(path, string(filepath.Separator)+"plugins"+string(filepath.Separator)) {
				files = append(files, path)
			}
			return nil
		})
	}
	stackFiles, _ := filepath.Glob(filepath.Join(p.dir, "Pulumi.*.yaml"))
	files = append(files, stackFiles...)
	scanned := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		scanned++
		for _, s := range p.secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("a secret value appears in plaintext in %s", f)
			}
		}
	}
	for name, text := range extra {
		for _, s := range p.secrets {
			if strings.Contains(text, s) {
				t.Errorf("a secret value appears in plaintext in %s", name)
			}
		}
	}
	t.Logf("no secret in %d CLI outputs, state and PULUMI_HOME files, stack files, and %d logs", scanned, len(extra))
}

// publishedSums reads the "sha256  name" lines of the plugins README.
func publishedSums(t *testing.T, readme string) map[string]string {
	f, err := os.Open(readme)
	if err != nil {
		t.Fatalf("the plugins README: %v", err)
	}
	defer f.Close()
	line := regexp.MustCompile(`^([0-9a-f]{64})\s+(pulumi-[a-z-]+)$`)
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := line.FindStringSubmatch(strings.TrimSpace(sc.Text())); m != nil {
			sums[m[2]] = m[1]
		}
	}
	return sums
}

func fileSHA256(t *testing.T, path string) string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func linkOrCopy(t *testing.T, src, dst string) {
	if os.Link(src, dst) == nil {
		return
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func cacheDir(t *testing.T) string {
	if d := os.Getenv("TODO_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(home, ".cache", "todo-chatbot")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
