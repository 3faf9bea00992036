package apply_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/connectsync/connectsync/internal/testcluster"
)

// The deployment recipes of examples/deploy/ (issue 12), each run as
// written against the local cluster: the test takes the connectsync
// command lines out of the recipe files themselves, maps the recipe's
// paths to a temporary directory, and runs them. The manifests are the
// test's own: the local cluster, without prune, and one cron-* sink with
// a secret from the environment, as the recipes pass them.

const recipes = "../examples/deploy/"

// recipeManifests writes the manifests a recipe applies into dir and
// returns the name of the sink and the secret's value.
func recipeManifests(t *testing.T, dir, prefix string) (string, string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	name := uniqueName(t, prefix)
	secret := "recipe-secret-" + name
	body := cronHeader + sink(name, "running", 1, "      recipe.password: {secretEnv: CASSANDRA_PASSWORD}\n")
	if err := os.WriteFile(filepath.Join(dir, "connect.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return name, secret
}

// mapPaths replaces the recipe's paths in args.
func mapPaths(args []string, paths map[string]string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		for from, to := range paths {
			if a == from {
				out[i] = to
			}
		}
	}
	return out
}

func readRecipe(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(recipes, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkCronRuns runs a cron recipe's command line twice: the first run
// creates the sink and logs JSON events, the second prints nothing.
func checkCronRuns(t *testing.T, args []string, name, secret string) {
	t.Helper()
	env := map[string]string{"CASSANDRA_PASSWORD": secret}
	first := connectsync(t, env, args...)
	if first.code != 0 || first.stdout != "" || !strings.Contains(first.stderr, `"object":"sink/`+name+`"`) {
		t.Fatalf("first run:\n%s", first)
	}
	logEvents(t, first.stderr)
	second := connectsync(t, env, args...)
	if second.code != 0 || second.stdout+second.stderr != "" {
		t.Fatalf("second run must print nothing:\n%s", second)
	}
	for _, r := range []run{first, second} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Fatalf("the secret is in the output:\n%s", r)
		}
	}
}

func TestDeployRecipes(t *testing.T) {
	c := testcluster.Get(t)
	t.Setenv("CONNECTSYNC_LOCK_DIR", t.TempDir())

	t.Run("systemd", func(t *testing.T) {
		unit := readRecipe(t, "systemd/connectsync.service")
		var exec string
		sc := bufio.NewScanner(strings.NewReader(unit))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "ExecStart="); ok {
				exec = v
			}
		}
		args := strings.Fields(exec)
		if len(args) < 2 || args[0] != "/usr/local/bin/connectsync" {
			t.Fatalf("ExecStart=%s", exec)
		}
		for _, want := range []string{"EnvironmentFile=/etc/connectsync/secrets.env", "Type=oneshot", "ReadWritePaths=/var/lib/node_exporter/textfile_collector"} {
			if !strings.Contains(unit, want+"\n") {
				t.Errorf("the unit has no %s", want)
			}
		}
		if timer := readRecipe(t, "systemd/connectsync.timer"); !strings.Contains(timer, "OnCalendar=") || !strings.Contains(timer, "WantedBy=timers.target") {
			t.Errorf("timer:\n%s", timer)
		}
		dir := t.TempDir()
		name, secret := recipeManifests(t, filepath.Join(dir, "manifests"), "cron-systemd")
		prom := filepath.Join(dir, "textfile_collector", "connectsync.prom")
		if err := os.MkdirAll(filepath.Dir(prom), 0o755); err != nil {
			t.Fatal(err)
		}
		args = mapPaths(args[1:], map[string]string{
			"/etc/connectsync/manifests":                                 filepath.Join(dir, "manifests"),
			"/var/lib/node_exporter/textfile_collector/connectsync.prom": prom,
		})
		checkCronRuns(t, args, name, secret)
		if got := readMetrics(t, prom); got["connectsync_last_run_success"] != 1 {
			t.Errorf("metrics: %v", got)
		}
	})

	t.Run("kubernetes", func(t *testing.T) {
		var cj struct {
			Kind string
			Spec struct {
				ConcurrencyPolicy string `yaml:"concurrencyPolicy"`
				JobTemplate       struct {
					Spec struct {
						Template struct {
							Spec struct {
								InitContainers []struct{ Name string } `yaml:"initContainers"`
								Containers     []struct {
									Name    string
									Command []string
									Args    []string
									Env     []struct {
										Name      string
										ValueFrom struct {
											SecretKeyRef struct{ Name, Key string } `yaml:"secretKeyRef"`
										} `yaml:"valueFrom"`
									}
								}
							}
						}
					} `yaml:"spec"`
				} `yaml:"jobTemplate"`
			}
		}
		if err := yaml.Unmarshal([]byte(readRecipe(t, "kubernetes/cronjob.yaml.example")), &cj); err != nil {
			t.Fatal(err)
		}
		pod := cj.Spec.JobTemplate.Spec.Template.Spec
		if cj.Kind != "CronJob" || cj.Spec.ConcurrencyPolicy != "Forbid" || len(pod.Containers) != 1 ||
			len(pod.InitContainers) != 1 || pod.InitContainers[0].Name != "git-sync" {
			t.Fatalf("cronjob: %+v", cj)
		}
		c := pod.Containers[0]
		if len(c.Command) != 1 || c.Command[0] != "connectsync" {
			t.Fatalf("command %v", c.Command)
		}
		for _, e := range c.Env {
			if e.ValueFrom.SecretKeyRef.Name == "" {
				t.Errorf("env %s does not come from a Secret", e.Name)
			}
		}
		dir := t.TempDir()
		name, secret := recipeManifests(t, filepath.Join(dir, "manifests"), "cron-k8s")
		checkCronRuns(t, mapPaths(c.Args, map[string]string{"/git/current/manifests": filepath.Join(dir, "manifests")}), name, secret)
	})

	t.Run("github-actions", func(t *testing.T) {
		var wf struct {
			On   map[string]any `yaml:"on"`
			Jobs map[string]struct {
				If          string
				Concurrency struct {
					Group            string
					CancelInProgress bool `yaml:"cancel-in-progress"`
				}
				Steps []struct{ Name, Run, Uses string }
			}
		}
		if err := yaml.Unmarshal([]byte(readRecipe(t, "github/.github/workflows/connectsync.yml")), &wf); err != nil {
			t.Fatal(err)
		}
		for _, trigger := range []string{"pull_request", "push", "schedule"} {
			if _, ok := wf.On[trigger]; !ok {
				t.Errorf("no %s trigger", trigger)
			}
		}
		if g := wf.Jobs["apply"].Concurrency; g.Group == "" || g.CancelInProgress || wf.Jobs["drift"].Concurrency.Group != g.Group {
			t.Errorf("apply and drift must share one concurrency group that never cancels an apply: %+v %+v", g, wf.Jobs["drift"].Concurrency)
		}
		commented := false
		for _, s := range wf.Jobs["plan"].Steps {
			commented = commented || strings.Contains(s.Uses, "github-script")
		}
		if !commented {
			t.Error("the plan job does not post the plan")
		}
		// The connectsync lines of each job, up to a redirection, run from
		// a checkout holding manifests/.
		dir := t.TempDir()
		name, secret := recipeManifests(t, filepath.Join(dir, "manifests"), "cron-gha")
		env := map[string]string{"CASSANDRA_PASSWORD": secret}
		command := regexp.MustCompile(`^\s*connectsync\s+([^>|;&]*)`)
		lines := func(job string) [][]string {
			var out [][]string
			for _, s := range wf.Jobs[job].Steps {
				for _, l := range strings.Split(s.Run, "\n") {
					if m := command.FindStringSubmatch(l); m != nil {
						out = append(out, mapPaths(strings.Fields(m[1]), map[string]string{"manifests/": filepath.Join(dir, "manifests") + "/"}))
					}
				}
			}
			if len(out) != 1 {
				t.Fatalf("job %s: want one connectsync command, got %v", job, out)
			}
			return out
		}
		plan := connectsync(t, env, lines("plan")[0]...)
		if plan.code != 2 || !strings.Contains(plan.stdout, "+ sink "+name) {
			t.Fatalf("plan on a pull request: want exit 2 and the new sink:\n%s", plan)
		}
		apply := connectsync(t, env, lines("apply")[0]...)
		if apply.code != 0 || !strings.Contains(apply.stdout, "Apply complete: 1 applied") {
			t.Fatalf("apply on main:\n%s", apply)
		}
		drift := connectsync(t, env, lines("drift")[0]...)
		if drift.code != 0 {
			t.Fatalf("drift detection after the apply: want exit 0:\n%s", drift)
		}
		for _, r := range []run{plan, apply, drift} {
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Fatalf("the secret is in the output:\n%s", r)
			}
		}
		// Drift: someone pauses the connector by hand; the scheduled run
		// exits 2, which fails the job.
		cl := client(t, c)
		if err := cl.Pause(context.Background(), name); err != nil {
			t.Fatal(err)
		}
		// The pause takes effect asynchronously: wait until the worker says so.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			if state, _ := liveState(t, cl, name); state == "PAUSED" {
				break
			} else if time.Now().After(deadline) {
				t.Fatalf("%s still %s 30 s after a pause", name, state)
			}
		}
		drift = connectsync(t, env, lines("drift")[0]...)
		if drift.code != 2 || !strings.Contains(drift.stdout, "~ sink "+name) {
			t.Fatalf("drift detection after a pause by hand: want exit 2:\n%s", drift)
		}
	})
}
