package manifest

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// The DataStax sink's rules, from its ConfigDef and the settings classes its
// tasks build at start-up. Connect's own validation (and a PUT) checks only
// the few global keys; everything else fails a task minutes after a rollout
// that looked green. CheckDataStax checks all of them before deploying.

var (
	consistencyLevels = set("ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_ONE",
		"LOCAL_QUORUM", "EACH_QUORUM", "SERIAL", "LOCAL_SERIAL")
	timeUnits = set("NANOSECONDS", "MICROSECONDS", "MILLISECONDS", "SECONDS", "MINUTES", "HOURS", "DAYS")
	// tableSettings are the keys of topic.<topic>.<keyspace>.<table>.<setting>.
	tableSettings = set("mapping", "consistencyLevel", "ttl", "nullToUnset", "deletesEnabled",
		"ttlTimeUnit", "timestampTimeUnit", "query")
	codecSettings = set("locale", "timeZone", "timestamp", "date", "time", "unit")
	// positiveInts are the global keys the ConfigDef types as int >= 1.
	positiveInts = []string{"port", "maxConcurrentRequests", "maxNumberOfRecordsInBatch",
		"queryExecutionTimeout", "connectionPoolLocalSize", "metricsHighestLatency"}
	passwordKeys = set("auth.password", "ssl.keystore.password", "ssl.truststore.password")
)

func set(items ...string) map[string]bool {
	m := map[string]bool{}
	for _, s := range items {
		m[s] = true
	}
	return m
}

// LooksSensitive reports whether a connector key probably holds a secret, for
// keys the manifest does not declare sensitive (a connector prune deletes, a
// live connector import reads): plan masks them, import never writes them.
func LooksSensitive(k string) bool {
	k = strings.ToLower(k)
	return IsDataStaxPassword(k) || strings.Contains(k, "password") || strings.Contains(k, "secret") ||
		strings.HasSuffix(k, ".key") || strings.Contains(k, "token") || strings.Contains(k, "credentials")
}

// IsDataStaxPassword reports whether key is one of the DataStax sink's
// password settings, which Connect itself does not know to hide.
func IsDataStaxPassword(key string) bool { return passwordKeys[key] }

// TableRef names one table a topic is written to, in a DataStax config.
type TableRef struct {
	Topic, Keyspace, Table string
}

// Prefix is the config key prefix of the table's settings.
func (t TableRef) Prefix() string {
	return "topic." + t.Topic + "." + t.Keyspace + "." + t.Table + "."
}

// ParseTopicKey splits a DataStax topic.* key. It returns the table (empty
// Keyspace for a codec key), the setting, and whether the key fits the
// grammar topic.<topic>.<keyspace>.<table>.<setting> or
// topic.<topic>.codec.<setting>.
func ParseTopicKey(key string) (TableRef, string, bool) {
	rest, ok := strings.CutPrefix(key, "topic.")
	if !ok {
		return TableRef{}, "", false
	}
	// The key's last three dots cut it, from the end, into the setting,
	// then the table or "codec", then the keyspace, and the topic (which
	// may hold dots) is what is before them. Cutting from the end leaves
	// the topic whole, where splitting at every dot would make a string
	// of each part (the checks parse every topic.* key of every sink).
	rest, setting, two := cutLastDot(rest)
	rest, table, three := cutLastDot(rest)
	if two && three && table == "codec" && codecSettings[setting] {
		return TableRef{Topic: rest}, setting, isTopicName(rest)
	}
	topic, keyspace, four := cutLastDot(rest)
	if !four || !tableSettings[setting] {
		return TableRef{}, "", false
	}
	t := TableRef{Topic: topic, Keyspace: keyspace, Table: table}
	ok = isTopicName(t.Topic) && t.Keyspace != "" && t.Table != ""
	return t, setting, ok
}

