// Package view renders everything connectsync prints for people and
// machines: diagnostics, rendered files, plans and apply progress. Commands
// decide what to say; this package alone decides how it looks, so that the
// text stays stable and is covered by golden tests. A command with a
// machine format prints through its view (views.go: a human and a JSON
// implementation, chosen once from the flags); the --json documents have
// their own types (json.go). The Printer's writers are not exported: a
// command cannot print around it.
package view

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"

	"github.com/connectsync/connectsync/internal/english"
	"github.com/connectsync/connectsync/manifest"
)

// Printer writes to a command's standard output and error.
//
// Its writers are unexported on purpose: the only way to get a Printer is
// NewPrinter, which takes the run's Secrets, so that nothing connectsync
// prints can bypass the masking of secrets or the neutralising of control
// characters (see Secrets and neutralise).
type Printer struct {
	out, errw io.Writer
	// color enables ANSI colour; callers set it only for a terminal
	// without NO_COLOR.
	color bool
	// colorErr enables colour on standard error, which may be a terminal
	// when standard output is not, or the other way round.
	colorErr bool
	// mark prefixes the Printer's own colour sequences, so that the
	// neutraliser lets them pass and escapes every other one. It is random
	// per Printer, so a worker cannot forge it, and never printed.
	mark string
	// outGate and errGate hold output back while held (--quiet).
	outGate, errGate *gate
	// log, when set, makes the Printer write its messages as JSON events
	// on standard error (apply --log-format json).
	log *eventLog
}

// NewPrinter returns a Printer writing to stdout and stderr through
// secrets: every registered secret, and every secret registered later, is
// masked in whatever the Printer writes, and control characters that did
// not come from the Printer's own colouring are shown escaped. color turns
// ANSI colour on. secrets must not be nil.
func NewPrinter(stdout, stderr io.Writer, color bool, secrets *Secrets) *Printer {
	if secrets == nil {
		panic("view.NewPrinter: nil Secrets")
	}
	mark := newMark()
	og, eg := &gate{w: stdout}, &gate{w: stderr}
	return &Printer{
		out:     secrets.writer(neutraliser{og, mark}),
		errw:    secrets.writer(neutraliser{eg, mark}),
		color:   color,
		mark:    mark,
		outGate: og, errGate: eg,
	}
}

// Hold keeps everything the Printer writes from here on, masked as
// always, until Release.
func (p *Printer) Hold() {
	p.outGate.hold()
	p.errGate.hold()
}

// Release writes what was held when flush is true, and drops it
// otherwise; the Printer writes straight through again. --quiet holds a
// run's output and flushes it only when something changed or failed.
func (p *Printer) Release(flush bool) {
	p.outGate.release(flush)
	p.errGate.release(flush)
}

// gate passes writes through, or holds them back.
type gate struct {
	mu   sync.Mutex
	w    io.Writer
	held *bytes.Buffer
}

func (g *gate) Write(b []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held != nil {
		return g.held.Write(b)
	}
	return g.w.Write(b)
}

func (g *gate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held == nil {
		g.held = &bytes.Buffer{}
	}
}

func (g *gate) release(flush bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.held != nil && flush {
		g.w.Write(g.held.Bytes())
	}
	g.held = nil
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

func (p *Printer) paint(code, s string) string {
	if !p.color || s == "" {
		return s
	}
	return p.mark + code + s + p.mark + ansiReset
}

// SetStderrColor turns ANSI colour on standard error on or off; callers
// set it only for a terminal without NO_COLOR. It is off by default.
func (p *Printer) SetStderrColor(on bool) { p.colorErr = on }

// paintErr is paint for standard error.
func (p *Printer) paintErr(code, s string) string {
	if !p.colorErr || p.log != nil || s == "" {
		return s
	}
	return p.mark + code + s + p.mark + ansiReset
}

// Errorf prints "connectsync: <message>" on standard error, and a hint
// line when hint is not empty.
func (p *Printer) Errorf(hint, format string, args ...any) {
	if p.log != nil {
		p.logMessage(hint, fmt.Sprintf(format, args...))
		return
	}
	fmt.Fprintf(p.errw, "connectsync: %s\n", fmt.Sprintf(format, args...))
	if hint != "" {
		fmt.Fprintf(p.errw, "connectsync: hint: %s\n", hint)
	}
}

// Diagnostics prints each diagnostic on its own line on standard error,
// then a count.
func (p *Printer) Diagnostics(ds manifest.Diagnostics) {
	if p.log != nil {
		p.logDiagnostics(ds)
		return
	}
	for _, d := range ds {
		line := d.String()
		if d.Severity == manifest.Error {
			fmt.Fprintln(p.errw, p.paintErr(ansiRed, line))
		} else {
			fmt.Fprintln(p.errw, p.paintErr(ansiYellow, line))
		}
	}
	if n := len(ds.Errors()); n > 0 {
		fmt.Fprintf(p.errw, "connectsync: %s\n", counted(n, "error", "errors")+warningsSuffix(ds))
	}
}

func warningsSuffix(ds manifest.Diagnostics) string {
	if n := len(ds.Warnings()); n > 0 {
		return ", " + counted(n, "warning", "warnings")
	}
	return ""
}

// counted is a count and its noun: "1 file", "3 files".
func counted(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, english.Plural(n, one, many))
}

// Valid prints validate's summary for a manifest without errors.
func (p *Printer) Valid(m *manifest.Manifest, ds manifest.Diagnostics) {
	fmt.Fprintf(p.out, "%s %s: %s, %s, %s%s.\n", p.paint(ansiGreen, "Valid:"),
		counted(len(m.Files), "file", "files"),
		counted(len(m.Clusters), "cluster", "clusters"),
		counted(len(m.Workers), "worker", "workers"),
		counted(len(m.Sinks), "sink", "sinks"), warningsSuffix(ds))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// JSON prints v as indented JSON on standard output.
func (p *Printer) JSON(v any) error {
	enc := json.NewEncoder(p.out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// RenderedFiles prints render's summary of the files it wrote.
func (p *Printer) RenderedFiles(dir string, files []manifest.File) {
	// One write of every line: each write is masked, neutralised and
	// written on its own, and render writes a line per file.
	var b strings.Builder
	for _, f := range files {
		b.WriteString("wrote ")
		b.WriteString(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if f.Mode == 0o600 {
			b.WriteString(" (mode 0600: holds a secret)")
		}
		b.WriteByte('\n')
	}
	io.WriteString(p.out, b.String())
}

// RenderedToStdout prints rendered files on standard output, for render
// without -o. Secret values are masked.
func (p *Printer) RenderedToStdout(files []manifest.File) {
	for i, f := range files {
		if i > 0 {
			fmt.Fprintln(p.out)
		}
		fmt.Fprintf(p.out, "%s\n", p.paint(ansiBold, "# "+f.Path))
		p.out.Write(f.Data)
	}
}

// Schema prints the manifest's JSON Schema as it is.
func (p *Printer) Schema(b []byte) error {
	_, err := p.out.Write(b)
	return err
}
