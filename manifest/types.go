// Package manifest reads, checks and renders connectsync manifests: the YAML
// files that declare Kafka Connect clusters, their distributed workers, and
// the sink connectors (above all the DataStax Cassandra sink) they run.
//
// It depends on nothing else in connectsync but package object, the
// vocabulary of references and connector states every package shares. Load decodes strictly and
// records where every value came from, Validate reports every problem at once
// with its file:line:column, and RenderWorker and RenderSink produce the
// worker properties and the connector configs that the rest of the tool
// deploys.
package manifest

import "github.com/connectsync/connectsync/object"

// Manifest is the union of one or more manifest files.
type Manifest struct {
	Clusters []*Cluster
	Workers  []*Worker
	Sinks    []*Sink
	// Files lists the files read, in the order they were read.
	Files []string
}

// The top level of one connectsync manifest file. Each file holds one YAML
// document; all the files given to a command are merged into one manifest.
type file struct {
	// Version is the manifest format: 1.
	Version int `yaml:"version" schema:"required,enum=1"`
	// Clusters are the Kafka Connect clusters, each a group of distributed
	// workers sharing a group.id.
	Clusters []*Cluster `yaml:"clusters"`
	// Workers are the clusters' worker processes.
	Workers []*Worker `yaml:"workers"`
	// Sinks are the sink connectors the clusters run.
	Sinks []*Sink `yaml:"sinks"`
}

// Document is the top level of one manifest file, for tools that describe
// the format, such as the schema generator.
//
// The schema tags of the manifest's types say what the JSON Schema
// (schema/manifest-v1.json, generated from these types and their doc
// comments) adds to the Go types: "required", and "enum=a|b" for the only
// values a field takes.
type Document = file

// Origin says where an object was declared, so that every later check can
// point at the file, line and column of the field it is about.
type Origin struct {
	Src *Source
	// Path is the object's own path in its file, as in sinks[2].
	Path string
}

// At returns the position of a field of the object, given relative to it
// ("topics.orders.tables[0].mapping"), or of its nearest declared ancestor.
func (o Origin) At(rel string) Pos {
	if o.Src == nil {
		return Pos{}
	}
	return o.Src.At(o.FieldPath(rel))
}

// FieldPath returns the full path of a field given relative to the object.
func (o Origin) FieldPath(rel string) string {
	switch {
	case rel == "":
		return o.Path
	case rel[0] == '[':
		return o.Path + rel
	default:
		return o.Path + "." + rel
	}
}

// Cluster is one Kafka Connect cluster: a group of distributed workers that
// share a group.id and three storage topics. Worker settings that must be
// identical on every worker are declared here once.
type Cluster struct {
	Origin `yaml:"-"`

	// Name names the cluster in manifests and output: letters, digits,
	// '.', '_' and '-'; unique.
	Name string `yaml:"name" schema:"required"`
	// BootstrapServers is bootstrap.servers, the Kafka brokers.
	BootstrapServers []string `yaml:"bootstrapServers"`
	// GroupID is group.id, unique among clusters.
	GroupID string `yaml:"groupId" schema:"required"`
	// Brokers is the number of Kafka brokers, when known (nil: unknown). It
	// only serves to warn about replication factors the brokers cannot
	// satisfy.
	Brokers    *int       `yaml:"brokers"`
	Storage    Storage    `yaml:"storage"`
	Converters Converters `yaml:"converters"`
	// PluginPath is plugin.path, comma-joined.
	PluginPath []string `yaml:"pluginPath"`
	// PluginDiscovery is plugin.discovery.
	PluginDiscovery string `yaml:"pluginDiscovery" schema:"enum=only_scan|hybrid_warn|hybrid_fail|service_load"`
	// ConfigProviders are the worker's config.providers, by name.
	ConfigProviders map[string]ConfigProvider `yaml:"configProviders"`
	// Properties are passed through to every worker's properties file.
	Properties map[string]Value `yaml:"properties"`

	// REST says how connectsync itself reaches the workers' REST API.
	REST REST `yaml:"rest"`
	// Prune deletes connectors that no manifest declares.
	Prune Prune `yaml:"prune"`
	// IgnoreKeys lists connector config keys that plan never compares, for
	// keys a worker or an operator rewrites. A trailing * matches a prefix.
	IgnoreKeys []string `yaml:"ignoreKeys"`
	// Preflight sets the checks plan runs before it proposes a change.
	Preflight Preflight `yaml:"preflight"`
}

