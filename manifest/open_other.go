//go:build !unix

package manifest

// openNonblock is Unix only; elsewhere the type check before opening is
// what keeps a secret file from being a pipe.
const openNonblock = 0
