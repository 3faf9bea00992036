//go:build !unix && !windows

package apply

import (
	"errors"
	"os"
)

type lockHandle struct{}

func defaultLockDirName() string { return "connectsync-locks" }

func openLockFile(dir, name string) (*os.File, error) {
	return nil, errors.New("apply locks are not supported on this platform")
}

func tryLock(*os.File) (lockHandle, error) { return lockHandle{}, errors.New("not supported") }

func unlock(*os.File, lockHandle) {}
