// Package importer turns what runs on live Kafka Connect clusters back into
// manifests: it is the inverse of manifest.RenderSink and
// manifest.RenderWorker. Its one promise is the round trip: the manifest it
// writes renders exactly the live connector configs and worker properties,
// so that plan finds nothing to change.
//
// It reads nothing and writes nothing itself: callers give it live configs
// and states, and get manifest objects, the YAML bytes to write, the secret
// variables the user has to set, and notes on what it could not type.
package importer

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// Connector is one live connector, as a worker reports it.
type Connector struct {
	Cluster, Name string
	// Config is the stored config; its "name" key is ignored.
	Config map[string]string
	// State is the Connect state: RUNNING, PAUSED, STOPPED, FAILED, ...
	State object.State
	// Passwords are the keys the connector's plugin types as PASSWORD.
	Passwords map[string]bool
}

// Secret is a value import did not write: the manifest refers to it as
// {secretEnv: Env}, and the user sets Env before plan.
type Secret struct {
	Env string
	// Subject is the object the secret belongs to.
	Subject object.Ref
	Key     string
	// Masked says the worker returned a mask, not the value: the real
	// value could not be read.
	Masked bool
}

// Note is something the user should know about one imported object.
type Note struct {
	Subject object.Ref
	Kind    NoteKind
	Message string
}

// NoteKind sorts notes for the report.
type NoteKind int

// Kinds of notes.
const (
	// Untyped: a key with no typed field, written under config: or properties:.
	Untyped NoteKind = iota
	// Inexpressible: live state the manifest cannot say exactly.
	Inexpressible
	// Skipped: an object not imported at all.
	Skipped
)

// isPlaceholder reports whether v is exactly one Kafka config-provider
// variable, ${provider:path:key} (or ${provider:key}): a provider name of
// [A-Za-z0-9_.-], a colon, then anything but a closing brace up to the
// one that ends v. The worker resolves it; import keeps it as text. (It
// is the regexp ^\$\{[A-Za-z0-9_.-]+:[^}]*\}$, written out so that no
// command compiles it at start-up; TestIsPlaceholder holds the two
// together.)
func isPlaceholder(v string) bool {
	inner, ok := strings.CutPrefix(v, "${")
	if !ok {
		return false
	}
	if inner, ok = strings.CutSuffix(inner, "}"); !ok {
		return false
	}
	provider, rest, ok := strings.Cut(inner, ":")
	return ok && provider != "" && madeOf(provider, providerChars) && !strings.Contains(rest, "}")
}

// providerChars are the characters of a config provider's name.
const providerChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

// envNamer suggests environment variable names for secrets, unique across one
// import. Call it in a fixed order for deterministic names.
type envNamer struct{ used map[string]bool }

func (n *envNamer) clone() *envNamer {
	c := &envNamer{used: map[string]bool{}}
	for k := range n.used {
		c.used[k] = true
	}
	return c
}

// Name returns a variable name made of the parts, upper-cased, with every
// run of other characters as one underscore, and a _2, _3... suffix when an
// earlier call took it.
func (n *envNamer) Name(parts ...string) string {
	if n.used == nil {
		n.used = map[string]bool{}
	}
	var b strings.Builder
	under := false
	for _, p := range parts {
		for _, r := range strings.ToUpper(p) {
			if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
				b.WriteRune(r)
				under = false
			} else if !under && b.Len() > 0 {
				b.WriteByte('_')
				under = true
			}
		}
		if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
	}
	base := strings.TrimSuffix(b.String(), "_")
	if base == "" || base[0] >= '0' && base[0] <= '9' {
		base = "SECRET_" + base
	}
	name := base
	for i := 2; n.used[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	n.used[name] = true
	return name
}

// sinkResult is one imported connector.
type sinkResult struct {
	Sink    *manifest.Sink
	Secrets []Secret
	Notes   []Note
	// Live is the config the manifest must render: the live config without
	// the keys plan ignores. Check compares against it.
	Live map[string]string
	// secretValues maps each secret variable to its live value, for Check
	// only. It never leaves this package.
	secretValues map[string]string
}

