package apply

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/manifest"
	"github.com/connectsync/connectsync/object"
)

// PlanFileVersion is the format of a saved plan.
const PlanFileVersion = 1

// PlanFile is a saved plan: plan -out writes it, apply FILE reads it. It
// holds no secret value: sensitive fields keep their key and lose their
// values, and fingerprints leave sensitive values out.
type PlanFile struct {
	FormatVersion int `json:"format_version"`
	// Manifests are the manifest paths the plan was made from, and
	// ManifestDigest a digest of their bytes (which hold secret references,
	// never secret values).
	Manifests      []string      `json:"manifests"`
	ManifestDigest string        `json:"manifest_digest"`
	Targets        []string      `json:"targets,omitempty"`
	RestartFailed  bool          `json:"restart_failed,omitempty"`
	WorkersDir     string        `json:"workers_dir,omitempty"`
	Changes        []SavedChange `json:"changes"`
	// PlanKeyID names the plan key the SecretMACs were made with, and
	// SecretMACs holds, per object with sensitive values, an HMAC of them
	// (see LoadPlanKey); never the values.
	PlanKeyID  string            `json:"plan_key_id,omitempty"`
	SecretMACs map[string]string `json:"secret_macs,omitempty"`
}

// SavedChange is one change of a saved plan.
type SavedChange struct {
	Action        diff.Action  `json:"action"`
	Kind          object.Kind  `json:"kind"`
	Cluster       string       `json:"cluster"`
	Name          string       `json:"name"`
	Path          string       `json:"path,omitempty"`
	StateBefore   object.State `json:"state_before,omitempty"`
	StateAfter    object.State `json:"state_after,omitempty"`
	RestartFailed bool         `json:"restart_failed,omitempty"`
	Fields        []SavedField `json:"fields,omitempty"`
	Fingerprint   string       `json:"fingerprint"`
}

// SavedField is one changed key. A sensitive one has no values.
type SavedField struct {
	Key       string  `json:"key"`
	Before    *string `json:"before,omitempty"`
	After     *string `json:"after,omitempty"`
	HasBefore bool    `json:"has_before"`
	HasAfter  bool    `json:"has_after"`
	Sensitive bool    `json:"sensitive,omitempty"`
}

// SaveChanges converts a plan's changes for saving, no-ops included (their
// fingerprints prove the objects did not move).
func SaveChanges(p *diff.Plan) []SavedChange {
	out := make([]SavedChange, 0, len(p.Changes))
	for _, c := range p.Changes {
		sc := SavedChange{Action: c.Action, Kind: c.Kind, Cluster: c.Cluster, Name: c.Name, Path: c.Path,
			StateBefore: c.StateBefore, StateAfter: c.StateAfter, RestartFailed: c.RestartFailed,
			Fingerprint: c.Fingerprint}
		for _, f := range c.Fields {
			sf := SavedField{Key: f.Key, HasBefore: f.HasBefore, HasAfter: f.HasAfter, Sensitive: f.Sensitive}
			if !f.Sensitive {
				if f.HasBefore {
					sf.Before = ptr(f.Before)
				}
				if f.HasAfter {
					sf.After = ptr(f.After)
				}
			}
			sc.Fields = append(sc.Fields, sf)
		}
		out = append(out, sc)
	}
	return out
}

func ptr(s string) *string { return &s }

// Ref names the change's object.
func (c SavedChange) Ref() object.Ref {
	return object.Ref{Kind: c.Kind, Cluster: c.Cluster, Name: c.Name}
}

