package manifest

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"runtime"
	"slices"
	"strings"

	"github.com/connectsync/connectsync/internal/parallel"
	"github.com/connectsync/connectsync/object"
)

// Validate checks a loaded manifest's meaning: required fields, references
// between objects, the rules shared by every worker of a cluster, and the
// DataStax sink's rules, including those the connector itself only checks
// when a task starts. It needs no secret: references are not resolved.
func Validate(m *Manifest) Diagnostics {
	return validate(m, false).diags.Sort()
}

func validate(m *Manifest, keep bool) *validator {
	v := &validator{m: m, keep: keep}
	clusters := v.clusters()
	v.workers(clusters)
	v.sinks(clusters)
	return v
}

// Checked is a manifest Validate has checked, with each sink's config as
// the checks rendered it, secrets unresolved.
type Checked struct {
	m     *Manifest
	sinks []checkedSink // one per m.Sinks
}

type checkedSink struct {
	cfg   *Config
	diags Diagnostics // of rendering it
}

// Manifest is the manifest that was checked.
func (c *Checked) Manifest() *Manifest { return c.m }

// Check is Validate, and returns what it rendered for Checked.Render.
func Check(m *Manifest) (*Checked, Diagnostics) {
	v := validate(m, true)
	return &Checked{m: m, sinks: v.rendered}, v.diags.Sort()
}

// Render is Render(m, res) of the checked manifest: the same Rendered and
// Diagnostics, without rendering each sink a second time. Only the values
// set from a Value (secret references above all) are resolved again.
func (c *Checked) Render(res Resolver) (*Rendered, Diagnostics) {
	if len(c.sinks) != len(c.m.Sinks) {
		return Render(c.m, res)
	}
	out, diags := renderWorkers(c.m, res)
	for i, s := range c.m.Sinks {
		cfg, ds := c.sinks[i].cfg.resolved(res)
		diags = append(append(diags, c.sinks[i].diags...), ds...)
		out.Sinks = append(out.Sinks, RenderedSink{Sink: s, Config: cfg})
	}
	return out, diags.Sort()
}

type validator struct {
	m     *Manifest
	diags Diagnostics
	// rendered is each sink's config, secrets unresolved, when keep is
	// set (Check); Validate alone keeps none, so that it holds one
	// sink's config at a time.
	keep     bool
	rendered []checkedSink
}

func (v *validator) add(sev Severity, o Origin, rel, hint, format string, args ...any) {
	v.diags = append(v.diags, Diagnostic{
		Severity: sev,
		Pos:      o.At(rel),
		Path:     o.FieldPath(rel),
		Message:  fmt.Sprintf(format, args...),
		Hint:     hint,
	})
}

func (v *validator) errorf(o Origin, rel, hint, format string, args ...any) {
	v.add(Error, o, rel, hint, format, args...)
}

func (v *validator) warnf(o Origin, rel, hint, format string, args ...any) {
	v.add(Warning, o, rel, hint, format, args...)
}

// ClusterByName indexes the manifest's clusters.
func (m *Manifest) ClusterByName() map[string]*Cluster {
	out := map[string]*Cluster{}
	for _, c := range m.Clusters {
		if _, dup := out[c.Name]; !dup {
			out[c.Name] = c
		}
	}
	return out
}

// WorkersOf returns the workers of a cluster, in manifest order.
func (m *Manifest) WorkersOf(cluster string) []*Worker {
	var out []*Worker
	for _, w := range m.Workers {
		if w.Cluster == cluster {
			out = append(out, w)
		}
	}
	return out
}

// maxNameBytes is the longest name of each kind of object. render writes
// every object under a name of its own, and a file system name component
// (ext4, APFS, NTFS, XFS) holds at most 255 bytes: a cluster and a worker
// are directories, a sink is <name>.json. Kafka Connect sets no limit of
// its own on a connector name (its consumer group, connect-<name>, has none
// either), so the file name is the limit.
var maxNameBytes = map[string]int{"cluster": 255, "worker": 255, "sink": 255 - len(".json")}

