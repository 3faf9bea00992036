#!/usr/bin/env bash
# make demo: bring up the local cluster (a KRaft broker, Cassandra and three
# distributed Connect workers, from Maven Central jars) and reconcile
# examples/quickstart.yaml against it, showing each step.
set -euo pipefail
cd "$(dirname "$0")/.."
cs=bin/connectsync
[ -x "$cs" ] || go build -o "$cs" ./cmd/connectsync
manifests=(-f examples/quickstart.yaml)

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "1. Bring up the local cluster (harmless when it is already up)"
bash cluster/up.sh

# The DataStax sink runs only where its plugin is installed; it is not on
# Maven Central (cluster/README.md), so by default the demo's sink target is
# Kafka's FileStreamSink and its output file.
if curl -fsS http://127.0.0.1:38083/connector-plugins | grep -q CassandraSinkConnector; then
  manifests+=(-f examples/quickstart-cassandra.yaml)
  echo "The DataStax plugin is installed: the demo also applies examples/quickstart-cassandra.yaml."
else
  echo "The DataStax plugin is not installed on the workers: the demo's sink is FileStreamSink."
fi

step "2. Validate the manifest, offline"
show $cs validate "${manifests[@]}"

step "3. Render what the workers run (they were started on these files)"
show $cs render "${manifests[@]}" -o .cluster/demo-render
show head -n 8 .cluster/demo-render/local/workers/worker-1/connect-distributed.properties

step "4. Plan against the live cluster"
set +e
show $cs plan "${manifests[@]}" --detailed-exitcode
rc=$?
set -e
[ "$rc" = 0 ] || [ "$rc" = 2 ] || { echo "plan failed (exit $rc)"; exit 1; }

step "5. Apply"
show $cs apply "${manifests[@]}" --auto-approve

step "6. What is deployed: connectors RUNNING, tasks spread over the workers"
show $cs status "${manifests[@]}"

step "7. Write records to the orders topic with Kafka's own producer"
out=.cluster/orders-sink.txt
before=$(wc -l <"$out" 2>/dev/null || echo 0)
stamp=$(date +%s)
records=$(printf 'order-%s-1|{"customer":"ada","amount":12.5}\norder-%s-2|{"customer":"grace","amount":7}\norder-%s-3|{"customer":"linus","amount":42}\n' "$stamp" "$stamp" "$stamp")
echo "$records"
echo "$records" | bash cluster/ctl.sh produce orders 2>/dev/null

step "8. The records arrive in the sink's target ($out)"
for _ in $(seq 1 60); do
  [ "$(wc -l <"$out" 2>/dev/null || echo 0)" -ge $((before + 3)) ] && break
  sleep 1
done
show tail -n 3 "$out"
[ "$(wc -l <"$out")" -ge $((before + 3)) ] || { echo "the records did not arrive within 60 s"; exit 1; }

step "9. Plan again: nothing left to do"
show $cs plan "${manifests[@]}" --detailed-exitcode
echo
echo "The cluster is still up: try bin/connectsync plan -f examples/quickstart.yaml, or stop it with make cluster-down."
