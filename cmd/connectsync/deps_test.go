package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// linkedModules lists the modules this test binary links: what the command
// links, plus testing.
func linkedModules(t *testing.T) []*debug.Module {
	t.Helper()
	bi, ok := debug.ReadBuildInfo()
	if !ok || len(bi.Deps) == 0 {
		t.Fatal("no build information in this test binary: a test of what is linked would pass whatever is")
	}
	return bi.Deps
}

// TestNoProtobufLinked: every command pays for the package initialisation
// of what the binary links, before main runs. Protobuf and the Prometheus
// client libraries cost about 1.5 ms of it for one metrics file that
// internal/view now writes itself; they may come back in tests only.
func TestNoProtobufLinked(t *testing.T) {
	for _, d := range linkedModules(t) {
		if d.Path == "google.golang.org/protobuf" || strings.HasPrefix(d.Path, "github.com/prometheus/") {
			t.Errorf("connectsync links %s %s", d.Path, d.Version)
		}
	}
}

// TestNoGoCmpInTheCommand: go-cmp is the tests' tool for comparing values
// (it says so itself: not for production, may panic, not built for speed),
// and its package initialisation cost every command about 1 ms before
// main. diff compares configs with a loop of its own, which its tests hold
// to go-cmp's answer.
func TestNoGoCmpInTheCommand(t *testing.T) {
	for _, d := range linkedModules(t) {
		if d.Path == "github.com/google/go-cmp" {
			t.Errorf("connectsync links %s %s", d.Path, d.Version)
		}
	}
}
