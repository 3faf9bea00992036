//go:build !unix

package apply_test

import "strconv"

func unixLike() bool    { return false }
func itoa(i int) string { return strconv.Itoa(i) }
