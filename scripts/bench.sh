#!/usr/bin/env bash
# make bench: every performance figure of connectsync beside its floor, measured in the
# same run, as a ratio. Plain tools only: curl, /usr/bin/time, cp, xargs.
#
#   figure                                   floor
#   no-change plan, N=100 and N=500          one curl of GET /connectors?expand=info&expand=status
#   peak RSS of that plan                    (absolute; the goal is <= 40 MB at N=5000)
#   render -o of 1000 DataStax sinks         cp -r of the files it wrote (on disk, and in tmpfs)
#   validate of 1000 and 10,000 sinks        (absolute; scaling 1000 -> 10,000)
#   apply of 200 config changes              the same 200 PUTs by curl, 8 at a time
#   plan of two clusters at once             plan of the slower one alone (and both expand reads at once)
#   the same requests, by readfloor          beside each plan row: the reads plan sends, by a Go
#                                            client that does nothing else (internal/readfloor)
#   no-change plan, N=5000 (BENCH_5000=1)    one curl, on the second Connect group
#
# Runs against the local cluster (cluster/README.md) and its second Connect group
# (cluster/second.sh), starting what is not running and stopping it again at the end.
# Benchmark connectors are named perf-*, created stopped, and deleted at the end, so the
# clusters are left as they were found. RUNS (default 11) runs of each figure, A and B in
# turn: the times are medians, the ratio the median of the run-by-run ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-11}
# CONNECTSYNC=path measures another build (an older one, for a before/after table).
# Without it, the checkout is built first, so that a stale bin/ is never measured.
if [ -n "${CONNECTSYNC:-}" ]; then
	cs=$CONNECTSYNC
else
	cs=$PWD/bin/connectsync
	CGO_ENABLED=0 go build -o "$cs" ./cmd/connectsync
fi
MAIN=http://127.0.0.1:38083
SECOND=http://127.0.0.1:38183

dir=$(mktemp -d)
started_main=0 started_second=0

answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1/" 2>/dev/null)" = 200 ]; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/${1##*:}") 2>/dev/null; }

perf_names() { curl -s "$1/connectors" | tr -d '[]"' | tr ',' '\n' | grep '^perf-' || true; }

# delete_perf URL: delete every perf-* connector of the cluster at URL, 8 at a time, again
# for those a rebalance refused (409), until none is left.
delete_perf() {
	local try
	answers "$1" || return 0
	for try in 1 2 3 4 5; do
		[ -n "$(perf_names "$1")" ] || return 0
		perf_names "$1" | xargs -r -P 8 -I{} curl -s -o /dev/null -X DELETE "$1/connectors/{}" || true
		sleep 1
	done
	echo "bench: some perf-* connectors of $1 could not be deleted: $(perf_names "$1" | wc -l) left" >&2
}

# start_if_down URL SCRIPT...: a worker that listens is up, if busy (tests restart workers):
# wait for it. Only a cluster that nothing listens for is started, and stopped at the end.
start_if_down() {
	local url=$1 i
	shift
	if listening "$url"; then
		for i in $(seq 60); do answers "$url" && return 1; sleep 1; done
		echo "bench: $url listens but does not answer GET /; not starting another cluster" >&2
		exit 1
	fi
	"$@" >/dev/null
}

# reset_second: after N=5000, the second group's config topic holds 5000 deleted
# connectors, which slow every later expand read of it (cluster/second.sh, drop_topics).
# A group the run found running is started again on fresh topics, when nothing but this
# run's connectors was in it; one the run started is stopped, and its topics go with it.
reset_second() {
	[ "${BENCH_5000:-0}" = 1 ] && [ "$started_second" = 0 ] || return 0
	if [ "$(curl -s "$SECOND/connectors")" != "[]" ]; then
		echo "bench: the second group holds other connectors; its topics keep N=5000's deleted connectors (cluster/second.sh down clears them)" >&2
		return 0
	fi
	bash cluster/second.sh down >/dev/null 2>&1 && bash cluster/second.sh up >/dev/null 2>&1 ||
		echo "bench: restarting the second group on fresh topics failed" >&2
}

cleanup() {
	set +e
	for url in "$MAIN" "$SECOND"; do delete_perf "$url"; done
	reset_second
	[ "$started_second" = 1 ] && bash cluster/second.sh down >/dev/null 2>&1
	[ "$started_main" = 1 ] && bash cluster/down.sh >/dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if start_if_down "$MAIN" bash cluster/up.sh; then started_main=1; fi
if start_if_down "$SECOND" bash cluster/second.sh up; then started_second=1; fi

# N must be what the clusters hold: refuse to start beside perf-* connectors that are not
# this run's (another bench still running, or one that was killed).
for url in "$MAIN" "$SECOND"; do
	if [ -n "$(perf_names "$url")" ]; then
		trap - EXIT
		[ "$started_second" = 1 ] && bash cluster/second.sh down >/dev/null 2>&1
		echo "bench: $url already has perf-* connectors (another bench?); delete them first" >&2
		exit 1
	fi
done

# manifest CLUSTER N [FILE]: cluster CLUSTER (local or second) with N stopped
# FileStreamSinks perf-0001..; FILE (a value of their config key file) makes a change.
manifest() {
	local cluster=$1 n=$2 file=${3:-/dev/null} i
	if [ "$cluster" = local ]; then
		sed '/^sinks:/,$d' examples/quickstart.yaml
	else
		grep -v second-2 cluster/second.yaml
	fi
	echo "sinks:"
	for i in $(seq -f '%04g' 1 "$n"); do
		printf '  - {name: perf-%s, cluster: %s, class: org.apache.kafka.connect.file.FileStreamSinkConnector, state: stopped, topics: {perf-%s: {}}, config: {file: %s}}\n' \
			"$i" "$cluster" "$i" "$file"
	done
}

ensure() { # ensure MANIFEST: apply it (creates the missing connectors, stopped)
	"$cs" apply -f "$1" --auto-approve --no-validate --parallelism 8 --wait 30m >"$dir/apply.log" 2>&1 ||
		{ tail -20 "$dir/apply.log"; exit 1; }
}

# plan_urls MANIFEST...: the requests a no-change plan of MANIFESTs sends, one URL a line:
# for each declared worker GET / and GET /connector-plugins; from the first worker of each
# cluster the expand read and the plugin config of each class its sinks name.
# readfloor (internal/readfloor) sends them as plan does (each expand read on its own connection,
# a worker's other requests one after the other on one), reads each answer and discards it:
# what a Go client that does nothing but plan's reads takes on these cores, the floor of
# plan's own rows.
plan_urls() {
	local m urls first
	for m in "$@"; do
		urls=$(grep -o 'url: http://[^,} ]*' "$m" | cut -d' ' -f2)
		first=$(echo "$urls" | head -1)
		echo "$first/connectors?expand=info&expand=status"
		for u in $urls; do echo "$u/"; echo "$u/connector-plugins"; done
		for c in $(sed -n '/^sinks:/,$p' "$m" | grep -o 'class: [A-Za-z0-9_.$]*' | cut -d' ' -f2 | sort -u); do
			echo "$first/connector-plugins/$c/config"
		done
	done
}
readfloor=$dir/readfloor
CGO_ENABLED=0 go build -o "$readfloor" ./internal/readfloor

now() { date +%s%N; }
# run_timed OUT CMD...: append "wall_seconds peak_kb" of one run of CMD to OUT.
run_timed() {
	local out=$1 t0 t1
	shift
	t0=$(now)
	/usr/bin/time -f '%M' -o "$dir/rss" "$@" >/dev/null 2>&1 || true
	t1=$(now)
	echo "$(echo "($t1 - $t0) / 1000000000" | bc -l) $(tail -1 "$dir/rss")" >>"$out"
}
median() { sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
col() { awk -v c="$2" '{print $c}' "$1" | median; }

# pair NAME CMD_A -- CMD_B: RUNS runs of each, in turn (A B A B ...), after a warm-up.
# PAIR_PREP, when set, is run (untimed) before each run of either: what a run must not
# find left by the one before, removed outside the figure.
pair() {
	local name=$1 a=() b=() i
	shift
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	b=("$@")
	prep
	"${a[@]}" >/dev/null 2>&1 || true
	prep
	"${b[@]}" >/dev/null 2>&1 || true
	rm -f "$dir/$name.a" "$dir/$name.b"
	for i in $(seq "$RUNS"); do
		prep
		run_timed "$dir/$name.a" "${a[@]}"
		prep
		run_timed "$dir/$name.b" "${b[@]}"
	done
}
prep() { if [ -n "${PAIR_PREP:-}" ]; then eval "$PAIR_PREP"; fi; }

rows=()
row() { rows+=("$(printf '%-44s %10s %10s %8s  %s' "$1" "$2" "$3" "$4" "$5")"); }
secs() { printf '%.3f s' "$1"; }
# pair_ratio NAME: the median, over the runs of pair NAME, of each A run's time over the B run
# just after it. On a shared machine whose speed drifts from one minute to the next, the
# ratio of two runs side by side holds where the ratio of two medians does not.
pair_ratio() { paste -d' ' "$dir/$1.a" "$dir/$1.b" | awk '{print $1 / $3}' | median | xargs printf '%.2f'; }


# --- plan vs one curl, on the main group -------------------------------------------------
for n in 100 500; do
	echo "== plan vs one curl, N=$n (main group)" >&2
	manifest local "$n" >"$dir/local$n.yaml"
	ensure "$dir/local$n.yaml"
	"$cs" plan -f "$dir/local$n.yaml" --detailed-exitcode >/dev/null 2>&1 ||
		echo "   (the plan of N=$n is not empty: the figures include its changes)" >&2
	pair plan$n "$cs" plan -f "$dir/local$n.yaml" -- curl -s -o /dev/null "$MAIN/connectors?expand=info&expand=status"
	p=$(col "$dir/plan$n.a" 1) c=$(col "$dir/plan$n.b" 1)
	row "no-change plan, N=$n" "$(secs "$p")" "$(secs "$c")" "$(pair_ratio plan$n)" "floor: one curl of the expand read"
	row "peak RSS of plan, N=$n" "$(($(col "$dir/plan$n.a" 2) / 1024)) MB" "" "" ""
	mapfile -t urls < <(plan_urls "$dir/local$n.yaml")
	pair req$n "$readfloor" "${urls[@]}" -- curl -s -o /dev/null "$MAIN/connectors?expand=info&expand=status"
	row "  the same requests, by readfloor" "$(secs "$(col "$dir/req$n.a" 1)")" "$(secs "$(col "$dir/req$n.b" 1)")" "$(pair_ratio req$n)" "plan's reads alone: the floor of the row above"
done

# --- apply of 200 config changes vs 200 PUTs by curl, 8 at a time ------------------------
echo "== apply of 200 config changes vs 200 curl PUTs" >&2
manifest local 200 >"$dir/a-null.yaml"
manifest local 200 /tmp/connectsync-bench >"$dir/a-tmp.yaml"
seq -f '%04g' 1 200 >"$dir/names"
puts() { # puts FILE: PUT every perf connector's config with file=FILE, 8 at a time
	xargs -P 8 -I{} curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' \
		-d "{\"connector.class\":\"org.apache.kafka.connect.file.FileStreamSinkConnector\",\"tasks.max\":\"1\",\"topics\":\"perf-{}\",\"file\":\"$1\"}" \
		"$MAIN/connectors/perf-{}/config" <"$dir/names"
}
export -f puts
export MAIN dir
rm -f "$dir/apply.a" "$dir/apply.b"
for i in $(seq "$RUNS"); do
	# apply moves the configs to /tmp/connectsync-bench; curl moves them back.
	run_timed "$dir/apply.a" "$cs" apply -f "$dir/a-tmp.yaml" --auto-approve --no-validate --parallelism 8 --wait 0
	run_timed "$dir/apply.b" bash -c 'puts /dev/null'
done
p=$(col "$dir/apply.a" 1) c=$(col "$dir/apply.b" 1)
row "apply, 200 config changes" "$(secs "$p")" "$(secs "$c")" "$(pair_ratio apply)" "floor: 200 PUTs by curl, 8 at a time"

# --- one cluster vs two ------------------------------------------------------------------
echo "== plan of one cluster vs two at once (N=500 each)" >&2
manifest second 500 >"$dir/second500.yaml"
ensure "$dir/second500.yaml"
ensure "$dir/local500.yaml"
pair one "$cs" plan -f "$dir/local500.yaml" -- "$cs" plan -f "$dir/second500.yaml"
one_a=$(col "$dir/one.a" 1) one_b=$(col "$dir/one.b" 1)
slower=$dir/local500.yaml slow=$one_a
if [ "$(echo "$one_b > $one_a" | bc -l)" = 1 ]; then slower=$dir/second500.yaml slow=$one_b; fi
# Each against the slower cluster alone, run by run.
pair two "$cs" plan -f "$dir/local500.yaml" -f "$dir/second500.yaml" -- "$cs" plan -f "$slower"
pair seq1 "$cs" plan -f "$dir/local500.yaml" -f "$dir/second500.yaml" --clusters 1 -- "$cs" plan -f "$slower"
two=$(col "$dir/two.a" 1) seq1=$(col "$dir/seq1.a" 1)
row "plan, two clusters at once" "$(secs "$two")" "$(secs "$(col "$dir/two.b" 1)")" "$(pair_ratio two)" "floor: the slower cluster alone ($(secs "$one_a") local, $(secs "$one_b") second)"
mapfile -t urls < <(plan_urls "$dir/local500.yaml" "$dir/second500.yaml")
mapfile -t slow_urls < <(plan_urls "$slower")
pair req2 "$readfloor" "${urls[@]}" -- "$readfloor" "${slow_urls[@]}"
row "  the same requests, by readfloor" "$(secs "$(col "$dir/req2.a" 1)")" "$(secs "$(col "$dir/req2.b" 1)")" "$(pair_ratio req2)" "plan's reads alone: the floor of the row above"
row "plan, two clusters, --clusters 1" "$(secs "$seq1")" "$(secs "$(col "$dir/seq1.b" 1)")" "$(pair_ratio seq1)" "one after the other, for contrast"
# What the workers themselves pay to answer both at once, on the same cores: the two expand
# reads at once, against the slower alone, both by readfloor (no bash, no second process).
main_read="$MAIN/connectors?expand=info&expand=status" second_read="$SECOND/connectors?expand=info&expand=status"
pair read1 "$readfloor" "$main_read" -- "$readfloor" "$second_read"
slow_read=$main_read
if [ "$(echo "$(col "$dir/read1.b" 1) > $(col "$dir/read1.a" 1)" | bc -l)" = 1 ]; then slow_read=$second_read; fi
pair reads "$readfloor" "$main_read" "$second_read" -- "$readfloor" "$slow_read"
row "both expand reads at once, by readfloor" "$(secs "$(col "$dir/reads.a" 1)")" "$(secs "$(col "$dir/reads.b" 1)")" "$(pair_ratio reads)" "the workers' own contention, without plan's other requests"
# Where the time of the rows above goes: the CPU each command costs, its own and the
# Connect workers' (all four JVMs, from /proc/PID/task/*/schedstat), per run. On a host
# whose cores the workers share, two clusters at once take at least the sum over the cores.
cpu_row() { # cpu_row LABEL CMD...: RUNS runs of CMD; its CPU and the workers' per run
	local label=$1 w0 w1 own
	shift
	w0=$(workers_cpu_ns)
	# bash's times: the user and system CPU of its children, to the millisecond.
	own=$(bash -c 'for _ in $(seq "$1"); do "${@:2}" >/dev/null 2>&1; done; times' _ "$RUNS" "$@" | tail -1 |
		sed 's/[ms]/ /g' | awk -v n="$RUNS" '{printf "%.0f", ($1 * 60 + $2 + $3 * 60 + $4) * 1000 / n}')
	w1=$(workers_cpu_ns)
	row "$label" "$own ms" "$(((w1 - w0) / RUNS / 1000000)) ms" "" "CPU per run: its own, then the workers'"
}
workers_cpu_ns() {
	local state=${CONNECTSYNC_CLUSTER_DIR:-$PWD/.cluster} f total=0 ns
	for f in "$state"/pids/worker-*.pid "$state"/second/pids/second-*.pid; do
		[ -r "$f" ] || continue
		ns=$(cat /proc/"$(cat "$f")"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f", s}')
		total=$((total + ${ns:-0}))
	done
	echo "$total"
}
if [ -r /proc/self/schedstat ]; then
	cpu_row "CPU: plan, two clusters at once" "$cs" plan -f "$dir/local500.yaml" -f "$dir/second500.yaml"
	cpu_row "CPU: plan of the slower cluster alone" "$cs" plan -f "$slower"
	cpu_row "CPU: both expand reads at once" "$readfloor" "$main_read" "$second_read"
fi
delete_perf "$MAIN"

# --- render and validate, offline --------------------------------------------------------
echo "== render and validate" >&2
datastax() { # datastax FROM TO: DataStax sinks ds-FROM..ds-TO of cluster local
	local i
	for i in $(seq -f '%05g' "$1" "$2"); do
		cat <<-EOF
			  - name: ds-$i
			    cluster: local
			    state: running
			    tasksMax: 3
			    cassandra:
			      contactPoints: [127.0.0.1]
			      port: 39042
			      localDc: datacenter1
			      auth: {provider: PLAIN, username: bench, password: {secretEnv: BENCH_CASSANDRA_PASSWORD}}
			    topics:
			      orders-$i:
			        tables:
			          - keyspace: shop
			            table: orders_$i
			            mapping: order_id=key, customer=value.customer, amount=value.amount, created=value.created
			            consistencyLevel: LOCAL_ONE
		EOF
	done
}
export BENCH_CASSANDRA_PASSWORD=bench-secret
mkdir -p "$dir/ds1000" "$dir/ds10000"
{ sed '/^sinks:/,$d' examples/quickstart.yaml; echo "sinks:"; datastax 1 1000; } >"$dir/ds1000/m.yaml"
cp "$dir/ds1000/m.yaml" "$dir/ds10000/m00.yaml"
for k in $(seq 1 9); do { echo "version: 1"; echo "sinks:"; datastax $((k * 1000 + 1)) $(((k + 1) * 1000)); } >"$dir/ds10000/m0$k.yaml"; done
"$cs" render -f "$dir/ds1000" -o "$dir/rendered" >/dev/null
# Each run writes into a directory that does not exist; the one before is removed outside
# the figure (a bash and an rm -rf of 1003 files took 12-16 ms here, more than the goal's
# margin).
PAIR_PREP="rm -rf '$dir/r' '$dir/c'" pair render "$cs" render -f "$dir/ds1000" -o "$dir/r" -- cp -r "$dir/rendered" "$dir/c"
p=$(col "$dir/render.a" 1) c=$(col "$dir/render.b" 1)
row "render -o, 1000 DataStax sinks" "$(secs "$p")" "$(secs "$c")" "$(pair_ratio render)" "floor: cp -r of the same 1003 files"
# The same into memory (tmpfs), where creating a file costs no disk: render's own cost.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	shm=$(mktemp -d /dev/shm/connectsync-bench.XXXXXX)
	PAIR_PREP="rm -rf '$shm/r' '$shm/c'" pair render_shm "$cs" render -f "$dir/ds1000" -o "$shm/r" -- cp -r "$dir/rendered" "$shm/c"
	rm -rf "$shm"
	p=$(col "$dir/render_shm.a" 1) c=$(col "$dir/render_shm.b" 1)
	row "render -o, 1000 DataStax sinks, tmpfs" "$(secs "$p")" "$(secs "$c")" "$(pair_ratio render_shm)" "floor: cp -r of the same files into /dev/shm (goal: 100 ms)"
fi
pair validate "$cs" validate -f "$dir/ds10000" -- "$cs" validate -f "$dir/ds1000"
p=$(col "$dir/validate.a" 1) c=$(col "$dir/validate.b" 1)
row "validate, 10,000 vs 1000 DataStax sinks" "$(secs "$p")" "$(secs "$c")" "$(pair_ratio validate)" "scaling: 10x the sinks"

# --- N=5000, opt-in: on the second group -------------------------------------------------
if [ "${BENCH_5000:-0}" = 1 ]; then
	echo "== plan vs one curl, N=5000 (second group; creating them takes minutes)" >&2
	manifest second 5000 >"$dir/second5000.yaml"
	ensure "$dir/second5000.yaml"
	pair plan5000 "$cs" plan -f "$dir/second5000.yaml" -- curl -s -o /dev/null "$SECOND/connectors?expand=info&expand=status"
	p=$(col "$dir/plan5000.a" 1) c=$(col "$dir/plan5000.b" 1)
	row "no-change plan, N=5000" "$(secs "$p")" "$(secs "$c")" "$(pair_ratio plan5000)" "floor: one curl of the expand read"
	row "peak RSS of plan, N=5000" "$(($(col "$dir/plan5000.a" 2) / 1024)) MB" "" "" "goal: 40 MB"
fi

echo
printf '%-44s %10s %10s %8s  %s\n' figure connectsync floor ratio "floor is"
for r in "${rows[@]}"; do echo "$r"; done
echo "(times: medians of $RUNS runs each, in turn; ratio: the median of the $RUNS run-by-run ratios; $(nproc) cores; $(date -u +%Y-%m-%d))"
