// Package tlschain turns off the hostname check of a TLS client and nothing
// else, the way the JVM does when Kafka's ssl.endpoint.identification.algorithm
// is empty or the DataStax sink's ssl.hostnameValidation is false: the peer's
// certificate chain is still verified against the roots.
package tlschain

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// SkipHostname makes cfg verify the peer's chain against roots (nil: the
// system's) without checking its name. Go's InsecureSkipVerify turns off the
// whole verification, so it is set only together with a VerifyConnection
// that does the chain part again. peer names the other side in the error
// when it sends no certificate ("broker", "server").
func SkipHostname(cfg *tls.Config, roots *x509.CertPool, peer string) {
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the " + peer + " sent no certificate")
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
		return err
	}
}
