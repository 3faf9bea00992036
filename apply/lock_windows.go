//go:build windows

package apply

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// lockHandle is the locked byte range.
type lockHandle struct{ ol *windows.Overlapped }

// defaultLockDirName needs no user in it: the temporary directory on Windows
// (%TEMP%) is already the user's own, under the user's profile.
func defaultLockDirName() string { return "connectsync-locks" }

// openLockFile opens (creating it if need be) the lock file name in dir,
// without following a symbolic link or junction (FILE_FLAG_OPEN_REPARSE_POINT)
// and without truncating it. On Windows the directory's owner and ACL are not
// checked: the default directory is under the user's profile, and a
// CONNECTSYNC_LOCK_DIR is trusted as given.
func openLockFile(dir, name string) (*os.File, error) {
	fixDir := "set CONNECTSYNC_LOCK_DIR to a directory that only you can write"
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &LockDirError{Path: dir, Problem: "cannot create the lock directory: " + err.Error(), Hint: fixDir}
	}
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
		return nil, &LockDirError{Path: dir, Problem: "the lock directory is a link or not a directory", Hint: fixDir}
	}
	path := filepath.Join(dir, name)
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &LockDirError{Path: path, Problem: err.Error(), Hint: fixDir}
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_ALWAYS,
		windows.FILE_ATTRIBUTE_NORMAL|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		return nil, &LockDirError{Path: path, Problem: "cannot create or open the lock file: " + err.Error(),
			Hint: "make " + dir + " writable by you, or " + fixDir}
	}
	f := os.NewFile(uintptr(h), path)
	var info windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &info); err != nil ||
		info.FileAttributes&(windows.FILE_ATTRIBUTE_REPARSE_POINT|windows.FILE_ATTRIBUTE_DIRECTORY) != 0 ||
		info.NumberOfLinks != 1 {
		f.Close()
		return nil, &LockDirError{Path: path, Problem: "the lock file is a link, a directory, or has other links",
			Hint: "remove it; nobody but connectsync should create files in " + dir}
	}
	return f, nil
}

// lockOffset is far beyond the holder line at the start of the file: a
// LockFileEx range is mandatory on Windows, and the process that finds the
// lock taken must still be able to read who holds it.
const lockOffset = 1 << 62

func tryLock(f *os.File) (lockHandle, error) {
	ol := &windows.Overlapped{Offset: uint32(lockOffset & 0xffffffff), OffsetHigh: uint32(lockOffset >> 32)}
	err := windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if err != nil {
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
			return lockHandle{}, ErrLocked
		}
		return lockHandle{}, fmt.Errorf("cannot lock %s: %v", f.Name(), err)
	}
	return lockHandle{ol: ol}, nil
}

func unlock(f *os.File, h lockHandle) {
	if h.ol != nil {
		_ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, h.ol)
	}
}
