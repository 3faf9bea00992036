package kafka

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSettingsFrom: the consumer's settings as a sink task sees them, with
// consumer.* and consumer.override.* precedence, and settings Go cannot
// reproduce refused without echoing a secret.
func TestSettingsFrom(t *testing.T) {
	const pw = "s3cr3t-never-printed"
	jaas := `org.apache.kafka.common.security.scram.ScramLoginModule required username="connect" password="` + pw + `";`
	cases := []struct {
		name              string
		worker, connector map[string]string
		want              string // Settings.String(), or the error
		user, pass        string
	}{
		{"plaintext", map[string]string{"bootstrap.servers": "a:9092, b:9092"}, nil, "a:9092,b:9092 PLAINTEXT", "", ""},
		{"consumer override of the worker", map[string]string{"bootstrap.servers": "a:9092", "consumer.bootstrap.servers": "c:9092"}, nil, "c:9092 PLAINTEXT", "", ""},
		{"connector override wins", map[string]string{"bootstrap.servers": "a:9092"}, map[string]string{"consumer.override.bootstrap.servers": "d:9092"}, "d:9092 PLAINTEXT", "", ""},
		{"scram", map[string]string{"bootstrap.servers": "a:9092", "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-512", "sasl.jaas.config": jaas}, nil,
			`a:9092 SASL_PLAINTEXT (SASL SCRAM-SHA-512 as "connect")`, "connect", pw},
		{"plain over ssl", map[string]string{"bootstrap.servers": "a:9093", "security.protocol": "sasl_ssl", "sasl.mechanism": "PLAIN",
			"sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p\"q";`}, nil,
			`a:9093 SASL_SSL (SASL PLAIN as "u")`, "u", `p"q`},
		{"gssapi by default", map[string]string{"bootstrap.servers": "a:9092", "security.protocol": "SASL_PLAINTEXT", "sasl.jaas.config": jaas}, nil,
			"error: SASL mechanism GSSAPI cannot be reproduced from here (only PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512)", "", ""},
		{"jks truststore", map[string]string{"bootstrap.servers": "a:9093", "security.protocol": "SSL", "ssl.truststore.location": "/etc/kafka/trust.jks", "ssl.truststore.password": pw}, nil,
			"error: ssl.truststore.location is a JKS keystore, which Go cannot read (only ssl.truststore.type=PEM)", "", ""},
		{"no bootstrap", map[string]string{}, nil, "error: no bootstrap.servers", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := SettingsFrom(c.worker, c.connector)
			got := s.String()
			if err != nil {
				got = "error: " + err.Error()
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
			if strings.Contains(got, pw) {
				t.Errorf("the password is in %q", got)
			}
			if err == nil && (s.Username != c.user || s.Password != c.pass) {
				t.Errorf("credentials = %q/%q, want %q/%q", s.Username, s.Password, c.user, c.pass)
			}
			if err == nil && strings.HasSuffix(s.Protocol, "SSL") && s.TLS == nil {
				t.Error("no TLS for an SSL protocol")
			}
		})
	}
}

// TestStalled: a partition is stalled when records wait at both readings
// and the group's position did not move; a partition with no commit resumes
// from the log start.
func TestStalled(t *testing.T) {
	p := func(part int32, committed, start, end int64) PartitionOffsets {
		po := PartitionOffsets{Topic: "t", Partition: part, Committed: committed, Start: start, End: end}
		po.Lag = end - po.position()
		return po
	}
	g := func(ps ...PartitionOffsets) GroupOffsets { return GroupOffsets{Partitions: ps} }
	cases := []struct {
		name          string
		before, after GroupOffsets
		want          []string
	}{
		{"caught up", g(p(0, 10, 0, 10)), g(p(0, 10, 0, 10)), nil},
		{"moving", g(p(0, 5, 0, 10)), g(p(0, 8, 0, 12)), nil},
		{"stuck", g(p(0, 5, 0, 10), p(1, 7, 0, 7)), g(p(0, 5, 0, 11), p(1, 7, 0, 7)), []string{"t/0"}},
		{"no commit is the log start", g(p(0, -1, 3, 10)), g(p(0, 3, 3, 10)), []string{"t/0"}},
		{"first commit moves it", g(p(0, -1, 0, 10)), g(p(0, 4, 0, 10)), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, Stalled(c.before, c.after)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}
