package apply

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/manifest"
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
}

// SavedChange is one change of a saved plan.
type SavedChange struct {
	Action        diff.Action  `json:"action"`
	Kind          diff.Kind    `json:"kind"`
	Cluster       string       `json:"cluster"`
	Name          string       `json:"name"`
	Path          string       `json:"path,omitempty"`
	StateBefore   string       `json:"state_before,omitempty"`
	StateAfter    string       `json:"state_after,omitempty"`
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
	index := func(cs []SavedChange) map[string]SavedChange {
		m := map[string]SavedChange{}
		for _, c := range cs {
			m[string(c.Kind)+" "+c.Cluster+"/"+c.Name] = c
		}
		return m
	}
	saved, now := index(pf.Changes), index(fresh)
	var out []string
	for id, s := range saved {
		n, ok := now[id]
		switch {
		case !ok:
			out = append(out, id+": no longer in the plan")
		case s.Fingerprint != n.Fingerprint:
			out = append(out, id+": its live state changed since the plan was made")
		case !sameChange(s, n):
			out = append(out, id+": the change to make is different now")
		}
	}
	for id := range now {
		if _, ok := saved[id]; !ok {
			out = append(out, id+": new in the plan")
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
