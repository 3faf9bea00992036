package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/connect"
	"github.com/connectsync/connectsync/importer"
	"github.com/connectsync/connectsync/internal/english"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

const importUsage = `usage: connectsync import --url URL [--url URL ...] --cluster NAME [flags]
       connectsync import -f PATH [-f PATH ...] [--cluster NAME] [flags]

Reads live Kafka Connect clusters and writes the manifests of what runs
there, so that plan then finds nothing to change. It never writes to a
cluster.

DataStax sinks come out in typed form (cassandra:, topics:, tables, codec,
driver); any other class as class: and config:. Secrets are never written:
every password, every key the plugin types as PASSWORD or whose name says
secret, and every value the worker masks becomes {secretEnv: NAME}, and the
variables to set are listed on standard error. Kafka's ${provider:path:key}
placeholders are kept as they are. Objects that a manifest given with -f, or
already in the -o directory, declares are not imported again.

The REST API does not tell a worker's group.id or storage topics: give the
workers' files with --workers-dir (or propertiesFile in the -f manifest) to
import the cluster's settings, or declare the cluster yourself.

flags:
  --url URL              a worker's REST URL (repeatable); needs --cluster
  -f PATH                a manifest: its clusters, workers and rest settings are
                         read, and what it declares is not imported (repeatable)
  --cluster NAME         the cluster's name (with --url), or which of the -f
                         manifest's clusters to import
  --connector GLOB       import only connectors whose name matches (repeatable;
                         * and ? as in shell globs)
  -o PATH                a .yaml file for everything, or a directory: DIR/<cluster>.yaml
                         for the cluster and workers, DIR/<cluster>/<sink>.yaml per sink.
                         Without -o the manifest goes to standard output.
  --overwrite            rewrite files import would write that already exist
  --workers-dir DIR      the workers' properties files, laid out as render -o writes them
  --ca-file FILE         with --url: CA bundle to verify the workers
  --cert-file FILE       with --url: client certificate (with --key-file)
  --key-file FILE        with --url: client key
  --insecure-skip-verify with --url: do not verify the workers' certificates
  --user NAME            with --url: basic auth user
  --password-env VAR     with --url: the environment variable holding the basic auth password
  --header 'NAME: VALUE' with --url: a header for every request (repeatable)
  --timeout DURATION     with --url: bound on one request (default 30s)

exit status: 0 when the manifests were written, 1 otherwise.
`

type importFlags struct {
	files      files
	urls       files
	cluster    string
	connectors files
	out        string
	overwrite  bool
	workersDir string

	caFile, certFile, keyFile string
	insecure                  bool
	user, passwordEnv         string
	headers                   files
	timeout                   time.Duration
}

func (f *importFlags) check() error {
	switch {
	case len(f.urls) == 0 && len(f.files) == 0:
		return errors.New("nothing to read: pass --url URL --cluster NAME, or -f MANIFEST")
	case len(f.urls) > 0 && f.cluster == "":
		return errors.New("--url needs --cluster NAME: the name to give the cluster in the manifest")
	case len(f.urls) == 0 && (f.caFile != "" || f.certFile != "" || f.keyFile != "" || f.insecure || f.user != "" ||
		f.passwordEnv != "" || len(f.headers) > 0 || f.timeout != 0):
		return errors.New("the REST flags go with --url; with -f the cluster's rest settings apply")
	case (f.certFile == "") != (f.keyFile == ""):
		return errors.New("--cert-file and --key-file go together")
	case f.passwordEnv != "" && f.user == "":
		return errors.New("--password-env needs --user")
	case f.timeout < 0:
		return errors.New("--timeout must be positive")
	}
	for _, u := range f.urls {
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return fmt.Errorf("--url %s: not an http(s)://host:port URL", u)
		}
	}
	for _, h := range f.headers {
		if name, _, ok := strings.Cut(h, ":"); !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("--header %q: write NAME: VALUE", h)
		}
	}
	for _, g := range f.connectors {
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("--connector %q: %v", g, err)
		}
	}
	return nil
}

