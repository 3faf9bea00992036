package connect

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// writeClientCert makes a self-signed client certificate and its key, writes
// them as PEM files, and returns their paths and the certificate.
func writeClientCert(t *testing.T, dir string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "connectsync"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile = filepath.Join(dir, "client.pem")
	keyFile = filepath.Join(dir, "client-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)
	return certFile, keyFile, cert
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// newMutualTLSWorker is an httptest server standing in for a worker only to
// check the TLS handshake: its own self-signed certificate, and a required
// client certificate signed by clientCA.
func newMutualTLSWorker(t *testing.T, clientCA *x509.Certificate) (srv *httptest.Server, caFile string) {
	t.Helper()
	srv = httptest.NewUnstartedServer(answer(200, ServerInfo{Version: "3.9.0", KafkaClusterID: "cluster-1"}))
	pool := x509.NewCertPool()
	pool.AddCert(clientCA)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	writePEM(t, caFile, "CERTIFICATE", srv.Certificate().Raw)
	return srv, caFile
}

func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, clientCert := writeClientCert(t, dir)
	srv, caFile := newMutualTLSWorker(t, clientCert)

	tests := []struct {
		name      string
		tls       TLSConfig
		wantOK    bool
		wantSends int
	}{
		{"CA and client certificate", TLSConfig{CAFile: caFile, CertFile: certFile, KeyFile: keyFile}, true, 1},
		{"verification off, client certificate", TLSConfig{InsecureSkipVerify: true, CertFile: certFile, KeyFile: keyFile}, true, 1},
		// The worker's certificate is not in the system pool: rejected, and
		// a certificate error is never retried.
		{"system CAs only", TLSConfig{CertFile: certFile, KeyFile: keyFile}, false, 1},
		{"no client certificate", TLSConfig{CAFile: caFile}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, srv.URL, 3, Options{TLS: tt.tls})
			info, err := c.ServerInfo(context.Background())
			if tt.wantOK {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(ServerInfo{Version: "3.9.0", KafkaClusterID: "cluster-1"}, info); diff != "" {
					t.Errorf("server info (-want +got):\n%s", diff)
				}
			} else if err == nil {
				t.Fatal("want a TLS error")
			}
			if tt.wantSends != 0 && c.sent != tt.wantSends {
				t.Errorf("%d attempts, want %d (err %v)", c.sent, tt.wantSends, err)
			}
		})
	}
}

func TestTLSFilesMustBeReadable(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := writeClientCert(t, dir)
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")

	tests := []struct {
		name string
		tls  TLSConfig
		want string // the error must contain this
	}{
		{"CA file missing", TLSConfig{CAFile: missing}, "connect: reading TLS CA file: open " + missing},
		{"CA file not PEM", TLSConfig{CAFile: notPEM}, "connect: TLS CA file " + notPEM + " holds no PEM certificate"},
		{"cert file missing", TLSConfig{CertFile: missing, KeyFile: keyFile}, "connect: reading TLS client certificate: open " + missing},
		{"key file missing", TLSConfig{CertFile: certFile, KeyFile: missing}, "connect: reading TLS client key: open " + missing},
		{"key is not a key", TLSConfig{CertFile: certFile, KeyFile: notPEM}, "connect: TLS client certificate " + certFile + " and key " + notPEM + ": "},
		{"cert without key", TLSConfig{CertFile: certFile}, "connect: a TLS client certificate is set without its key file"},
		{"key without cert", TLSConfig{KeyFile: keyFile}, "connect: a TLS client key is set without its certificate file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New("https://connect-1:8443", Options{TLS: tt.tls})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestHTTPSVerifiesByDefault(t *testing.T) {
	c, err := New("https://connect-1:8443", Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr := c.hc.Transport.(*http.Transport)
	if tr.TLSClientConfig == nil || tr.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("TLS verification is off by default")
	}
}
