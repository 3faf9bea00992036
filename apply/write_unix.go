//go:build unix

package apply

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// writeAtomicIn is WriteFileAtomic once path's directory exists: a new
// temporary file beside path, written, closed and renamed over path.
//
// It makes the system calls itself. An os.File costs four fcntl calls and
// a failed epoll registration per file, and os.Rename an Lstat of the
// target first (to refuse renaming onto a directory, which rename(2)
// refuses anyway): render writes a file per sink, and those calls were
// most of its system calls. The temporary file is removed if anything
// fails before the rename.
func writeAtomicIn(path string, data []byte, mode fs.FileMode) error {
	tmp, fd, err := createTemp(filepath.Dir(path), "."+filepath.Base(path)+".", mode)
	if err != nil {
		return err
	}
	if err := writeClose(tmp, fd, data, mode); err != nil {
		syscall.Unlink(tmp)
		return err
	}
	if err := ignoringEINTR(func() error { return syscall.Rename(tmp, path) }); err != nil {
		syscall.Unlink(tmp)
		return &os.LinkError{Op: "rename", Old: tmp, New: path, Err: err}
	}
	return nil
}

// writeClose writes data to fd, sets a mode of exactly 0600 (which the
// umask could have narrowed), and closes fd.
func writeClose(name string, fd int, data []byte, mode fs.FileMode) error {
	err := func() error {
		if mode == 0o600 {
			if err := ignoringEINTR(func() error { return syscall.Fchmod(fd, 0o600) }); err != nil {
				return &fs.PathError{Op: "chmod", Path: name, Err: err}
			}
		}
		for len(data) > 0 {
			n, err := syscall.Write(fd, data)
			if err == syscall.EINTR {
				continue
			}
			if err == nil && n == 0 {
				err = io.ErrShortWrite
			}
			if err != nil {
				return &fs.PathError{Op: "write", Path: name, Err: err}
			}
			data = data[n:]
		}
		return nil
	}()
	if cerr := syscall.Close(fd); err == nil && cerr != nil {
		err = &fs.PathError{Op: "close", Path: name, Err: cerr}
	}
	return err
}

// createTemp creates a new file prefix<random> in dir with mode perm, which
// the umask filters (os.CreateTemp always uses 0600), and returns its path
// and descriptor.
func createTemp(dir, prefix string, perm fs.FileMode) (string, int, error) {
	for try := 0; ; try++ {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", -1, err
		}
		name := filepath.Join(dir, prefix+hex.EncodeToString(b[:]))
		var fd int
		err := ignoringEINTR(func() (err error) {
			fd, err = syscall.Open(name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, uint32(perm.Perm()))
			return err
		})
		if errors.Is(err, syscall.EEXIST) && try < 10 {
			continue
		}
		if err != nil {
			return "", -1, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return name, fd, nil
	}
}

func ignoringEINTR(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}
