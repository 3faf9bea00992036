package manifest

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Value is a config value: either literal text, or a reference to a secret
// that connectsync resolves when it renders, plans or applies:
//
//	password: {secretEnv: CASSANDRA_PASSWORD}
//	password: {secretFile: secrets/cassandra-password}
//
// A reference is a YAML mapping, so it cannot be confused with a string such
// as Kafka's own config-provider placeholder "${file:/etc/secrets:password}",
// which passes through untouched for the worker to resolve. A secret file's
// trailing newline is dropped; a relative path is relative to the manifest.
type Value struct {
	// A Value is 40 bytes: a manifest of thousands of sinks holds one per
	// key of every config: map, and a map's slots are as large as its
	// values. The secret reference is behind a pointer (nil for plain
	// text), and where the value was written is a line and a column, the
	// file being shared by every value of the file.

	Text   string
	secret *secretRef
	at     *valueFile
	line   int32
	col    int32
}

// secretRef is a secret reference: one of env and file is set.
type secretRef struct{ env, file string }

// valueFile is the file a Value was written in, and the directory a
// relative secret file is resolved against.
type valueFile struct{ file, dir string }

// EnvSecret returns a reference to the secret in environment variable
// name.
func EnvSecret(name string) Value { return Value{secret: &secretRef{env: name}} }

// FileSecret returns a reference to the secret in the file at path,
// relative to the working directory unless absolute.
func FileSecret(path string) Value { return Value{secret: &secretRef{file: path}} }

// SecretEnv returns the variable a secretEnv reference names, or "".
func (v Value) SecretEnv() string {
	if v.secret == nil {
		return ""
	}
	return v.secret.env
}

// SecretFile returns the path a secretFile reference names, or "".
func (v Value) SecretFile() string {
	if v.secret == nil {
		return ""
	}
	return v.secret.file
}

// IsSecret reports whether the value is a secret reference.
func (v Value) IsSecret() bool { return v.SecretEnv() != "" || v.SecretFile() != "" }

// IsZero reports whether the value was never set.
func (v Value) IsZero() bool { return v == Value{} }

// Pos returns where the value was written.
func (v Value) Pos() Pos {
	if v.at == nil {
		return Pos{}
	}
	return Pos{File: v.at.file, Line: int(v.line), Col: int(v.col)}
}

func (v Value) dir() string {
	if v.at == nil {
		return ""
	}
	return v.at.dir
}

// Ref describes a secret reference without its value, for messages.
func (v Value) Ref() string {
	switch {
	case v.SecretEnv() != "":
		return "secretEnv " + v.SecretEnv()
	case v.SecretFile() != "":
		return "secretFile " + v.SecretFile()
	}
	return ""
}

// Env looks up an environment variable. os.LookupEnv is one.
type Env func(name string) (string, bool)

