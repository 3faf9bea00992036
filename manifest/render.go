package manifest

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Config is a rendered set of string keys: a worker's properties or a
// connector's config. It remembers, for every key, the manifest field it came
// from (From) and whether its value is a secret.
type Config struct {
	Values map[string]string
	// Sensitive marks keys whose value must never be shown. It is nil
	// when no value is a secret.
	Sensitive map[string]bool
	// Origin is the object the config was rendered for.
	Origin Origin

	// fields are the keys in the order they were set, each with the field
	// it came from: the path and position are worked out only when asked
	// for (From), for a diagnostic or a plan line, not for every key of
	// thousands of sinks.
	fields []field

	// refs are the Values the config was rendered from, in the order they
	// were resolved, so that a config rendered with secrets unresolved
	// can be resolved later without rendering it again (Checked.Render).
	refs []valueRef
}

// field is where a key came from: the field from of the object o, or,
// when sub is not negative, the entry key[sub:] of the map at from (a
// key of config: or properties:), whose path is joined only when needed.
type field struct {
	key  string
	from string
	sub  int
	o    *Origin
}

func (f *field) loc() Loc {
	rel := f.from
	if f.sub >= 0 {
		rel = joinPath(f.from, f.key[f.sub:])
	}
	return Loc{Path: f.o.FieldPath(rel), Pos: f.o.At(rel)}
}

// From returns the manifest field a key was rendered from, and whether
// the key is set.
func (c *Config) From(key string) (Loc, bool) {
	for i := range c.fields {
		if c.fields[i].key == key {
			return c.fields[i].loc(), true
		}
	}
	return Loc{}, false
}

// rel returns the field a key was rendered from, relative to its object,
// without working out its position: "" when the key is not set.
func (c *Config) rel(key string) string {
	for i := range c.fields {
		if f := &c.fields[i]; f.key == key {
			if f.sub >= 0 {
				return joinPath(f.from, f.key[f.sub:])
			}
			return f.from
		}
	}
	return ""
}

// Fields yields every key with the manifest field it was rendered from,
// in the order the keys were set.
func (c *Config) Fields() iter.Seq2[string, Loc] {
	return func(yield func(string, Loc) bool) {
		for i := range c.fields {
			if !yield(c.fields[i].key, c.fields[i].loc()) {
				return
			}
		}
	}
}

// valueRef is a key set from a Value, or a Value for a key already set
// (resolved all the same, as RenderSink does, and reported at dup).
type valueRef struct {
	key string
	v   Value
	dup *Loc
}

// Loc is a field of a manifest: its path and where it was written.
type Loc struct {
	Path string
	Pos  Pos
}

// HasSecrets reports whether any value is a resolved secret.
func (c *Config) HasSecrets() bool {
	for _, s := range c.Sensitive {
		if s {
			return true
		}
	}
	return false
}