func (v *validator) name(o Origin, what, name string) bool {
	switch {
	case name == "":
		v.errorf(o, "name", fmt.Sprintf("give the %s a name", what), "missing")
		return false
	case !isObjectName(name):
		v.errorf(o, "name", "use letters, digits, '.', '_' and '-', starting with a letter or digit",
			"%q is not a valid %s name", name, what)
		return false
	case len(name) > maxNameBytes[what]:
		where := "a directory"
		if what == "sink" {
			where = "<name>.json"
		}
		v.errorf(o, "name", fmt.Sprintf("shorten it: render writes it as %s, and a file name is at most 255 bytes", where),
			"a %s name may be at most %d bytes, this one has %d", what, maxNameBytes[what], len(name))
		// Still a name that references resolve against: reporting every
		// reference as unknown would only repeat the problem.
	}
	return true
}

// caseCollision reports a name that differs from one already seen only in
// case. render writes each as a file or directory of its own, and on a
// case-insensitive file system (macOS and Windows by default) the second
// overwrites the first. seen maps the lower-cased key to the first object.
func (v *validator) caseCollision(o Origin, what, key, name string, seen map[string]firstDeclared) {
	k := strings.ToLower(key)
	first, dup := seen[k]
	switch {
	case !dup:
		seen[k] = firstDeclared{o, name}
	case first.name != name:
		v.errorf(o, "name", "rename one of them",
			"%s name %q differs from %q (%s) only in case: their rendered files collide on case-insensitive file systems",
			what, name, first.name, first.o.At("name"))
	}
}

// firstDeclared is the first object caseCollision saw under a lower-cased
// key: where it is, and its name as written.
type firstDeclared struct {
	o    Origin
	name string
}

// kafkaTopicProblem says why name is not a valid Kafka topic name, or "".
func kafkaTopicProblem(name string) string {
	switch {
	case !isTopicName(name):
		return "topic names use letters, digits, '.', '_' and '-'"
	case name == "." || name == "..":
		return "Kafka does not allow \".\" or \"..\" as a topic name"
	case len(name) > 249:
		return fmt.Sprintf("a Kafka topic name is at most 249 characters, this one has %d", len(name))
	}
	return ""
}