// Storage names the three internal topics of a distributed cluster.
type Storage struct {
	Config StorageTopic `yaml:"config"`
	Offset StorageTopic `yaml:"offset"`
	Status StorageTopic `yaml:"status"`
}

// StorageTopic is one internal topic.
type StorageTopic struct {
	Topic             string `yaml:"topic"`
	ReplicationFactor *int   `yaml:"replicationFactor"`
	Partitions        *int   `yaml:"partitions"`
}

// Converters are the worker's default converters.
type Converters struct {
	Key    Converter `yaml:"key"`
	Value  Converter `yaml:"value"`
	Header Converter `yaml:"header"`
}

// Converter is a converter class and its settings.
type Converter struct {
	Class         string           `yaml:"class"`
	SchemasEnable *bool            `yaml:"schemasEnable"`
	Properties    map[string]Value `yaml:"properties"`
}

// ConfigProvider is one of the worker's config.providers.
type ConfigProvider struct {
	Class  string           `yaml:"class"`
	Params map[string]Value `yaml:"params"`
}

// REST is how connectsync talks to a cluster's workers.
type REST struct {
	TLS     RESTTLS          `yaml:"tls"`
	Auth    *BasicAuth       `yaml:"basicAuth"`
	Headers map[string]Value `yaml:"headers"`
	// Timeout bounds one request, as a Go duration ("30s"); unset, the
	// client's default.
	Timeout Duration `yaml:"timeout"`
	// RetryFor bounds the retries of one operation, as a Go duration
	// ("2m"); unset, the client's default.
	RetryFor Duration `yaml:"retryFor"`
}

// RESTTLS holds the client's TLS settings.
type RESTTLS struct {
	CAFile             string `yaml:"caFile"`
	CertFile           string `yaml:"certFile"`
	KeyFile            string `yaml:"keyFile"`
	InsecureSkipVerify bool   `yaml:"insecureSkipVerify"`
}

// BasicAuth is HTTP basic authentication for the REST API.
type BasicAuth struct {
	Username Value `yaml:"username"`
	Password Value `yaml:"password"`
}

// Prune settings.
type Prune struct {
	Enabled bool `yaml:"enabled"`
	// Keep lists names (a trailing * matches a prefix) that prune never deletes.
	Keep []string `yaml:"keep"`
}

// Preflight settings for plan.
type Preflight struct {
	// CassandraSchema checks every DataStax sink's tables and mappings
	// against the live Cassandra schema. Nil is unset: a sink's unset
	// setting falls back to its cluster's, and a cluster's to false.
	CassandraSchema *bool `yaml:"cassandraSchema"`
	// SampleRecords is how many of the newest records of each partition of
	// a DataStax sink's topics plan reads from Kafka, to predict how the
	// connector converts them (0 or nil: no sampling, and no Kafka I/O).
	// A sink's setting overrides its cluster's.
	SampleRecords *int `yaml:"sampleRecords"`
}

