#!/usr/bin/env bash
# make bench: how plan scales. Creates N connectors (default 500) on the local
# cluster, stopped so that the cluster stays light, with connectsync apply
# itself; then times a plan and counts its requests, and times one curl of
# the endpoint plan reads them with. Removes the connectors at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-500}
cs=bin/connectsync
[ -x "$cs" ] || go build -o "$cs" ./cmd/connectsync
bash cluster/up.sh >/dev/null

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
m="$dir/bench.yaml"
# Cluster local of the quickstart, without its sinks.
sed '/^sinks:/,$d' examples/quickstart.yaml >"$m"
echo "sinks:" >>"$m"
for i in $(seq -w 1 "$N"); do
  cat >>"$m" <<EOF
  - name: bench-$i
    cluster: local
    class: org.apache.kafka.connect.file.FileStreamSinkConnector
    state: stopped
    topics: {bench-$i: {}}
    config: {file: /dev/null}
EOF
done

secs() { date +%s.%N; }
echo "== apply: create $N stopped connectors"
t0=$(secs)
$cs apply -f "$m" --auto-approve --parallelism 8 --wait 10m >"$dir/apply.log" 2>&1 || { tail -20 "$dir/apply.log"; exit 1; }
t1=$(secs)
grep -E '^Apply' "$dir/apply.log"
printf 'apply wall time: %.1f s\n' "$(echo "$t1 - $t0" | bc)"

echo "== plan against $N connectors (expect No changes)"
for run in 1 2 3; do
  t0=$(secs)
  $cs plan -f "$m" --stats --detailed-exitcode 2>"$dir/stats" | tail -1
  t1=$(secs)
  printf 'plan %d: wall %.3f s; %s\n' "$run" "$(echo "$t1 - $t0" | bc)" "$(sed 's/^connectsync: //' "$dir/stats")"
done

echo "== one curl of GET /connectors?expand=info&expand=status"
for run in 1 2 3; do
  curl -s -o "$dir/expand.json" -w "curl $run: %{time_total} s, %{size_download} bytes\n" \
    'http://127.0.0.1:38083/connectors?expand=info&expand=status'
done

echo "== removing the bench connectors"
t0=$(secs)
curl -s http://127.0.0.1:38083/connectors | tr -d '[]"' | tr ',' '\n' | grep '^bench-' |
  xargs -P 8 -I{} curl -s -o /dev/null -X DELETE "http://127.0.0.1:38083/connectors/{}"
printf 'removed in %.1f s\n' "$(echo "$(secs) - $t0" | bc)"
