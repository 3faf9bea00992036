//go:build unix

package testcluster

import "syscall"

const (
	lockSH = syscall.LOCK_SH
	lockEX = syscall.LOCK_EX
	lockUN = syscall.LOCK_UN
)

func flock(fd int, how int) error { return syscall.Flock(fd, how) }

// alive reports whether a process with this PID exists.
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }
