#!/usr/bin/env bash
# Start the local cluster of examples/quickstart.yaml: one KRaft broker, one Cassandra
# node and three distributed Connect workers, from Maven Central jars (cluster/pom.xml).
# Running it again while the cluster is up is harmless: it starts only what is down.
#
#   cluster/up.sh                       state in $REPO/.cluster
#   CONNECTSYNC_CLUSTER_DIR=/x up.sh    state elsewhere
#   KAFKA_VERSION=3.9.1 up.sh           another Kafka (default 4.3.1, see README.md)
#   TIMEOUT=240 up.sh                   seconds to wait for each part to be ready
#   SECOND=1 up.sh                      also start the second Connect group (second.sh)
#
# On failure it prints the tail of the failing log, stops what this run started and
# exits non-zero (KEEP_ON_FAILURE=1 leaves them running for a look).
set -euo pipefail
. "$(dirname "$0")/common.sh"

TIMEOUT=${TIMEOUT:-180}
T0=$(date +%s%N)
elapsed() {
	local d=$((($(date +%s%N) - T0) / 100000000))
	echo "$((d / 10)).$((d % 10))"
}

command -v curl >/dev/null || die "curl is missing (apt-get install -y curl)"
command -v setsid >/dev/null || die "setsid is missing (apt-get install -y util-linux)"
find_java
mkdir -p "$LOGS" "$PIDS" "$DATA" "$STATE/conf" "$PLUGINS"

