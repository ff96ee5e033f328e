package dockerenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// Platform is the platform to build for: DOCKER_DEFAULT_PLATFORM when set (the docker CLI's
// own override), else the daemon's own, linux/<arch> as its /version reports it. Building
// for the daemon's platform makes the image fit the node it runs on (Minikube on Apple
// silicon is arm64) and stops pulumi-docker warning that no platform was set.
func Platform(d Daemon, getenv func(string) string) (string, error) {
	if p := getenv("DOCKER_DEFAULT_PLATFORM"); p != "" {
		return p, nil
	}
	client, base, err := httpClient(d)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/version", nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("asking the Docker daemon at %s for its platform: %w", d.Host, err)
	}
	defer resp.Body.Close()
	var v struct{ Os, Arch string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusOK || v.Arch == "" {
		return "", fmt.Errorf("the Docker daemon at %s answered /version with %s and no architecture", d.Host, resp.Status)
	}
	if v.Os == "" {
		v.Os = "linux"
	}
	return v.Os + "/" + v.Arch, nil
}

// httpClient reaches the daemon's API over its unix socket or TCP (with the client
// certificates of CertPath when TLS is on), as the docker CLI does.
func httpClient(d Daemon) (*http.Client, string, error) {
	u, err := url.Parse(d.Host)
	if err != nil {
		return nil, "", err
	}
	transport := &http.Transport{}
	switch u.Scheme {
	case "unix":
		transport.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", u.Path)
		}
		return &http.Client{Transport: transport}, "http://docker", nil
	case "tcp":
		if !d.TLSVerify && d.CertPath == "" {
			return &http.Client{Transport: transport}, "http://" + u.Host, nil
		}
		cfg, err := tlsConfig(d)
		if err != nil {
			return nil, "", err
		}
		transport.TLSClientConfig = cfg
		return &http.Client{Transport: transport}, "https://" + u.Host, nil
	}
	return nil, "", fmt.Errorf("cannot ask a %s:// Docker daemon for its platform: set DOCKER_DEFAULT_PLATFORM (e.g. linux/amd64)", u.Scheme)
}

func tlsConfig(d Daemon) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: !d.TLSVerify} //nolint:gosec // DOCKER_TLS_VERIFY=0 is the user's choice, as in the docker CLI
	if d.CertPath == "" {
		return cfg, nil
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(d.CertPath, "cert.pem"), filepath.Join(d.CertPath, "key.pem"))
	if err != nil {
		return nil, fmt.Errorf("DOCKER_CERT_PATH %s: %w", d.CertPath, err)
	}
	cfg.Certificates = []tls.Certificate{cert}
	if ca, err := os.ReadFile(filepath.Join(d.CertPath, "ca.pem")); err == nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca)
		cfg.RootCAs = pool
	}
	return cfg, nil
}
