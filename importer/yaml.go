package importer

import (
	"bytes"
	"maps"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/connectsync/connectsync/manifest"
)

// document is one manifest file to write.
type document struct {
	// Comment lines go at the top of the file, each after "# ".
	Comment  []string
	Clusters []*manifest.Cluster
	Workers  []*manifest.Worker
	Sinks    []*manifest.Sink
}

// Marshal writes the document in the manifest v1 format. Fields come in the
// order docs/manifest.md lists them and map keys sorted, so that the same
// objects always give the same bytes.
func (d document) Marshal() []byte {
	root := mapping()
	add(root, "version", intNode(manifest.Version))
	if len(d.Clusters) > 0 {
		seq := sequence()
		for _, c := range d.Clusters {
			seq.Content = append(seq.Content, clusterNode(c))
		}
		add(root, "clusters", seq)
	}
	if len(d.Workers) > 0 {
		seq := sequence()
		for _, w := range d.Workers {
			seq.Content = append(seq.Content, workerNode(w))
		}
		add(root, "workers", seq)
	}
	if len(d.Sinks) > 0 {
		seq := sequence()
		for _, s := range d.Sinks {
			seq.Content = append(seq.Content, sinkNode(s))
		}
		add(root, "sinks", seq)
	}
	var buf bytes.Buffer
	for _, c := range d.Comment {
		buf.WriteString("# " + c + "\n")
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		// Every node is built here from strings, ints and bools.
		panic("importer: cannot encode YAML: " + err.Error())
	}
	_ = enc.Close()
	return buf.Bytes()
}

func mapping() *yaml.Node  { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }
func sequence() *yaml.Node { return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"} }

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func intNode(n int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(n)}
}

func boolNode(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, str(key), v)
}

func addStr(m *yaml.Node, key, v string) {
	if v != "" {
		add(m, key, str(v))
	}
}

func addInt(m *yaml.Node, key string, v *int) {
	if v != nil {
		add(m, key, intNode(*v))
	}
}

func addBool(m *yaml.Node, key string, v *bool) {
	if v != nil {
		add(m, key, boolNode(*v))
	}
}

func addList(m *yaml.Node, key string, items []string) {
	if len(items) == 0 {
		return
	}
	seq := sequence()
	seq.Style = yaml.FlowStyle
	for _, it := range items {
		seq.Content = append(seq.Content, str(it))
	}
	add(m, key, seq)
}

// valueNode is text, or a secret reference in flow style:
// {secretEnv: NAME}.
func valueNode(v manifest.Value) *yaml.Node {
	switch {
	case v.SecretEnv() != "":
		m := mapping()
		m.Style = yaml.FlowStyle
		add(m, "secretEnv", str(v.SecretEnv()))
		return m
	case v.SecretFile() != "":
		m := mapping()
		m.Style = yaml.FlowStyle
		add(m, "secretFile", str(v.SecretFile()))
		return m
	}
	return str(v.Text)
}

func addValue(m *yaml.Node, key string, v manifest.Value) {
	if !v.IsZero() {
		add(m, key, valueNode(v))
	}
}

func addValues(m *yaml.Node, key string, vs map[string]manifest.Value) {
	if len(vs) == 0 {
		return
	}
	sub := mapping()
	for _, k := range slices.Sorted(maps.Keys(vs)) {
		add(sub, k, valueNode(vs[k]))
	}
	add(m, key, sub)
}

// addSub adds a mapping only when it has content.
func addSub(m *yaml.Node, key string, sub *yaml.Node) {
	if len(sub.Content) > 0 {
		add(m, key, sub)
	}
}

func clusterNode(c *manifest.Cluster) *yaml.Node {
	m := mapping()
	addStr(m, "name", c.Name)
	addList(m, "bootstrapServers", c.BootstrapServers)
	addStr(m, "groupId", c.GroupID)
	if c.Brokers != nil {
		add(m, "brokers", intNode(*c.Brokers))
	}
	st := mapping()
	for _, t := range []struct {
		name string
		t    manifest.StorageTopic
	}{{"config", c.Storage.Config}, {"offset", c.Storage.Offset}, {"status", c.Storage.Status}} {
		tm := mapping()
		tm.Style = yaml.FlowStyle
		addStr(tm, "topic", t.t.Topic)
		addInt(tm, "replicationFactor", t.t.ReplicationFactor)
		addInt(tm, "partitions", t.t.Partitions)
		addSub(st, t.name, tm)
	}
	addSub(m, "storage", st)
	cv := mapping()
	for _, x := range []struct {
		name string
		c    manifest.Converter
	}{{"key", c.Converters.Key}, {"value", c.Converters.Value}, {"header", c.Converters.Header}} {
		xm := mapping()
		addStr(xm, "class", x.c.Class)
		addBool(xm, "schemasEnable", x.c.SchemasEnable)
		addValues(xm, "properties", x.c.Properties)
		if len(x.c.Properties) == 0 {
			xm.Style = yaml.FlowStyle
		}
		addSub(cv, x.name, xm)
	}
	addSub(m, "converters", cv)
	addList(m, "pluginPath", c.PluginPath)
	addStr(m, "pluginDiscovery", c.PluginDiscovery)
	if len(c.ConfigProviders) > 0 {
		ps := mapping()
		for _, n := range slices.Sorted(maps.Keys(c.ConfigProviders)) {
			p := c.ConfigProviders[n]
			pm := mapping()
			addStr(pm, "class", p.Class)
			addValues(pm, "params", p.Params)
			add(ps, n, pm)
		}
		add(m, "configProviders", ps)
	}
	addValues(m, "properties", c.Properties)
	return m
}

