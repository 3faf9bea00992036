package view

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/object"
)

// The summary lines are a public interface: scripts grep them. Never
// reword them casually.
const (
	NoChanges = "No changes. Live state matches the manifest."
	// NotRead ends a plan that could not read some cluster's live state,
	// in place of NoChanges, which it must never print.
	NotRead = "No plan for cluster %s: its live state could not be read."
	// SensitiveValue stands for a value that is never shown.
	SensitiveValue = "(sensitive value)"
)

func symbol(a diff.Action) string {
	switch a {
	case diff.Create:
		return "+"
	case diff.Update:
		return "~"
	case diff.Delete:
		return "-"
	}
	return " "
}

func (p *Printer) actionColor(a diff.Action) string {
	switch a {
	case diff.Create:
		return ansiGreen
	case diff.Update:
		return ansiYellow
	case diff.Delete:
		return ansiRed
	}
	return ""
}

// Plan prints a plan for people, like Terraform's: one block per changed
// object, one line per changed key, findings in their own section, and the
// summary line last.
func (p *Printer) Plan(plan *diff.Plan) {
	w := p.out
	changed := false
	cluster := ""
	for _, c := range plan.Changes {
		if c.Action == diff.NoOp && !c.RestartFailed {
			continue
		}
		if !changed {
			fmt.Fprintln(w, "connectsync will perform the following actions:")
			changed = true
		}
		if c.Cluster != cluster {
			cluster = c.Cluster
			fmt.Fprintf(w, "\n%s\n", p.paint(ansiBold, object.ClusterRef(cluster).String()))
		}
		p.change(w, c)
	}
	if restart := workersToRestart(plan); len(restart) > 0 {
		fmt.Fprintf(w, "\nWorkers to restart after apply, to pick up their new properties (connectsync does not restart them):\n")
		for _, c := range restart {
			fmt.Fprintf(w, "  %s\n", c.Ref.Qualified())
		}
	}
	p.findings(w, plan.Findings)
	if changed {
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, p.paint(ansiBold, Summary(plan)))
}

// Summary is the plan's last line. NoChanges is printed only when every
// cluster's live state was read.
func Summary(plan *diff.Plan) string {
	unread := ""
	if len(plan.Unread) > 0 {
		unread = fmt.Sprintf(NotRead, strings.Join(plan.Unread, ", "))
	}
	if !plan.HasChanges() {
		if unread != "" {
			return unread
		}
		return NoChanges
	}
	create, change, del, restart := plan.Counts()
	s := fmt.Sprintf("Plan: %d to create, %d to change, %d to delete", create, change, del)
	if restart > 0 {
		s += fmt.Sprintf(", %d to restart", restart)
	}
	s += "."
	if unread != "" {
		s += " " + unread
	}
	return s
}

func workersToRestart(plan *diff.Plan) []diff.Change {
	var out []diff.Change
	for _, c := range plan.Changes {
		if c.Kind == object.KindWorker && c.Action != diff.NoOp {
			out = append(out, c)
		}
	}
	return out
}

func (p *Printer) change(w io.Writer, c diff.Change) {
	head := fmt.Sprintf("  %s %s %s", symbol(c.Action), c.Kind, c.Name)
	var notes []string
	switch {
	case c.Kind == object.KindWorker:
		notes = append(notes, c.Path)
	case c.Action == diff.Create:
		notes = append(notes, "state "+c.StateAfter.String())
	case c.Action == diff.Delete:
		notes = append(notes, "not in any manifest; prune is on")
	case c.StateChanged():
		notes = append(notes, "state "+c.StateBefore.String()+" -> "+c.StateAfter.String())
	}
	if c.RestartFailed {
		notes = append(notes, "restart failed tasks")
	}
	if len(notes) > 0 {
		head += " (" + strings.Join(notes, "; ") + ")"
	}
	fmt.Fprintln(w, p.paint(p.actionColor(c.Action), head))
	width := 0
	for _, f := range c.Fields {
		width = max(width, len(f.Key))
	}
	for _, f := range c.Fields {
		fmt.Fprintln(w, p.field(f, width))
	}
}

func (p *Printer) field(f diff.Field, width int) string {
	val := func(s string) string {
		if f.Sensitive {
			return SensitiveValue
		}
		return strconv.Quote(s)
	}
	key := fmt.Sprintf("%-*s", width, f.Key)
	switch {
	case !f.HasBefore:
		return p.paint(ansiGreen, "      + "+key+" = "+val(f.After))
	case !f.HasAfter:
		return p.paint(ansiRed, "      - "+key+" = "+val(f.Before))
	case f.Sensitive:
		return p.paint(ansiYellow, "      ~ "+key+" = "+SensitiveValue+" (changed)")
	default:
		return p.paint(ansiYellow, "      ~ "+key+" = "+val(f.Before)+" -> "+val(f.After))
	}
}

func (p *Printer) findings(w io.Writer, fs []diff.Finding) {
	for i, f := range fs {
		if i == 0 || f.Section != fs[i-1].Section {
			fmt.Fprintf(w, "\n%s:\n", p.paint(ansiBold, f.Section.Title()))
		}
		line := "  " + string(f.Severity) + ": "
		if f.Where != "" {
			line += f.Where + ": "
		}
		line += f.Subject.String() + ": "
		line += f.Message
		if f.Hint != "" {
			line += " (hint: " + f.Hint + ")"
		}
		color := ""
		switch f.Severity {
		case diff.SevError:
			color = ansiRed
		case diff.SevWarning:
			color = ansiYellow
		}
		fmt.Fprintln(w, p.paint(color, line))
	}
}

// Progress prints one apply step as it happens.
func (p *Printer) Progress(e apply.Event) {
	line := fmt.Sprintf("%s: %s", e.Change.Ref, e.Step)
	if e.Err != nil {
		fmt.Fprintln(p.errw, p.paintErr(ansiRed, line+": "+e.Err.Error()))
		return
	}
	fmt.Fprintln(p.out, line)
}

// ApplyResult prints what an apply did and its counts.
func (p *Printer) ApplyResult(r *apply.Result) {
	header := false
	for _, c := range r.Changes {
		if c.Outcome == apply.OutcomeApplied {
			continue
		}
		if !header {
			fmt.Fprintln(p.errw, "\nNot applied:")
			header = true
		}
		fmt.Fprintf(p.errw, "  %s: %s: %v\n", c.Change.Ref, c.Outcome, c.Err)
		for _, t := range c.FailedTasks {
			fmt.Fprintf(p.errw, "    %s\n", t)
		}
	}
	if len(r.RestartWorkers) > 0 {
		fmt.Fprintf(p.out, "\nRestart these workers to pick up their new properties:\n")
		for _, c := range r.RestartWorkers {
			fmt.Fprintf(p.out, "  %s (%s)\n", c.Qualified(), c.Path)
		}
	}
	applied, pending, failed := r.Counts()
	line := fmt.Sprintf("Apply complete: %d applied, %d pending, %d failed.", applied, pending, failed)
	if failed > 0 || pending > 0 {
		line = fmt.Sprintf("Apply failed: %d applied, %d pending, %d failed.", applied, pending, failed)
		fmt.Fprintln(p.out, p.paint(ansiRed, line))
		return
	}
	fmt.Fprintln(p.out, p.paint(ansiGreen, line))
}