// ignoredKey mirrors what plan never compares: Connect's own name key and
// vendor keys under __internal.
func ignoredKey(k string) bool { return k == "name" || strings.HasPrefix(k, "__internal.") }

// sinkImport holds the keys of one connector not yet placed.
type sinkImport struct {
	c     Connector
	rest  map[string]string
	res   *sinkResult
	namer *envNamer
}

// importSink imports one connector: DataStax sinks in typed form, other classes
// as class and config, every secret as a {secretEnv: NAME} reference. It
// checks the round trip itself: when the typed form would not render the
// live config back exactly, it falls back to class, tasksMax and config,
// and notes any key that still differs.
func importSink(c Connector, namer *envNamer) *sinkResult {
	typed := namer.clone()
	res := sinkWith(c, typed, false)
	if len(res.Check()) == 0 {
		*namer = *typed
		return res
	}
	res = sinkWith(c, namer, true)
	res.Notes = append(res.Notes, Note{Subject: object.SinkRef(c.Cluster, c.Name), Kind: Untyped,
		Message: "its keys do not fit the typed fields exactly: every key is written under config:"})
	if bad := res.Check(); len(bad) > 0 {
		res.Notes = append(res.Notes, Note{Subject: object.SinkRef(c.Cluster, c.Name), Kind: Inexpressible,
			Message: "the manifest renders " + strings.Join(bad, ", ") + " differently from the live config"})
	}
	return res
}

func sinkWith(c Connector, namer *envNamer, raw bool) *sinkResult {
	s := &manifest.Sink{Name: c.Name, Cluster: c.Cluster}
	res := &sinkResult{Sink: s, Live: map[string]string{}, secretValues: map[string]string{}}
	im := &sinkImport{c: c, rest: map[string]string{}, res: res, namer: namer}
	var dropped []string
	for k, v := range c.Config {
		if ignoredKey(k) {
			if k != "name" {
				dropped = append(dropped, k)
			}
			continue
		}
		im.rest[k] = v
		res.Live[k] = v
	}
	if len(dropped) > 0 {
		sort.Strings(dropped)
		im.note(Untyped, "left out %s: keys the worker adds itself, which plan ignores", strings.Join(dropped, ", "))
	}

	class := im.rest["connector.class"]
	delete(im.rest, "connector.class")
	if class != manifest.DataStaxClass {
		s.Class = class
	}
	// FAILED, UNASSIGNED and RESTARTING are states nobody declares.
	s.State = c.State.Word()
	if !c.State.Desirable() {
		s.State = object.StateRunning.Word()
		im.note(Inexpressible, "its live state is %s; written as state: running, the state it is meant to have", orUnknown(c.State))
	}
	im.tasksMax()
	if !raw {
		topicsTyped := im.topics()
		if s.IsDataStax() {
			im.cassandra()
			if topicsTyped {
				im.tables()
			}
		}
	}
	// What is left has no typed field.
	var untyped []string
	for _, k := range slices.Sorted(maps.Keys(im.rest)) {
		if s.Config == nil {
			s.Config = map[string]manifest.Value{}
		}
		s.Config[k] = im.value(k, im.rest[k])
		untyped = append(untyped, k)
	}
	if len(untyped) > 0 && s.IsDataStax() && !raw {
		im.note(Untyped, "no typed field for %s: written under config:", strings.Join(untyped, ", "))
	}
	sort.Slice(res.Secrets, func(i, j int) bool { return res.Secrets[i].Key < res.Secrets[j].Key })
	return res
}

// Check renders the imported sink back, from the YAML import writes, and
// returns the keys whose rendered value differs from the live one, sorted.
// Secret references resolve to the live values, in memory only.
func (r *sinkResult) Check() []string {
	data := document{Sinks: []*manifest.Sink{r.Sink}}.Marshal()
	m, ds := manifest.Parse("import.yaml", data)
	if ds.HasErrors() || len(m.Sinks) != 1 {
		return []string{"(the whole sink: " + ds.Error() + ")"}
	}
	cfg, _ := manifest.RenderSink(m.Sinks[0], liveSecrets(r.secretValues))
	return differing(cfg.Values, r.Live)
}