// Worker is one distributed worker process.
type Worker struct {
	Origin `yaml:"-"`

	// Name names the worker; unique.
	Name string `yaml:"name" schema:"required"`
	// Cluster is the name of a declared cluster.
	Cluster string `yaml:"cluster" schema:"required"`
	// URL is where connectsync reaches the worker's REST API:
	// http(s)://host[:port]; unique.
	URL       string   `yaml:"url" schema:"required"`
	Listeners []string `yaml:"listeners"`
	// AdvertisedHost and AdvertisedPort are what the other workers use to
	// forward requests to this one. They default to the URL's host and port.
	AdvertisedHost     string           `yaml:"advertisedHost"`
	AdvertisedPort     *int             `yaml:"advertisedPort"`
	AdvertisedListener string           `yaml:"advertisedListener"`
	Properties         map[string]Value `yaml:"properties"`
	// PropertiesFile is where this worker's deployed properties file lives,
	// for plan and apply to compare with and write.
	PropertiesFile string `yaml:"propertiesFile"`
}

// Connector classes of the DataStax Apache Kafka Connector.
const (
	DataStaxClass       = "com.datastax.oss.kafka.sink.CassandraSinkConnector"
	DataStaxLegacyClass = "com.datastax.kafkaconnector.DseSinkConnector"
)

// Sink is one sink connector. With no class, it is the DataStax Cassandra
// sink, configured by the typed Cassandra and Topics fields.
type Sink struct {
	Origin `yaml:"-"`

	// Name is the connector's name, unique in its cluster.
	Name string `yaml:"name" schema:"required"`
	// Cluster is the name of a declared cluster.
	Cluster string `yaml:"cluster" schema:"required"`
	// State is running (the default), paused or stopped.
	State string `yaml:"state" schema:"enum=running|paused|stopped"`
	// TasksMax is tasks.max; nil renders Connect's default, 1. An explicit
	// 0 is rendered as written, and validate rejects it.
	TasksMax *int `yaml:"tasksMax"`
	// Class defaults to the DataStax sink.
	Class     string            `yaml:"class"`
	Cassandra *Cassandra        `yaml:"cassandra"`
	Topics    map[string]*Topic `yaml:"topics"`
	// Config passes any other key through to the connector config as is.
	Config map[string]Value `yaml:"config"`
	// IgnoreKeys adds to the cluster's ignoreKeys for this connector.
	IgnoreKeys []string `yaml:"ignoreKeys"`
	// Preflight overrides the cluster's preflight settings for this sink.
	Preflight *Preflight `yaml:"preflight"`
}

// ConnectorClass returns the sink's class, defaulting to the DataStax sink.
func (s *Sink) ConnectorClass() string {
	if s.Class == "" {
		return DataStaxClass
	}
	return s.Class
}

// IsDataStax reports whether the sink runs the DataStax connector.
func (s *Sink) IsDataStax() bool { return IsDataStaxClass(s.ConnectorClass()) }

// IsDataStaxClass reports whether class is the DataStax sink or its alias.
func IsDataStaxClass(class string) bool {
	return class == DataStaxClass || class == DataStaxLegacyClass
}

// BrokerCount returns the declared number of brokers, 0 when unknown.
func (c *Cluster) BrokerCount() int {
	if c.Brokers == nil {
		return 0
	}
	return *c.Brokers
}

// WantsCassandraSchema reports whether plan checks a sink's tables against
// Cassandra: the sink's own preflight setting, else its cluster's.
func WantsCassandraSchema(c *Cluster, s *Sink) bool {
	if s.Preflight != nil && s.Preflight.CassandraSchema != nil {
		return *s.Preflight.CassandraSchema
	}
	return c != nil && c.Preflight.CassandraSchema != nil && *c.Preflight.CassandraSchema
}

// MaxSampleRecords bounds preflight.sampleRecords: plan holds the sampled
// records of every partition in memory.
const MaxSampleRecords = 10000

// SampleRecords returns how many records per partition plan samples for a
// sink: the sink's preflight.sampleRecords, else its cluster's, else 0.
func SampleRecords(c *Cluster, s *Sink) int {
	if s.Preflight != nil && s.Preflight.SampleRecords != nil {
		return max(*s.Preflight.SampleRecords, 0)
	}
	if c != nil && c.Preflight.SampleRecords != nil {
		return max(*c.Preflight.SampleRecords, 0)
	}
	return 0
}

