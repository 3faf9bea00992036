package importer

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// WorkerFile is one worker's deployed connect-distributed.properties.
type WorkerFile struct {
	// Name is the worker's name in the manifest.
	Name string
	// URL is where its REST API answers; empty derives it from the
	// listeners and advertised host and port.
	URL   string
	Props map[string]string
}

// clusterResult is a cluster and its workers imported from worker files.
type clusterResult struct {
	Cluster *manifest.Cluster
	Workers []*manifest.Worker
	Secrets []Secret
	Notes   []Note
	// live is each worker's properties, by worker name, for Check.
	live         map[string]map[string]string
	secretValues map[string]string
}

// perWorkerKeys are the keys typed on a worker rather than on its cluster.
var perWorkerKeys = map[string]bool{"listeners": true, "rest.advertised.host.name": true,
	"rest.advertised.port": true, "rest.advertised.listener": true}

// keyTaker hands out the keys of a properties map to typed fields.
type keyTaker struct {
	rest   map[string]string
	secret func(k, v string) manifest.Value
}

func (t *keyTaker) str(k string) string {
	v, ok := t.rest[k]
	if !ok || v == "" || manifest.LooksSensitive(k) && !isPlaceholder(v) {
		return ""
	}
	delete(t.rest, k)
	return v
}

func (t *keyTaker) intp(k string) *int {
	if n, ok := canonicalInt(t.rest[k]); ok {
		delete(t.rest, k)
		return &n
	}
	return nil
}

func (t *keyTaker) boolp(k string) *bool {
	v := t.rest[k]
	if v != "true" && v != "false" {
		return nil
	}
	delete(t.rest, k)
	b := v == "true"
	return &b
}

func (t *keyTaker) list(k string) []string {
	items, ok := canonicalList(t.rest[k])
	if !ok {
		return nil
	}
	delete(t.rest, k)
	return items
}

// values takes every key under prefix, as values keyed without it.
func (t *keyTaker) values(prefix string) map[string]manifest.Value {
	var out map[string]manifest.Value
	for _, k := range slices.Sorted(maps.Keys(t.rest)) {
		sub, ok := strings.CutPrefix(k, prefix)
		if !ok || sub == "" {
			continue
		}
		if out == nil {
			out = map[string]manifest.Value{}
		}
		out[sub] = t.secret(k, t.rest[k])
		delete(t.rest, k)
	}
	return out
}

// importCluster imports a cluster's settings and its workers from the workers'
// properties files: what every file says alike becomes the cluster's, the
// rest each worker's own. Files are taken in order of name.
func importCluster(name string, files []WorkerFile, namer *envNamer) *clusterResult {
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	res := &clusterResult{Cluster: &manifest.Cluster{Name: name}, live: map[string]map[string]string{},
		secretValues: map[string]string{}}
	subject := object.ClusterRef(name)
	secretFor := func(subject object.Ref, parts ...string) func(k, v string) manifest.Value {
		return func(k, v string) manifest.Value {
			if v == "" || isPlaceholder(v) || !manifest.LooksSensitive(k) {
				return manifest.Value{Text: v}
			}
			env := namer.Name(append(parts, k)...)
			res.Secrets = append(res.Secrets, Secret{Env: env, Subject: subject, Key: k})
			res.secretValues[env] = v
			return manifest.EnvSecret(env)
		}
	}

	// Keys every file has, with the same value, are the cluster's.
	shared := map[string]string{}
	if len(files) > 0 {
		for k, v := range files[0].Props {
			if perWorkerKeys[k] {
				continue
			}
			same := true
			for _, f := range files[1:] {
				if w, ok := f.Props[k]; !ok || w != v {
					same = false
					break
				}
			}
			if same {
				shared[k] = v
			}
		}
	}
	inShared := map[string]bool{}
	for k := range shared {
		inShared[k] = true
	}
	t := &keyTaker{rest: shared, secret: secretFor(subject, name)}
	c := res.Cluster
	c.BootstrapServers = t.list("bootstrap.servers")
	c.GroupID = t.str("group.id")
	for _, st := range []struct {
		name string
		dst  *manifest.StorageTopic
	}{{"config", &c.Storage.Config}, {"offset", &c.Storage.Offset}, {"status", &c.Storage.Status}} {
		st.dst.Topic = t.str(st.name + ".storage.topic")
		st.dst.ReplicationFactor = t.intp(st.name + ".storage.replication.factor")
		st.dst.Partitions = t.intp(st.name + ".storage.partitions")
	}
	for _, cv := range []struct {
		name string
		dst  *manifest.Converter
	}{{"key", &c.Converters.Key}, {"value", &c.Converters.Value}, {"header", &c.Converters.Header}} {
		key := cv.name + ".converter"
		if cv.dst.Class = t.str(key); cv.dst.Class == "" {
			continue // its settings stay in properties
		}
		cv.dst.SchemasEnable = t.boolp(key + ".schemas.enable")
		cv.dst.Properties = t.values(key + ".")
	}
	c.PluginPath = t.list("plugin.path")
	c.PluginDiscovery = t.str("plugin.discovery")
	if names, ok := canonicalList(shared["config.providers"]); ok && sort.StringsAreSorted(names) && distinct(names) {
		withClass := true
		for _, n := range names {
			withClass = withClass && shared["config.providers."+n+".class"] != ""
		}
		if withClass {
			delete(shared, "config.providers")
			c.ConfigProviders = map[string]manifest.ConfigProvider{}
			for _, n := range names {
				c.ConfigProviders[n] = manifest.ConfigProvider{
					Class:  t.str("config.providers." + n + ".class"),
					Params: t.values("config.providers." + n + ".param."),
				}
			}
		}
	}
	c.Properties = t.values("")

	for _, f := range files {
		res.live[f.Name] = f.Props
		res.Workers = append(res.Workers, res.worker(name, f, inShared, secretFor))
	}
	for _, k := range []string{"group.id", "config.storage.topic", "offset.storage.topic", "status.storage.topic",
		"key.converter", "value.converter"} {
		if _, ok := files0(files)[k]; !ok {
			res.note(subject, Inexpressible, "no worker file sets %s, which Connect requires", k)
		}
	}
	sort.Slice(res.Secrets, func(i, j int) bool {
		if c := res.Secrets[i].Subject.Compare(res.Secrets[j].Subject); c != 0 {
			return c < 0
		}
		return res.Secrets[i].Key < res.Secrets[j].Key
	})
	return res
}

