#!/usr/bin/env bash
# make demo: bring up the local cluster (a KRaft broker, Cassandra and three
# distributed Connect workers, from Maven Central jars, with the DataStax
# connector under plugin.path) and reconcile the quickstart against it: records
# produced to Kafka come back as rows read from Cassandra.
set -euo pipefail
cd "$(dirname "$0")/.."
cs=bin/connectsync
[ -x "$cs" ] || CGO_ENABLED=0 go build -o "$cs" ./cmd/connectsync

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "1. Bring up the local cluster (harmless when it is already up)"
bash cluster/up.sh

# The quickstart's sink is the DataStax connector, installed by cluster/up.sh from
# DATASTAX_CONNECTOR (cluster/README.md). Without it, Kafka's FileStreamSink stands in.
plugins=$(curl -fsS http://127.0.0.1:38083/connector-plugins)
if grep -q '"com.datastax.oss.kafka.sink.CassandraSinkConnector"' <<<"$plugins"; then
  sink=cassandra
  manifests=(-f examples/quickstart.yaml -f examples/quickstart-cassandra.yaml)
  echo "The DataStax connector $(sed -n 's/^source: //p' .cluster/plugins/datastax-kafka-connector/.source 2>/dev/null) runs on the workers: the sink writes into Cassandra."
else
  sink=file
  manifests=(-f examples/quickstart.yaml -f examples/quickstart-file.yaml)
  echo "The DataStax connector is not installed (DATASTAX_CONNECTOR is unset, cluster/README.md): the demo falls back to Kafka's FileStreamSink."
fi

step "2. Prepare the data: the orders topic with 3 partitions, one per task$([ $sink = cassandra ] && echo ', and the table the sink writes')"
show bash cluster/ctl.sh topic orders 3
if [ $sink = cassandra ]; then
  show bash cluster/ctl.sh cql \
    "CREATE KEYSPACE IF NOT EXISTS shop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}" \
    "CREATE TABLE IF NOT EXISTS shop.orders_by_id (order_id text PRIMARY KEY, customer text, amount decimal, created timestamp)"
fi

step "3. Validate the manifest, offline"
show $cs validate "${manifests[@]}"

step "4. Render what the workers run (they were started on these files)"
show $cs render "${manifests[@]}" -o .cluster/demo-render
show head -n 8 .cluster/demo-render/local/workers/worker-1/connect-distributed.properties

step "5. Plan against the live cluster"
set +e
show $cs plan "${manifests[@]}" --detailed-exitcode
rc=$?
set -e
[ "$rc" = 0 ] || [ "$rc" = 2 ] || { echo "plan failed (exit $rc)"; exit 1; }

step "6. Apply"
show $cs apply "${manifests[@]}" --auto-approve

step "7. What is deployed: the connector RUNNING, its tasks spread over the three workers"
show $cs status "${manifests[@]}"

step "8. Write records to the orders topic with Kafka's own producer"
stamp=$(date +%s)
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
records=$(for i in 1 2 3 4 5 6; do
  c=(ada grace linus barbara ken margaret)
  printf 'order-%s-%d|{"customer":"%s","amount":%d.%02d,"created":"%s"}\n' "$stamp" "$i" "${c[i-1]}" $((i * 7)) $((i * 13 % 100)) "$now"
done)
echo "$records"
echo "$records" | bash cluster/ctl.sh produce orders 2>/dev/null

if [ $sink = cassandra ]; then
  step "9. The records are rows in Cassandra, read back with CQL"
  keys=$(for i in 1 2 3 4 5 6; do printf "'order-%s-%d'," "$stamp" "$i"; done)
  query="SELECT order_id, customer, amount, created FROM shop.orders_by_id WHERE order_id IN (${keys%,})"
  for _ in $(seq 1 60); do
    n=$(bash cluster/ctl.sh cql "$query" | sed -n 's/^(\([0-9]*\) rows)$/\1/p')
    [ "${n:-0}" -ge 6 ] && break
    sleep 1
  done
  show bash cluster/ctl.sh cql "$query"
  [ "${n:-0}" -ge 6 ] || { echo "the rows did not arrive within 60 s"; exit 1; }
else
  out=.cluster/orders-sink.txt
  step "9. The records arrive in the sink's target ($out)"
  for _ in $(seq 1 60); do
    grep -q "order-$stamp-6\|linus.*$now" "$out" 2>/dev/null && [ "$(grep -c "$now" "$out")" -ge 6 ] && break
    sleep 1
  done
  show grep -F "$now" "$out"
  [ "$(grep -c "$now" "$out" 2>/dev/null)" -ge 6 ] || { echo "the records did not arrive within 60 s"; exit 1; }
fi

step "10. Plan again: nothing left to do"
show $cs plan "${manifests[@]}" --detailed-exitcode
echo
echo "The cluster is still up: try $cs status ${manifests[*]}, or stop it with make cluster-down."