func workerNode(w *manifest.Worker) *yaml.Node {
	m := mapping()
	addStr(m, "name", w.Name)
	addStr(m, "cluster", w.Cluster)
	addStr(m, "url", w.URL)
	addList(m, "listeners", w.Listeners)
	addStr(m, "advertisedHost", w.AdvertisedHost)
	if w.AdvertisedPort != nil {
		add(m, "advertisedPort", intNode(*w.AdvertisedPort))
	}
	addStr(m, "advertisedListener", w.AdvertisedListener)
	addValues(m, "properties", w.Properties)
	addStr(m, "propertiesFile", w.PropertiesFile)
	return m
}

func sinkNode(s *manifest.Sink) *yaml.Node {
	m := mapping()
	addStr(m, "name", s.Name)
	addStr(m, "cluster", s.Cluster)
	addStr(m, "state", s.State)
	if s.TasksMax != nil {
		add(m, "tasksMax", intNode(*s.TasksMax))
	}
	addStr(m, "class", s.Class)
	if c := s.Cassandra; c != nil {
		add(m, "cassandra", cassandraNode(c))
	}
	if len(s.Topics) > 0 {
		ts := mapping()
		for _, name := range slices.Sorted(maps.Keys(s.Topics)) {
			ts.Content = append(ts.Content, str(name), topicNode(s.Topics[name]))
		}
		add(m, "topics", ts)
	}
	addValues(m, "config", s.Config)
	return m
}

func topicNode(t *manifest.Topic) *yaml.Node {
	m := mapping()
	if t == nil {
		m.Style = yaml.FlowStyle
		return m
	}
	if len(t.Tables) > 0 {
		seq := sequence()
		for _, tb := range t.Tables {
			tm := mapping()
			addStr(tm, "keyspace", tb.Keyspace)
			addStr(tm, "table", tb.Table)
			addStr(tm, "mapping", tb.Mapping)
			addStr(tm, "consistencyLevel", tb.ConsistencyLevel)
			addInt(tm, "ttl", tb.TTL)
			addStr(tm, "ttlTimeUnit", tb.TTLTimeUnit)
			addStr(tm, "timestampTimeUnit", tb.TimestampTimeUnit)
			addBool(tm, "nullToUnset", tb.NullToUnset)
			addBool(tm, "deletesEnabled", tb.DeletesEnabled)
			addStr(tm, "query", tb.Query)
			seq.Content = append(seq.Content, tm)
		}
		add(m, "tables", seq)
	}
	if cd := t.Codec; cd != nil {
		cm := mapping()
		addStr(cm, "locale", cd.Locale)
		addStr(cm, "timeZone", cd.TimeZone)
		addStr(cm, "timestamp", cd.Timestamp)
		addStr(cm, "date", cd.Date)
		addStr(cm, "time", cd.Time)
		addStr(cm, "unit", cd.Unit)
		addSub(m, "codec", cm)
	}
	if len(m.Content) == 0 {
		m.Style = yaml.FlowStyle
	}
	return m
}

func cassandraNode(c *manifest.Cassandra) *yaml.Node {
	m := mapping()
	addList(m, "contactPoints", c.ContactPoints)
	addInt(m, "port", c.Port)
	addStr(m, "localDc", c.LocalDC)
	addStr(m, "cloudSecureConnectBundle", c.CloudSecureConnectBundle)
	if a := c.Auth; a != nil {
		am := mapping()
		addStr(am, "provider", a.Provider)
		addValue(am, "username", a.Username)
		addValue(am, "password", a.Password)
		if g := a.GSSAPI; g != nil {
			gm := mapping()
			addStr(gm, "keyTab", g.KeyTab)
			addStr(gm, "principal", g.Principal)
			addStr(gm, "service", g.Service)
			addSub(am, "gssapi", gm)
		}
		addSub(m, "auth", am)
	}
	if s := c.SSL; s != nil {
		sm := mapping()
		addStr(sm, "provider", s.Provider)
		addBool(sm, "hostnameValidation", s.HostnameValidation)
		addList(sm, "cipherSuites", s.CipherSuites)
		for _, k := range []struct {
			name string
			k    *manifest.Keystore
		}{{"keystore", s.Keystore}, {"truststore", s.Truststore}} {
			if k.k == nil {
				continue
			}
			km := mapping()
			addStr(km, "path", k.k.Path)
			addValue(km, "password", k.k.Password)
			addSub(sm, k.name, km)
		}
		if o := s.OpenSSL; o != nil {
			om := mapping()
			addStr(om, "keyCertChain", o.KeyCertChain)
			addStr(om, "privateKey", o.PrivateKey)
			addSub(sm, "openssl", om)
		}
		addSub(m, "ssl", sm)
	}
	addInt(m, "maxConcurrentRequests", c.MaxConcurrentRequests)
	addInt(m, "maxNumberOfRecordsInBatch", c.MaxNumberOfRecordsInBatch)
	addInt(m, "queryExecutionTimeout", c.QueryExecutionTimeout)
	addInt(m, "connectionPoolLocalSize", c.ConnectionPoolLocalSize)
	addInt(m, "metricsHighestLatency", c.MetricsHighestLatency)
	addBool(m, "jmx", c.JMX)
	addStr(m, "compression", c.Compression)
	addStr(m, "ignoreErrors", c.IgnoreErrors)
	addValues(m, "driver", c.Driver)
	return m
}
