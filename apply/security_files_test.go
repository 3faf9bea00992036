package apply_test

// The security cases of issue 9 that belong to package apply (defects 8 and
// 9: the apply lock), together so that a reader can audit them. Cases that
// need Unix file types are in security_unix_test.go. docs/security.md lists
// them all.

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connectsync/connectsync/apply"
	"github.com/connectsync/connectsync/internal/cli"
	"github.com/connectsync/connectsync/manifest"
)

const lockManifest = `version: 1
clusters:
  - name: %s
    bootstrapServers: [kafka:9092]
    groupId: connect-shared
    storage:
      config: {topic: c-configs}
      offset: {topic: c-offsets}
      status: {topic: c-status}
    converters:
      key: {class: org.apache.kafka.connect.storage.StringConverter}
      value: {class: org.apache.kafka.connect.storage.StringConverter}
workers:
%s
`

func lockCluster(t *testing.T, name string, urls ...string) *manifest.Cluster {
	t.Helper()
	var workers []string
	for i, u := range urls {
		workers = append(workers, "  - {name: w"+string(rune('1'+i))+", cluster: "+name+", url: "+u+"}")
	}
	src := strings.Replace(strings.Replace(lockManifest, "%s", name, 1), "%s", strings.Join(workers, "\n"), 1)
	m, ds := manifest.Parse("m.yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return m.Clusters[0]
}

// Defect 9: the lock is the cluster's identity (its group.id), not the order
// (or spelling) of a list of workers. Two manifests listing the same workers
// in a different order, or naming the cluster differently, take one lock, and
// the second apply is refused while the first holds it.
func TestSecurityLockIsTheClusterNotTheWorkerOrder(t *testing.T) {
	dir := t.TempDir()
	a := lockCluster(t, "prod", "http://connect-1:8083", "http://connect-2:8083", "http://connect-3:8083")
	b := lockCluster(t, "prod", "http://connect-3:8083", "http://connect-1:8083", "http://connect-2:8083")
	c := lockCluster(t, "prod-eu", "http://connect-2:8083", "http://connect-1:8083")
	pa, pb, pc := apply.LockPath(dir, a), apply.LockPath(dir, b), apply.LockPath(dir, c)
	if pa != pb || pa != pc {
		t.Fatalf("one cluster, three lock files:\n%s\n%s\n%s", pa, pb, pc)
	}
	held, err := apply.Acquire(pa, "first apply")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	_, err = apply.Acquire(pb, "second apply")
	if !errors.Is(err, apply.ErrLocked) || !strings.Contains(err.Error(), "first apply") {
		t.Fatalf("second apply of the same cluster: got %v, want ErrLocked naming the first", err)
	}
	other := lockCluster(t, "prod", "http://connect-1:8083")
	other.GroupID = "connect-other"
	if apply.LockPath(dir, other) == pa {
		t.Fatal("another group.id, another cluster: it must not share the lock")
	}
}

// Defect 8: a lock directory that others may write to is refused (anyone
// could plant a link or hold the lock), with a hint about the directory, not
// "wait for it to finish".
func TestSecurityLockDirWritableByOthersIsRefused(t *testing.T) {
	if !unixLike() {
		t.Skip("directory modes are a Unix check")
	}
	dir := filepath.Join(t.TempDir(), "locks")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o1777); err != nil { // like /tmp: sticky, writable by all
		t.Fatal(err)
	}
	_, err := apply.Acquire(apply.LockPath(dir, lockCluster(t, "c", "http://w:8083")), "test")
	var de *apply.LockDirError
	if !errors.As(err, &de) || !strings.Contains(de.Problem, "writable by other users") || !strings.Contains(de.Hint, "chmod go-w") {
		t.Fatalf("got %v, want a LockDirError about other users writing", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("created %s in a directory it refused", entries[0].Name())
	}

	// The CLI says what is wrong with the directory, and does not suggest
	// waiting, which would never help.
	t.Setenv("CONNECTSYNC_LOCK_DIR", dir)
	mf := filepath.Join(t.TempDir(), "m.yaml")
	src := strings.Replace(strings.Replace(lockManifest, "%s", "c", 1), "%s", "  - {name: w1, cluster: c, url: http://127.0.0.1:1}", 1)
	if err := os.WriteFile(mf, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	code := cli.Main([]string{"apply", "-f", mf, "--auto-approve"}, cli.Env{
		Stdout: &stdout, Stderr: &stderr, LookupEnv: os.LookupEnv, Stdin: strings.NewReader(""),
	})
	if code != 1 || !strings.Contains(stderr.String(), "writable by other users") ||
		!strings.Contains(stderr.String(), "hint: chmod go-w") || strings.Contains(stderr.String(), "wait for it") {
		t.Fatalf("apply with a world-writable lock directory: exit %d\n%s", code, stderr.String())
	}
}

// Defect 8: a lock directory that another user owns is refused, even when
// nobody else may write to it.
func TestSecurityLockDirOwnedByAnotherUserIsRefused(t *testing.T) {
	if !unixLike() {
		t.Skip("ownership is a Unix check")
	}
	dir := filepath.Join(t.TempDir(), "locks")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	} else {
		dir = "/" // owned by root, not by the user running the test
	}
	_, err := apply.Acquire(apply.LockPath(dir, lockCluster(t, "c", "http://w:8083")), "test")
	var de *apply.LockDirError
	if !errors.As(err, &de) || !strings.Contains(de.Problem, "belongs to uid") {
		t.Fatalf("got %v, want a LockDirError about the owner", err)
	}
}

// The default lock directory is the user's own.
func TestSecurityDefaultLockDirIsPerUser(t *testing.T) {
	t.Setenv("CONNECTSYNC_LOCK_DIR", "")
	dir := apply.LockDir()
	if !strings.HasPrefix(dir, os.TempDir()) {
		t.Fatalf("LockDir() = %s, want it under %s", dir, os.TempDir())
	}
	if unixLike() && !strings.HasSuffix(dir, "-"+itoa(os.Geteuid())) {
		t.Fatalf("LockDir() = %s, want a directory named after the user", dir)
	}
}

// Defect 13: plan -f DIR -out FILE could not save the plan ("read DIR: is a
// directory"). The digest of a directory covers the files Load reads in it,
// so that adding, changing or removing one makes the saved plan stale.
func TestSecurityPlanFileDigestCoversDirectory(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", "version: 1\n")
	write("notes.txt", "not a manifest\n")
	d1, err := apply.ManifestDigest([]string{dir})
	if err != nil {
		t.Fatalf("digest of a directory: %v", err)
	}
	write("notes.txt", "still not a manifest\n")
	if d, _ := apply.ManifestDigest([]string{dir}); d != d1 {
		t.Error("a file Load does not read changed the digest")
	}
	write("b.yml", "version: 1\n")
	d2, _ := apply.ManifestDigest([]string{dir})
	if d2 == d1 {
		t.Error("adding a manifest to the directory left the digest as it was")
	}
	write("b.yml", "version: 1\nsinks: []\n")
	if d, _ := apply.ManifestDigest([]string{dir}); d == d2 {
		t.Error("changing a manifest in the directory left the digest as it was")
	}
	if _, err := apply.ManifestDigest([]string{filepath.Join(dir, "missing")}); err == nil {
		t.Error("a missing path gave a digest")
	}
}
