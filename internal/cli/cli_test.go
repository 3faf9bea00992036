package cli_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/connectsync/connectsync/internal/cli"
	"github.com/connectsync/connectsync/internal/testcluster"
)

// TestMain lets the scripts run connectsync as a command: testscript
// re-executes this test binary under that name.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"connectsync": func() { os.Exit(cli.Main(os.Args[1:], cli.OSEnv())) },
	})
}

// TestScripts runs testdata/script/*.txtar. go test ./internal/cli -update
// rewrites the files they compare with cmp.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(e *testscript.Env) error {
			// The repository's examples, for the scripts that check them.
			e.Setenv("EXAMPLES", filepath.Join(mustGetwd(t), "..", "..", "examples"))
			e.Setenv("SCHEMA", filepath.Join(mustGetwd(t), "..", "..", "schema", "manifest-v1.json"))
			return nil
		},
		Condition: condition,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mode":              cmdMode,
			"listtree":          cmdListTree,
			"cmptree":           cmdCmpTree,
			"deleteconnector":   cmdDeleteConnector,
			"cleanupconnectors": cmdCleanupConnectors,
		},
	})
}

// condition answers [cluster]: whether the real local cluster was given
// with CONNECTSYNC_CLUSTER and its first worker answers. Scripts that need
// it start with [!cluster] skip; go test -short never runs them.
func condition(cond string) (bool, error) {
	if cond != "cluster" {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	if testing.Short() || os.Getenv("CONNECTSYNC_CLUSTER") == "" {
		return false, nil
	}
	resp, err := http.Get(testcluster.WorkerURLs[0] + "/")
	if err != nil {
		return false, nil
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK, nil
}

// deleteconnector NAME deletes a connector from the real cluster; a 404
// counts as done.
func cmdDeleteConnector(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: deleteconnector NAME")
	}
	ts.Check(deleteConnector(args[0]))
}

// cleanupconnectors NAME... deletes the connectors from the real cluster
// when the script ends, whether it passed or not. Every name must start
// with files-, the prefix of connectors these tests own.
func cmdCleanupConnectors(ts *testscript.TestScript, neg bool, args []string) {
	for _, n := range args {
		if !strings.HasPrefix(n, "files-") {
			ts.Fatalf("connector %s: test connectors are named files-*", n)
		}
		name := n
		ts.Defer(func() { _ = deleteConnector(name) })
	}
}

func deleteConnector(name string) error {
	req, err := http.NewRequest(http.MethodDelete, testcluster.WorkerURLs[0]+"/connectors/"+url.PathEscape(name), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("DELETE connector %s: %s", name, resp.Status)
	}
	return nil
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// mode PERM FILE... checks that each file has permission bits PERM (octal).
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: mode PERM FILE...")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	if err != nil {
		ts.Fatalf("bad mode %q", args[0])
	}
	for _, f := range args[1:] {
		info, err := os.Stat(ts.MkAbs(f))
		ts.Check(err)
		got := info.Mode().Perm()
		if (got == fs.FileMode(want)) == neg {
			ts.Fatalf("%s has mode %04o, want %s%04o", f, got, map[bool]string{true: "not ", false: ""}[neg], want)
		}
	}
}

// listtree DIR OUT writes the files under DIR, one "MODE PATH" a line in
// sorted order, to OUT, so that a script can cmp the layout.
func cmdListTree(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: listtree DIR OUT")
	}
	dir := ts.MkAbs(args[0])
	var lines []string
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		lines = append(lines, fmt.Sprintf("%04o %s", info.Mode().Perm(), filepath.ToSlash(rel)))
		return nil
	})
	ts.Check(err)
	sort.Strings(lines)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}

// cmptree DIR1 DIR2 checks that two trees hold the same files, byte for
// byte, with the same modes.
func cmdCmpTree(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: cmptree DIR1 DIR2")
	}
	a, b := readTree(ts, ts.MkAbs(args[0])), readTree(ts, ts.MkAbs(args[1]))
	same := len(a) == len(b)
	for p, fa := range a {
		fb, ok := b[p]
		if !ok || fa.mode != fb.mode || !bytes.Equal(fa.data, fb.data) {
			if !neg {
				ts.Logf("%s differs", p)
			}
			same = false
		}
	}
	if same == neg {
		ts.Fatalf("trees %s and %s: same=%v", args[0], args[1], same)
	}
}

type treeFile struct {
	mode fs.FileMode
	data []byte
}

func readTree(ts *testscript.TestScript, dir string) map[string]treeFile {
	out := map[string]treeFile{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = treeFile{info.Mode().Perm(), data}
		return nil
	})
	ts.Check(err)
	return out
}