func (v *validator) clusters() map[string]*Cluster {
	byName := map[string]*Cluster{}
	groupIDs := map[string]*Cluster{}
	topics := map[string]string{} // topic -> path of first use
	folded := map[string]firstDeclared{}
	for _, c := range v.m.Clusters {
		if v.name(c.Origin, "cluster", c.Name) {
			v.caseCollision(c.Origin, "cluster", c.Name, c.Name, folded)
			if first, dup := byName[c.Name]; dup {
				v.errorf(c.Origin, "name", "cluster names must be unique",
					"cluster %q is already declared at %s", c.Name, first.At("name"))
			} else {
				byName[c.Name] = c
			}
		}
		if len(v.m.WorkersOf(c.Name)) == 0 && c.Name != "" {
			v.errorf(c.Origin, "name", fmt.Sprintf("declare its workers under workers: with cluster: %s", c.Name),
				"cluster %q has no workers", c.Name)
		}
		switch {
		case len(c.BootstrapServers) == 0:
			v.warnf(c.Origin, "bootstrapServers", "set bootstrapServers to the Kafka brokers the workers use",
				"not set: the workers will use localhost:9092")
		case allLoopback(c.BootstrapServers) && v.anyRemoteWorker(c.Name):
			v.warnf(c.Origin, "bootstrapServers", "list brokers the workers can reach over the network",
				"every bootstrap server is on localhost, but some workers of this cluster are remote")
		}
		for i, s := range c.BootstrapServers {
			if _, _, err := net.SplitHostPort(s); err != nil {
				v.errorf(c.Origin, fmt.Sprintf("bootstrapServers[%d]", i), "write host:port",
					"%q is not host:port", s)
			}
		}
		if c.GroupID == "" {
			v.errorf(c.Origin, "groupId", "set groupId, the group.id all the cluster's workers share", "missing")
		} else if first, dup := groupIDs[c.GroupID]; dup {
			v.errorf(c.Origin, "groupId", "every cluster needs its own group.id",
				"group.id %q is also used by cluster %q", c.GroupID, first.Name)
		} else {
			groupIDs[c.GroupID] = c
		}
		if b := c.Brokers; b != nil && *b < 1 {
			v.errorf(c.Origin, "brokers", "write the number of Kafka brokers, or leave it out if unknown",
				"brokers %d is invalid: a Kafka cluster has at least 1 broker", *b)
		}
		v.storage(c, topics)
		v.converter(c, "key", c.Converters.Key, true)
		v.converter(c, "value", c.Converters.Value, true)
		v.converter(c, "header", c.Converters.Header, false)
		switch c.PluginDiscovery {
		case "", "only_scan", "hybrid_warn", "hybrid_fail":
		case "service_load":
			for _, s := range v.m.Sinks {
				if s.Cluster == c.Name && s.IsDataStax() {
					v.warnf(c.Origin, "pluginDiscovery",
						"use hybrid_warn or only_scan: the DataStax jar has no ServiceLoader manifest",
						"service_load will not find %s, which sink %q uses", s.ConnectorClass(), s.Name)
					break
				}
			}
		default:
			v.errorf(c.Origin, "pluginDiscovery", "use only_scan, hybrid_warn, hybrid_fail or service_load",
				"unknown plugin discovery mode %q", c.PluginDiscovery)
		}
		for _, p := range c.PluginPath {
			if strings.Contains(p, "${") {
				v.errorf(c.Origin, "pluginPath", "write the directories out",
					"plugin.path cannot use config-provider variables")
				break
			}
		}
		for _, n := range slices.Sorted(maps.Keys(c.ConfigProviders)) {
			if c.ConfigProviders[n].Class == "" {
				v.errorf(c.Origin, joinPath("configProviders", n),
					"for example org.apache.kafka.common.config.provider.FileConfigProvider", "class is missing")
			}
		}
		if t := c.REST.TLS; (t.CertFile == "") != (t.KeyFile == "") {
			v.errorf(c.Origin, "rest.tls", "set both certFile and keyFile, or neither",
				"a client certificate needs both its certificate and its key")
		}
		v.properties(c.Origin, "properties", c.Properties)
		v.sampleRecords(c.Origin, c.Preflight.SampleRecords)
	}
	return byName
}

func (v *validator) storage(c *Cluster, topics map[string]string) {
	seen := map[string]string{}
	for _, t := range []struct {
		name string
		st   StorageTopic
	}{{"config", c.Storage.Config}, {"offset", c.Storage.Offset}, {"status", c.Storage.Status}} {
		rel := "storage." + t.name
		switch {
		case t.st.Topic == "":
			v.errorf(c.Origin, rel+".topic", "name the topic, for example connect-"+t.name+"s", "missing")
		case kafkaTopicProblem(t.st.Topic) != "":
			v.errorf(c.Origin, rel+".topic", kafkaTopicProblem(t.st.Topic), "%q is not a valid topic name", t.st.Topic)
		case seen[t.st.Topic] != "":
			v.errorf(c.Origin, rel+".topic", "each storage topic needs its own name",
				"topic %q is also the %s topic", t.st.Topic, seen[t.st.Topic])
		case topics[t.st.Topic] != "":
			v.errorf(c.Origin, rel+".topic", "two clusters sharing storage topics corrupt each other's configs and offsets",
				"topic %q is also used by %s", t.st.Topic, topics[t.st.Topic])
		default:
			seen[t.st.Topic] = t.name
		}
		if t.st.Topic != "" && topics[t.st.Topic] == "" {
			topics[t.st.Topic] = c.FieldPath(rel + ".topic")
		}
		if rf := t.st.ReplicationFactor; rf != nil {
			switch {
			case *rf == 0 || *rf < -1:
				v.errorf(c.Origin, rel+".replicationFactor", "use 1 or more, or -1 for the broker default",
					"replication factor %d is invalid", *rf)
			case c.BrokerCount() > 0 && *rf > c.BrokerCount():
				v.warnf(c.Origin, rel+".replicationFactor", "lower it, or correct brokers",
					"replication factor %d is more than the %d brokers declared: the workers will not start", *rf, c.BrokerCount())
			}
		} else if n := c.BrokerCount(); n > 0 && n < 3 {
			v.warnf(c.Origin, rel, fmt.Sprintf("set replicationFactor: %d", n),
				"the replication factor defaults to 3, more than the %d brokers declared", n)
		}
		if p := t.st.Partitions; p != nil {
			switch {
			case t.name == "config" && *p != 1:
				v.errorf(c.Origin, rel+".partitions", "remove it: the config topic always has one partition",
					"the config topic must have exactly 1 partition")
			case *p < 1:
				v.errorf(c.Origin, rel+".partitions", "use 1 or more", "partitions %d is invalid", *p)
			}
		}
	}
}

