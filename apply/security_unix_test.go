//go:build unix

package apply_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/connectsync/connectsync/apply"
)

func unixLike() bool    { return true }
func itoa(i int) string { return strconv.Itoa(i) }

// Defect 8: a symbolic link planted at the predictable lock path is not
// followed, and its target is neither created nor truncated.
func TestSecurityLockDoesNotFollowSymlinks(t *testing.T) {
	dir := t.TempDir()
	path := apply.LockPath(dir, lockCluster(t, "c", "http://w:8083"))
	victim := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(victim, []byte("do not truncate me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, path); err != nil {
		t.Fatal(err)
	}
	_, err := apply.Acquire(path, "test")
	var de *apply.LockDirError
	if !errors.As(err, &de) || !strings.Contains(de.Problem, "symbolic link") {
		t.Fatalf("got %v, want a LockDirError about the link", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "do not truncate me\n" {
		t.Fatalf("the link's target was changed: %q", b)
	}

	// A dangling link must not create its target either.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "created-through-link")
	if err := os.Symlink(missing, path); err != nil {
		t.Fatal(err)
	}
	if _, err := apply.Acquire(path, "test"); err == nil {
		t.Fatal("acquired a lock through a dangling symbolic link")
	}
	if _, err := os.Lstat(missing); err == nil {
		t.Fatal("the dangling link's target was created")
	}
}

// Defect 8: the lock directory itself may not be a symbolic link.
func TestSecurityLockDirSymlinkIsRefused(t *testing.T) {
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "locks")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	_, err := apply.Acquire(apply.LockPath(link, lockCluster(t, "c", "http://w:8083")), "test")
	var de *apply.LockDirError
	if !errors.As(err, &de) || !strings.Contains(de.Problem, "symbolic link") {
		t.Fatalf("got %v, want a LockDirError about the link", err)
	}
}

// Defect 8: a FIFO or a hard link at the lock path is refused at once
// (opening a FIFO for writing would otherwise block forever).
func TestSecurityLockFileMustBeARegularFileOfOurs(t *testing.T) {
	dir := t.TempDir()
	path := apply.LockPath(dir, lockCluster(t, "c", "http://w:8083"))
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := apply.Acquire(path, "test"); done <- err }()
	select {
	case err := <-done:
		var de *apply.LockDirError
		if !errors.As(err, &de) || !strings.Contains(de.Problem, "not a regular file") {
			t.Fatalf("FIFO: got %v, want a LockDirError", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Acquire hangs on a FIFO at the lock path")
	}

	os.Remove(path)
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, []byte("keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(other, path); err != nil {
		t.Fatal(err)
	}
	if _, err := apply.Acquire(path, "test"); err == nil {
		t.Fatal("acquired a lock file that is a hard link to another file")
	}
	if b, _ := os.ReadFile(other); string(b) != "keep\n" {
		t.Fatalf("the hard-linked file was changed: %q", b)
	}
}

// The lock file is created 0600, and a held lock is released for the next.
func TestSecurityLockFileModeAndRelease(t *testing.T) {
	dir := t.TempDir()
	path := apply.LockPath(dir, lockCluster(t, "c", "http://w:8083"))
	l, err := apply.Acquire(path, "first")
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Lstat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("lock file mode: %v %v, want 0600", info.Mode(), err)
	}
	l.Release()
	l2, err := apply.Acquire(path, "second")
	if err != nil {
		t.Fatalf("after Release: %v", err)
	}
	l2.Release()
}