func files0(files []WorkerFile) map[string]string {
	if len(files) == 0 {
		return nil
	}
	return files[0].Props
}

func distinct(items []string) bool {
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it] {
			return false
		}
		seen[it] = true
	}
	return true
}

func (r *clusterResult) note(subject object.Ref, kind NoteKind, format string, args ...any) {
	r.Notes = append(r.Notes, Note{Subject: subject, Kind: kind, Message: fmt.Sprintf(format, args...)})
}

// worker imports one worker: its listeners, advertised endpoint and the
// properties its cluster does not share.
func (r *clusterResult) worker(cluster string, f WorkerFile, shared map[string]bool,
	secretFor func(object.Ref, ...string) func(k, v string) manifest.Value) *manifest.Worker {
	subject := object.WorkerRef(cluster, f.Name)
	rest := map[string]string{}
	for k, v := range f.Props {
		if !shared[k] {
			rest[k] = v
		}
	}
	t := &keyTaker{rest: rest, secret: secretFor(subject, cluster, f.Name)}
	w := &manifest.Worker{Name: f.Name, Cluster: cluster, URL: f.URL}
	w.Listeners = t.list("listeners")
	host, hasHost := rest["rest.advertised.host.name"]
	port, hasPort := rest["rest.advertised.port"]
	listener := t.str("rest.advertised.listener")
	w.AdvertisedListener = listener
	if w.URL == "" {
		w.URL = deriveURL(w.Listeners, host, port, listener)
	}
	u, _ := url.Parse(w.URL)
	defHost, defPort := "", ""
	if u != nil {
		defHost, defPort = u.Hostname(), u.Port()
		if defPort == "" {
			defPort = map[bool]string{true: "443", false: "80"}[u.Scheme == "https"]
		}
	}
	switch {
	case !hasHost:
		r.note(subject, Inexpressible, "its file has no rest.advertised.host.name; the manifest renders %s, from its url", defHost)
	case host != "" && host != defHost:
		w.AdvertisedHost = t.str("rest.advertised.host.name")
	case host == defHost:
		delete(rest, "rest.advertised.host.name")
	}
	switch p := t.intp("rest.advertised.port"); {
	case !hasPort:
		r.note(subject, Inexpressible, "its file has no rest.advertised.port; the manifest renders %s, from its url", defPort)
	case p != nil && strconv.Itoa(*p) != defPort:
		w.AdvertisedPort = p
	}
	var clash []string
	for _, k := range slices.Sorted(maps.Keys(rest)) {
		if manifest.IsSharedWorkerKey(k) {
			clash = append(clash, k)
		}
	}
	if len(clash) > 0 {
		r.note(subject, Inexpressible, "%s must be identical on every worker of a cluster, but the files differ: validate will reject this worker's properties",
			strings.Join(clash, ", "))
	}
	w.Properties = t.values("")
	return w
}

// deriveURL is the worker's REST URL from its properties: the advertised
// listener's or first listener's scheme, and the advertised host and port,
// or the listener's.
func deriveURL(listeners []string, host, port, listener string) string {
	scheme, lhost, lport := "http", "", ""
	if len(listeners) > 0 {
		if u, err := url.Parse(listeners[0]); err == nil {
			scheme, lhost, lport = u.Scheme, u.Hostname(), u.Port()
		}
	}
	if listener == "https" || listener == "http" {
		scheme = listener
	}
	if host == "" {
		host = lhost
	}
	if host == "" || host == "0.0.0.0" {
		host = "localhost"
	}
	if port == "" {
		port = lport
	}
	if port == "" {
		port = "8083"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// Check renders every worker back, from the YAML import writes, and returns
// "worker: key" for each property that differs from its file, sorted.
func (r *clusterResult) Check() []string {
	data := document{Clusters: []*manifest.Cluster{r.Cluster}, Workers: r.Workers}.Marshal()
	m, ds := manifest.Parse("import.yaml", data)
	if ds.HasErrors() || len(m.Clusters) != 1 {
		return []string{"(the whole cluster: " + ds.Error() + ")"}
	}
	var out []string
	for _, w := range m.Workers {
		props, _ := manifest.RenderWorker(m.Clusters[0], w, liveSecrets(r.secretValues))
		for _, k := range differing(props.Values, r.live[w.Name]) {
			out = append(out, w.Name+": "+k)
		}
	}
	return out
}
