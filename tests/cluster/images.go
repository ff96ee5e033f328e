package cluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/todo-chatbot/todo-chatbot/infra/layout"
)

// Images, as on Minikube: a Docker API whose images the node's runtime sees. Debian's
// docker.io (20.10) has no containerd image store, so the engine cannot share the node's
// containerd; STAND-IN for that: the node's Docker API (Cluster.DockerHost) is a proxy in front
// of the private engine (tests/env/dockerd.sh) that, when a build with -t or a tag succeeds,
// exports the image (docker save) into the node's containerd "k8s.io" namespace (ctr images
// import) before it answers (dockerproxy.go). `docker build -t`, Pulumi's docker.Image and
// `docker tag` through it all leave the image on the node, so imagePullPolicy IfNotPresent
// finds it without a registry, and a rebuilt tag is on the node before anything rolls.

// Images the harness makes for the node itself (nodeimage.go), and the PostgreSQL stand-in.
const (
	corednsImage   = "todo-node/coredns:v1.12.1"
	localPathImage = "todo-node/local-path-provisioner:v0.0.30"
	helperImage    = "todo-node/busybox:debian" // local-path's volume helper (sh, mkdir, rm): Debian's busybox-static
	// postgresStandinImage is Debian's PostgreSQL 15 honouring the official image's contract
	// (tests/cluster/postgres-standin). STAND-IN: postgres:16-alpine cannot be pulled here.
	postgresStandinImage = "todo-standin/postgres:15-bookworm-standin"
	// chartPostgresImage is the chart's default PostgreSQL image; on this node it is the
	// stand-in under that name, so the program's values work unchanged.
	chartPostgresImage = "postgres:16-alpine"
)

// imageLoader copies images from the Docker engine into the node.
type imageLoader struct {
	mu         sync.Mutex // one import at a time
	proxy      *dockerProxy
	standinIDs map[string]bool // image IDs of the STAND-IN bases, which stay in the engine
	imported   time.Duration   // time spent copying images into the node, in all
}

// ImportTime is the time the node's Docker API has spent so far copying built images from
// the engine into the node's containerd: the STAND-IN's own cost (Minikube's shared daemon
// builds straight into the node's store), which benchmarks leave out of what they compare.
func (c *Cluster) ImportTime() time.Duration {
	if c.loader == nil {
		return 0
	}
	c.loader.mu.Lock()
	defer c.loader.mu.Unlock()
	return c.loader.imported
}

// dockerCLI is the engine's own client: $TODO_DOCKER (tests/env/dockerd.sh exports it), else
// Debian's /usr/bin/docker, which still has the built-in BuildKit client newer CLIs dropped.
func dockerCLI() string {
	if d := os.Getenv("TODO_DOCKER"); d != "" {
		return d
	}
	if _, err := os.Stat("/usr/bin/docker"); err == nil {
		return "/usr/bin/docker"
	}
	return "docker"
}

func docker(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, dockerCLI(), args...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
	return cmd
}