// cutLastDot cuts s around its last dot, and reports whether it has one.
func cutLastDot(s string) (before, after string, found bool) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// Tables lists the tables a DataStax config writes to, sorted.
func Tables(values map[string]string) []TableRef {
	seen := map[TableRef]bool{}
	var out []TableRef
	for k := range values {
		if t, _, ok := ParseTopicKey(k); ok && t.Keyspace != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Prefix() < out[j].Prefix() })
	return out
}

type dsChecker struct {
	cfg   *Config
	diags []dsDiagnostic
	// mappings holds the entries of each mapping key, parsed once.
	mappings map[string][]MappingEntry
	sorted   []string // the config's keys, once keys sorted them
}

// dsDiagnostic is a Diagnostic of CheckDataStax, and what validate needs
// to know to drop one that repeats a problem it reports itself.
type dsDiagnostic struct {
	Diagnostic
	// listedTopic is the topic of the topics list the diagnostic is
	// about, for a topic whose name is not valid or that has no table.
	listedTopic string
}

func (c *dsChecker) at(key string, sev Severity, hint, format string, args ...any) {
	c.add(key, "", sev, hint, format, args...)
}

func (c *dsChecker) add(key, listedTopic string, sev Severity, hint, format string, args ...any) {
	loc, _ := c.cfg.From(key)
	c.diags = append(c.diags, dsDiagnostic{Diagnostic{Severity: sev, Pos: loc.Pos, Path: loc.Path,
		Message: fmt.Sprintf(format, args...), Hint: hint}, listedTopic})
}

func (c *dsChecker) errorf(key, hint, format string, args ...any) {
	c.at(key, Error, hint, format, args...)
}

// keys returns the config's keys, sorted once for every check that
// goes through them in order.
func (c *dsChecker) keys() []string {
	if c.sorted == nil {
		c.sorted = sortedKeys(c.cfg.Values, nil)
	}
	return c.sorted
}

func (c *dsChecker) get(key string) (string, bool) {
	v, ok := c.cfg.Values[key]
	return v, ok && v != ""
}

// CheckDataStax checks a rendered DataStax sink config against the rules the
// connector applies when a task starts, and reports each problem at the
// manifest field the key came from.
func CheckDataStax(cfg *Config) Diagnostics {
	var ds Diagnostics
	for _, d := range checkDataStax(cfg) {
		ds = append(ds, d.Diagnostic)
	}
	return ds
}

func checkDataStax(cfg *Config) []dsDiagnostic {
	c := &dsChecker{cfg: cfg}
	c.globals()
	c.topics()
	c.auth()
	c.ssl()
	return c.diags
}

func (c *dsChecker) globals() {
	for _, k := range positiveInts {
		if v, ok := c.get(k); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || n < 1 {
				c.errorf(k, "use a whole number of 1 or more", "%s must be an integer >= 1, got %q", k, v)
			}
		}
	}
	if v, ok := c.get("jmx"); ok && !isBool(v) {
		c.errorf("jmx", "use true or false", "jmx must be a boolean, got %q", v)
	}
	if v, ok := c.get("compression"); ok {
		switch strings.ToLower(v) {
		case "none", "lz4", "snappy":
		default:
			c.errorf("compression", "use None, LZ4 or Snappy", "unknown compression %q", v)
		}
	}
	if v, ok := c.get("ignoreErrors"); ok {
		switch strings.ToLower(v) {
		case "none", "all", "driver":
		case "true", "false":
			c.at("ignoreErrors", Warning, "use None, All or Driver", "ignoreErrors %q is deprecated", v)
		default:
			// The connector's ConfigDef has no validator for it, and the real connector
			// (1.5.0) runs and writes with an unknown value: a warning, not an error.
			c.at("ignoreErrors", Warning, "use None, All or Driver",
				"unknown ignoreErrors %q: the connector accepts it, but it names none of its error policies", v)
		}
	}
	// CassandraSinkConfig copies loadBalancing.localDc and
	// cloud.secureConnectBundle over their datastax-java-driver.* keys, and
	// checks the result: either key sets the local DC or the bundle.
	localDcKey, hasLocalDc := c.effective("loadBalancing.localDc", DriverLocalDcKey)
	bundleKey, hasBundle := c.effective("cloud.secureConnectBundle", DriverBundleKey)
	if v, ok := c.get("contactPoints"); ok {
		c.contactPoints(v)
		if !hasBundle && !hasLocalDc {
			c.errorf("contactPoints", "set localDc to the Cassandra datacenter of the contact points (often datacenter1)",
				"contactPoints requires loadBalancing.localDc")
		}
	}
	if hasBundle {
		for _, k := range c.keys() {
			if _, set := c.get(k); !set {
				continue
			}
			if k == "contactPoints" || (k == localDcKey && hasLocalDc) || strings.HasPrefix(k, "ssl.") {
				c.errorf(k, "a cloud bundle carries its own endpoints and TLS: remove "+k,
					"%s cannot be used with %s", k, bundleKey)
			}
		}
	}
}

