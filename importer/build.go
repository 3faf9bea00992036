package importer

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// ClusterInput is what was read of one live cluster.
type ClusterInput struct {
	Name string
	// Workers are the workers import was given (--url, or a manifest's),
	// by name and URL.
	Workers []WorkerRef
	// WorkerFiles are the workers' properties files, when import has them.
	WorkerFiles []WorkerFile
	// Connectors are the live connectors, already filtered.
	Connectors []Connector
	// Skipped are connectors import does not write, with the reason.
	Skipped []Note
}

// WorkerRef names a worker and its REST URL.
type WorkerRef struct{ Name, URL string }

// Layout is where the output goes.
type Layout struct {
	// Dir, when set, gets DIR/<cluster>.yaml (the cluster and its workers)
	// and DIR/<cluster>/<sink>.yaml (one file per sink).
	Dir string
	// File, when Dir is empty, gets everything; empty means standard output.
	File string
}

// Declared is what existing manifests already declare, each with the file
// that declares it.
type Declared struct {
	Clusters   map[string]string     // by name
	Workers    map[object.Ref]string // by reference
	WorkerURLs map[string]string     // by URL, without a trailing /
	Sinks      map[object.Ref]string // by reference
}

// worker returns the file that declares a worker, found by its reference
// or its URL.
func (d Declared) worker(r object.Ref, url string) (string, bool) {
	if f, ok := d.Workers[r]; ok {
		return f, true
	}
	f, ok := d.WorkerURLs[strings.TrimSuffix(url, "/")]
	return f, ok
}

// DeclaredBy indexes a loaded manifest.
func DeclaredBy(m *manifest.Manifest) Declared {
	d := Declared{Clusters: map[string]string{}, Workers: map[object.Ref]string{}, WorkerURLs: map[string]string{},
		Sinks: map[object.Ref]string{}}
	if m == nil {
		return d
	}
	for _, c := range m.Clusters {
		d.Clusters[c.Name] = c.Src.File
	}
	for _, w := range m.Workers {
		d.Workers[object.WorkerRef(w.Cluster, w.Name)] = w.Src.File
		d.WorkerURLs[strings.TrimSuffix(w.URL, "/")] = w.Src.File
	}
	for _, s := range m.Sinks {
		d.Sinks[object.SinkRef(s.Cluster, s.Name)] = s.Src.File
	}
	return d
}

// Output is one file to write.
type Output struct {
	// Path is the file's path; "" is standard output.
	Path string
	Data []byte
	// What lists the objects in it.
	What []object.Ref
}

// Result is everything one import produces.
type Result struct {
	Files   []Output
	Secrets []Secret
	Notes   []Note
	// values are the secrets' live values, only for ScrubValues.
	values []string
}

// ScrubValues returns the live values of the secrets import left out, for
// the caller's output filter: they are never written, and never printed.
func (r *Result) ScrubValues() []string { return r.values }

// Options tune Build.
type Options struct {
	Layout Layout
	// Overwrite lets import re-import objects declared in a file it would
	// write anyway. Objects declared in any other file are never imported
	// again.
	Overwrite bool
	// Source describes where the state was read, for the files' header.
	Source string
}