func runImport(a *app, args []string) int {
	var f importFlags
	fs := a.newFlagSet("import")
	fs.Var(&f.files, "f", "")
	fs.Var(&f.urls, "url", "")
	fs.StringVar(&f.cluster, "cluster", "", "")
	fs.Var(&f.connectors, "connector", "")
	fs.StringVar(&f.out, "o", "", "")
	fs.BoolVar(&f.overwrite, "overwrite", false, "")
	fs.StringVar(&f.workersDir, "workers-dir", "", "")
	fs.StringVar(&f.caFile, "ca-file", "", "")
	fs.StringVar(&f.certFile, "cert-file", "", "")
	fs.StringVar(&f.keyFile, "key-file", "", "")
	fs.BoolVar(&f.insecure, "insecure-skip-verify", false, "")
	fs.StringVar(&f.user, "user", "", "")
	fs.StringVar(&f.passwordEnv, "password-env", "", "")
	fs.Var(&f.headers, "header", "")
	fs.DurationVar(&f.timeout, "timeout", 0, "")
	if _, code, ok := a.parseFlags(fs, importUsage, args); !ok {
		return code
	}
	if err := f.check(); err != nil {
		a.p.Errorf("run connectsync help import", "import: %v", err)
		return ExitError
	}

	var m *manifest.Manifest
	if len(f.files) > 0 {
		var ds manifest.Diagnostics
		m, ds = manifest.Load(f.files...)
		if ds.HasErrors() {
			a.p.Diagnostics(ds)
			return ExitError
		}
	}
	layout := importer.Layout{}
	if f.out != "" {
		if ext := filepath.Ext(f.out); ext == ".yaml" || ext == ".yml" {
			layout.File = f.out
		} else {
			layout.Dir = f.out
		}
	}
	declared, err := declaredFor(m, layout)
	if err != nil {
		a.p.Errorf("fix that manifest, or import into another directory", "import: %v", err)
		return ExitError
	}

	targets, err := importTargets(m, f)
	if err != nil {
		a.p.Errorf("name a cluster the manifests declare, or pass --url and --cluster", "import: %v", err)
		return ExitError
	}
	if len(targets) > 1 && layout.Dir == "" {
		a.p.Errorf("pass -o DIR: it gets one file per cluster", "import: %d clusters cannot go into one file", len(targets))
		return ExitError
	}
	ctx := context.Background()
	var inputs []importer.ClusterInput
	var sources []string
	for _, t := range targets {
		in, err := a.readForImport(ctx, t, f)
		if err != nil {
			a.p.Errorf(errHint(err), "import: cluster %s: %v", t.name, err)
			return ExitError
		}
		inputs = append(inputs, in)
		for _, w := range t.workers {
			sources = append(sources, w.URL)
		}
	}
	res := importer.Build(inputs, declared, importer.Options{Layout: layout, Overwrite: f.overwrite,
		Source: strings.Join(sources, ", ")})
	a.secrets.Add(res.ScrubValues()...)

	if layout.Dir == "" && layout.File == "" {
		for _, o := range res.Files {
			if err := a.p.Manifest(o.Data); err != nil {
				return ExitError
			}
		}
		a.p.ImportReport(res, false)
		return ExitOK
	}
	if !f.overwrite {
		var exist []string
		for _, o := range res.Files {
			if _, err := os.Stat(o.Path); err == nil {
				exist = append(exist, o.Path)
			}
		}
		if len(exist) > 0 {
			a.p.Errorf("pass --overwrite to rewrite them, or import into another directory",
				"import: %s already %s; nothing was written", strings.Join(exist, ", "), english.Plural(len(exist), "exists", "exist"))
			return ExitError
		}
	}
	for _, o := range res.Files {
		if err := apply.WriteFileAtomic(o.Path, o.Data, 0o644); err != nil {
			a.p.Errorf("check that the directory is writable", "import: %v", err)
			return ExitError
		}
	}
	a.p.ImportReport(res, true)
	return ExitOK
}

func errHint(err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return "check the URL and the REST flags (--user, --ca-file, --header)"
	}
	return "check that the workers answer: curl URL/connectors"
}