// Driver keys that the connector's own keys override.
const (
	DriverLocalDcKey = "datastax-java-driver.basic.load-balancing-policy.local-datacenter"
	DriverBundleKey  = "datastax-java-driver.basic.cloud.secure-connect-bundle"
)

// effective returns the key that sets a value the connector also takes from
// a datastax-java-driver key, and whether the value is non-empty: the
// connector's own key wins whenever it is present.
func (c *dsChecker) effective(own, driver string) (string, bool) {
	if v, ok := c.cfg.Values[own]; ok {
		return own, v != ""
	}
	_, ok := c.get(driver)
	return driver, ok
}

// contactPoints follows ContactPointsValidator: each contact point is an IP
// address or a host name. A port is not allowed there.
func (c *dsChecker) contactPoints(v string) {
	for _, cp := range strings.Split(v, ",") {
		cp = strings.TrimSpace(cp)
		if net.ParseIP(cp) != nil || isDomainName(cp) {
			continue
		}
		hint := "write an IP address or a host name"
		if strings.Contains(cp, ":") && net.ParseIP(cp) == nil {
			hint = "write the port in port, not in contactPoints"
		}
		c.errorf("contactPoints", hint, "contact point %q is neither an IP address nor a host name", cp)
	}
}

// isDomainName is a syntactic host name check: dot-separated labels of
// letters, digits, '-' and '_', not starting or ending with '-', the last one
// not starting with a digit.
func isDomainName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for i, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for j := 0; j < len(l); j++ {
			if !isNameByte(l[j]) && l[j] != '-' {
				return false
			}
		}
		if i == len(labels)-1 && l[0] >= '0' && l[0] <= '9' {
			return false
		}
	}
	return true
}

func (c *dsChecker) topics() {
	var topics []string
	if v, ok := c.get("topics"); ok {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				topics = append(topics, t)
			}
		}
	}
	withTable := map[string]bool{}
	for _, k := range c.keys() {
		if !strings.HasPrefix(k, "topic.") {
			continue
		}
		t, setting, ok := ParseTopicKey(k)
		if !ok {
			c.errorf(k, "write topic.<topic>.<keyspace>.<table>.<setting> or topic.<topic>.codec.<setting>",
				"%s is not a valid DataStax topic setting", k)
			continue
		}
		if t.Keyspace != "" {
			withTable[t.Topic] = true
		}
		c.setting(k, t, setting)
	}
	for _, t := range topics {
		if !isTopicName(t) {
			c.add("topics", t, Error, "topic names use letters, digits, '.', '_' and '-'", "%q is not a valid topic name", t)
		} else if !withTable[t] {
			c.add("topics", t, Error, "add a table with a mapping for it under topics",
				"topic %q has no table to write to", t)
		}
	}
	for _, t := range Tables(c.cfg.Values) {
		p := t.Prefix()
		if _, ok := c.cfg.Values[p+"mapping"]; !ok {
			for _, k := range c.keys() {
				if strings.HasPrefix(k, p) {
					c.missingMapping(k, strings.TrimPrefix(k, p), t)
					break
				}
			}
		}
		if _, ok := c.get(p + "query"); ok {
			if v := c.cfg.Values[p+"deletesEnabled"]; !strings.EqualFold(v, "false") {
				c.errorf(p+"query", "set deletesEnabled: false on this table",
					"a custom query requires deletesEnabled=false")
			}
		}
		c.specialColumns(t)
	}
}