// Build imports every cluster and lays the result out as files. Objects
// that a manifest already declares are left out, so that importing into a
// directory of manifests adds only what is missing.
func Build(inputs []ClusterInput, declared Declared, o Options) *Result {
	res := &Result{}
	var namer envNamer
	sort.Slice(inputs, func(i, j int) bool { return inputs[i].Name < inputs[j].Name })
	single := document{Comment: header(o.Source)}
	var singleWhat []object.Ref
	for _, in := range inputs {
		clusterDoc := document{Comment: header(o.Source)}
		var clusterWhat []object.Ref
		clusterPath := o.target(in.Name + ".yaml")
		skip := func(subject object.Ref, f string, declared bool) bool {
			if declared && !(o.Overwrite && samePath(f, clusterPath)) {
				res.Notes = append(res.Notes, Note{Subject: subject, Kind: Skipped, Message: "already declared in " + f})
				return true
			}
			return false
		}
		clusterRef := object.ClusterRef(in.Name)

		_, clusterDeclared := declared.Clusters[in.Name]
		if len(in.WorkerFiles) > 0 {
			cr := importCluster(in.Name, in.WorkerFiles, &namer)
			if bad := cr.Check(); len(bad) > 0 {
				cr.Notes = append(cr.Notes, Note{Subject: clusterRef, Kind: Inexpressible,
					Message: "the manifest renders these worker properties differently from the files: " + strings.Join(bad, ", ")})
			}
			if f, ok := declared.Clusters[in.Name]; !skip(clusterRef, f, ok) {
				clusterDoc.Clusters = append(clusterDoc.Clusters, cr.Cluster)
				clusterWhat = append(clusterWhat, clusterRef)
				clusterDeclared = true
			}
			for _, w := range cr.Workers {
				ref := object.WorkerRef(in.Name, w.Name)
				if f, ok := declared.worker(ref, w.URL); skip(ref, f, ok) {
					continue
				}
				clusterDoc.Workers = append(clusterDoc.Workers, w)
				clusterWhat = append(clusterWhat, ref)
			}
			res.Secrets = append(res.Secrets, cr.Secrets...)
			for _, v := range cr.secretValues {
				res.values = append(res.values, v)
			}
			res.Notes = append(res.Notes, cr.Notes...)
		} else {
			for _, w := range in.Workers {
				ref := object.WorkerRef(in.Name, w.Name)
				if f, ok := declared.worker(ref, w.URL); skip(ref, f, ok) {
					continue
				}
				clusterDoc.Workers = append(clusterDoc.Workers, &manifest.Worker{Name: w.Name, Cluster: in.Name, URL: w.URL})
				clusterWhat = append(clusterWhat, ref)
			}
		}
		if !clusterDeclared {
			res.Notes = append(res.Notes, Note{Subject: clusterRef, Kind: Inexpressible, Message: fmt.Sprintf(
				"not declared, and the REST API does not tell a worker's group.id or storage topics: "+
					"declare it (name: %s, bootstrapServers, groupId, storage.config/offset/status.topic, converters.key/value.class) "+
					"in a manifest, or import again with --workers-dir DIR", in.Name)})
		}

		res.Notes = append(res.Notes, in.Skipped...)
		conns := append([]Connector{}, in.Connectors...)
		sort.Slice(conns, func(i, j int) bool { return conns[i].Name < conns[j].Name })
		for _, c := range conns {
			subject := object.SinkRef(in.Name, c.Name)
			sinkPath := clusterPath
			if o.Layout.Dir != "" {
				sinkPath = filepath.Join(o.Layout.Dir, in.Name, c.Name+".yaml")
			}
			if f, ok := declared.Sinks[subject]; ok && !(o.Overwrite && samePath(f, sinkPath)) {
				res.Notes = append(res.Notes, Note{Subject: subject, Kind: Skipped, Message: "already declared in " + f})
				continue
			}
			sr := importSink(c, &namer)
			res.Secrets = append(res.Secrets, sr.Secrets...)
			for _, v := range sr.secretValues {
				res.values = append(res.values, v)
			}
			res.Notes = append(res.Notes, sr.Notes...)
			if o.Layout.Dir != "" {
				res.Files = append(res.Files, Output{Path: sinkPath,
					Data: document{Comment: header(o.Source), Sinks: []*manifest.Sink{sr.Sink}}.Marshal(),
					What: []object.Ref{subject}})
				continue
			}
			clusterDoc.Sinks = append(clusterDoc.Sinks, sr.Sink)
			clusterWhat = append(clusterWhat, subject)
		}
		if o.Layout.Dir != "" {
			if len(clusterWhat) > 0 {
				res.Files = append(res.Files, Output{Path: clusterPath, Data: clusterDoc.Marshal(), What: clusterWhat})
			}
			continue
		}
		single.Clusters = append(single.Clusters, clusterDoc.Clusters...)
		single.Workers = append(single.Workers, clusterDoc.Workers...)
		single.Sinks = append(single.Sinks, clusterDoc.Sinks...)
		singleWhat = append(singleWhat, clusterWhat...)
	}
	if o.Layout.Dir == "" && len(singleWhat) > 0 {
		res.Files = append(res.Files, Output{Path: o.Layout.File, Data: single.Marshal(), What: singleWhat})
	}
	sort.Slice(res.Files, func(i, j int) bool { return res.Files[i].Path < res.Files[j].Path })
	sort.SliceStable(res.Notes, func(i, j int) bool {
		if res.Notes[i].Kind != res.Notes[j].Kind {
			return res.Notes[i].Kind > res.Notes[j].Kind
		}
		return res.Notes[i].Subject.Compare(res.Notes[j].Subject) < 0
	})
	return res
}

// target is where the cluster's file goes: DIR/<name>, or the single file.
func (o Options) target(name string) string {
	if o.Layout.Dir != "" {
		return filepath.Join(o.Layout.Dir, name)
	}
	return o.Layout.File
}

func header(source string) []string {
	if source == "" {
		return []string{"Imported by connectsync import."}
	}
	return []string{"Imported by connectsync import from " + source + "."}
}

func samePath(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}