func (v *validator) converter(c *Cluster, name string, cv Converter, required bool) {
	rel := "converters." + name
	if cv.Class == "" {
		if required || cv.SchemasEnable != nil || len(cv.Properties) > 0 {
			v.errorf(c.Origin, rel+".class", "for example org.apache.kafka.connect.json.JsonConverter", "missing")
		}
		return
	}
	if cv.Class == "org.apache.kafka.connect.json.JsonConverter" && (cv.SchemasEnable == nil || *cv.SchemasEnable) {
		v.warnf(c.Origin, rel, "set schemasEnable: false unless every record carries a schema envelope",
			"JsonConverter with schemas.enable=true (its default) fails on plain JSON records")
	}
}

// sharedWorkerKeys must be identical on every worker of a cluster, so a
// worker may not set them on its own.
var sharedWorkerKeys = []string{
	"group.id", "bootstrap.servers", "config.storage.topic", "offset.storage.topic", "status.storage.topic",
	"key.converter", "value.converter", "header.converter", "config.providers", "connect.protocol",
	"exactly.once.source.support", "connector.client.config.override.policy",
	"security.protocol", "ssl.", "sasl.",
}

// IsSharedWorkerKey reports whether a worker property must be the same on every
// worker of a cluster (validate refuses it on one worker; import makes it a
// cluster setting).
func IsSharedWorkerKey(k string) bool {
	for _, s := range sharedWorkerKeys {
		if k == s || strings.HasPrefix(k, strings.TrimSuffix(s, ".")+".") {
			return true
		}
	}
	return false
}

func (v *validator) properties(o Origin, rel string, props map[string]Value) {
	for _, k := range slices.Sorted(maps.Keys(props)) {
		if k == "" || strings.ContainsAny(k, "\n\r") {
			v.errorf(o, joinPath(rel, k), "", "%q is not a valid property name", k)
		}
	}
}

