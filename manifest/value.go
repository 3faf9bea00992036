package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
	Text       string
	SecretEnv  string
	SecretFile string
	pos        Pos
	dir        string
}

// IsSecret reports whether the value is a secret reference.
func (v Value) IsSecret() bool { return v.SecretEnv != "" || v.SecretFile != "" }

// IsZero reports whether the value was never set.
func (v Value) IsZero() bool { return v == Value{} }

// Pos returns where the value was written.
func (v Value) Pos() Pos { return v.pos }

// Ref describes a secret reference without its value, for messages.
func (v Value) Ref() string {
	switch {
	case v.SecretEnv != "":
		return "secretEnv " + v.SecretEnv
	case v.SecretFile != "":
		return "secretFile " + v.SecretFile
	}
	return ""
}

// Env looks up an environment variable. os.LookupEnv is one.
type Env func(name string) (string, bool)

// Resolve returns the value's text, reading a secret reference from the
// environment or its file.
func (v Value) Resolve(env Env) (string, error) {
	switch {
	case v.SecretEnv != "":
		s, ok := env(v.SecretEnv)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", v.SecretEnv)
		}
		return s, nil
	case v.SecretFile != "":
		path := v.SecretFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(v.dir, path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			// The error names the path, never the content.
			return "", fmt.Errorf("cannot read secret file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return v.Text, nil
}

func (v *Value) decodeNode(d *decoder, n *yaml.Node, path string) {
	v.pos = d.src.nodePos(n)
	v.dir = d.src.Dir
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
			v.SecretEnv = vn.Value
		case "secretFile":
			v.SecretFile = vn.Value
		default:
			d.errorf(kn, path, "write {secretEnv: NAME} or {secretFile: PATH}",
				"unknown secret reference %q", kn.Value)
		}
	default:
		d.errorf(n, path, "quote the value, or write {secretEnv: NAME} for a secret",
			"must be a string or a secret reference, got %s", describe(n))
	}
}