// Secrets returns the distinct secret values, longest first, for scrubbing
// them out of anything printed.
func (c *Config) Secrets() []string {
	var out []string
	for k, s := range c.Sensitive {
		if s && c.Values[k] != "" {
			out = append(out, c.Values[k])
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// Resolver turns a Value into text. RenderWorker and RenderSink call it for
// every value; a secret that cannot be resolved becomes a Diagnostic.
type Resolver interface {
	Resolve(v Value) (string, error)
}

// EnvResolver resolves secret references from the environment and files.
type EnvResolver struct{ Env Env }

// Resolve implements Resolver.
func (r EnvResolver) Resolve(v Value) (string, error) { return v.Resolve(r.Env) }

// Unresolved is a Resolver for offline checks that must not need the
// secrets: every secret reads as the placeholder SecretPlaceholder.
type Unresolved struct{}

// SecretPlaceholder stands for a secret that was not resolved.
const SecretPlaceholder = "(secret)"

// Resolve implements Resolver.
func (Unresolved) Resolve(v Value) (string, error) {
	if v.IsSecret() {
		return SecretPlaceholder, nil
	}
	return v.Text, nil
}

// builder collects the keys of one Config and reports a key set twice.
type builder struct {
	origin *Origin
	cfg    *Config
	res    Resolver
	diags  Diagnostics
}

// newBuilder starts a Config of about keys keys: its map and the list of
// its fields are made that large at once, not grown key by key.
func newBuilder(o Origin, res Resolver, keys int) *builder {
	cfg := &Config{Values: make(map[string]string, keys), Origin: o, fields: make([]field, 0, keys)}
	return &builder{origin: &cfg.Origin, cfg: cfg, res: res}
}

func (b *builder) loc(from string) Loc {
	return Loc{Path: b.origin.FieldPath(from), Pos: b.origin.At(from)}
}

func (b *builder) set(key, from, value string) {
	b.setField(field{key: key, from: from, sub: -1, o: b.origin}, value)
}

func (b *builder) setField(f field, value string) {
	if _, dup := b.cfg.Values[f.key]; dup {
		prev, _ := b.cfg.From(f.key)
		at := f.loc()
		b.diags = append(b.diags, Diagnostic{
			Pos:     at.Pos,
			Path:    at.Path,
			Message: fmt.Sprintf("%s is already set by %s", f.key, prev.Path),
			Hint:    "set it in one place only",
		})
		return
	}
	b.cfg.Values[f.key] = value
	b.cfg.fields = append(b.cfg.fields, f)
}

func (b *builder) str(key, from, value string) {
	if value != "" {
		b.set(key, from, value)
	}
}

func (b *builder) list(key, from string, values []string) {
	if len(values) > 0 {
		b.set(key, from, strings.Join(values, ","))
	}
}

func (b *builder) intp(key, from string, v *int) {
	if v != nil {
		b.set(key, from, strconv.Itoa(*v))
	}
}

func (b *builder) boolp(key, from string, v *bool) {
	if v != nil {
		b.set(key, from, strconv.FormatBool(*v))
	}
}

func (b *builder) value(key, from string, v Value) {
	b.valueAt(field{key: key, from: from, sub: -1, o: b.origin}, v)
}

// valueAt sets f.key from v, written at f.
func (b *builder) valueAt(f field, v Value) {
	if v.IsZero() {
		return
	}
	ref := valueRef{key: f.key, v: v}
	if _, dup := b.cfg.Values[f.key]; dup {
		at := f.loc()
		ref.dup = &at
	}
	b.cfg.refs = append(b.cfg.refs, ref)
	s, d := resolve(b.res, v, f.loc)
	if d != nil {
		b.diags = append(b.diags, *d)
	}
	b.setField(f, s)
	if v.IsSecret() {
		if b.cfg.Sensitive == nil {
			b.cfg.Sensitive = map[string]bool{}
		}
		b.cfg.Sensitive[f.key] = true
	}
}

// resolve resolves v with res. A value that cannot be resolved is "" and a
// Diagnostic at the field where (called only then) says.
func resolve(res Resolver, v Value, where func() Loc) (string, *Diagnostic) {
	s, err := res.Resolve(v)
	if err == nil {
		return s, nil
	}
	at := where()
	hint := "set the variable or create the file before running connectsync"
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		hint = h.Hint()
	}
	return "", &Diagnostic{
		Pos:     at.Pos,
		Path:    at.Path,
		Message: fmt.Sprintf("cannot resolve %s: %v", v.Ref(), err),
		Hint:    hint,
	}
}

// resolved returns c with the values of its keys that were set from a
// Value resolved again with res: c as RenderSink would have rendered it
// with res, when c was rendered with Unresolved. c is not changed: when
// no value resolves to other text (no secret) it is c itself, else a copy
// that shares its Sensitive and fields. A Config is never written once
// it is rendered.
func (c *Config) resolved(res Resolver) (*Config, Diagnostics) {
	var out *Config // the copy, once a value differs
	var diags Diagnostics
	for _, r := range c.refs {
		s, d := resolve(res, r.v, func() Loc {
			if r.dup != nil {
				return *r.dup
			}
			l, _ := c.From(r.key)
			return l
		})
		if d != nil {
			diags = append(diags, *d)
		}
		// A key set from a Value is set from one Value only (a repeat
		// has dup): until then, out.Values[r.key] is c.Values[r.key].
		if r.dup == nil && c.Values[r.key] != s {
			if out == nil {
				cp := *c
				cp.Values = maps.Clone(c.Values)
				out = &cp
			}
			out.Values[r.key] = s
		}
	}
	if out == nil {
		return c, diags
	}
	return out, diags
}

func (b *builder) values(prefix, from string, m map[string]Value) {
	var buf [8]string
	for _, k := range sortedKeys(m, buf[:0]) {
		b.valueAt(field{key: prefix + k, from: from, sub: len(prefix), o: b.origin}, m[k])
	}
}

// RenderWorker renders a worker's connect-distributed.properties from its
// cluster's shared settings and its own.
func RenderWorker(c *Cluster, w *Worker, res Resolver) (*Config, Diagnostics) {
	b := newBuilder(w.Origin, res, 16+len(c.Properties)+len(w.Properties))
	// The cluster's keys are traced to the cluster's own fields.
	cl := b.withOrigin(c.Origin)
	cl.list("bootstrap.servers", "bootstrapServers", c.BootstrapServers)
	cl.str("group.id", "groupId", c.GroupID)
	for _, t := range []struct {
		name string
		st   StorageTopic
	}{{"config", c.Storage.Config}, {"offset", c.Storage.Offset}, {"status", c.Storage.Status}} {
		from := "storage." + t.name
		cl.str(t.name+".storage.topic", from+".topic", t.st.Topic)
		cl.intp(t.name+".storage.replication.factor", from+".replicationFactor", t.st.ReplicationFactor)
		cl.intp(t.name+".storage.partitions", from+".partitions", t.st.Partitions)
	}
	for _, cv := range []struct {
		name string
		c    Converter
	}{{"key", c.Converters.Key}, {"value", c.Converters.Value}, {"header", c.Converters.Header}} {
		from := "converters." + cv.name
		key := cv.name + ".converter"
		cl.str(key, from+".class", cv.c.Class)
		cl.boolp(key+".schemas.enable", from+".schemasEnable", cv.c.SchemasEnable)
		cl.values(key+".", from+".properties", cv.c.Properties)
	}
	cl.list("plugin.path", "pluginPath", c.PluginPath)
	cl.str("plugin.discovery", "pluginDiscovery", c.PluginDiscovery)
	if len(c.ConfigProviders) > 0 {
		names := sortedKeys(c.ConfigProviders, nil)
		cl.set("config.providers", "configProviders", strings.Join(names, ","))
		for _, n := range names {
			p := c.ConfigProviders[n]
			from := joinPath("configProviders", n)
			cl.str("config.providers."+n+".class", from+".class", p.Class)
			cl.values("config.providers."+n+".param.", from+".params", p.Params)
		}
	}
	cl.values("", "properties", c.Properties)

	host, port := advertised(w)
	b.list("listeners", "listeners", w.Listeners)
	b.str("rest.advertised.host.name", "advertisedHost", host)
	if port != 0 || w.AdvertisedPort != nil {
		b.set("rest.advertised.port", "advertisedPort", strconv.Itoa(port))
	}
	b.str("rest.advertised.listener", "advertisedListener", w.AdvertisedListener)
	b.values("", "properties", w.Properties)
	return b.cfg, append(cl.diags, b.diags...)
}

// withOrigin returns a builder that adds to the same Config, tracing keys to
// fields of another object.
func (b *builder) withOrigin(o Origin) *builder {
	return &builder{origin: &o, cfg: b.cfg, res: b.res}
}

// advertised returns the REST host and port other workers use to reach w:
// the declared ones, or else the host and port of its URL. A declared port
// is used as written, 0 included: validate rejects a port out of range, and
// render never swaps it for the URL's.
func advertised(w *Worker) (string, int) {
	host := w.AdvertisedHost
	u, err := url.Parse(w.URL)
	ok := err == nil && u.Host != ""
	if host == "" && ok {
		host = u.Hostname()
	}
	switch {
	case w.AdvertisedPort != nil:
		return host, *w.AdvertisedPort
	case !ok:
		return host, 0
	}
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return host, p
	}
	if u.Scheme == "https" {
		return host, 443
	}
	return host, 80
}

// AdvertisedEndpoint returns host:port as the other workers reach w.
func AdvertisedEndpoint(w *Worker) string {
	host, port := advertised(w)
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// RenderSink renders a sink's connector config: the map a PUT to
// /connectors/{name}/config sends, every value a string.
func RenderSink(s *Sink, res Resolver) (*Config, Diagnostics) {
	b := newBuilder(s.Origin, res, sinkKeys(s))
	b.set("connector.class", "class", s.ConnectorClass())
	tasks := 1 // Connect's default, when tasksMax is unset
	if s.TasksMax != nil {
		tasks = *s.TasksMax // as written: validate rejects 0 and below
	}
	b.set("tasks.max", "tasksMax", strconv.Itoa(tasks))
	var buf [4]string
	topics := sortedKeys(s.Topics, buf[:0])
	if len(topics) > 0 {
		b.set("topics", "topics", strings.Join(topics, ","))
	}
	if c := s.Cassandra; c != nil {
		renderCassandra(b, c)
	}
	for _, name := range topics {
		t := s.Topics[name]
		if t == nil || len(t.Tables) == 0 && t.Codec == nil {
			continue // nothing to render, nor a path to join for it
		}
		from := joinPath("topics", name)
		for i, tb := range t.Tables {
			if tb == nil {
				continue
			}
			s := settings{b: b,
				prefix: "topic." + name + "." + tb.Keyspace + "." + tb.Table + ".",
				from:   from + ".tables[" + strconv.Itoa(i) + "]."}
			s.str("mapping", tb.Mapping)
			s.str("consistencyLevel", tb.ConsistencyLevel)
			if tb.TTL != nil {
				s.str("ttl", strconv.Itoa(*tb.TTL))
			}
			s.str("ttlTimeUnit", tb.TTLTimeUnit)
			s.str("timestampTimeUnit", tb.TimestampTimeUnit)
			if tb.NullToUnset != nil {
				s.str("nullToUnset", strconv.FormatBool(*tb.NullToUnset))
			}
			if tb.DeletesEnabled != nil {
				s.str("deletesEnabled", strconv.FormatBool(*tb.DeletesEnabled))
			}
			s.str("query", tb.Query)
		}
		if cd := t.Codec; cd != nil {
			s := settings{b: b, prefix: "topic." + name + ".codec.", from: from + ".codec."}
			s.str("locale", cd.Locale)
			s.str("timeZone", cd.TimeZone)
			s.str("timestamp", cd.Timestamp)
			s.str("date", cd.Date)
			s.str("time", cd.Time)
			s.str("unit", cd.Unit)
		}
	}
	b.values("", "config", s.Config)
	return b.cfg, b.diags
}

// settings sets the keys of a table's or a codec's settings, each
// <prefix><setting> from the field <from><setting>. A table has eight
// settings and sets two or three: their keys and paths are joined only
// for those.
type settings struct {
	b            *builder
	prefix, from string
}

func (s settings) str(setting, value string) {
	if value != "" {
		s.b.set(s.prefix+setting, s.from+setting, value)
	}
}

// sinkKeys is about how many keys RenderSink renders for s: a few of
// its own, the DataStax sink's usual ones, and its config's.
func sinkKeys(s *Sink) int {
	n := 3 + len(s.Config)
	if c := s.Cassandra; c != nil {
		n += 8 + len(c.Driver)
	}
	for _, t := range s.Topics {
		if t != nil {
			n += 2 * len(t.Tables)
		}
	}
	return n
}

func renderCassandra(b *builder, c *Cassandra) {
	b.list("contactPoints", "cassandra.contactPoints", c.ContactPoints)
	b.intp("port", "cassandra.port", c.Port)
	b.str("loadBalancing.localDc", "cassandra.localDc", c.LocalDC)
	b.str("cloud.secureConnectBundle", "cassandra.cloudSecureConnectBundle", c.CloudSecureConnectBundle)
	if a := c.Auth; a != nil {
		b.str("auth.provider", "cassandra.auth.provider", a.Provider)
		b.value("auth.username", "cassandra.auth.username", a.Username)
		b.value("auth.password", "cassandra.auth.password", a.Password)
		if g := a.GSSAPI; g != nil {
			b.str("auth.gssapi.keyTab", "cassandra.auth.gssapi.keyTab", g.KeyTab)
			b.str("auth.gssapi.principal", "cassandra.auth.gssapi.principal", g.Principal)
			b.str("auth.gssapi.service", "cassandra.auth.gssapi.service", g.Service)
		}
	}
	if s := c.SSL; s != nil {
		b.str("ssl.provider", "cassandra.ssl.provider", s.Provider)
		b.boolp("ssl.hostnameValidation", "cassandra.ssl.hostnameValidation", s.HostnameValidation)
		b.list("ssl.cipherSuites", "cassandra.ssl.cipherSuites", s.CipherSuites)
		if k := s.Keystore; k != nil {
			b.str("ssl.keystore.path", "cassandra.ssl.keystore.path", k.Path)
			b.value("ssl.keystore.password", "cassandra.ssl.keystore.password", k.Password)
		}
		if k := s.Truststore; k != nil {
			b.str("ssl.truststore.path", "cassandra.ssl.truststore.path", k.Path)
			b.value("ssl.truststore.password", "cassandra.ssl.truststore.password", k.Password)
		}
		if o := s.OpenSSL; o != nil {
			b.str("ssl.openssl.keyCertChain", "cassandra.ssl.openssl.keyCertChain", o.KeyCertChain)
			b.str("ssl.openssl.privateKey", "cassandra.ssl.openssl.privateKey", o.PrivateKey)
		}
	}
	b.intp("maxConcurrentRequests", "cassandra.maxConcurrentRequests", c.MaxConcurrentRequests)
	b.intp("maxNumberOfRecordsInBatch", "cassandra.maxNumberOfRecordsInBatch", c.MaxNumberOfRecordsInBatch)
	b.intp("queryExecutionTimeout", "cassandra.queryExecutionTimeout", c.QueryExecutionTimeout)
	b.intp("connectionPoolLocalSize", "cassandra.connectionPoolLocalSize", c.ConnectionPoolLocalSize)
	b.intp("metricsHighestLatency", "cassandra.metricsHighestLatency", c.MetricsHighestLatency)
	b.boolp("jmx", "cassandra.jmx", c.JMX)
	b.str("compression", "cassandra.compression", c.Compression)
	b.str("ignoreErrors", "cassandra.ignoreErrors", c.IgnoreErrors)
	b.values("datastax-java-driver.", "cassandra.driver", c.Driver)
}

// sortedKeys appends m's keys to buf, sorted: slices.Sorted(maps.Keys(m))
// without growing the slice key by key, and without an allocation when
// buf, an array on the caller's stack, holds them all.
func sortedKeys[M ~map[string]V, V any](m M, buf []string) []string {
	if len(m) == 0 {
		return nil
	}
	if cap(buf) < len(m) {
		buf = make([]string, 0, len(m))
	}
	for k := range m {
		buf = append(buf, k)
	}
	slices.Sort(buf)
	return buf
}