# --- 1. classpaths from Maven Central ---------------------------------------------------
LIB=$(lib_dir)
stamp=$(cat "$CLUSTER_SRC"/pom.xml "$CLUSTER_SRC"/*/pom.xml | sha256sum | cut -c1-16)
if [ "$(cat "$LIB/.stamp" 2>/dev/null)" != "$stamp" ]; then
	command -v mvn >/dev/null || die "Maven is missing (apt-get install -y maven)"
	say "resolving Kafka $KAFKA_VERSION and Cassandra $CASSANDRA_VERSION classpaths into $LIB (Maven)"
	profile=()
	case $KAFKA_VERSION in 3.*) profile=(-Pkafka3) ;; esac
	rm -rf "$LIB"
	if ! JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$JAVA")")") mvn -B -q -f "$CLUSTER_SRC/pom.xml" \
		"${profile[@]}" ${MAVEN_ARGS_EXTRA:-} dependency:copy-dependencies \
		-Dkafka.version="$KAFKA_VERSION" -Dcassandra.version="$CASSANDRA_VERSION" -Dlib.dir="$LIB" >&2; then
		rm -rf "$LIB"
		die "Maven could not gather the classpaths (see above)"
	fi
	echo "$stamp" >"$LIB/.stamp"
	say "classpaths ready after $(elapsed)s"
fi

# --- 1b. the DataStax connector, under the workers' plugin.path --------------------------
# Workers scan plugin.path only when they start: running workers are restarted when the
# plugin changed (DATASTAX_CONNECTOR pointing elsewhere).
plugin=$(bash "$CLUSTER_SRC/datastax.sh") || die "installing the DataStax connector failed (see above)"
if [ "$plugin" = changed ]; then
	running=()
	for w in "${WORKERS[@]}"; do p=$(pid_of "$w") && running+=("$p"); done
	if [ ${#running[@]} -gt 0 ]; then
		say "the DataStax plugin changed: restarting the running workers"
		stop_pids "${running[@]}"
	fi
fi
if [ -d "$PLUGINS/datastax-kafka-connector" ]; then
	say "DataStax connector: $(sed -n 's/^source: //p' "$PLUGINS/datastax-kafka-connector/.source")"
else
	say "DataStax connector: not installed (set DATASTAX_CONNECTOR, cluster/README.md); the workers run FileStreamSink only"
fi

# --- 2. the workers' properties, rendered by connectsync --------------------------------
render() {
	command -v go >/dev/null || die "Go is missing: it builds connectsync, which renders the workers' properties"
	rm -rf "$RENDER"
	mkdir -p "$RENDER"
	say "rendering worker properties: connectsync render -f examples/quickstart.yaml -o $RENDER"
	(cd "$REPO" && CGO_ENABLED=0 go build -o "$STATE/connectsync" ./cmd/connectsync) >&2 ||
		die "building cmd/connectsync failed"
	(cd "$REPO" && "$STATE/connectsync" render -f examples/quickstart.yaml -o "$RENDER") >&2 ||
		die "connectsync render failed"
	local w
	for w in "${WORKERS[@]}"; do
		[ -f "$(worker_props "$w")" ] || die "connectsync render did not write $(worker_props "$w")"
	done
}

# --- 3. start what is down ----------------------------------------------------------------
STARTED=()
on_exit() {
	local rc=$?
	if [ $rc -ne 0 ] && [ ${#STARTED[@]} -gt 0 ] && [ "${KEEP_ON_FAILURE:-0}" != 1 ]; then
		say "start failed: stopping what this run started (${STARTED[*]})"
		local pids=() n p
		for n in "${STARTED[@]}"; do p=$(pid_of "$n") && pids+=("$p"); done
		GRACE=5 stop_pids "${pids[@]}"
		for n in "${STARTED[@]}"; do rm -f "$PIDS/$n.pid"; done
	fi
	exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT TERM

need=()
for n in broker cassandra "${WORKERS[@]}"; do alive "$n" || need+=("$n"); done
if [ ${#need[@]} -eq 0 ]; then
	say "already up"
else
	say "starting: ${need[*]}"
fi

want() { [[ " ${need[*]} " == *" $1 "* ]]; }

# The ports are fixed (examples/quickstart.yaml names them), so only one cluster can run
# on a machine: fail fast when a part to start would find its port taken.
declare -A PORTS=([broker]="$BROKER_PORT $CONTROLLER_PORT" [cassandra]="$CASSANDRA_PORT $CASSANDRA_STORAGE_PORT $CASSANDRA_JMX_PORT")
for w in "${WORKERS[@]}"; do PORTS[$w]=${WORKER_PORT[$w]}; done
for n in "${need[@]}"; do
	for port in ${PORTS[$n]}; do
		port_open "$port" && die "$n can't start: 127.0.0.1:$port is already taken (another connectsync cluster with another state dir, or another program)"
	done
done

# wait_for NAME DESCRIPTION CHECK...: poll CHECK until it passes, the process dies or TIMEOUT.
wait_for() {
	local name=$1 what=$2 deadline
	shift 2
	deadline=$(($(date +%s) + TIMEOUT))
	until "$@"; do
		if ! alive "$name"; then
			tail_log "$LOGS/$name.log" 60
			die "$name exited before $what (log: $LOGS/$name.log)"
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			tail_log "$LOGS/$name.log" 60
			die "$name: no $what after ${TIMEOUT}s (log: $LOGS/$name.log)"
		fi
		sleep 0.5
	done
}

if want broker; then
	cat >"$STATE/conf/server.properties" <<-PROPS
		# Single combined broker+controller in KRaft mode, written by cluster/up.sh.
		process.roles=broker,controller
		node.id=1
		listeners=PLAINTEXT://127.0.0.1:$BROKER_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
		advertised.listeners=PLAINTEXT://127.0.0.1:$BROKER_PORT
		controller.listener.names=CONTROLLER
		inter.broker.listener.name=PLAINTEXT
		listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
		log.dirs=$DATA/kafka
		num.partitions=1
		default.replication.factor=1
		offsets.topic.replication.factor=1
		offsets.topic.num.partitions=5
		transaction.state.log.replication.factor=1
		transaction.state.log.min.isr=1
		share.coordinator.state.topic.replication.factor=1
		share.coordinator.state.topic.min.isr=1
		group.initial.rebalance.delay.ms=0
		auto.create.topics.enable=true
	PROPS
	case $KAFKA_VERSION in
	3.[0-8].*) echo "controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT" >>"$STATE/conf/server.properties"; standalone=() ;;
	*) echo "controller.quorum.bootstrap.servers=127.0.0.1:$CONTROLLER_PORT" >>"$STATE/conf/server.properties"; standalone=(--standalone) ;;
	esac
	if [ ! -f "$DATA/kafka/meta.properties" ]; then
		# shellcheck disable=SC2046
		uuid=$("$JAVA" $(kafka_log_opts) -cp "$LIB/broker/*" kafka.tools.StorageTool random-uuid 2>>"$LOGS/broker.log" | tail -1)
		"$JAVA" $(kafka_log_opts) -cp "$LIB/broker/*" kafka.tools.StorageTool format -t "$uuid" \
			-c "$STATE/conf/server.properties" "${standalone[@]}" >>"$LOGS/broker.log" 2>&1 ||
			{ tail_log "$LOGS/broker.log"; die "formatting the KRaft storage failed"; }
	fi
	start_broker
	STARTED+=(broker)
fi

if want cassandra; then
	sed "s|@STATE@|$STATE|g" "$CLUSTER_SRC/conf/cassandra.yaml.in" >"$STATE/conf/cassandra.yaml"
	mkdir -p "$DATA/cassandra/triggers"
	start_cassandra
	STARTED+=(cassandra)
fi

if [ ${#need[@]} -gt 0 ]; then
	# Render while the JVMs boot: it costs a Go build.
	if [ -n "$(for w in "${WORKERS[@]}"; do want "$w" && echo "$w"; done)" ]; then render; fi
	wait_for broker "broker listening on 127.0.0.1:$BROKER_PORT" port_open $BROKER_PORT
	wait_for broker '"Kafka Server started" in its log' grep -q 'Kafka Server started' "$LOGS/broker.log"
	say "broker ready after $(elapsed)s"
	for w in "${WORKERS[@]}"; do
		if want "$w"; then
			start_worker "$w"
			STARTED+=("$w")
		fi
	done
	for w in "${WORKERS[@]}"; do
		wait_for "$w" "answer 200 on GET / and GET /connectors" worker_ready "$w"
		say "$w ready after $(elapsed)s"
	done
	wait_for cassandra "CQL listener on 127.0.0.1:$CASSANDRA_PORT" port_open $CASSANDRA_PORT
	wait_for cassandra '"Startup complete" in its log' grep -q 'Startup complete' "$LOGS/cassandra.log"
	say "cassandra ready after $(elapsed)s"
fi
STARTED=()

# --- 3b. the second Connect group, on demand (cluster/second.sh) -------------------------
if [ "${SECOND:-0}" = 1 ]; then bash "$CLUSTER_SRC/second.sh" up; fi

# --- 4. where things are --------------------------------------------------------------
{
	echo "connectsync local cluster up ($(elapsed)s), Kafka $KAFKA_VERSION, Cassandra $CASSANDRA_VERSION"
	echo "  state:     $STATE"
	printf '  %-10s %-32s pid %-8s log %s\n' broker "127.0.0.1:$BROKER_PORT" "$(pid_of broker)" "$LOGS/broker.log"
	printf '  %-10s %-32s pid %-8s log %s\n' cassandra "127.0.0.1:$CASSANDRA_PORT (CQL)" "$(pid_of cassandra)" "$LOGS/cassandra.log"
	for w in "${WORKERS[@]}"; do
		printf '  %-10s %-32s pid %-8s log %s\n' "$w" "http://127.0.0.1:${WORKER_PORT[$w]}" "$(pid_of "$w")" "$LOGS/$w.log"
	done
	echo "  export CONNECTSYNC_CLUSTER=$STATE"
} >&2
