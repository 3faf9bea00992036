package tlschain

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"
)

func selfSigned(t *testing.T, cn string) *x509.Certificate {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSkipHostname: a certificate for another name passes when its chain is
// trusted; an untrusted chain, or none, does not.
func TestSkipHostname(t *testing.T) {
	cert := selfSigned(t, "some-other-name")
	trusted := x509.NewCertPool()
	trusted.AddCert(cert)
	cfg := &tls.Config{}
	SkipHostname(cfg, trusted, "broker")
	if !cfg.InsecureSkipVerify || cfg.VerifyConnection == nil {
		t.Fatal("not set up")
	}
	if err := cfg.VerifyConnection(tls.ConnectionState{ServerName: "kafka-1", PeerCertificates: []*x509.Certificate{cert}}); err != nil {
		t.Errorf("a trusted chain for another name: %v", err)
	}
	SkipHostname(cfg, x509.NewCertPool(), "broker")
	if err := cfg.VerifyConnection(tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}); err == nil {
		t.Error("an untrusted chain passed")
	}
	if err := cfg.VerifyConnection(tls.ConnectionState{}); err == nil || !strings.Contains(err.Error(), "the broker sent no certificate") {
		t.Errorf("no certificate: %v", err)
	}
}
