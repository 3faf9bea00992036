package apply

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/connectsync/connectsync/manifest"
)

// Lock is a held apply lock on one cluster.
//
// Only one apply per cluster runs at a time on a host, per user: a second
// one fails at once and says who holds the lock. The lock is an advisory
// lock on a file (flock(2) on Unix, LockFileEx on Windows) named after the
// cluster's identity, so the kernel releases it when the holder dies, and a
// stale lock file never blocks anyone. It does not coordinate applies on
// different hosts, or of different users; for that, run apply from one place
// (one CI concurrency group), and use plan -out / apply FILE, which refuses a
// plan whose live state moved.
//
// The lock directory must belong to the user and be writable by nobody else,
// and the lock file is opened without following a symbolic link: otherwise
// another local user could plant a link at the predictable lock path, and
// make apply overwrite whatever it points to, or hold the lock forever.
type Lock struct {
	f *os.File
	// held is the platform's handle on the lock, released by unlock.
	held lockHandle
}

// ErrLocked is returned when another apply holds a cluster's lock.
var ErrLocked = errors.New("another apply holds the lock")

// LockDirError says why a lock directory or file cannot be used, with a
// hint on how to fix it. Waiting does not help with any of these.
type LockDirError struct {
	Path    string
	Problem string
	Hint    string
}

func (e *LockDirError) Error() string { return e.Path + ": " + e.Problem }

// LockDir is where lock files live: $CONNECTSYNC_LOCK_DIR, else a directory
// of the user's own under the system's temporary directory.
func LockDir() string {
	if d := os.Getenv("CONNECTSYNC_LOCK_DIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), defaultLockDirName())
}

// LockPath returns the lock file of a cluster under dir. The name derives
// from the cluster's identity in Kafka Connect, its group.id: the workers
// that share a group.id form one cluster, whatever the manifest calls it and
// in whatever order, spelling or subset it lists the workers. Two manifests
// of one cluster therefore take the same lock. A cluster without a group.id
// (which validate rejects) falls back to its name.
func LockPath(dir string, c *manifest.Cluster) string {
	id := "group.id=" + c.GroupID
	if c.GroupID == "" {
		id = "cluster=" + c.Name
	}
	h := sha256.Sum256([]byte(id))
	return filepath.Join(dir, readable(c.GroupID, c.Name)+"-"+hex.EncodeToString(h[:8])+".lock")
}

// readable is a short, file-name-safe label for a lock file, for people
// listing the directory. The hash in the name is what makes it unique.
func readable(groupID, name string) string {
	s := groupID
	if s == "" {
		s = name
	}
	s = strings.Map(func(r rune) rune {
		if r == '.' || r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
	if len(s) > 64 {
		s = s[:64]
	}
	return "connect-" + s
}

// Acquire takes the lock at path without waiting. When another process
// holds it, the error wraps ErrLocked and says who. When the directory or
// the file cannot be trusted or written, the error is a *LockDirError.
func Acquire(path, what string) (*Lock, error) {
	f, err := openLockFile(filepath.Dir(path), filepath.Base(path))
	if err != nil {
		return nil, err
	}
	held, err := tryLock(f)
	if err != nil {
		holder := make([]byte, 512)
		n, _ := f.ReadAt(holder, 0)
		f.Close()
		if errors.Is(err, ErrLocked) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, strings.TrimSpace(string(holder[:n])))
		}
		return nil, err
	}
	host, _ := os.Hostname()
	info := fmt.Sprintf("pid %d on %s since %s (%s)", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339), what)
	// The file is the verified lock file itself (a regular file of ours,
	// opened without following links, in a directory nobody else can
	// write), so resetting its content touches nothing else.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(info+"\n"), 0)
	}
	return &Lock{f: f, held: held}, nil
}

// Release frees the lock.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	unlock(l.f, l.held)
	l.f.Close()
	l.f = nil
}