// dockerID returns the engine's image ID for ref.
func dockerID(ctx context.Context, ref string) (string, error) {
	out, err := docker(ctx, "image", "inspect", "--format", "{{.Id}}", ref).Output()
	if err != nil {
		return "", fmt.Errorf("docker image inspect %s: %w", ref, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// startImageLoader serves the node's Docker API (Cluster.DockerHost): the engine's API,
// whose builds and tags load their images into the node before they answer.
func (c *Cluster) startImageLoader() error {
	c.loader = &imageLoader{standinIDs: map[string]bool{}}
	// The bases are built before the node starts (tests/env/node.sh), so their IDs are fixed.
	for _, base := range []string{os.Getenv("TODO_STANDIN_PYTHON"), os.Getenv("TODO_STANDIN_NODE")} {
		if base == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		id, err := dockerID(ctx, base)
		cancel()
		if err != nil {
			return err
		}
		c.loader.standinIDs[id] = true
	}
	p, err := startDockerProxy(os.Getenv("DOCKER_HOST"), filepath.Join(stateDir, "docker.sock"), c.loadTagged, c.logf)
	if err != nil {
		return err
	}
	c.loader.proxy = p
	c.DockerHost = hostOf(p.socket)
	return nil
}

func (l *imageLoader) stop() {
	if l != nil {
		l.proxy.stop()
	}
}

// loadTagged loads an image a build or tag through the node's Docker API left under ref.
// The STAND-IN bases themselves (also when tagged under the Dockerfiles' default names) stay
// in the engine: no pod runs a base, and they are big. Their label todo.standin is no test:
// every image built FROM them inherits it.
func (c *Cluster) loadTagged(ref string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, err := dockerID(ctx, ref)
	if err != nil || c.loader.standinIDs[id] {
		return err
	}
	return c.loadImage(ref, id)
}

// loadByRef makes the node's runtime hold the image the Docker engine has under ref,
// importing it unless the node already has that exact image ID. The node's Docker API calls
// it for every build and tag; call it yourself for an image tagged in the engine directly.
func (c *Cluster) loadByRef(ref string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	want, err := dockerID(ctx, ref)
	if err != nil {
		return err
	}
	return c.loadImage(ref, want)
}

// loadImage imports the engine's image want (its ID) under ref into the node.
func (c *Cluster) loadImage(ref, want string) error {
	c.loader.mu.Lock()
	defer c.loader.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if have, _ := c.nodeImageID(ctx, ref); have == want {
		return nil
	}
	began := time.Now()
	save := docker(ctx, "save", ref)
	load := ctr(ctx, containerdSock, "images", "import", "-")
	r, w := io.Pipe()
	save.Stdout, load.Stdin = w, r
	var saveErr, loadErr strings.Builder
	save.Stderr, load.Stderr, load.Stdout = &saveErr, &loadErr, io.Discard
	if err := load.Start(); err != nil {
		return err
	}
	errSave := save.Run()
	w.CloseWithError(errSave)
	errLoad := load.Wait()
	if errSave != nil || errLoad != nil {
		return fmt.Errorf("docker save %s | ctr images import: %v %s / %v %s", ref, errSave, saveErr.String(), errLoad, loadErr.String())
	}
	if have, err := c.nodeImageID(ctx, ref); err != nil || have != want {
		return fmt.Errorf("after import the node has %s as %q (%v), the engine as %s", ref, have, err, want)
	}
	took := time.Since(began)
	c.loader.imported += took
	c.logf("image %s (%s) loaded into the node in %s", ref, short(want), took.Round(10*time.Millisecond))
	return nil
}

// nodeImageID is the runtime's image ID for ref, as the kubelet would resolve it.
func (c *Cluster) nodeImageID(ctx context.Context, ref string) (string, error) {
	return nodeImageIDAt(ctx, containerdSock, ref)
}

// nodeImageIDAt is nodeImageID on the node whose containerd listens at sock.
func nodeImageIDAt(ctx context.Context, sock, ref string) (string, error) {
	cl, err := criAt(sock)
	if err != nil {
		return "", err
	}
	defer cl.close()
	return cl.imageID(ctx, ref)
}

func short(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// buildImage runs `docker build` of dir (whose Dockerfile it is) with tag and build args
// in the engine and loads it into the node, and returns the image ID.
func (c *Cluster) buildImage(ctx context.Context, tag, dir, dockerfile string, network bool, buildArgs ...string) (string, error) {
	args := []string{"build", "--quiet", "--tag", tag, "--file", dockerfile}
	if !network {
		args = append(args, "--network", "none")
	}
	for _, a := range buildArgs {
		args = append(args, "--build-arg", a)
	}
	out, err := docker(ctx, append(args, dir)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("docker build -t %s: %v\n%s", tag, err, tailString(string(out), 30))
	}
	if err := c.loadByRef(tag); err != nil {
		return "", err
	}
	return dockerID(ctx, tag)
}

// importNodeImages imports the images the node itself runs: pause (every pod's sandbox),
// CoreDNS, local-path-provisioner and its volume helper, each FROM scratch with static
// binaries built from source (tests/env/kube-build.sh) or Debian's busybox-static.
func (c *Cluster) importNodeImages(ctx context.Context, n node, binDir string) error {
	bin := func(name string) string { return filepath.Join(binDir, name) }
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		return fmt.Errorf("busybox not found: install Debian's busybox-static (sudo tests/env/deps.sh)")
	}
	helperLinks := map[string]string{}
	for _, applet := range []string{"sh", "mkdir", "rm", "chmod", "ls"} {
		helperLinks["/bin/"+applet] = "busybox"
	}
	for _, img := range []scratchImage{
		{ref: pauseImage, files: map[string]string{"/pause": bin("pause")}, entrypoint: []string{"/pause"}, user: "65535:65535"},
		{ref: corednsImage, files: map[string]string{"/coredns": bin("coredns")}, entrypoint: []string{"/coredns"}},
		{ref: localPathImage, files: map[string]string{"/usr/bin/local-path-provisioner": bin("local-path-provisioner")},
			env: []string{"PATH=/usr/bin"}},
		{ref: helperImage, files: map[string]string{"/bin/busybox": busybox}, symlinks: helperLinks, env: []string{"PATH=/bin"}},
	} {
		if err := importScratchImage(ctx, n.containerdSock(), img); err != nil {
			return err
		}
	}
	return nil
}

// buildPostgresStandin builds the PostgreSQL STAND-IN on the Python stand-in base (Debian
// bookworm; apt fetches postgresql-15 from Debian's mirror during the build) and also tags
// it as the chart's default image, so the chart's PostgreSQL runs it unchanged.
func (c *Cluster) buildPostgresStandin(ctx context.Context) error {
	base := os.Getenv("TODO_STANDIN_PYTHON")
	if base == "" {
		return fmt.Errorf("TODO_STANDIN_PYTHON is not set: run through tests/run/cluster.sh (tests/env/node.sh sets it)")
	}
	root, err := layout.FindRoot(".")
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "tests", "cluster", "postgres-standin")
	if _, err := c.buildImage(ctx, postgresStandinImage, dir, filepath.Join(dir, "Dockerfile"), true, "BASE_IMAGE="+base); err != nil {
		return err
	}
	if out, err := docker(ctx, "tag", postgresStandinImage, chartPostgresImage).CombinedOutput(); err != nil {
		return fmt.Errorf("docker tag: %v: %s", err, out)
	}
	if err := c.loadByRef(chartPostgresImage); err != nil {
		return err
	}
	c.note("STAND-IN: " + chartPostgresImage + " on this node is " + postgresStandinImage +
		" (Debian's PostgreSQL 15 with the official image's env contract); the real image cannot be pulled here")
	return nil
}

// BuildAppImages builds todo-backend:v1 and todo-frontend:v1 from the real Dockerfiles on
// the STAND-IN bases (tests/env/standin-bases.sh, as the image tests do) through the node's
// Docker API, waits until the node has them, and returns their image IDs.
func (c *Cluster) BuildAppImages(ctx context.Context) (backendID, frontendID string, err error) {
	py, node := os.Getenv("TODO_STANDIN_PYTHON"), os.Getenv("TODO_STANDIN_NODE")
	if py == "" || node == "" {
		return "", "", fmt.Errorf("TODO_STANDIN_PYTHON/TODO_STANDIN_NODE are not set: run through tests/run/cluster.sh")
	}
	root, err := layout.FindRoot(".")
	if err != nil {
		return "", "", err
	}
	began := time.Now()
	backendID, err = c.buildImage(ctx, "todo-backend:v1", filepath.Join(root, "backend"), filepath.Join(root, "backend", "Dockerfile"), true, "BASE_IMAGE="+py)
	if err != nil {
		return "", "", err
	}
	frontendID, err = c.buildImage(ctx, "todo-frontend:v1", filepath.Join(root, "frontend"), filepath.Join(root, "frontend", "Dockerfile"), true, "BASE_IMAGE="+node)
	if err != nil {
		return "", "", err
	}
	c.logf("app images built from backend/Dockerfile and frontend/Dockerfile on the STAND-IN bases (%s, %s) and loaded in %s",
		py, node, time.Since(began).Round(100*time.Millisecond))
	return backendID, frontendID, nil
}

func tailString(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