// missingMapping reports a table without a mapping. It is found through
// another of the table's keys; when that key came from a typed table field,
// the diagnostic names the table's mapping field instead, at the table.
func (c *dsChecker) missingMapping(key, setting string, t TableRef) {
	msg := fmt.Sprintf("table %s.%s of topic %q has no mapping", t.Keyspace, t.Table, t.Topic)
	hint := "add mapping: column=field, ..."
	loc, _ := c.cfg.From(key)
	if table, ok := strings.CutSuffix(loc.Path, "."+setting); ok && c.cfg.Origin.Src != nil {
		path := table + ".mapping"
		c.diags = append(c.diags, dsDiagnostic{Diagnostic: Diagnostic{Severity: Error, Pos: c.cfg.Origin.Src.At(path), Path: path,
			Message: msg, Hint: hint}})
		return
	}
	c.errorf(key, "add topic."+t.Topic+"."+t.Keyspace+"."+t.Table+".mapping", "%s", msg)
}

func (c *dsChecker) setting(key string, t TableRef, setting string) {
	v := c.cfg.Values[key]
	if t.Keyspace == "" { // codec
		if setting == "unit" && !timeUnits[v] {
			c.errorf(key, "use a Java TimeUnit name such as MILLISECONDS", "unknown time unit %q", v)
		}
		return
	}
	switch setting {
	case "mapping":
		entries, problems := ParseMapping(v)
		if c.mappings == nil {
			c.mappings = map[string][]MappingEntry{}
		}
		c.mappings[key] = entries
		for _, p := range problems {
			c.errorf(key, p.Hint(), "%s", p)
		}
		for _, e := range entries {
			c.nestedField(key, e)
			if !e.Quoted && strings.ToLower(e.Column) != e.Column {
				c.at(key, Warning, fmt.Sprintf("write %s if the column was created unquoted; quote it (%q) to make the intent clear otherwise", strings.ToLower(e.Column), e.Column),
					"column %s is looked up exactly as written: the connector does not lower-case unquoted names as CQL does", e.Column)
			}
		}
	case "consistencyLevel":
		// TableConfig upper-cases the value before DefaultConsistencyLevel.valueOf,
		// so local_quorum works; it is only worth a warning.
		switch {
		case consistencyLevels[v]:
		case consistencyLevels[strings.ToUpper(v)]:
			c.at(key, Warning, "write it in capitals: "+strings.ToUpper(v),
				"consistency level %q works, but is usually written %s", v, strings.ToUpper(v))
		default:
			c.errorf(key, "use one of ANY, ONE, TWO, THREE, QUORUM, ALL, LOCAL_ONE, LOCAL_QUORUM, EACH_QUORUM, SERIAL, LOCAL_SERIAL",
				"unknown consistency level %q", v)
		}
	case "ttl":
		if n, err := strconv.Atoi(v); err != nil || n < -1 {
			c.errorf(key, "use seconds (in ttlTimeUnit), or -1 for no TTL", "ttl must be an integer >= -1, got %q", v)
		}
	case "ttlTimeUnit", "timestampTimeUnit":
		if !timeUnits[v] {
			hint := "use NANOSECONDS, MICROSECONDS, MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS"
			if timeUnits[strings.ToUpper(v)] {
				hint = "write it in capitals: " + strings.ToUpper(v)
			}
			c.errorf(key, hint, "unknown time unit %q", v)
		}
	case "nullToUnset", "deletesEnabled":
		if !isBool(v) {
			c.errorf(key, "use true or false", "%s must be a boolean, got %q", setting, v)
		}
	}
}

// flattenClass is Kafka's Flatten transform, for the record's key or value.
var flattenClass = map[FieldKind]string{
	FromKey:   "org.apache.kafka.connect.transforms.Flatten$Key",
	FromValue: "org.apache.kafka.connect.transforms.Flatten$Value",
}

