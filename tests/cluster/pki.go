package cluster

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki is the throwaway public-key infrastructure of one control plane: a CA, the API
// server's serving certificate, one client certificate per component, the service-account
// signing key pair and the admin's bearer token. Everything is written under dir with
// owner-only permissions and lives as long as the test's temporary directory.
type pki struct {
	dir string

	CACert string // CA certificate (PEM), trusted by every client and by the API server

	ServingCert, ServingKey string // kube-apiserver's HTTPS certificate

	// Client certificates, keyed by component (see clientIdentities).
	ClientCert, ClientKey map[string]string

	SAPublicKey, SAPrivateKey string // service-account token signing pair

	AdminToken     string // bearer token of the kubeconfig user; never printed
	TokenAuthFile  string // kube-apiserver --token-auth-file holding AdminToken
	caCert         *x509.Certificate
	caKey          *ecdsa.PrivateKey
	serviceCIDRVIP net.IP
}

// clientIdentities are the users the components authenticate as: each its built-in
// identity, so the API server's default RBAC bootstrap policy and the Node authorizer
// (with NodeRestriction admission) apply to them exactly as on a kubeadm cluster. The API
// server presents "apiserver-kubelet-client" to the kubelet (logs, exec, port-forward).
var clientIdentities = map[string]pkix.Name{
	"controller-manager":       {CommonName: "system:kube-controller-manager"},
	"scheduler":                {CommonName: "system:kube-scheduler"},
	"kubelet":                  {CommonName: "system:node:" + NodeName, Organization: []string{"system:nodes"}},
	"kube-proxy":               {CommonName: "system:kube-proxy"},
	"apiserver-kubelet-client": {CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}},
	// kube-router (many nodes only) has no built-in role: kubeRouterAccess binds its own.
	"kube-router": {CommonName: kubeRouterUser},
}

func newPKI(dir string, apiServiceIP net.IP) (*pki, error) {
	p := &pki{dir: dir, ClientCert: map[string]string{}, ClientKey: map[string]string{}, serviceCIDRVIP: apiServiceIP}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := p.makeCA(); err != nil {
		return nil, fmt.Errorf("CA: %w", err)
	}
	var err error
	p.ServingCert, p.ServingKey, err = p.issue("apiserver", pkix.Name{CommonName: "kube-apiserver"}, true)
	if err != nil {
		return nil, fmt.Errorf("serving certificate: %w", err)
	}
	for component, name := range clientIdentities {
		p.ClientCert[component], p.ClientKey[component], err = p.issue(component, name, false)
		if err != nil {
			return nil, fmt.Errorf("%s client certificate: %w", component, err)
		}
	}
	if err := p.makeServiceAccountKeys(); err != nil {
		return nil, fmt.Errorf("service-account keys: %w", err)
	}
	if err := p.makeAdminToken(); err != nil {
		return nil, fmt.Errorf("admin token: %w", err)
	}
	return p, nil
}

func (p *pki) makeCA() error {
	cert, key, der, err := newCA("todo-chatbot-test-ca")
	if err != nil {
		return err
	}
	p.caCert, p.caKey = cert, key
	p.CACert = filepath.Join(p.dir, "ca.crt")
	return writePEM(p.CACert, "CERTIFICATE", der)
}

// newCA makes a self-signed P-256 CA valid for a day (from an hour ago, for clock skew).
func newCA(commonName string) (*x509.Certificate, *ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, der, err
}

// issue signs a certificate for name; serving certificates carry every name and address
// clients use for the API server (loopback, and the in-cluster Service names and IP).
func (p *pki) issue(file string, name pkix.Name, serving bool) (certPath, keyPath string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      name,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if serving {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), p.serviceCIDRVIP, net.ParseIP(NodeIP)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certPath, keyPath = filepath.Join(p.dir, file+".crt"), filepath.Join(p.dir, file+".key")
	if err := writePEM(certPath, "CERTIFICATE", der); err != nil {
		return "", "", err
	}
	return certPath, keyPath, writePEM(keyPath, "PRIVATE KEY", keyDER)
}

func (p *pki) makeServiceAccountKeys() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	p.SAPrivateKey, p.SAPublicKey = filepath.Join(p.dir, "sa.key"), filepath.Join(p.dir, "sa.pub")
	if err := writePEM(p.SAPrivateKey, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)); err != nil {
		return err
	}
	return writePEM(p.SAPublicKey, "PUBLIC KEY", pub)
}

// makeAdminToken writes a static token file: the kubeconfig's user (what Helm and the test
// use) is a cluster admin authenticated by a random bearer token.
func (p *pki) makeAdminToken() error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	p.AdminToken = hex.EncodeToString(b)
	p.TokenAuthFile = filepath.Join(p.dir, "tokens.csv")
	line := fmt.Sprintf("%s,minikube-admin,minikube-admin,\"system:masters\"\n", p.AdminToken)
	return os.WriteFile(p.TokenAuthFile, []byte(line), 0o600)
}

func writePEM(path, blockType string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}