// ManifestDigest returns a digest of the bytes of the manifest files that
// paths name. A directory stands for the files Load reads in it, so that a
// file added to, changed in or removed from it makes a saved plan stale.
func ManifestDigest(paths []string) (string, error) {
	files, errs := manifest.Expand(paths...)
	if len(errs) > 0 {
		return "", errs[0]
	}
	h := sha256.New()
	sorted := append([]string(nil), files...)
	sort.Strings(sorted)
	for _, f := range sorted {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ReadPlanFile reads a saved plan.
func ReadPlanFile(path string) (*PlanFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pf PlanFile
	if err := json.Unmarshal(b, &pf); err != nil {
		return nil, fmt.Errorf("%s is not a connectsync plan: %v", path, err)
	}
	if pf.FormatVersion != PlanFileVersion {
		return nil, fmt.Errorf("%s has plan format %d; this connectsync reads %d", path, pf.FormatVersion, PlanFileVersion)
	}
	return &pf, nil
}

// Marshal encodes the plan file.
func (pf *PlanFile) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(pf, "", "  ")
	return append(b, '\n'), err
}

// Stale compares a saved plan with a fresh one and describes every object
// whose live state moved or whose change differs. Empty means the saved plan
// is exactly what apply will do.
func (pf *PlanFile) Stale(fresh []SavedChange) []string {
	index := func(cs []SavedChange) map[object.Ref]SavedChange {
		m := map[object.Ref]SavedChange{}
		for _, c := range cs {
			m[c.Ref()] = c
		}
		return m
	}
	saved, now := index(pf.Changes), index(fresh)
	var out []string
	for ref, s := range saved {
		id := ref.String()
		n, ok := now[ref]
		switch {
		case !ok:
			out = append(out, id+": no longer in the plan")
		case s.Fingerprint != n.Fingerprint:
			out = append(out, id+": its live state changed since the plan was made")
		case !sameChange(s, n):
			out = append(out, id+": the change to make is different now")
		}
	}
	for ref := range now {
		if _, ok := saved[ref]; !ok {
			out = append(out, ref.String()+": new in the plan")
		}
	}
	sort.Strings(out)
	return out
}

func sameChange(a, b SavedChange) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// Secret values never go into a plan file, but apply FILE must notice when
// one changed since the plan was made (a rotated password would otherwise
// be applied without anyone having seen a plan for it). The plan file holds
// an HMAC-SHA256 of each change's sensitive values instead, keyed with a
// random key that stays on this machine, in a file only its owner can
// read (PlanKeyPath). Without the key, a plan file cannot be used to test
// guesses of a secret.

// PlanKeyEnv names a file to use as the plan key instead of the default,
// for instance to plan and apply on different machines that share it.
const PlanKeyEnv = "CONNECTSYNC_PLAN_KEY_FILE"

// PlanKeyPath returns where the plan key lives: $CONNECTSYNC_PLAN_KEY_FILE,
// else connectsync/plan.key under the user's config directory
// ($XDG_CONFIG_HOME, else $HOME/.config).
func PlanKeyPath(lookup func(string) (string, bool)) (string, error) {
	if p, ok := lookup(PlanKeyEnv); ok && p != "" {
		return p, nil
	}
	if d, ok := lookup("XDG_CONFIG_HOME"); ok && filepath.IsAbs(d) {
		return filepath.Join(d, "connectsync", "plan.key"), nil
	}
	if h, ok := lookup("HOME"); ok && h != "" {
		return filepath.Join(h, ".config", "connectsync", "plan.key"), nil
	}
	return "", fmt.Errorf("no home directory to keep the plan key in: set %s", PlanKeyEnv)
}

// PlanKey is the key of the secrets' HMACs.
type PlanKey struct {
	key []byte
	// ID identifies the key without revealing it, so that apply can tell
	// "made with another key" from "a secret changed".
	ID string
}

const planKeyLen = 32

// LoadPlanKey reads the plan key at path. With create, a missing key is
// made (32 random bytes, mode 0600, in a directory of mode 0700). The key
// file must be a regular file (not a symlink) that the current user owns
// and that nobody else can read or write.
func LoadPlanKey(path string, create bool) (*PlanKey, error) {
	if create {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("plan key: %w", err)
		}
		raw := make([]byte, planKeyLen)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("plan key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|openNoFollow, 0o600)
		switch {
		case err == nil:
			_, werr := f.Write([]byte(hex.EncodeToString(raw) + "\n"))
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				os.Remove(path)
				return nil, fmt.Errorf("plan key: %w", werr)
			}
		case !errors.Is(err, fs.ErrExist):
			return nil, fmt.Errorf("plan key: %w", err)
		}
	}
	if err := refuseLink(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNoFollow, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("plan key %s does not exist: the plan was made by another user or on another machine", path)
		}
		return nil, fmt.Errorf("plan key: %w (it must be a regular file, not a symlink)", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("plan key: %w", err)
	}
	switch {
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("plan key %s is not a regular file", path)
	case othersCanAccess(info.Mode()):
		return nil, fmt.Errorf("plan key %s has mode %04o: others can read it; make it 0600 (chmod 600 %s)", path, info.Mode().Perm(), path)
	case ownedByAnotherUser(info):
		return nil, fmt.Errorf("plan key %s belongs to another user", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 4*planKeyLen))
	if err != nil {
		return nil, fmt.Errorf("plan key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != planKeyLen {
		return nil, fmt.Errorf("plan key %s is not %d hex-encoded bytes", path, planKeyLen)
	}
	id := hmac.New(sha256.New, key)
	id.Write([]byte("connectsync plan key id"))
	return &PlanKey{key: key, ID: hex.EncodeToString(id.Sum(nil))[:16]}, nil
}

// SecretMACs returns, for each change of p with sensitive fields, the HMAC
// of their keys and values, by the change's Ref written as a string (a
// JSON object's keys are strings).
func (k *PlanKey) SecretMACs(p *diff.Plan) map[string]string {
	out := map[string]string{}
	for _, c := range p.Changes {
		h := hmac.New(sha256.New, k.key)
		n := 0
		for _, f := range c.Fields {
			if !f.Sensitive {
				continue
			}
			n++
			fmt.Fprintf(h, "%q %t %q %t %q\n", f.Key, f.HasBefore, f.Before, f.HasAfter, f.After)
		}
		if n > 0 {
			out[c.Ref.String()] = hex.EncodeToString(h.Sum(nil))
		}
	}
	return out
}

// HasSensitive reports whether any change of p has a sensitive field.
func HasSensitive(p *diff.Plan) bool {
	for _, c := range p.Changes {
		for _, f := range c.Fields {
			if f.Sensitive {
				return true
			}
		}
	}
	return false
}

// StaleSecrets compares the saved secrets' HMACs with fresh ones and names
// every object whose secret values changed since the plan was made.
func (pf *PlanFile) StaleSecrets(fresh map[string]string) []string {
	var out []string
	for id, mac := range pf.SecretMACs {
		if !hmac.Equal([]byte(mac), []byte(fresh[id])) {
			out = append(out, id+": a secret value changed since the plan was made")
		}
	}
	for id := range fresh {
		if _, ok := pf.SecretMACs[id]; !ok {
			out = append(out, id+": a secret value changed since the plan was made")
		}
	}
	sort.Strings(out)
	return out
}
