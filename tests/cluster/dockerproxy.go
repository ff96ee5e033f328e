package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// The node's Docker API is a proxy in front of the private engine (STAND-IN for Minikube's
// shared image store, see images.go): every request passes through unchanged (BuildKit's
// session and other hijacked streams included), and a request that leaves an image under a
// tag, a build with -t or a tag, does not finish until the node holds that image. So
// pulumi-docker's docker.Image is done only once the node can run what it built, and the
// Helm release that follows never starts a pod on the previous image of the same tag, which
// is what Minikube's one image store guarantees. (Following the engine's tag events instead
// raced the rollout: the import started only after the tag call had returned.)

// dockerProxy serves the Docker API on a unix socket.
type dockerProxy struct {
	socket string
	server *http.Server
	load   func(ref string) error
	logf   func(string, ...any)
	wg     sync.WaitGroup
}

var (
	buildPath = regexp.MustCompile(`^(/v[0-9.]+)?/build$`)
	tagPath   = regexp.MustCompile(`^(/v[0-9.]+)?/images/(.+)/tag$`)
)

// startDockerProxy serves the API of the engine at engineHost (unix://…) on socket.
func startDockerProxy(engineHost, socket string, load func(string) error, logf func(string, ...any)) (*dockerProxy, error) {
	enginePath, ok := strings.CutPrefix(engineHost, "unix://")
	if !ok {
		return nil, fmt.Errorf("DOCKER_HOST %q: the node's Docker API proxies a unix socket (tests/env/dockerd.sh's)", engineHost)
	}
	if err := os.MkdirAll(filepath.Dir(socket), 0o755); err != nil {
		return nil, err
	}
	_ = os.Remove(socket)
	ln, err := net.Listen("unix", socket)
	if err != nil {
		return nil, fmt.Errorf("the node's Docker API on %s: %w", socket, err)
	}
	p := &dockerProxy{socket: socket, load: load, logf: logf}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = "http", "docker"
			r.Out.Host = "docker"
		},
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "unix", enginePath)
			},
			DisableCompression: true,
		},
		FlushInterval:  -1, // progress streams (build output, events, logs) pass at once
		ModifyResponse: p.afterResponse,
		ErrorLog:       log.New(logfWriter(logf), "", 0),
	}
	p.server = &http.Server{Handler: rp, ReadHeaderTimeout: time.Minute}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		if err := p.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logf("the node's Docker API proxy stopped: %v", err)
		}
	}()
	return p, nil
}

// afterResponse makes a successful build or tag wait for the node's import of its tags.
func (p *dockerProxy) afterResponse(resp *http.Response) error {
	req := resp.Request
	if req.Method != http.MethodPost || resp.StatusCode >= 300 {
		return nil
	}
	var refs []string
	switch {
	case buildPath.MatchString(req.URL.Path):
		refs = req.URL.Query()["t"]
	case tagPath.MatchString(req.URL.Path):
		q := req.URL.Query()
		if repo := q.Get("repo"); repo != "" {
			ref := repo
			if tag := q.Get("tag"); tag != "" {
				ref += ":" + tag
			}
			refs = []string{ref}
		}
	}
	if len(refs) == 0 {
		return nil
	}
	load := func() {
		for _, ref := range refs {
			if err := p.load(ref); err != nil {
				p.logf("the node's Docker API: %s %s left %s, but loading it into the node failed: %v", req.Method, req.URL.Path, ref, err)
			}
		}
	}
	if resp.Body == http.NoBody || resp.ContentLength == 0 { // a tag: done when answered
		load()
		return nil
	}
	// A build reports its result in the stream, so the import runs when the stream ends
	// (a failed build has no image under the tag and is left to the client to report).
	resp.Body = &onEOF{ReadCloser: resp.Body, fn: load}
	return nil
}

func (p *dockerProxy) stop() {
	if p == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.server.Shutdown(ctx)
	_ = p.server.Close()
	p.wg.Wait()
	_ = os.Remove(p.socket)
}

// onEOF runs fn once, before the reader reports the end of the body.
type onEOF struct {
	io.ReadCloser
	fn   func()
	once sync.Once
}

func (b *onEOF) Read(buf []byte) (int, error) {
	n, err := b.ReadCloser.Read(buf)
	if errors.Is(err, io.EOF) {
		b.once.Do(b.fn)
	}
	return n, err
}

// logfWriter sends the proxy's own errors to the test log.
type logfWriter func(string, ...any)

func (f logfWriter) Write(b []byte) (int, error) {
	f("the node's Docker API proxy: %s", strings.TrimSpace(string(b)))
	return len(b), nil
}

// hostOf is the DOCKER_HOST value of a proxy socket.
func hostOf(socket string) string { return (&url.URL{Scheme: "unix", Path: socket}).String() }