// declaredFor indexes what the -f manifests and the manifests already in
// the output directory (or file) declare.
func declaredFor(m *manifest.Manifest, layout importer.Layout) (importer.Declared, error) {
	d := importer.DeclaredBy(m)
	var existing []string
	switch {
	case layout.Dir != "":
		if hasManifests(layout.Dir) {
			existing = append(existing, layout.Dir)
		}
	case layout.File != "":
		if _, err := os.Stat(layout.File); err == nil {
			existing = append(existing, layout.File)
		}
	}
	if len(existing) == 0 {
		return d, nil
	}
	om, ds := manifest.Load(existing...)
	if ds.HasErrors() {
		return d, fmt.Errorf("the manifests already in %s do not load: %s", existing[0], ds.Errors()[0])
	}
	od := importer.DeclaredBy(om)
	maps.Copy(d.Clusters, od.Clusters)
	maps.Copy(d.Workers, od.Workers)
	maps.Copy(d.WorkerURLs, od.WorkerURLs)
	maps.Copy(d.Sinks, od.Sinks)
	return d, nil
}

func hasManifests(dir string) bool {
	found := false
	_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || found {
			return filepath.SkipAll
		}
		if !e.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			found = true
		}
		return nil
	})
	return found
}

// importTarget is one cluster to read.
type importTarget struct {
	name    string
	cluster *manifest.Cluster // its REST settings
	workers []*manifest.Worker
}

func importTargets(m *manifest.Manifest, f importFlags) ([]importTarget, error) {
	if len(f.urls) > 0 {
		c := &manifest.Cluster{Name: f.cluster, REST: restFromFlags(f)}
		if len(f.caFile+f.certFile+f.user)+len(f.headers) == 0 && !f.insecure && f.timeout == 0 && m != nil {
			if dc := m.ClusterByName()[f.cluster]; dc != nil {
				c.REST = dc.REST
			}
		}
		t := importTarget{name: f.cluster, cluster: c}
		byURL := map[string]*manifest.Worker{}
		if m != nil {
			for _, w := range m.Workers {
				byURL[strings.TrimSuffix(w.URL, "/")] = w
			}
		}
		for _, u := range f.urls {
			u = strings.TrimSuffix(u, "/")
			if w := byURL[u]; w != nil && w.Cluster == f.cluster {
				t.workers = append(t.workers, w)
				continue
			}
			t.workers = append(t.workers, &manifest.Worker{Name: workerName(u), Cluster: f.cluster, URL: u})
		}
		return []importTarget{t}, nil
	}
	var out []importTarget
	for _, c := range m.Clusters {
		if f.cluster != "" && c.Name != f.cluster {
			continue
		}
		ws := m.WorkersOf(c.Name)
		if len(ws) == 0 {
			if f.cluster != "" {
				return nil, fmt.Errorf("cluster %s declares no worker to read", c.Name)
			}
			continue
		}
		out = append(out, importTarget{name: c.Name, cluster: c, workers: ws})
	}
	if len(out) == 0 {
		if f.cluster != "" {
			return nil, fmt.Errorf("no manifest declares cluster %s", f.cluster)
		}
		return nil, errors.New("the manifests declare no cluster with workers")
	}
	return out, nil
}

func restFromFlags(f importFlags) manifest.REST {
	r := manifest.REST{TLS: manifest.RESTTLS{CAFile: f.caFile, CertFile: f.certFile, KeyFile: f.keyFile,
		InsecureSkipVerify: f.insecure}}
	if f.user != "" {
		r.Auth = &manifest.BasicAuth{Username: manifest.Value{Text: f.user}}
		if f.passwordEnv != "" {
			r.Auth.Password = manifest.EnvSecret(f.passwordEnv)
		}
	}
	for _, h := range f.headers {
		name, value, _ := strings.Cut(h, ":")
		if r.Headers == nil {
			r.Headers = map[string]manifest.Value{}
		}
		r.Headers[strings.TrimSpace(name)] = manifest.Value{Text: strings.TrimSpace(value)}
	}
	if f.timeout > 0 {
		r.Timeout = manifest.Duration(f.timeout)
	}
	return r
}