func (v *validator) workers(clusters map[string]*Cluster) {
	names := map[string]*Worker{}
	urls := map[string]*Worker{}
	endpoints := map[string]*Worker{}
	listeners := map[string]*Worker{}
	folded := map[string]firstDeclared{}
	for _, w := range v.m.Workers {
		if v.name(w.Origin, "worker", w.Name) {
			v.caseCollision(w.Origin, "worker", w.Cluster+"\x00"+w.Name, w.Name, folded)
			if first, dup := names[w.Name]; dup {
				v.errorf(w.Origin, "name", "worker names must be unique", "worker %q is already declared at %s", w.Name, first.At("name"))
			} else {
				names[w.Name] = w
			}
		}
		v.clusterRef(w.Origin, w.Cluster, clusters)
		u, err := url.Parse(w.URL)
		switch {
		case w.URL == "":
			v.errorf(w.Origin, "url", "the worker's REST URL, for example http://connect-1:8083", "missing")
		case hasUserinfo(w.URL):
			// Never echo the URL: it holds a password.
			v.errorf(w.Origin, "url", "put the user and password under the cluster's rest.basicAuth, the password as a secret reference ({secretEnv: NAME})",
				"the URL carries credentials (user:password@host); connectsync does not send them from a URL")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			v.errorf(w.Origin, "url", "write http://host:port or https://host:port", "%q is not an http(s) URL", w.URL)
		default:
			if first, dup := urls[w.URL]; dup {
				v.errorf(w.Origin, "url", "each worker has its own URL", "URL %s is also worker %q's", w.URL, first.Name)
			} else {
				urls[w.URL] = w
			}
			ep := AdvertisedEndpoint(w)
			if first, dup := endpoints[ep]; dup && first.URL != w.URL {
				v.errorf(w.Origin, "advertisedHost", "give each worker its own advertised host and port",
					"advertised endpoint %s is also worker %q's: requests forwarded to one reach the other", ep, first.Name)
			} else {
				endpoints[ep] = w
			}
		}
		if p := w.AdvertisedPort; p != nil && (*p < 1 || *p > 65535) {
			v.errorf(w.Origin, "advertisedPort", "use a port from 1 to 65535, or leave it out to use the URL's", "port %d is invalid", *p)
		}
		for i, l := range w.Listeners {
			rel := fmt.Sprintf("listeners[%d]", i)
			lu, err := url.Parse(l)
			if hasUserinfo(l) {
				v.errorf(w.Origin, rel, "a listener is an address to bind, for example http://0.0.0.0:8083",
					"the listener URL carries credentials (user:password@host)")
				continue
			}
			if err != nil || (lu.Scheme != "http" && lu.Scheme != "https") || lu.Port() == "" {
				v.errorf(w.Origin, rel, "write http://host:port, for example http://0.0.0.0:8083", "%q is not a listener URL", l)
				continue
			}
			if lu.Hostname() == "" || lu.Hostname() == "0.0.0.0" {
				continue
			}
			key := lu.Host
			if first, dup := listeners[key]; dup {
				v.errorf(w.Origin, rel, "workers on one host need different ports",
					"listener %s is also worker %q's", l, first.Name)
			} else {
				listeners[key] = w
			}
		}
		for _, k := range slices.Sorted(maps.Keys(w.Properties)) {
			if IsSharedWorkerKey(k) {
				v.errorf(w.Origin, joinPath("properties", k),
					"set it once under the cluster's properties or typed fields; a REST listener's own TLS keys are listeners.https.ssl.*",
					"%s must be identical on every worker of a cluster", k)
			}
		}
		v.properties(w.Origin, "properties", w.Properties)
	}
}

// hasUserinfo reports whether a URL, parsable or not, carries a user or a
// password before its host: scheme://user[:password]@host. Such a URL is
// rejected, and never echoed, wherever a URL is validated.
func hasUserinfo(raw string) bool {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		return true
	}
	rest := raw
	if _, after, ok := strings.Cut(raw, "://"); ok {
		rest = after
	}
	authority, _, _ := strings.Cut(rest, "/")
	authority, _, _ = strings.Cut(authority, "?")
	authority, _, _ = strings.Cut(authority, "#")
	return strings.Contains(authority, "@")
}

func (v *validator) clusterRef(o Origin, name string, clusters map[string]*Cluster) {
	switch {
	case name == "":
		v.errorf(o, "cluster", "name the cluster it belongs to", "missing")
	case clusters[name] == nil:
		known := slices.Sorted(maps.Keys(clusters))
		hint := "declare it under clusters:"
		if len(known) > 0 {
			hint = "known clusters: " + strings.Join(known, ", ")
		}
		for _, k := range known {
			if editDistance(k, name) <= 2 {
				hint = fmt.Sprintf("did you mean %q?", k)
				break
			}
		}
		v.errorf(o, "cluster", hint, "unknown cluster %q", name)
	}
}

