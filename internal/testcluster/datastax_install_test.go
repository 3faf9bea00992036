package testcluster_test

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/connectsync/connectsync/internal/testcluster"
)

// TestDataStaxInstallSources runs cluster/datastax.sh on each kind of source
// DATASTAX_CONNECTOR takes, into a plugin directory of the test's own
// (CONNECTSYNC_PLUGINS_DIR): a combined jar, a plugin directory, a release tarball
// (a stand-in: DataStax's real tarball can't be downloaded here), and, without
// -short, the release folder of the connector the cluster runs, whose
// runtime-deps.txt Maven resolves from Maven Central. A second run of the same
// source changes nothing; "none" removes the plugin.
func TestDataStaxInstallSources(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	install := func(t *testing.T, plugins, src string) (string, []string) {
		t.Helper()
		cmd := exec.Command("bash", filepath.Join(repo, "cluster/datastax.sh"))
		cmd.Env = append(os.Environ(), "DATASTAX_CONNECTOR="+src, "CONNECTSYNC_PLUGINS_DIR="+plugins)
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("datastax.sh %s: %v\n%s", src, err, stderr)
		}
		entries, _ := os.ReadDir(filepath.Join(plugins, "datastax-kafka-connector"))
		var jars []string
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".jar") {
				jars = append(jars, e.Name())
			}
		}
		slices.Sort(jars)
		return strings.TrimSpace(string(out)), jars
	}
	src := t.TempDir()
	write := func(path, data string) string {
		p := filepath.Join(src, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("combined jar", func(t *testing.T) {
		plugins := t.TempDir()
		jar := write("dl/kafka-connect-cassandra-sink-1.4.0.jar", "a combined jar")
		if out, jars := install(t, plugins, jar); out != "changed" || !slices.Equal(jars, []string{"kafka-connect-cassandra-sink-1.4.0.jar"}) {
			t.Fatalf("got %q, %v", out, jars)
		}
		if out, _ := install(t, plugins, jar); out != "" {
			t.Errorf("the same source again: %q, want nothing done", out)
		}
		if out, jars := install(t, plugins, "none"); out != "changed" || len(jars) != 0 {
			t.Errorf("none: %q, %v", out, jars)
		}
	})
	t.Run("plugin directory", func(t *testing.T) {
		write("plugin/kafka-connect-cassandra-sink-1.5.0.jar", "x")
		write("plugin/java-driver-core-4.16.0.jar", "y")
		write("plugin/README", "not a jar")
		if out, jars := install(t, t.TempDir(), filepath.Join(src, "plugin")); out != "changed" ||
			!slices.Equal(jars, []string{"java-driver-core-4.16.0.jar", "kafka-connect-cassandra-sink-1.5.0.jar"}) {
			t.Fatalf("got %q, %v", out, jars)
		}
	})
	t.Run("release tarball", func(t *testing.T) {
		tgz := filepath.Join(src, "kafka-connect-cassandra-sink-1.4.0.tar.gz")
		f, err := os.Create(tgz)
		if err != nil {
			t.Fatal(err)
		}
		zw := gzip.NewWriter(f)
		tw := tar.NewWriter(zw)
		for name, body := range map[string]string{
			"kafka-connect-cassandra-sink-1.4.0/kafka-connect-cassandra-sink-1.4.0.jar":      "the combined jar",
			"kafka-connect-cassandra-sink-1.4.0/conf/cassandra-sink-distributed.json.sample": "{}",
			"kafka-connect-cassandra-sink-1.4.0/LICENSE.txt":                                 "Apache 2.0",
		} {
			if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))}); err != nil {
				t.Fatal(err)
			}
			tw.Write([]byte(body))
		}
		tw.Close()
		zw.Close()
		f.Close()
		if out, jars := install(t, t.TempDir(), tgz); out != "changed" || !slices.Equal(jars, []string{"kafka-connect-cassandra-sink-1.4.0.jar"}) {
			t.Fatalf("got %q, %v", out, jars)
		}
	})
	t.Run("release folder with runtime-deps.txt", func(t *testing.T) {
		if testing.Short() {
			t.Skip("-short: Maven resolves the runtime dependencies")
		}
		release := os.Getenv("DATASTAX_CONNECTOR")
		if release == "" {
			release = filepath.Join(repo, "..", "shared", "plugins", "datastax-kafka-connector", "1.5.0")
		}
		if _, err := os.Stat(filepath.Join(release, "runtime-deps.txt")); err != nil {
			if testcluster.InCI() {
				t.Fatalf("no DataStax release folder at %s, and CI=true", release)
			}
			t.Skipf("no DataStax release folder at %s", release)
		}
		deps, err := os.ReadFile(filepath.Join(release, "runtime-deps.txt"))
		if err != nil {
			t.Fatal(err)
		}
		want := 1 // the connector's own jar
		for _, l := range strings.Split(string(deps), "\n") {
			if f := strings.Split(strings.TrimSpace(l), ":"); len(f) >= 5 && (f[len(f)-1] == "compile" || f[len(f)-1] == "runtime") {
				want++
			}
		}
		out, jars := install(t, t.TempDir(), release)
		if out != "changed" || len(jars) != want {
			t.Fatalf("got %q and %d jars, want %d: %v", out, len(jars), want, jars)
		}
	})
}
