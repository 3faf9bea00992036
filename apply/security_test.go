package apply_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/diff"
	"github.com/connectsync/connectsync/internal/testcluster"
	"github.com/connectsync/connectsync/object"
)

// Security cases of issue 9 for plan and apply, against the real local
// cluster where a real worker can show the behaviour, and as unit tests
// where no worker is involved. docs/security.md maps each defect to its
// test.

// Defect 1 (and 7 on the same path): a real worker echoes a resolved
// secret in a task trace. FileStreamSinkTask fails to open its file and
// says "Couldn't find or create file '<file>'", and the file is a secret
// here. status, text and --json, must show the trace with the secret
// masked; before the fix it printed it raw, since status never resolved
// the sinks' secrets.
func TestSecurityStatusMasksSecretEchoedInTrace(t *testing.T) {
	testcluster.Get(t)
	dir := t.TempDir()
	name := uniqueName(t, "sec-status")
	const canary = "/nonexistent-sec-dir/CANARY-status-4b1d.txt"
	env := map[string]string{"CONNECTSYNC_TEST_CANARY": canary}
	m := filepath.Join(dir, "connect.yaml")
	manifest := clusterYAML + strings.Replace(sink(name, "running", 1, ""),
		"file: .cluster/"+name+".txt", "file: {secretEnv: CONNECTSYNC_TEST_CANARY}", 1)
	if err := os.WriteFile(m, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	target := []string{"--target", "local/" + name}
	runs := []run{connectsync(t, env, append([]string{"apply", "-f", m, "--auto-approve", "--wait", "60s"}, target...)...)}
	// The task fails as soon as it starts; apply's wait reports it.
	if !strings.Contains(runs[0].stdout+runs[0].stderr, "FAILED") {
		t.Fatalf("the task did not fail as expected:\n%s", runs[0])
	}
	status := connectsync(t, env, "status", "-f", m)
	statusJSON := connectsync(t, env, "status", "--json", "-f", m)
	runs = append(runs, status, statusJSON, connectsync(t, env, append([]string{"plan", "-f", m}, target...)...))
	if !strings.Contains(status.stdout, "Couldn't find or create file '***'") {
		t.Errorf("status does not show the worker's trace, masked:\n%s", status)
	}
	if !strings.Contains(statusJSON.stdout, `Couldn't find or create file '***'`) {
		t.Errorf("status --json does not show the worker's trace, masked:\n%s", statusJSON)
	}
	for i, r := range runs {
		if strings.Contains(r.stdout+r.stderr, "CANARY-status") {
			t.Errorf("run %d printed the secret:\n%s", i, r)
		}
	}
}

// Defect 7: escape sequences a real worker echoes (here in its validation
// verdict on a transform's class, "Invalid value <value> ... Class <value>
// could not be found") reach the output escaped, never raw. (A class the
// worker lacks is a verdict only the worker can give: validate's offline
// rules, errors.tolerance among them, would answer first otherwise.)
func TestSecurityWorkerEscapesNeutralised(t *testing.T) {
	testcluster.Get(t)
	name := uniqueName(t, "sec-esc")
	m := writeManifest(t, t.TempDir(), sink(name, "running", 1,
		"      transforms: t\n      transforms.t.type: \"x\\e]0;owned\\a\\e[2Jbad\"\n"))
	for _, args := range [][]string{{"plan", "-f", m}, {"plan", "--json", "-f", m}} {
		r := connectsync(t, nil, append(args, "--target", "local/"+name)...)
		all := r.stdout + r.stderr
		if !strings.Contains(all, `x\u001b]0;owned\u0007\u001b[2Jbad`) {
			t.Errorf("%s: the worker's echo of the value is not shown escaped:\n%s", strings.Join(args, " "), r)
		}
		if strings.ContainsAny(all, "\x1b\x07") {
			t.Errorf("%s: a raw escape sequence reached the output:\n%q", strings.Join(args, " "), all)
		}
	}
}

// Defect 4: a secret that changes between plan -out and apply FILE is
// detected, though the plan file holds no secret, and the plan is refused
// like any other stale one; the same secret applies.
func TestSecuritySecretChangedAfterPlanRefused(t *testing.T) {
	c := testcluster.Get(t)
	dir := t.TempDir()
	name := uniqueName(t, "sec-rotate")
	const canary = "CANARY-rotate-6e0b"
	env := map[string]string{"CONNECTSYNC_TEST_CANARY": canary, apply.PlanKeyEnv: filepath.Join(dir, "key", "plan.key")}
	m := writeManifest(t, dir, sink(name, "stopped", 1, "      sasl.jaas.password: {secretEnv: CONNECTSYNC_TEST_CANARY}\n"))
	planFile := filepath.Join(dir, "plan.out")
	target := []string{"--target", "local/" + name}
	if r := connectsync(t, env, append([]string{"plan", "-f", m, "-out", planFile}, target...)...); r.code != 0 {
		t.Fatalf("plan -out:\n%s", r)
	}
	b, _ := os.ReadFile(planFile)
	if bytes.Contains(b, []byte(canary)) || !bytes.Contains(b, []byte(`"secret_macs"`)) {
		t.Fatalf("the plan file holds the secret, or no HMAC of it:\n%s", b)
	}
	if info, err := os.Stat(env[apply.PlanKeyEnv]); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("plan key: %v, mode %v", err, info.Mode())
	}

	rotated := map[string]string{"CONNECTSYNC_TEST_CANARY": canary + "-new", apply.PlanKeyEnv: env[apply.PlanKeyEnv]}
	r := connectsync(t, rotated, "apply", planFile)
	if r.code != 1 || !strings.Contains(r.stderr, "sink local/"+name+": a secret value changed since the plan was made") {
		t.Errorf("apply of a plan whose secret changed:\n%s", r)
	}
	if state, _ := liveState(t, client(t, c), name); state != "" {
		t.Fatalf("the refused plan created the connector (%s)", state)
	}
	if strings.Contains(r.stdout+r.stderr, canary) {
		t.Errorf("the refusal printed the secret:\n%s", r)
	}

	if r := connectsync(t, env, "apply", planFile); r.code != 0 {
		t.Errorf("apply of the plan with the same secret:\n%s", r)
	}
}

