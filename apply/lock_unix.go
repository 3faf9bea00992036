//go:build unix

package apply

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

type lockHandle struct{}

// defaultLockDirName is per user: the system's temporary directory is
// shared, and a directory another user created first is refused.
func defaultLockDirName() string { return fmt.Sprintf("connectsync-locks-%d", os.Geteuid()) }

// openLockFile opens (creating it if need be) the lock file name in dir.
// It refuses a directory that is a symbolic link, that another user owns or
// that others may write to, and a lock file that is a link, not a regular
// file, not the user's, or hard-linked elsewhere. It never truncates on
// open, and O_NONBLOCK keeps a FIFO planted at the path from hanging it.
func openLockFile(dir, name string) (*os.File, error) {
	uid := os.Geteuid()
	fixDir := "set CONNECTSYNC_LOCK_DIR to a directory that you own and only you can write (mode 0700)"
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &LockDirError{Path: dir, Problem: "cannot create the lock directory: " + errText(err), Hint: fixDir}
	}
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		problem := "cannot open the lock directory: " + err.Error()
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
			problem = "the lock directory is a symbolic link or not a directory"
		}
		return nil, &LockDirError{Path: dir, Problem: problem, Hint: fixDir}
	}
	defer unix.Close(dfd)
	var st unix.Stat_t
	if err := unix.Fstat(dfd, &st); err != nil {
		return nil, &LockDirError{Path: dir, Problem: "cannot stat the lock directory: " + err.Error(), Hint: fixDir}
	}
	if int(st.Uid) != uid {
		return nil, &LockDirError{Path: dir,
			Problem: fmt.Sprintf("the lock directory belongs to uid %d, not to you (uid %d)", st.Uid, uid),
			Hint:    "another user may have created it to interfere with apply; " + fixDir}
	}
	if perm := st.Mode & 0o777; perm&0o022 != 0 {
		return nil, &LockDirError{Path: dir,
			Problem: fmt.Sprintf("the lock directory is writable by other users (mode %04o)", perm),
			Hint:    "chmod go-w " + dir + ", or " + fixDir}
	}
	path := filepath.Join(dir, name)
	fd, err := unix.Openat(dfd, name, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
	switch {
	case errors.Is(err, unix.ELOOP):
		return nil, &LockDirError{Path: path, Problem: "the lock file is a symbolic link",
			Hint: "remove it; nobody but connectsync should create files in " + dir}
	case errors.Is(err, unix.EACCES) || errors.Is(err, unix.EROFS) || errors.Is(err, unix.EPERM):
		return nil, &LockDirError{Path: path, Problem: "cannot create or open the lock file: " + err.Error(),
			Hint: "make " + dir + " writable by you, or " + fixDir}
	case err != nil:
		return nil, &LockDirError{Path: path, Problem: "cannot open the lock file: " + err.Error(), Hint: fixDir}
	}
	f := os.NewFile(uintptr(fd), path)
	var fst unix.Stat_t
	if err := unix.Fstat(fd, &fst); err != nil {
		f.Close()
		return nil, &LockDirError{Path: path, Problem: "cannot stat the lock file: " + err.Error(), Hint: fixDir}
	}
	switch {
	case fst.Mode&unix.S_IFMT != unix.S_IFREG:
		f.Close()
		return nil, &LockDirError{Path: path, Problem: "the lock file is not a regular file",
			Hint: "remove it; nobody but connectsync should create files in " + dir}
	case int(fst.Uid) != uid || fst.Nlink != 1:
		f.Close()
		return nil, &LockDirError{Path: path, Problem: "the lock file belongs to another user or has other links",
			Hint: "remove it; nobody but connectsync should create files in " + dir}
	}
	return f, nil
}

func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func tryLock(f *os.File) (lockHandle, error) {
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return lockHandle{}, ErrLocked
		}
		return lockHandle{}, fmt.Errorf("cannot lock %s: %v", f.Name(), err)
	}
	return lockHandle{}, nil
}

func unlock(f *os.File, _ lockHandle) { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN) }