// nestedField warns about a field path with a dot (value.address.city). The connector
// looks the name up whole (StructData and MapData take "address.city" as one field
// name), so a record with a nested address.city has no such field: every record fails
// to map, with a WARN, while the task stays RUNNING. Seen on 1.5.0 with JsonConverter
// values with and without schemas, and with JSON text. Kafka's Flatten transform with
// "." as its delimiter makes the field; with one on that side, there is nothing to say.
func (c *dsChecker) nestedField(key string, e MappingEntry) {
	if (e.Kind != FromKey && e.Kind != FromValue) || !strings.Contains(e.Path, ".") {
		return
	}
	for _, alias := range strings.Split(c.cfg.Values["transforms"], ",") {
		alias = strings.TrimSpace(alias)
		if alias != "" && c.cfg.Values["transforms."+alias+".type"] == flattenClass[e.Kind] {
			return
		}
	}
	c.at(key, Warning, fmt.Sprintf("flatten the record first: transforms: flatten, transforms.flatten.type: %s, transforms.flatten.delimiter: .", flattenClass[e.Kind]),
		"the connector reads %s as the single field %q, not as a nested path: a record without that top-level field is not written", e.Field(), e.Path)
}

// specialColumns checks __ttl and __timestamp against the table's ttl.
func (c *dsChecker) specialColumns(t TableRef) {
	key := t.Prefix() + "mapping"
	entries, parsed := c.mappings[key]
	if !parsed {
		entries, _ = ParseMapping(c.cfg.Values[key])
	}
	for _, e := range entries {
		if e.Special() && e.Column == TTLColumn {
			if v, ok := c.get(t.Prefix() + "ttl"); ok && v != "-1" {
				c.at(key, Warning, "drop one: the mapped __ttl wins for records that carry it",
					"__ttl is mapped from %s while ttl is also set to %s", e.Field(), v)
			}
		}
	}
}

// auth follows the connector's AuthenticatorConfig: a username or password
// turns provider None into PLAIN, a PLAIN password needs a username, and
// GSSAPI needs a service name.
func (c *dsChecker) auth() {
	provider, _ := c.get("auth.provider")
	_, hasUser := c.get("auth.username")
	_, hasPass := c.get("auth.password")
	switch provider {
	case "", "None", "PLAIN":
		if hasPass && !hasUser {
			c.errorf("auth.password", "set auth.username too", "auth.password was specified without auth.username")
		}
	case "GSSAPI":
		if v, set := c.cfg.Values["auth.gssapi.service"]; set && v == "" {
			c.errorf("auth.gssapi.service", "remove it to use the default, dse", "the GSSAPI service name is empty")
		}
		if hasUser || hasPass {
			c.at("auth.provider", Warning, "remove them, or use PLAIN",
				"GSSAPI ignores auth.username and auth.password")
		}
	default:
		hint := "use None, PLAIN or GSSAPI"
		for _, p := range []string{"None", "PLAIN", "GSSAPI"} {
			if strings.EqualFold(provider, p) {
				hint = "the provider is case-sensitive: write " + p
			}
		}
		c.errorf("auth.provider", hint, "unknown auth provider %q", provider)
	}
}

func (c *dsChecker) ssl() {
	provider, _ := c.get("ssl.provider")
	switch provider {
	case "", "None", "JDK":
	case "OpenSSL":
		_, chain := c.get("ssl.openssl.keyCertChain")
		_, key := c.get("ssl.openssl.privateKey")
		if chain != key {
			k := "ssl.openssl.keyCertChain"
			if chain {
				k = "ssl.openssl.privateKey"
			}
			c.errorf("ssl.provider", "set both keyCertChain and privateKey, or neither", "%s is missing", k)
		}
	default:
		c.errorf("ssl.provider", "use None, JDK or OpenSSL (case-sensitive)", "unknown SSL provider %q", provider)
	}
}

func isBool(v string) bool {
	return strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
}
