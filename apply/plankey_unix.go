//go:build unix

package apply

import (
	"io/fs"
	"os"
	"syscall"
)

// openNoFollow makes opening the plan key fail on a symbolic link.
const openNoFollow = syscall.O_NOFOLLOW

// refuseLink reports a symbolic link at path before it is opened; on Unix
// O_NOFOLLOW already refuses it, atomically.
func refuseLink(string) error { return nil }

// othersCanAccess reports a plan key that others can read or write.
func othersCanAccess(mode fs.FileMode) bool { return mode.Perm()&0o077 != 0 }

// ownedByAnotherUser reports a plan key that is not the current user's.
func ownedByAnotherUser(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) != os.Getuid()
}