// liveSecrets resolves the secret references import wrote to the values it
// read, for Check.
type liveSecrets map[string]string

func (l liveSecrets) Resolve(v manifest.Value) (string, error) {
	if v.SecretEnv() != "" {
		return l[v.SecretEnv()], nil
	}
	return v.Text, nil
}

// differing returns the keys whose values differ between a and b, or that
// only one of them has, sorted.
func differing(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func orUnknown(s object.State) string {
	if s == "" {
		return "unknown"
	}
	return s.String()
}

func (im *sinkImport) subject() object.Ref { return object.SinkRef(im.c.Cluster, im.c.Name) }

func (im *sinkImport) note(kind NoteKind, format string, args ...any) {
	im.res.Notes = append(im.res.Notes, Note{Subject: im.subject(), Kind: kind, Message: fmt.Sprintf(format, args...)})
}

func (im *sinkImport) tasksMax() {
	v, ok := im.rest["tasks.max"]
	if !ok {
		one := 1
		im.res.Sink.TasksMax = &one
		im.note(Inexpressible, "has no tasks.max; the manifest renders tasks.max=1, which is Connect's default")
		return
	}
	delete(im.rest, "tasks.max")
	if n, ok := canonicalInt(v); ok && n >= 1 {
		im.res.Sink.TasksMax = &n
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		n = 1
	}
	im.res.Sink.TasksMax = &n
	im.note(Inexpressible, "tasks.max is %q; written as tasksMax: %d", v, n)
}

// value is the manifest value of a live key: text, a kept placeholder, or
// a secret reference.
func (im *sinkImport) value(k, v string) manifest.Value {
	if !im.isSecret(k, v) {
		return manifest.Value{Text: v}
	}
	env := im.namer.Name(im.c.Name, k)
	im.res.Secrets = append(im.res.Secrets, Secret{Env: env, Subject: im.subject(), Key: k, Masked: diff.IsMask(v)})
	im.res.secretValues[env] = v
	return manifest.EnvSecret(env)
}

// isSecret reports whether the live value of k is written as a secret
// reference: a worker's mask, or a real value of a password key. A
// config-provider placeholder is not a secret: the worker resolves it.
func (im *sinkImport) isSecret(k, v string) bool {
	return diff.IsMask(v) || v != "" && !isPlaceholder(v) &&
		(im.c.Passwords[k] || manifest.IsDataStaxPassword(k) || manifest.LooksSensitive(k))
}

// str takes a key for a string field: present, not empty (an empty typed
// field is not rendered), and not a secret.
func (im *sinkImport) str(k string) string {
	v, ok := im.rest[k]
	if !ok || v == "" || im.isSecret(k, v) {
		return ""
	}
	delete(im.rest, k)
	return v
}

func (im *sinkImport) intp(k string) *int {
	v, ok := im.rest[k]
	if !ok {
		return nil
	}
	if n, ok := canonicalInt(v); ok {
		delete(im.rest, k)
		return &n
	}
	return nil
}

func (im *sinkImport) boolp(k string) *bool {
	v, ok := im.rest[k]
	if !ok || (v != "true" && v != "false") {
		return nil
	}
	delete(im.rest, k)
	b := v == "true"
	return &b
}

func (im *sinkImport) list(k string) []string {
	v, ok := im.rest[k]
	if !ok {
		return nil
	}
	items, ok := canonicalList(v)
	if !ok {
		return nil
	}
	delete(im.rest, k)
	return items
}

// val takes a key for a value field (text or secret reference).
func (im *sinkImport) val(k string) manifest.Value {
	v, ok := im.rest[k]
	if !ok || v == "" {
		return manifest.Value{}
	}
	delete(im.rest, k)
	return im.value(k, v)
}

// topics types the topics key when the manifest renders it back exactly:
// sorted, distinct, valid topic names, comma-joined without spaces.
func (im *sinkImport) topics() bool {
	v, ok := im.rest["topics"]
	if !ok {
		return false
	}
	items, ok := canonicalList(v)
	if !ok || !sort.StringsAreSorted(items) {
		im.note(Untyped, "topics %q is not a sorted list of distinct names: written under config:", v)
		return false
	}
	m := map[string]*manifest.Topic{}
	for i, t := range items {
		if !isTopicName(t) || len(t) > 249 || i > 0 && items[i-1] == t {
			im.note(Untyped, "topics %q is not a sorted list of distinct names: written under config:", v)
			return false
		}
		m[t] = &manifest.Topic{}
	}
	delete(im.rest, "topics")
	im.res.Sink.Topics = m
	return true
}

// isTopicName reports whether t is made of the characters Kafka allows in
// a topic name, [a-zA-Z0-9._-], and is not empty (the length limit is the
// caller's). TestIsTopicName holds it to that regexp.
func isTopicName(t string) bool {
	return t != "" && madeOf(t, topicChars)
}

// madeOf reports whether every character of s is one of chars (ASCII).
func madeOf(s, chars string) bool { return strings.Trim(s, chars) == "" }

// topicChars are the characters Kafka allows in a topic name.
const topicChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

// tables types the topic.* keys of the typed topics.
func (im *sinkImport) tables() {
	s := im.res.Sink
	tables := map[manifest.TableRef]*manifest.Table{}
	for _, k := range slices.Sorted(maps.Keys(im.rest)) {
		ref, setting, ok := manifest.ParseTopicKey(k)
		if !ok {
			continue
		}
		t := s.Topics[ref.Topic]
		if t == nil {
			continue // a topic the connector does not read: left under config
		}
		if ref.Keyspace == "" {
			if t.Codec == nil {
				t.Codec = &manifest.Codec{}
			}
			dst := map[string]*string{"locale": &t.Codec.Locale, "timeZone": &t.Codec.TimeZone,
				"timestamp": &t.Codec.Timestamp, "date": &t.Codec.Date, "time": &t.Codec.Time, "unit": &t.Codec.Unit}[setting]
			*dst = im.str(k)
			continue
		}
		tb := tables[ref]
		if tb == nil {
			tb = &manifest.Table{Keyspace: ref.Keyspace, Table: ref.Table}
			tables[ref] = tb
		}
		switch setting {
		case "mapping":
			tb.Mapping = im.str(k)
		case "consistencyLevel":
			tb.ConsistencyLevel = im.str(k)
		case "ttl":
			tb.TTL = im.intp(k)
		case "ttlTimeUnit":
			tb.TTLTimeUnit = im.str(k)
		case "timestampTimeUnit":
			tb.TimestampTimeUnit = im.str(k)
		case "nullToUnset":
			tb.NullToUnset = im.boolp(k)
		case "deletesEnabled":
			tb.DeletesEnabled = im.boolp(k)
		case "query":
			tb.Query = im.str(k)
		}
	}
	refs := make([]manifest.TableRef, 0, len(tables))
	for r := range tables {
		refs = append(refs, r)
	}
	sort.Slice(refs, func(i, j int) bool {
		a, b := refs[i], refs[j]
		if a.Keyspace != b.Keyspace {
			return a.Keyspace < b.Keyspace
		}
		return a.Table < b.Table
	})
	for _, r := range refs {
		t := s.Topics[r.Topic]
		t.Tables = append(t.Tables, tables[r])
	}
	for _, t := range s.Topics {
		if t.Codec != nil && *t.Codec == (manifest.Codec{}) {
			t.Codec = nil
		}
	}
}

// cassandra types the DataStax sink's global keys.
func (im *sinkImport) cassandra() {
	c := &manifest.Cassandra{
		ContactPoints:            im.list("contactPoints"),
		Port:                     im.intp("port"),
		LocalDC:                  im.str("loadBalancing.localDc"),
		CloudSecureConnectBundle: im.str("cloud.secureConnectBundle"),
	}
	a := &manifest.Auth{
		Provider: im.str("auth.provider"),
		Username: im.val("auth.username"),
		Password: im.val("auth.password"),
	}
	g := &manifest.GSSAPI{KeyTab: im.str("auth.gssapi.keyTab"), Principal: im.str("auth.gssapi.principal"),
		Service: im.str("auth.gssapi.service")}
	if *g != (manifest.GSSAPI{}) {
		a.GSSAPI = g
	}
	if a.Provider != "" || !a.Username.IsZero() || !a.Password.IsZero() || a.GSSAPI != nil {
		c.Auth = a
	}
	ssl := &manifest.SSL{
		Provider:           im.str("ssl.provider"),
		HostnameValidation: im.boolp("ssl.hostnameValidation"),
		CipherSuites:       im.list("ssl.cipherSuites"),
		Keystore:           im.keystore("ssl.keystore."),
		Truststore:         im.keystore("ssl.truststore."),
	}
	o := &manifest.OpenSSL{KeyCertChain: im.str("ssl.openssl.keyCertChain"), PrivateKey: im.str("ssl.openssl.privateKey")}
	if *o != (manifest.OpenSSL{}) {
		ssl.OpenSSL = o
	}
	if ssl.Provider != "" || ssl.HostnameValidation != nil || len(ssl.CipherSuites) > 0 || ssl.Keystore != nil ||
		ssl.Truststore != nil || ssl.OpenSSL != nil {
		c.SSL = ssl
	}
	c.MaxConcurrentRequests = im.intp("maxConcurrentRequests")
	c.MaxNumberOfRecordsInBatch = im.intp("maxNumberOfRecordsInBatch")
	c.QueryExecutionTimeout = im.intp("queryExecutionTimeout")
	c.ConnectionPoolLocalSize = im.intp("connectionPoolLocalSize")
	c.MetricsHighestLatency = im.intp("metricsHighestLatency")
	c.JMX = im.boolp("jmx")
	c.Compression = im.str("compression")
	c.IgnoreErrors = im.str("ignoreErrors")
	for _, k := range slices.Sorted(maps.Keys(im.rest)) {
		if sub, ok := strings.CutPrefix(k, "datastax-java-driver."); ok && sub != "" && im.rest[k] != "" {
			if c.Driver == nil {
				c.Driver = map[string]manifest.Value{}
			}
			c.Driver[sub] = im.val(k)
		}
	}
	if !isZeroCassandra(c) {
		im.res.Sink.Cassandra = c
	}
}

func (im *sinkImport) keystore(prefix string) *manifest.Keystore {
	k := &manifest.Keystore{Path: im.str(prefix + "path"), Password: im.val(prefix + "password")}
	if k.Path == "" && k.Password.IsZero() {
		return nil
	}
	return k
}

func isZeroCassandra(c *manifest.Cassandra) bool {
	return len(c.ContactPoints) == 0 && c.Port == nil && c.LocalDC == "" && c.CloudSecureConnectBundle == "" &&
		c.Auth == nil && c.SSL == nil && c.MaxConcurrentRequests == nil && c.MaxNumberOfRecordsInBatch == nil &&
		c.QueryExecutionTimeout == nil && c.ConnectionPoolLocalSize == nil && c.MetricsHighestLatency == nil &&
		c.JMX == nil && c.Compression == "" && c.IgnoreErrors == "" && len(c.Driver) == 0
}

// canonicalInt parses v when strconv.Itoa gives it back exactly.
func canonicalInt(v string) (int, bool) {
	n, err := strconv.Atoi(v)
	if err != nil || strconv.Itoa(n) != v {
		return 0, false
	}
	return n, true
}

// canonicalList splits a comma list when joining the items gives it back
// and no item is empty or padded.
func canonicalList(v string) ([]string, bool) {
	if v == "" {
		return nil, false
	}
	items := strings.Split(v, ",")
	for _, it := range items {
		if it == "" || strings.TrimSpace(it) != it {
			return nil, false
		}
	}
	return items, true
}
