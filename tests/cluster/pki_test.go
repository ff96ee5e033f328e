//go:build cluster

package cluster

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"slices"
	"testing"
)

// The harness's certificates must verify against its CA for the names clients use, with
// the identities RBAC expects, and the key files must not be readable by others.
func TestPKIIssuesVerifiableCertificates(t *testing.T) {
	p, err := newPKI(t.TempDir(), net.ParseIP(apiService))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(readCert(t, p.CACert))

	serving := readCert(t, p.ServingCert)
	for _, host := range []string{"127.0.0.1", "localhost", "kubernetes.default.svc", apiService, NodeIP} {
		if _, err := serving.Verify(x509.VerifyOptions{DNSName: host, Roots: roots}); err != nil {
			t.Errorf("serving certificate for %s: %v", host, err)
		}
	}
	for component, name := range clientIdentities {
		c := readCert(t, p.ClientCert[component])
		if _, err := c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("%s client certificate: %v", component, err)
		}
		if c.Subject.CommonName != name.CommonName || !slices.Equal(c.Subject.Organization, name.Organization) {
			t.Errorf("%s client certificate subject %v, want %v", component, c.Subject, name)
		}
	}
	for _, f := range []string{p.ServingKey, p.SAPrivateKey, p.TokenAuthFile, p.ClientKey["kubelet"]} {
		st, err := os.Stat(f)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600 (%v)", f, st.Mode().Perm(), err)
		}
	}
	if len(p.AdminToken) != 64 {
		t.Errorf("admin token has %d hex characters, want 64", len(p.AdminToken))
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A test CA's serving certificate verifies for its host against that CA only: not for
// another name, not against another test CA.
func TestTestCAIssuesServingCertificates(t *testing.T) {
	ca, err := NewTestCA(t.TempDir(), "ingress-test-ca")
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewTestCA(t.TempDir(), "other-test-ca")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.IssueServer("todo.test")
	if err != nil {
		t.Fatal(err)
	}
	if block, _ := pem.Decode(keyPEM); block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("key PEM: %q block", block.Type)
	}
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "todo.test", Roots: ca.Pool()}); err != nil {
		t.Errorf("todo.test against its CA: %v", err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "wrong.test", Roots: ca.Pool()}); err == nil {
		t.Error("the certificate verifies for wrong.test")
	}
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "todo.test", Roots: other.Pool()}); err == nil {
		t.Error("the certificate verifies against another CA")
	}
	if cert.Issuer.String() != ca.Subject() {
		t.Errorf("issuer %q, CA %q", cert.Issuer, ca.Subject())
	}
	if _, err := os.Stat(ca.CertFile); err != nil {
		t.Error(err)
	}
	if _, _, err := ca.IssueServer(); err == nil {
		t.Error("IssueServer without a host succeeded")
	}
}
