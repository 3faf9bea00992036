// Package object is the vocabulary every other package shares about the
// objects connectsync manages: which object (Ref: a kind, a cluster and a
// name) and, for a connector, which state. It is a leaf: it imports nothing
// of connectsync's, so that manifest, diff, connect and importer can all
// use it without a cycle, and no package has to build a reference or a
// state as a string and parse it back apart.
package object

import "strings"

// Kind is the kind of object a Ref names.
type Kind string

// Kinds.
const (
	KindCluster Kind = "cluster"
	KindWorker  Kind = "worker"
	KindSink    Kind = "sink"
	// KindSource is a source connector, which connectsync reads but does
	// not manage.
	KindSource Kind = "source"
)

func (k Kind) String() string { return string(k) }

// Ref names one object: a sink, a worker or a cluster. A cluster's Ref has
// an empty Name. The zero Ref names nothing.
type Ref struct {
	Kind    Kind
	Cluster string
	Name    string
}

// ClusterRef names a cluster.
func ClusterRef(cluster string) Ref { return Ref{Kind: KindCluster, Cluster: cluster} }

// WorkerRef names a worker of a cluster, by its manifest name or by the
// host:port it advertises.
func WorkerRef(cluster, name string) Ref { return Ref{Kind: KindWorker, Cluster: cluster, Name: name} }

// SinkRef names a sink connector of a cluster.
func SinkRef(cluster, name string) Ref { return Ref{Kind: KindSink, Cluster: cluster, Name: name} }

// SourceRef names a source connector of a cluster.
func SourceRef(cluster, name string) Ref { return Ref{Kind: KindSource, Cluster: cluster, Name: name} }

// Qualified is the object's name qualified by its cluster, cluster/name
// ("local/orders"), as --target and every list of names spell it; a
// cluster's is its name.
func (r Ref) Qualified() string {
	if r.Kind == KindCluster {
		return r.Cluster
	}
	return r.Cluster + "/" + r.Name
}

// String is how output names the object: "sink local/orders",
// "worker local/worker-1", "cluster local".
func (r Ref) String() string { return string(r.Kind) + " " + r.Qualified() }

// KindName is the object's kind and its name within its cluster,
// "sink/orders" ("cluster/local" for a cluster), as the log events of
// apply --log-format json name it beside a separate cluster field.
func (r Ref) KindName() string {
	if r.Kind == KindCluster {
		return string(r.Kind) + "/" + r.Cluster
	}
	return string(r.Kind) + "/" + r.Name
}

// Compare orders Refs as their String does, for stable output.
func (r Ref) Compare(o Ref) int { return strings.Compare(r.String(), o.String()) }
