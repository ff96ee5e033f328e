package cluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// TestCA is a certificate authority made by a test for the certificates it serves (an
// Ingress host's, say): clients trust it through CertFile or Pool, and nothing else does.
type TestCA struct {
	CertFile string // the CA certificate (PEM), e.g. for curl --cacert
	cert     *x509.Certificate
	key      *ecdsa.PrivateKey
}

// NewTestCA makes a CA named commonName and writes its certificate into dir.
func NewTestCA(dir, commonName string) (*TestCA, error) {
	cert, key, der, err := newCA(commonName)
	if err != nil {
		return nil, fmt.Errorf("test CA: %w", err)
	}
	ca := &TestCA{CertFile: filepath.Join(dir, "test-ca.crt"), cert: cert, key: key}
	if err := os.WriteFile(ca.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	return ca, nil
}

// Pool is a certificate pool holding only this CA.
func (ca *TestCA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	return pool
}

// Subject is the CA's distinguished name, as a served chain's issuer names it.
func (ca *TestCA) Subject() string { return ca.cert.Subject.String() }

// IssueServer signs a serving certificate for the DNS names hosts, returned as PEM (the
// tls.crt and tls.key of a kubernetes.io/tls Secret). The key never touches the disk.
func (ca *TestCA) IssueServer(hosts ...string) (certPEM, keyPEM []byte, err error) {
	if len(hosts) == 0 {
		return nil, nil, fmt.Errorf("IssueServer: no host name")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0]},
		DNSNames:     hosts,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}