// Defect 4, without a cluster: the HMACs change with any sensitive value
// and with the key, hold no value, and the key file is private.
func TestSecurityPlanKeyAndSecretMACs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cfg", "connectsync", "plan.key")
	if _, err := apply.LoadPlanKey(path, false); err == nil {
		t.Fatal("a missing key loads without create")
	}
	k1, err := apply.LoadPlanKey(path, true)
	if err != nil {
		t.Fatal(err)
	}
	again, err := apply.LoadPlanKey(path, true)
	if err != nil || again.ID != k1.ID {
		t.Fatalf("the key is not stable: %v", err)
	}
	info, _ := os.Stat(path)
	dinfo, _ := os.Stat(filepath.Dir(path))
	if info.Mode().Perm() != 0o600 || dinfo.Mode().Perm() != 0o700 {
		t.Errorf("key mode %v, dir mode %v", info.Mode(), dinfo.Mode())
	}
	plan := func(secret string) *diff.Plan {
		return &diff.Plan{Changes: []diff.Change{{Action: diff.Update, Ref: object.SinkRef("c", "sec-s"),
			Fields: []diff.Field{{Key: "auth.password", Before: "old-secret", After: secret, HasBefore: true, HasAfter: true, Sensitive: true},
				{Key: "tasks.max", Before: "1", After: "2", HasBefore: true, HasAfter: true}}}}}
	}
	m1, m2 := k1.SecretMACs(plan("secret-one")), k1.SecretMACs(plan("secret-two"))
	if len(m1) != 1 || m1["sink c/sec-s"] == "" || m1["sink c/sec-s"] == m2["sink c/sec-s"] {
		t.Errorf("HMACs do not tell the secrets apart: %v %v", m1, m2)
	}
	pf := &apply.PlanFile{SecretMACs: m1}
	if stale := pf.StaleSecrets(m2); len(stale) != 1 || !strings.Contains(stale[0], "a secret value changed") {
		t.Errorf("StaleSecrets = %v", stale)
	}
	if stale := pf.StaleSecrets(k1.SecretMACs(plan("secret-one"))); len(stale) != 0 {
		t.Errorf("same secret reported stale: %v", stale)
	}
	other, _ := apply.LoadPlanKey(filepath.Join(dir, "other.key"), true)
	if other.ID == k1.ID || other.SecretMACs(plan("secret-one"))["sink c/sec-s"] == m1["sink c/sec-s"] {
		t.Error("two keys give the same HMAC")
	}
	// A key others can read, or a symlink to one, is refused.
	os.Chmod(path, 0o644)
	if _, err := apply.LoadPlanKey(path, false); err == nil || !strings.Contains(err.Error(), "0644") {
		t.Errorf("a readable key is accepted: %v", err)
	}
	os.Chmod(path, 0o600)
	link := filepath.Join(dir, "link.key")
	os.Symlink(path, link)
	if _, err := apply.LoadPlanKey(link, false); err == nil {
		t.Error("a symlinked key is accepted")
	}
}
