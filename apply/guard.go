package apply

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/internal/english"
	"github.com/connectsync/connectsync/object"
)

// DefaultMaxDeletes is how many connectors one apply deletes at most unless
// told otherwise (--max-deletes).
const DefaultMaxDeletes = 10

// Guardrails bound what one apply may do, so that a bad merge, an empty
// manifest directory or a manifest pointed at the wrong cluster cannot
// delete a cluster's connectors in a run nobody watches.
type Guardrails struct {
	// MaxDeletes caps the connectors deleted in the whole run. Negative
	// means no cap.
	MaxDeletes int
	// MaxChanges caps the changes (creates, updates, deletes, restarts) in
	// the whole run. Zero or negative means no cap.
	MaxChanges int
	// AllowMassDelete lifts the per-cluster rules: a prune of every
	// connector of a cluster for which the manifests declare no sink, and a
	// prune of more than half of a cluster's connectors.
	AllowMassDelete bool
	// Targeted says the run has --target: prune then deletes only
	// connectors named by a target, which is explicit, so the per-cluster
	// rules do not apply (MaxDeletes and MaxChanges still do).
	Targeted bool
	// Declared counts, per cluster, the sinks the manifests declare,
	// whatever the targets.
	Declared map[string]int
}

// Refusal is a guardrail that stops an apply before anything is written.
type Refusal struct {
	// Cluster is empty for a run-wide rule.
	Cluster string
	// Rule names the guardrail: "max-deletes", "max-changes",
	// "no-sinks-declared", "more-than-half".
	Rule    string
	Message string
	Hint    string
	// Names lists what would have been deleted (or changed).
	Names []object.Ref
}

// Check returns the guardrails the session's plan breaks, in a stable
// order. An empty result means apply may go ahead.
func (s *Session) Check(g Guardrails) []Refusal {
	deletes := map[string][]object.Ref{}
	var allDeletes, allChanges []object.Ref
	for _, ch := range s.Plan.Changes {
		if ch.Action == diff.NoOp && !ch.RestartFailed {
			continue
		}
		allChanges = append(allChanges, ch.Ref)
		if ch.Action == diff.Delete && ch.Kind == object.KindSink {
			deletes[ch.Cluster] = append(deletes[ch.Cluster], ch.Ref)
			allDeletes = append(allDeletes, ch.Ref)
		}
	}
	var out []Refusal
	if !g.AllowMassDelete && !g.Targeted {
		for _, c := range slices.Sorted(maps.Keys(deletes)) {
			ids := deletes[c]
			names := make([]string, len(ids))
			for i, r := range ids {
				names[i] = r.Name
			}
			live := 0
			if cs := s.Clusters[c]; cs != nil {
				live = len(cs.Connectors)
			}
			switch {
			case g.Declared[c] == 0:
				out = append(out, Refusal{
					Cluster: c, Rule: "no-sinks-declared", Names: ids,
					Message: fmt.Sprintf("cluster %s: the manifests declare no sink for it, yet it runs %d %s; prune would delete %s: %s",
						c, live, english.Plural(live, "connector", "connectors"), countOf(len(names), live), strings.Join(names, ", ")),
					Hint: "check that -f points at the right files and directories; if deleting them all is meant, pass --allow-mass-delete",
				})
			case 2*len(names) > live:
				out = append(out, Refusal{
					Cluster: c, Rule: "more-than-half", Names: ids,
					Message: fmt.Sprintf("cluster %s: prune would delete %d of its %d connectors, more than half: %s",
						c, len(names), live, strings.Join(names, ", ")),
					Hint: "check the manifests and the cluster's prune.keep; if this is meant, pass --allow-mass-delete",
				})
			}
		}
	}
	if g.MaxDeletes >= 0 && len(allDeletes) > g.MaxDeletes {
		paths := make([]string, len(allDeletes))
		for i, r := range allDeletes {
			paths[i] = r.Qualified()
		}
		list := strings.Join(paths, ", ")
		if len(out) > 0 && len(out[0].Names) == len(allDeletes) {
			list = "the ones named above" // one cluster's rule listed them all
		}
		out = append(out, Refusal{
			Rule: "max-deletes", Names: allDeletes,
			Message: fmt.Sprintf("the plan deletes %d %s, more than --max-deletes %d allows: %s",
				len(allDeletes), english.Plural(len(allDeletes), "connector", "connectors"), g.MaxDeletes, list),
			Hint: fmt.Sprintf("if this is meant, pass --max-deletes %d", len(allDeletes)),
		})
	}
	if g.MaxChanges > 0 && len(allChanges) > g.MaxChanges {
		out = append(out, Refusal{
			Rule: "max-changes", Names: allChanges,
			Message: fmt.Sprintf("the plan makes %d changes, more than --max-changes %d allows", len(allChanges), g.MaxChanges),
			Hint:    fmt.Sprintf("if this is meant, pass --max-changes %d, or apply part of it with --target", len(allChanges)),
		})
	}
	return out
}

func countOf(n, of int) string {
	if n == of {
		return "all of them"
	}
	return fmt.Sprintf("%d of them", n)
}
