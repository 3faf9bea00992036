//go:build !unix

package apply

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// writeAtomicIn is WriteFileAtomic once path's directory exists.
func writeAtomicIn(path string, data []byte, mode fs.FileMode) (err error) {
	tmp, err := createTemp(filepath.Dir(path), "."+filepath.Base(path)+".", mode)
	if err != nil {
		return err
	}
	defer func() {
		// Only a temp file that was not renamed is left to remove: a
		// remove after the rename fails, one wasted system call per file.
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if mode == 0o600 {
		if err := tmp.Chmod(mode); err != nil {
			tmp.Close()
			return err
		}
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// createTemp creates a new file prefix<random> in dir with mode perm, which
// the umask filters (os.CreateTemp always uses 0600).
func createTemp(dir, prefix string, perm fs.FileMode) (*os.File, error) {
	for try := 0; ; try++ {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(filepath.Join(dir, prefix+hex.EncodeToString(b[:])), os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) && try < 10 {
			continue
		}
		return f, err
	}
}
