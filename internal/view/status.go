package view

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/object"
)

// Status prints each cluster's workers and connectors, with their tasks.
//
// health holds, per connector, the sink's progress read from
// Kafka; an error in place of it says why it could not be read.
func (p *Printer) Status(clusters []string, live map[string]*apply.ClusterState, declared map[object.Ref]bool, health map[object.Ref]HealthResult) {
	w := p.out
	for i, name := range clusters {
		cs := live[name]
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, p.paint(ansiBold, object.ClusterRef(name).String()))
		for _, wk := range cs.Workers {
			if wk.Reachable() {
				fmt.Fprintf(w, "  worker %-12s %-28s Kafka %s, cluster id %s\n", wk.Name, wk.URL, wk.Info.Version, wk.Info.KafkaClusterID)
			} else {
				fmt.Fprintln(w, p.paint(ansiRed, fmt.Sprintf("  worker %-12s %-28s does not answer: %v", wk.Name, wk.URL, wk.Err)))
			}
		}
		if cs.Connectors == nil {
			fmt.Fprintln(w, p.paint(ansiRed, fmt.Sprintf("  cannot read the connectors: %v", cs.ReadErr)))
			continue
		}
		if len(cs.Connectors) == 0 {
			fmt.Fprintln(w, "  no connectors")
		}
		for _, cn := range slices.Sorted(maps.Keys(cs.Connectors)) {
			c := cs.Connectors[cn]
			note := ""
			if !declared[object.SinkRef(name, cn)] {
				note = " (not in the manifests)"
			}
			fmt.Fprintf(w, "  %s %-30s %s%s\n", stateMark(c.Status.State), cn, p.paintState(c.Status.State), note)
			if c.Status.State == object.StateFailed {
				fmt.Fprintf(w, "      connector on %s: %s\n", c.Status.WorkerID, apply.FirstLine(c.Status.Trace))
			}
			for _, t := range c.Status.Tasks {
				line := fmt.Sprintf("      task %d  %-10s on %s", t.ID, t.State, t.WorkerID)
				if t.State == object.StateFailed {
					line += ": " + apply.FirstLine(t.Trace)
				}
				fmt.Fprintln(w, line)
			}
			if h, ok := health[object.SinkRef(name, cn)]; ok {
				switch {
				case h.Err != nil:
					fmt.Fprintf(w, "      kafka: cannot read consumer group connect-%s: %v\n", cn, h.Err)
				case h.Health.IsStalled() && c.Status.State == object.StateRunning:
					fmt.Fprintln(w, p.paint(ansiYellow, fmt.Sprintf("      warning: RUNNING but %s: the connector is retrying records it cannot write (read the workers' WARN lines)", h.Health.Summary())))
				default:
					fmt.Fprintf(w, "      kafka: %s\n", h.Health.Summary())
				}
			}
		}
	}
}

// HealthResult is a sink's progress read from Kafka, or why it could not be.
type HealthResult struct {
	Health *apply.SinkHealth
	Err    error
}

func stateMark(state object.State) string {
	switch state {
	case object.StateRunning:
		return "●"
	case object.StateFailed:
		return "✗"
	}
	return "○"
}

func (p *Printer) paintState(state object.State) string {
	switch state {
	case object.StateRunning:
		return p.paint(ansiGreen, state.String())
	case object.StateFailed:
		return p.paint(ansiRed, state.String())
	case object.StatePaused, object.StateStopped, object.StateUnassigned, object.StateRestarting:
		return p.paint(ansiYellow, state.String())
	}
	return state.String()
}

// statusJSON is the status as its --json document.
func statusJSON(clusters []string, live map[string]*apply.ClusterState, declared map[object.Ref]bool, health map[object.Ref]HealthResult) StatusJSON {
	out := StatusJSON{FormatVersion: JSONFormatVersion}
	for _, name := range clusters {
		cs := live[name]
		cl := ClusterStatusJSON{Name: name, Connectors: []ConnectorStatusJSON{}}
		for _, wk := range cs.Workers {
			wj := WorkerStatusJSON{Name: wk.Name, URL: wk.URL, Reachable: wk.Reachable(), Version: wk.Info.Version, KafkaClusterID: wk.Info.KafkaClusterID}
			if wk.Err != nil {
				wj.Error = wk.Err.Error()
			}
			cl.Workers = append(cl.Workers, wj)
		}
		if cs.Connectors == nil && cs.ReadErr != nil {
			cl.Error = cs.ReadErr.Error()
		}
		for _, cn := range slices.Sorted(maps.Keys(cs.Connectors)) {
			c := cs.Connectors[cn]
			ref := object.SinkRef(name, cn)
			cj := ConnectorStatusJSON{Name: cn, State: c.Status.State.String(), WorkerID: c.Status.WorkerID, Declared: declared[ref], Tasks: []TaskStatusJSON{}}
			if c.Status.State == object.StateFailed {
				cj.Error = apply.FirstLine(c.Status.Trace)
			}
			for _, t := range c.Status.Tasks {
				tj := TaskStatusJSON{ID: t.ID, State: t.State.String(), WorkerID: t.WorkerID}
				if t.State == object.StateFailed {
					tj.Error = strings.TrimSpace(apply.FirstLine(t.Trace))
				}
				cj.Tasks = append(cj.Tasks, tj)
			}
			if h, ok := health[ref]; ok {
				if h.Err != nil {
					cj.HealthError = h.Err.Error()
				} else {
					cj.Health = healthJSON(h.Health)
					cj.Stalled = h.Health.IsStalled() && c.Status.State == object.StateRunning
				}
			}
			cl.Connectors = append(cl.Connectors, cj)
		}
		out.Clusters = append(out.Clusters, cl)
	}
	return out
}
