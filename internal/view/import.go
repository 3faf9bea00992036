package view

import (
	"fmt"
	"sort"
	"strings"

	"github.com/connectsync/connectsync/importer"
	"github.com/connectsync/connectsync/internal/english"
	"github.com/connectsync/connectsync/object"
)

// ImportReport prints what import wrote (on standard output when it wrote
// files, on standard error when the manifest itself went to standard
// output), what it could not express, the keys it put under config:, what
// it skipped, and on standard error the secret variables to set.
func (p *Printer) ImportReport(r *importer.Result, wroteFiles bool) {
	w := p.errw
	if wroteFiles {
		w = p.out
	}
	objects := 0
	for _, f := range r.Files {
		objects += len(f.What)
		if wroteFiles {
			fmt.Fprintf(w, "wrote %s: %s\n", f.Path, joinRefs(f.What))
		}
	}
	if len(r.Files) == 0 {
		fmt.Fprintln(w, "Nothing to import: the manifests already declare everything that matched.")
	} else {
		fmt.Fprintf(w, "Imported %s into %s.\n", counted(objects, "object", "objects"), counted(len(r.Files), "file", "files"))
	}
	sections := []struct {
		kind  importer.NoteKind
		title string
	}{
		{importer.Inexpressible, "Could not express exactly:"},
		{importer.Untyped, "Written under config: (no typed field):"},
		{importer.Skipped, "Not imported:"},
	}
	for _, s := range sections {
		var lines []string
		for _, n := range r.Notes {
			if n.Kind == s.kind {
				lines = append(lines, fmt.Sprintf("  %s: %s", n.Subject, n.Message))
			}
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s\n%s\n", s.title, strings.Join(lines, "\n"))
	}
	if len(r.Secrets) == 0 {
		return
	}
	secrets := append([]importer.Secret{}, r.Secrets...)
	sort.SliceStable(secrets, func(i, j int) bool { return secrets[i].Env < secrets[j].Env })
	width := 0
	for _, s := range secrets {
		width = max(width, len(s.Env))
	}
	fmt.Fprintf(p.errw, "connectsync: %s not written; set %s before plan or apply:\n",
		counted(len(secrets), "secret was", "secrets were"), english.Plural(len(secrets), "this variable", "these variables"))
	for _, s := range secrets {
		line := fmt.Sprintf("  %-*s  %s %s", width, s.Env, s.Subject, s.Key)
		if s.Masked {
			line += " (the worker masks it: its real value could not be read)"
		}
		fmt.Fprintln(p.errw, line)
	}
}

func joinRefs(refs []object.Ref) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = r.String()
	}
	return strings.Join(s, ", ")
}
