//go:build !unix

package apply

import (
	"fmt"
	"io/fs"
	"os"
)

// openNoFollow is not available: refuseLink checks before opening.
const openNoFollow = 0

// refuseLink refuses a symbolic link at path. Without O_NOFOLLOW the check
// is not atomic with the open; the key's directory is the user's own
// (%AppData% or $XDG_CONFIG_HOME), which others cannot write.
func refuseLink(path string) error {
	info, err := os.Lstat(path)
	if err == nil && info.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("plan key %s is a symbolic link: it must be a regular file", path)
	}
	return nil
}

// othersCanAccess: Windows file modes do not say who may read a file (its
// ACL does), so the mode is not checked there.
func othersCanAccess(fs.FileMode) bool { return false }

// ownedByAnotherUser: ownership is an ACL matter on Windows; not checked.
func ownedByAnotherUser(fs.FileInfo) bool { return false }
