package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// prometheusPort is where the Prometheus server listens, on the node's address inside its
// namespace: the host reaches it over the node's private link, nothing else can.
const prometheusPort = 19090

// ScrapeTarget is one endpoint Prometheus scrapes, as the node reaches it: a Service's
// ClusterIP and port, which kube-proxy on the node load-balances to the pods.
type ScrapeTarget struct {
	Job  string // the job label of its series
	Addr string // host:port
}

// Prometheus is Debian's Prometheus server scraping targets from inside the node's network
// namespace, for as long as the test runs.
type Prometheus struct {
	URL    string // http://NodeIP:19090, its HTTP API as the host reaches it
	client *http.Client
}

// Sample is one series of an instant vector.
type Sample struct {
	Metric map[string]string
	Value  float64
}

// StartPrometheus runs Debian's prometheus in the node's namespace with a generated
// configuration scraping targets every interval, and waits until it is ready. It stops (and
// its data goes) when the test ends, before the node does.
func (c *Cluster) StartPrometheus(t testing.TB, interval time.Duration, targets []ScrapeTarget) *Prometheus {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("prometheus not found: install Debian's prometheus package (sudo tests/env/deps.sh)")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(prometheusConfig(interval, targets)), 0o600); err != nil {
		t.Fatal(err)
	}
	// The node's own processes reach a ClusterIP only with a route to the Service range: a
	// real node's default route gives them one, this namespace has none (no route out). The
	// route points at the pod bridge, so kube-proxy's OUTPUT rules translate the address to a
	// pod there; an untranslated Service address dies on the bridge, never leaving the node.
	if err := run("nsenter", "--net="+netnsPath, "--", "ip", "route", "replace", serviceCIDR, "dev", bridgeName, "src", podGateway); err != nil {
		t.Fatalf("route to the Service range for Prometheus: %v", err)
	}
	listen := net.JoinHostPort(NodeIP, strconv.Itoa(prometheusPort))
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{"--net=" + netnsPath, "--", bin},
		"--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--storage.tsdb.retention.time=1h", "--web.listen-address="+listen, "--log.level=warn")...)
	// If the test binary dies without its cleanup, the kernel stops the server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait(); logFile.Close() })
	p := &Prometheus{URL: "http://" + listen, client: &http.Client{Timeout: 5 * time.Second}}
	err = waitFor("Prometheus ready", 30*time.Second, nil, func() error {
		resp, err := p.client.Get(p.URL + "/-/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/-/ready: HTTP %d", resp.StatusCode)
		}
		return nil
	})
	if err != nil {
		b, _ := os.ReadFile(logFile.Name())
		t.Fatalf("%v\n%s", err, b)
	}
	out, _ := exec.Command(bin, "--version").CombinedOutput()
	version, _, _ := strings.Cut(string(out), "\n")
	t.Logf("Prometheus (Debian: %s) at %s in the node's namespace, scraping every %s: %v", version, p.URL, interval, targets)
	return p
}

// prometheusConfig is a configuration with one static job per target.
func prometheusConfig(interval time.Duration, targets []ScrapeTarget) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global: {scrape_interval: %s, scrape_timeout: %s, evaluation_interval: %s}\nscrape_configs:\n",
		interval, interval, interval)
	for _, tg := range targets {
		fmt.Fprintf(&b, "  - job_name: %q\n    static_configs: [{targets: [%q]}]\n", tg.Job, tg.Addr)
	}
	return b.String()
}

// Query evaluates expr now (GET /api/v1/query) and returns its instant vector.
func (p *Prometheus) Query(expr string) ([]Sample, error) {
	resp, err := p.client.Get(p.URL + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("query %q: HTTP %d, %w", expr, resp.StatusCode, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %q: %s", expr, body.Error)
	}
	if body.Data.ResultType != "vector" {
		return nil, fmt.Errorf("query %q: result type %q, want vector", expr, body.Data.ResultType)
	}
	samples := make([]Sample, 0, len(body.Data.Result))
	for _, r := range body.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("query %q: value %v: %w", expr, r.Value[1], err)
		}
		samples = append(samples, Sample{Metric: r.Metric, Value: v})
	}
	return samples, nil
}