// Resolve returns the value's text, reading a secret reference from the
// environment or its file.
func (v Value) Resolve(env Env) (string, error) {
	switch {
	case v.SecretEnv() != "":
		s, ok := env(v.SecretEnv())
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", v.SecretEnv())
		}
		return s, nil
	case v.SecretFile() != "":
		path := v.SecretFile()
		if !filepath.IsAbs(path) {
			path = filepath.Join(v.dir(), path)
		}
		b, err := readSecretFile(path)
		if err != nil {
			return "", err
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return v.Text, nil
}

// MaxSecretFileSize caps a secret file: 64 KiB. A password, a token or even
// a PEM private key with its chain is a few KiB at most, and the value ends
// up on one line of a properties file and in a REST body. Anything larger is
// not a secret value but the wrong file (a keystore, a log, /dev/zero), and
// reading it whole could exhaust memory.
const MaxSecretFileSize = 64 << 10

// SecretError is a secret that cannot be resolved, with a hint on how to
// fix it. Its text names the variable or the file, never a value.
type SecretError struct {
	Problem string
	Fix     string
}

func (e *SecretError) Error() string { return e.Problem }

// Hint says how to fix the problem.
func (e *SecretError) Hint() string { return e.Fix }

// readSecretFile reads a secret file, refusing anything but a regular file
// of at most MaxSecretFileSize bytes. A FIFO would block the open and the
// read forever, a device never ends: the file is checked before it is
// opened, opened without blocking, and checked again through the open
// descriptor, so that it cannot be swapped in between.
func readSecretFile(path string) ([]byte, error) {
	notRegular := func(m fs.FileMode) error {
		return &SecretError{
			Problem: fmt.Sprintf("secret file %s is not a regular file (%s)", path, fileKind(m)),
			Fix:     "point secretFile at a regular file that holds only the secret",
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		// The error names the path, never the content.
		return nil, &SecretError{Problem: "cannot read secret file: " + err.Error(),
			Fix: "create the file before running connectsync, or correct the path (relative paths are relative to the manifest)"}
	}
	if !info.Mode().IsRegular() {
		return nil, notRegular(info.Mode())
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, &SecretError{Problem: "cannot read secret file: " + err.Error(),
			Fix: "make the file readable by the user running connectsync"}
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil {
		return nil, &SecretError{Problem: "cannot read secret file: " + err.Error(), Fix: "check the file"}
	}
	if !info.Mode().IsRegular() {
		return nil, notRegular(info.Mode())
	}
	tooLarge := &SecretError{
		Problem: fmt.Sprintf("secret file %s is larger than %d KiB", path, MaxSecretFileSize>>10),
		Fix:     "a secret file holds only the secret value; point secretFile at the right file",
	}
	if info.Size() > MaxSecretFileSize {
		return nil, tooLarge
	}
	// The file may grow after the check: read at most one byte more than
	// the cap, to tell.
	b, err := io.ReadAll(io.LimitReader(f, MaxSecretFileSize+1))
	if err != nil {
		return nil, &SecretError{Problem: "cannot read secret file: " + err.Error(), Fix: "check the file"}
	}
	if len(b) > MaxSecretFileSize {
		return nil, tooLarge
	}
	return b, nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "type " + m.Type().String()
}

func (v *Value) decodeNode(d *decoder, n *yaml.Node, path string) {
	v.at, v.line, v.col = d.src.at, int32(n.Line), int32(n.Column)
	switch n.Kind {
	case yaml.ScalarNode:
		v.Text = n.Value
	case yaml.MappingNode:
		if len(n.Content) != 2 {
			d.errorf(n, path, "write {secretEnv: NAME} or {secretFile: PATH}",
				"a secret reference has exactly one key, secretEnv or secretFile")
			return
		}
		kn, vn := n.Content[0], n.Content[1]
		if vn.Kind != yaml.ScalarNode || vn.Value == "" || isNull(vn) {
			d.errorf(vn, path, "", "%s must name a variable or a file", kn.Value)
			return
		}
		switch kn.Value {
		case "secretEnv":
			v.secret = &secretRef{env: vn.Value}
		case "secretFile":
			v.secret = &secretRef{file: vn.Value}
		default:
			d.errorf(kn, path, "write {secretEnv: NAME} or {secretFile: PATH}",
				"unknown secret reference %q", kn.Value)
		}
	default:
		d.errorf(n, path, "quote the value, or write {secretEnv: NAME} for a secret",
			"must be a string or a secret reference, got %s", describe(n))
	}
}

// Duration is a Go duration ("30s", "2m"). It is parsed, and checked to be
// positive, when the manifest is loaded, so that no later reader parses it
// again or meets one that does not parse. Zero is unset.
type Duration time.Duration

func (d *Duration) decodeNode(dec *decoder, n *yaml.Node, path string) {
	s, ok := dec.scalar(n, path, `a duration such as "30s"`)
	if !ok {
		return
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		dec.errorf(n, path, `write a Go duration such as "30s" or "2m"`, "%q is not a duration", s)
		return
	}
	*d = Duration(v)
}
