//go:build unix

package manifest

import "syscall"

// openNonblock keeps opening a FIFO from blocking until a writer appears.
const openNonblock = syscall.O_NONBLOCK