// DesiredState returns the sink's state, defaulting to running. A state
// validate rejects reads as running.
func (s *Sink) DesiredState() object.State {
	if st, ok := object.ParseDesired(s.State); ok {
		return st
	}
	return object.StateRunning
}

// Cassandra holds the DataStax sink's connection settings.
type Cassandra struct {
	ContactPoints            []string `yaml:"contactPoints"`
	Port                     *int     `yaml:"port"`
	LocalDC                  string   `yaml:"localDc"`
	CloudSecureConnectBundle string   `yaml:"cloudSecureConnectBundle"`
	Auth                     *Auth    `yaml:"auth"`
	SSL                      *SSL     `yaml:"ssl"`

	MaxConcurrentRequests     *int   `yaml:"maxConcurrentRequests"`
	MaxNumberOfRecordsInBatch *int   `yaml:"maxNumberOfRecordsInBatch"`
	QueryExecutionTimeout     *int   `yaml:"queryExecutionTimeout"`
	ConnectionPoolLocalSize   *int   `yaml:"connectionPoolLocalSize"`
	MetricsHighestLatency     *int   `yaml:"metricsHighestLatency"`
	JMX                       *bool  `yaml:"jmx"`
	Compression               string `yaml:"compression"`
	IgnoreErrors              string `yaml:"ignoreErrors"`
	// Driver is passed to the Java driver as datastax-java-driver.<key>.
	Driver map[string]Value `yaml:"driver"`
}

// Auth is the sink's authentication to Cassandra.
type Auth struct {
	Provider string  `yaml:"provider"`
	Username Value   `yaml:"username"`
	Password Value   `yaml:"password"`
	GSSAPI   *GSSAPI `yaml:"gssapi"`
}

// GSSAPI (Kerberos) settings.
type GSSAPI struct {
	KeyTab    string `yaml:"keyTab"`
	Principal string `yaml:"principal"`
	Service   string `yaml:"service"`
}

// SSL is the sink's TLS to Cassandra.
type SSL struct {
	Provider           string    `yaml:"provider"`
	HostnameValidation *bool     `yaml:"hostnameValidation"`
	CipherSuites       []string  `yaml:"cipherSuites"`
	Keystore           *Keystore `yaml:"keystore"`
	Truststore         *Keystore `yaml:"truststore"`
	OpenSSL            *OpenSSL  `yaml:"openssl"`
}

// Keystore is a JKS or PKCS12 store and its password.
type Keystore struct {
	Path     string `yaml:"path"`
	Password Value  `yaml:"password"`
}

// OpenSSL holds the OpenSSL provider's PEM files.
type OpenSSL struct {
	KeyCertChain string `yaml:"keyCertChain"`
	PrivateKey   string `yaml:"privateKey"`
}

// Topic is one Kafka topic the sink reads, and the tables it writes to.
type Topic struct {
	Tables []*Table `yaml:"tables"`
	Codec  *Codec   `yaml:"codec"`
}

// Codec settings for one topic.
type Codec struct {
	Locale    string `yaml:"locale"`
	TimeZone  string `yaml:"timeZone"`
	Timestamp string `yaml:"timestamp"`
	Date      string `yaml:"date"`
	Time      string `yaml:"time"`
	Unit      string `yaml:"unit"`
}

// Table is one Cassandra table a topic is written to.
type Table struct {
	Keyspace          string `yaml:"keyspace"`
	Table             string `yaml:"table"`
	Mapping           string `yaml:"mapping"`
	ConsistencyLevel  string `yaml:"consistencyLevel"`
	TTL               *int   `yaml:"ttl"`
	TTLTimeUnit       string `yaml:"ttlTimeUnit"`
	TimestampTimeUnit string `yaml:"timestampTimeUnit"`
	NullToUnset       *bool  `yaml:"nullToUnset"`
	DeletesEnabled    *bool  `yaml:"deletesEnabled"`
	Query             string `yaml:"query"`
}