// workerName names a worker given by URL after its host and port:
// http://127.0.0.1:38083 is 127.0.0.1-38083.
func workerName(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return "worker"
	}
	host, port := pu.Hostname(), pu.Port()
	if port == "" {
		port = map[bool]string{true: "443", false: "80"}[pu.Scheme == "https"]
	}
	var b strings.Builder
	for _, r := range host + "-" + port {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// readForImport reads one cluster: its connectors and their statuses in
// one request, the PASSWORD keys of each connector class, and the workers'
// files when import has them. It only reads.
func (a *app) readForImport(ctx context.Context, t importTarget, f importFlags) (importer.ClusterInput, error) {
	in := importer.ClusterInput{Name: t.name}
	r, err := apply.NewReader(&manifest.Manifest{Clusters: []*manifest.Cluster{t.cluster}, Workers: t.workers}, a.readerOptions(a.p.Retry))
	if err != nil {
		return in, err
	}
	for _, w := range t.workers {
		in.Workers = append(in.Workers, importer.WorkerRef{Name: w.Name, URL: w.URL})
	}
	cs := r.Read(ctx, 1, nil)[t.name]
	ids := map[string][]string{}
	for _, w := range cs.Workers {
		if !w.Reachable() {
			a.p.Errorf("", "warning: cluster %s: worker %s does not answer at %s: %v", t.name, w.Name, w.URL, w.Err)
			continue
		}
		ids[w.Info.KafkaClusterID] = append(ids[w.Info.KafkaClusterID], w.Name)
	}
	if len(ids) > 1 {
		return in, fmt.Errorf("the workers report different Kafka clusters (%d kafka_cluster_id values): they are not one Connect cluster", len(ids))
	}
	if cs.Connectors == nil {
		return in, fmt.Errorf("cannot read the connectors: %v", cs.ReadErr)
	}
	passwords := map[string]map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(cs.Connectors)) {
		c := cs.Connectors[name]
		if !matchAny(f.connectors, name) {
			continue
		}
		subject := object.SinkRef(t.name, name)
		switch {
		case c.Config == nil:
			in.Skipped = append(in.Skipped, importer.Note{Subject: subject, Kind: importer.Skipped,
				Message: "the worker has no config for it yet (being created or deleted): import again"})
			continue
		case c.Type == "source":
			in.Skipped = append(in.Skipped, importer.Note{Subject: object.SourceRef(t.name, name), Kind: importer.Skipped,
				Message: "a source connector: connectsync manages sink connectors only"})
			continue
		}
		class := c.Config["connector.class"]
		if _, ok := passwords[class]; !ok {
			passwords[class] = map[string]bool{}
			if keys, err := cs.Client().PluginConfig(ctx, class); err == nil {
				for _, k := range keys {
					if k.Type == "PASSWORD" {
						passwords[class][k.Name] = true
					}
				}
			}
		}
		in.Connectors = append(in.Connectors, importer.Connector{Cluster: t.name, Name: name, Config: c.Config,
			State: c.Status.State, Passwords: passwords[class]})
	}
	files, err := workerFiles(t, f)
	if err != nil {
		return in, err
	}
	in.WorkerFiles = files
	return in, nil
}

// workerFiles reads the workers' properties: from --workers-dir, or from
// every worker's propertiesFile. A file's worker takes the URL of the
// worker of the same name import was given.
func workerFiles(t importTarget, f importFlags) ([]importer.WorkerFile, error) {
	urls := map[string]string{}
	for _, w := range t.workers {
		urls[w.Name] = w.URL
	}
	var files []importer.WorkerFile
	if f.workersDir != "" {
		fs, err := importer.ReadWorkersDir(f.workersDir, t.name)
		if err != nil {
			return nil, err
		}
		files = fs
	} else {
		for _, w := range t.workers {
			if w.PropertiesFile == "" {
				return nil, nil
			}
		}
		for _, w := range t.workers {
			p := w.PropertiesFile
			if !filepath.IsAbs(p) && w.Src != nil {
				p = filepath.Join(w.Src.Dir, p)
			}
			wf, err := importer.ReadWorkerFile(w.Name, p)
			if err != nil {
				return nil, err
			}
			files = append(files, wf)
		}
	}
	for i := range files {
		if u, ok := urls[files[i].Name]; ok {
			files[i].URL = u
		}
	}
	// A worker given by --url with a generated name matches its file by
	// the advertised endpoint.
	for i := range files {
		if files[i].URL != "" {
			continue
		}
		ep := net.JoinHostPort(files[i].Props["rest.advertised.host.name"], files[i].Props["rest.advertised.port"])
		for _, w := range t.workers {
			if pu, err := url.Parse(w.URL); err == nil && pu.Host == ep {
				files[i].URL = w.URL
			}
		}
	}
	return files, nil
}

func matchAny(globs []string, name string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}
