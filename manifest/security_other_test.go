//go:build !unix

package manifest_test

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs here") }
