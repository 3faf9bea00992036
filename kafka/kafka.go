// Package kafka reads from a Kafka Connect cluster's brokers, and only reads:
// the newest records of a sink's topic partitions, for preflight to predict
// how the connector will convert them, and a sink's consumer-group offsets
// against the log-end offsets, for its health.
//
// It never joins a consumer group and never commits: records are fetched by
// direct partition consumption from computed offsets, and group offsets are
// read with OffsetFetch. It knows nothing of manifests; Settings are built
// from worker properties.
package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/connectsync/connectsync/internal/tlschain"
)

// Settings say how to reach the brokers, as a sink task's consumer does.
type Settings struct {
	Bootstrap []string
	// Protocol is security.protocol: PLAINTEXT (default), SSL,
	// SASL_PLAINTEXT or SASL_SSL.
	Protocol string
	// TLS is set for SSL and SASL_SSL.
	TLS *tls.Config
	// Mechanism is sasl.mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	Mechanism string
	Username  string
	// Password is never printed: String leaves it out.
	Password string
}

// String describes the settings without the password.
func (s Settings) String() string {
	out := fmt.Sprintf("%s %s", strings.Join(s.Bootstrap, ","), s.Protocol)
	if s.Mechanism != "" {
		out += fmt.Sprintf(" (SASL %s as %q)", s.Mechanism, s.Username)
	}
	return out
}

// consumerProp returns a consumer setting as a sink task sees it: the
// worker's consumer.<key> override, else the worker's <key>; then the
// connector's consumer.override.<key>, which wins when given.
func consumerProp(worker, connector map[string]string, key string) string {
	v, ok := worker["consumer."+key]
	if !ok {
		v = worker[key]
	}
	if o, ok := connector["consumer.override."+key]; ok {
		v = o
	}
	return strings.TrimSpace(v)
}

// jaasOption is one key="value" option of sasl.jaas.config, the value
// with its backslash escapes. It is compiled when a SASL setting is first
// read, not at start-up, which every command would pay for.
var jaasOption = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"`)
})

// SettingsFrom builds the settings a sink's consumer uses, from the worker's
// properties (resolved) and the connector's config (its consumer.override.*
// keys). It fails, without echoing any secret, on settings Go cannot
// reproduce: Java keystores, GSSAPI, OAUTHBEARER.
func SettingsFrom(worker, connector map[string]string) (Settings, error) {
	s := Settings{Protocol: "PLAINTEXT"}
	for _, b := range strings.Split(consumerProp(worker, connector, "bootstrap.servers"), ",") {
		if b = strings.TrimSpace(b); b != "" {
			s.Bootstrap = append(s.Bootstrap, b)
		}
	}
	if len(s.Bootstrap) == 0 {
		return s, errors.New("no bootstrap.servers")
	}
	if p := consumerProp(worker, connector, "security.protocol"); p != "" {
		s.Protocol = strings.ToUpper(p)
	}
	switch s.Protocol {
	case "PLAINTEXT":
	case "SSL", "SASL_SSL":
		cfg, err := tlsFrom(worker, connector)
		if err != nil {
			return s, err
		}
		s.TLS = cfg
	case "SASL_PLAINTEXT":
	default:
		return s, fmt.Errorf("unknown security.protocol %q", s.Protocol)
	}
	if strings.HasPrefix(s.Protocol, "SASL_") {
		s.Mechanism = strings.ToUpper(consumerProp(worker, connector, "sasl.mechanism"))
		if s.Mechanism == "" {
			s.Mechanism = "GSSAPI" // Kafka's default
		}
		switch s.Mechanism {
		case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		default:
			return s, fmt.Errorf("SASL mechanism %s cannot be reproduced from here (only PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512)", s.Mechanism)
		}
		for _, m := range jaasOption().FindAllStringSubmatch(consumerProp(worker, connector, "sasl.jaas.config"), -1) {
			val := strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(m[2])
			switch m[1] {
			case "username":
				s.Username = val
			case "password":
				s.Password = val
			}
		}
		if s.Username == "" {
			return s, errors.New("sasl.jaas.config has no username=\"...\"")
		}
	}
	return s, nil
}

// tlsFrom reproduces the consumer's TLS: a PEM truststore (or the system's
// roots when none is set), an optional PEM key pair, and the endpoint
// identification Kafka does by default (https).
func tlsFrom(worker, connector map[string]string) (*tls.Config, error) {
	get := func(k string) string { return consumerProp(worker, connector, k) }
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if loc := get("ssl.truststore.location"); loc != "" {
		if t := strings.ToUpper(get("ssl.truststore.type")); t != "PEM" {
			return nil, fmt.Errorf("ssl.truststore.location is a %s keystore, which Go cannot read (only ssl.truststore.type=PEM)", orJKS(t))
		}
		pem, err := os.ReadFile(loc)
		if err != nil {
			return nil, fmt.Errorf("ssl.truststore.location: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ssl.truststore.location %s holds no PEM certificate", loc)
		}
		cfg.RootCAs = pool
	} else if pem := get("ssl.truststore.certificates"); pem != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(pem)) {
			return nil, errors.New("ssl.truststore.certificates holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	if loc := get("ssl.keystore.location"); loc != "" {
		return nil, errors.New("ssl.keystore.location is a keystore file, which Go cannot read")
	}
	if get("ssl.endpoint.identification.algorithm") == "" && hasKey(worker, connector, "ssl.endpoint.identification.algorithm") {
		// The hostname is not checked, as Kafka does with an empty algorithm.
		tlschain.SkipHostname(cfg, cfg.RootCAs, "broker")
	}
	return cfg, nil
}

func hasKey(worker, connector map[string]string, k string) bool {
	_, a := worker[k]
	_, b := worker["consumer."+k]
	_, c := connector["consumer.override."+k]
	return a || b || c
}

func orJKS(t string) string {
	if t == "" {
		return "JKS"
	}
	return t
}

// options are the client options of the settings.
func (s Settings) options() []kgo.Opt {
	opts := []kgo.Opt{kgo.SeedBrokers(s.Bootstrap...), kgo.ClientID("connectsync")}
	if s.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(s.TLS.Clone()))
	}
	var m sasl.Mechanism
	switch s.Mechanism {
	case "PLAIN":
		m = plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism()
	case "SCRAM-SHA-256":
		m = scram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism()
	case "SCRAM-SHA-512":
		m = scram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism()
	}
	if m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	return opts
}

// Client reads from one Kafka cluster.
type Client struct {
	s   Settings
	cl  *kgo.Client
	adm *kadm.Client
}

// Dial makes a client. It connects lazily: the first request reaches the
// brokers.
func Dial(s Settings) (*Client, error) {
	cl, err := kgo.NewClient(s.options()...)
	if err != nil {
		return nil, err
	}
	return &Client{s: s, cl: cl, adm: kadm.NewClient(cl)}, nil
}

// Close releases the client's connections.
func (c *Client) Close() { c.cl.Close() }

// scrub removes the password from an error's text, in case a broker or
// library ever echoes it.
func (c *Client) scrub(err error) error {
	if err == nil || c.s.Password == "" || !strings.Contains(err.Error(), c.s.Password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), c.s.Password, "***"))
}