func (v *validator) anyRemoteWorker(cluster string) bool {
	for _, w := range v.m.WorkersOf(cluster) {
		if u, err := url.Parse(w.URL); err == nil && !isLoopback(u.Hostname()) {
			return true
		}
	}
	return false
}

func allLoopback(servers []string) bool {
	for _, s := range servers {
		host, _, err := net.SplitHostPort(s)
		if err != nil || !isLoopback(host) {
			return false
		}
	}
	return true
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (v *validator) sinks(clusters map[string]*Cluster) {
	// Made for every sink at once: grown from empty, the maps of a
	// manifest of thousands of sinks were rehashed a dozen times each.
	names := make(map[string]*Sink, len(v.m.Sinks))
	folded := make(map[string]firstDeclared, len(v.m.Sinks))
	var checked []sinkChecks
	for i, s := range v.m.Sinks {
		if i%sinkBatch == 0 {
			checked = checkSinks(v.m.Sinks[i:min(i+sinkBatch, len(v.m.Sinks))])
		}
		c := checked[i%sinkBatch]
		if v.name(s.Origin, "sink", s.Name) {
			key := s.Cluster + "\x00" + s.Name
			v.caseCollision(s.Origin, "sink", key, s.Name, folded)
			if first, dup := names[key]; dup {
				v.errorf(s.Origin, "name", "connector names are unique within a cluster",
					"sink %q is already declared at %s", s.Name, first.At("name"))
			} else {
				names[key] = s
			}
		}
		v.clusterRef(s.Origin, s.Cluster, clusters)
		if _, ok := object.ParseDesired(s.State); !ok {
			v.errorf(s.Origin, "state", "use running, paused or stopped", "unknown state %q", s.State)
		}
		if s.TasksMax != nil && *s.TasksMax < 1 {
			v.errorf(s.Origin, "tasksMax", "use 1 or more, or leave it out for Connect's default of 1",
				"tasksMax %d is invalid: Connect requires tasks.max >= 1", *s.TasksMax)
		}
		if s.Preflight != nil {
			v.sampleRecords(s.Origin, s.Preflight.SampleRecords)
			if s.Preflight.SampleRecords != nil && *s.Preflight.SampleRecords > 0 && !s.IsDataStax() {
				v.warnf(s.Origin, "preflight.sampleRecords", "remove it: plan samples records only for DataStax sinks",
					"sampleRecords applies only to the DataStax sink, not %s", s.ConnectorClass())
			}
		}
		if s.Cassandra != nil && !s.IsDataStax() {
			v.errorf(s.Origin, "cassandra", "remove it, or remove class to use the DataStax sink",
				"cassandra settings apply only to the DataStax sink, not %s", s.ConnectorClass())
		}
		if len(s.Topics) == 0 && s.Config["topics"].IsZero() && s.Config["topics.regex"].IsZero() {
			v.errorf(s.Origin, "topics", "list the Kafka topics the sink reads", "a sink needs at least one topic")
		}
		// broken lists the typed topics already reported for a bad topic,
		// keyspace or table name. Their rendered topic.* keys cannot parse,
		// and the DataStax checks below would only repeat the problem.
		broken := map[string]bool{}
		var buf [4]string
		for _, t := range sortedKeys(s.Topics, buf[:0]) {
			problem := kafkaTopicProblem(t)
			if tp := s.Topics[t]; problem == "" && (tp == nil || len(tp.Tables) == 0) {
				continue // nothing to check, nor a path to join for it
			}
			rel := joinPath("topics", t)
			if problem != "" {
				v.errorf(s.Origin, rel, problem, "%q is not a valid topic name", t)
				broken[t] = true
			}
			if s.Topics[t] == nil {
				continue
			}
			for i, tb := range s.Topics[t].Tables {
				if tb == nil || isCQLName(tb.Keyspace) && isCQLName(tb.Table) {
					continue // the paths of the checks below are joined only for a problem
				}
				tr := fmt.Sprintf("%s.tables[%d]", rel, i)
				if !v.cqlName(s.Origin, tr+".keyspace", "keyspace", tb.Keyspace) ||
					!v.cqlName(s.Origin, tr+".table", "table", tb.Table) {
					broken[t] = true
				}
			}
			if len(s.Topics[t].Tables) > 0 && !s.IsDataStax() {
				v.errorf(s.Origin, rel+".tables", "remove tables, or remove class to use the DataStax sink",
					"tables apply only to the DataStax sink")
			}
		}
		if _, ok := s.Config["name"]; ok {
			v.errorf(s.Origin, "config.name", "remove it: the sink's name field sets it", "name is set by the sink's name")
		}
		if v.keep {
			v.rendered = append(v.rendered, checkedSink{c.cfg, c.render})
		}
		v.diags = append(v.diags, c.render...)
		v.diags = append(v.diags, c.connect...)
		for _, d := range c.dataStax {
			if !aboutBrokenTopic(s, d, broken) {
				v.diags = append(v.diags, d.Diagnostic)
			}
		}
	}
}

// sinkChecks is a sink's config rendered with secrets unresolved, and what
// rendering it and the checks of the config found.
type sinkChecks struct {
	cfg      *Config
	render   Diagnostics
	connect  Diagnostics
	dataStax []dsDiagnostic
}

// sinkBatch is how many sinks checkSinks checks at once: enough to keep
// every core busy, few enough that validate of a large manifest holds a
// few configs at a time, not one per sink.
const sinkBatch = 256

// checkSinks renders and checks each sink's config, on every core: each
// sink's checks read only the sink and its file's positions. The part of
// validation that compares sinks with each other stays in order, in
// validator.sinks.
func checkSinks(sinks []*Sink) []sinkChecks {
	out := make([]sinkChecks, len(sinks))
	check := func(i int) {
		s := sinks[i]
		c := &out[i]
		c.cfg, c.render = RenderSink(s, Unresolved{})
		c.connect = CheckConnect(c.cfg)
		if s.IsDataStax() {
			c.dataStax = checkDataStax(c.cfg)
		}
	}
	parallel.For(len(sinks), runtime.GOMAXPROCS(0), check)
	return out
}

// sampleRecords checks preflight.sampleRecords: 0 (off) up to
// MaxSampleRecords.
func (v *validator) sampleRecords(o Origin, n *int) {
	if n == nil {
		return
	}
	if *n < 0 || *n > MaxSampleRecords {
		v.errorf(o, "preflight.sampleRecords", fmt.Sprintf("use 1 to %d records per partition, or 0 to turn sampling off", MaxSampleRecords),
			"sampleRecords %d is out of range", *n)
	}
}

// aboutBrokenTopic reports whether a DataStax diagnostic is about one of the
// typed topics in broken, whose problem is already reported: it is at one
// of their fields, or it is about their entry in the topics list.
func aboutBrokenTopic(s *Sink, d dsDiagnostic, broken map[string]bool) bool {
	if d.listedTopic != "" && broken[d.listedTopic] && d.Path == s.FieldPath("topics") {
		return true
	}
	for t := range broken {
		p := s.FieldPath(joinPath("topics", t))
		if d.Path == p || strings.HasPrefix(d.Path, p+".") || strings.HasPrefix(d.Path, p+"[") {
			return true
		}
	}
	return false
}

// isCQLName reports whether cqlName passes name without a word.
func isCQLName(name string) bool {
	return name != "" && !strings.Contains(name, ".")
}

func (v *validator) cqlName(o Origin, rel, what, name string) bool {
	switch {
	case name == "":
		v.errorf(o, rel, "name the Cassandra "+what, "missing")
	case strings.Contains(name, "."):
		other := "table"
		if what == "table" {
			other = "keyspace"
		}
		v.errorf(o, rel, fmt.Sprintf("write the %s name alone; the %s has its own field", what, other),
			"a %s name cannot contain a dot", what)
	default:
		return true
	}
	return false
}
