package apply

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Lock is a held apply lock on one cluster.
//
// Only one apply per cluster runs at a time on a host: a second one fails at
// once and says who holds the lock. The lock is an flock(2) on a file named
// after the cluster and its workers, so the kernel releases it when the
// holder dies, and a stale lock file never blocks anyone. It does not
// coordinate applies on different hosts; for that, run apply from one place
// (one CI concurrency group), and use plan -out / apply FILE, which refuses a
// plan whose live state moved.
type Lock struct {
	f    *os.File
	path string
}

// ErrLocked is returned when another apply holds a cluster's lock.
var ErrLocked = errors.New("another apply holds the lock")

// LockDir is where lock files live: $CONNECTSYNC_LOCK_DIR, else a directory
// under the system's temporary directory.
func LockDir() string {
	if d := os.Getenv("CONNECTSYNC_LOCK_DIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "connectsync-locks")
}

// LockPath returns the lock file of a cluster, identified by its name and
// its workers' URLs.
func LockPath(dir, cluster string, workerURLs []string) string {
	h := sha256.Sum256([]byte(cluster + "\x00" + strings.Join(workerURLs, "\x00")))
	return filepath.Join(dir, cluster+"-"+hex.EncodeToString(h[:6])+".lock")
}

// Acquire takes the lock at path without waiting. When another process
// holds it, the error wraps ErrLocked and says who.
func Acquire(path, what string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, strings.TrimSpace(string(holder)))
		}
		return nil, err
	}
	host, _ := os.Hostname()
	info := fmt.Sprintf("pid %d on %s since %s (%s)", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339), what)
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(info+"\n"), 0)
	}
	return &Lock{f: f, path: path}, nil
}

// Release frees the lock.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
	l.f = nil
}
