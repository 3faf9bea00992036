# Shared by cluster/up.sh, down.sh and ctl.sh: paths, ports, and how to start, find and
# stop one JVM of the local cluster. Sourced, not run.
# shellcheck shell=bash

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLUSTER_SRC=$REPO/cluster
STATE=${CONNECTSYNC_CLUSTER_DIR:-$REPO/.cluster}
case $STATE in /*) ;; *) STATE=$PWD/$STATE ;; esac

KAFKA_VERSION=${KAFKA_VERSION:-4.3.1}
CASSANDRA_VERSION=${CASSANDRA_VERSION:-5.0.9}

# Ports: keep in step with examples/quickstart.yaml and internal/testcluster.
BROKER_PORT=39092
CONTROLLER_PORT=39093
CASSANDRA_PORT=39042
CASSANDRA_STORAGE_PORT=37000
CASSANDRA_JMX_PORT=37199
WORKERS=(worker-1 worker-2 worker-3)
declare -A WORKER_PORT=([worker-1]=38083 [worker-2]=38084 [worker-3]=38085)

# Grace period between SIGTERM and SIGKILL, seconds.
GRACE=${GRACE:-20}

LOGS=$STATE/logs
PIDS=$STATE/pids
DATA=$STATE/data
RENDER=$STATE/render
# The workers' plugin.path: examples/quickstart.yaml names the relative .cluster/plugins, and
# the workers start in the repository root.
# CONNECTSYNC_PLUGINS_DIR moves it (for cluster/datastax.sh's own tests).
PLUGINS=${CONNECTSYNC_PLUGINS_DIR:-$REPO/.cluster/plugins}

# default_datastax_connector prints where the DataStax connector comes from when
# DATASTAX_CONNECTOR is unset: the 1.5.0 release folder that sits next to the repository on
# the project's own machines and in CI (cluster/README.md), or nothing.
default_datastax_connector() {
	local d
	d=$(cd "$REPO/.." && pwd)/shared/plugins/datastax-kafka-connector/1.5.0
	[ -d "$d" ] && echo "$d"
	return 0
}

say() { printf '[cluster] %s\n' "$*" >&2; }
die() {
	printf '[cluster] ERROR: %s\n' "$*" >&2
	exit 1
}

# find_java sets JAVA to a Java 17 binary: Cassandra 5.0 runs on 11 and 17 only, and
# Kafka 4.x needs 17, so one Java 17 serves every JVM of the cluster.
find_java() {
	local c
	for c in "${CONNECTSYNC_JAVA:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" \
		/usr/lib/jvm/java-17-openjdk-amd64/bin/java /usr/lib/jvm/java-17-openjdk-arm64/bin/java \
		/usr/lib/jvm/temurin-17*/bin/java "$(command -v java 2>/dev/null || true)"; do
		[ -n "$c" ] && [ -x "$c" ] || continue
		if "$c" -version 2>&1 | head -1 | grep -q '"17\.'; then
			JAVA=$c
			return 0
		fi
	done
	die "no Java 17 found (tried CONNECTSYNC_JAVA, JAVA_HOME, /usr/lib/jvm/java-17-*, PATH); install it with: apt-get install -y openjdk-17-jdk-headless"
}

lib_dir() { echo "$CLUSTER_SRC/lib/kafka-$KAFKA_VERSION-cassandra-$CASSANDRA_VERSION"; }

# The marker every JVM of this cluster carries on its command line: it tells our
# processes from any other, and from a reused PID.
marker() { echo "-Dconnectsync.cluster=$STATE/$1"; }

# pid_of NAME prints the PID of a live process of component NAME, or fails.
pid_of() {
	local f=$PIDS/$1.pid pid
	[ -f "$f" ] || return 1
	pid=$(cat "$f" 2>/dev/null) || return 1
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
	{ tr '\0' '\n' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qxF -- "$(marker "$1")" || return 1
	# A zombie is not alive.
	[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
	echo "$pid"
}

alive() { pid_of "$1" >/dev/null; }

# pids_of_state prints the PIDs of every process that carries this state dir's marker,
# whether or not a pid file still names it (so down.sh leaves no orphan behind).
pids_of_state() {
	local d pid
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		{ tr '\0' '\n' <"$d/cmdline"; } 2>/dev/null | grep -q -- "^-Dconnectsync.cluster=$STATE/" && echo "$pid"
	done
	return 0
}

# launch NAME LOGFILE CMD...: start CMD detached (own session, stdio to the log, cwd = repo
# root) and record its PID. The PID written is the JVM's own, as bash execs into it.
launch() {
	local name=$1 log=$2
	shift 2
	mkdir -p "$PIDS" "$(dirname "$log")"
	printf '\n===== connectsync cluster: starting %s at %s =====\n' "$name" "$(date -Is)" >>"$log"
	rm -f "$PIDS/$name.pid"
	(
		cd "$REPO"
		exec setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDS/$name.pid" "$@" </dev/null >>"$log" 2>&1
	) &
	local i
	for i in $(seq 50); do
		[ -s "$PIDS/$name.pid" ] && break
		sleep 0.1
	done
	[ -s "$PIDS/$name.pid" ] || die "$name did not start (see $log)"
}

# stop_pids SIGNAL-GRACE PID...: SIGTERM, wait up to GRACE seconds, then SIGKILL.
stop_pids() {
	local pids=("$@") left i p
	[ ${#pids[@]} -gt 0 ] || return 0
	kill -TERM "${pids[@]}" 2>/dev/null || true
	# A frozen (SIGSTOPped) JVM can't act on SIGTERM until it runs again.
	kill -CONT "${pids[@]}" 2>/dev/null || true
	for i in $(seq $((GRACE * 10))); do
		left=()
		for p in "${pids[@]}"; do
			if [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; then
				left+=("$p")
			fi
		done
		[ ${#left[@]} -eq 0 ] && return 0
		sleep 0.1
	done
	say "still running after ${GRACE}s, sending SIGKILL: ${left[*]}"
	kill -KILL "${left[@]}" 2>/dev/null || true
	for i in $(seq 50); do
		left=()
		for p in "${pids[@]}"; do [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && left+=("$p"); done
		[ ${#left[@]} -eq 0 ] && return 0
		sleep 0.1
	done
	return 0
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" 2>/dev/null || true; }

worker_ready() {
	local url=http://127.0.0.1:${WORKER_PORT[$1]}
	[ "$(http_code "$url/")" = 200 ] && [ "$(http_code "$url/connectors")" = 200 ]
}

tail_log() {
	say "last lines of $1:"
	tail -n "${2:-40}" "$1" >&2 2>/dev/null || true
}

# --- per-component start -------------------------------------------------------------

worker_props() { echo "$RENDER/local/workers/$1/connect-distributed.properties"; }

kafka_log_opts() {
	case $KAFKA_VERSION in
	3.*) echo "-Dlog4j.configuration=file:$CLUSTER_SRC/conf/log4j.properties" ;;
	*) echo "-Dlog4j2.configurationFile=$CLUSTER_SRC/conf/log4j2.properties" ;;
	esac
}

start_worker() {
	local name=$1 lib
	lib=$(lib_dir)
	[ -f "$(worker_props "$name")" ] || die "no rendered properties for $name at $(worker_props "$name"); run cluster/up.sh"
	# shellcheck disable=SC2046
	launch "$name" "$LOGS/$name.log" "$JAVA" "$(marker "$name")" \
		-Xms128m -Xmx448m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:TieredStopAtLevel=1 \
		-Djava.awt.headless=true $(kafka_log_opts) \
		-cp "$lib/connect/*" org.apache.kafka.connect.cli.ConnectDistributed "$(worker_props "$name")"
}

start_broker() {
	local lib
	lib=$(lib_dir)
	# shellcheck disable=SC2046
	launch broker "$LOGS/broker.log" "$JAVA" "$(marker broker)" \
		-Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:TieredStopAtLevel=1 \
		-Djava.awt.headless=true $(kafka_log_opts) \
		-cp "$lib/broker/*" kafka.Kafka "$STATE/conf/server.properties"
}

cassandra_jvm_opts() {
	# From Cassandra's conf/jvm-server.options and conf/jvm17-server.options (5.0).
	cat <<-OPTS
		-Xms1g
		-Xmx1g
		-Xss256k
		-XX:+UseG1GC
		-XX:+ParallelRefProcEnabled
		-XX:MaxTenuringThreshold=1
		-XX:G1HeapRegionSize=16m
		-XX:G1RSetUpdatingPauseTimePercent=5
		-XX:MaxGCPauseMillis=300
		-XX:InitiatingHeapOccupancyPercent=70
		-XX:+HeapDumpOnOutOfMemoryError
		-XX:+ExitOnOutOfMemoryError
		-XX:HeapDumpPath=$DATA/cassandra
		-XX:+PerfDisableSharedMem
		-Djava.net.preferIPv4Stack=true
		-Djdk.attach.allowAttachSelf=true
		--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
		--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
		--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
		--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED
		--add-exports=java.sql/java.sql=ALL-UNNAMED
		--add-exports=java.base/java.lang.ref=ALL-UNNAMED
		--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED
		--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
		--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED
		--add-opens=java.base/java.lang.module=ALL-UNNAMED
		--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED
		--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
		--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED
		--add-opens=java.base/jdk.internal.math=ALL-UNNAMED
		--add-opens=java.base/jdk.internal.module=ALL-UNNAMED
		--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED
		--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED
		--add-opens=java.base/sun.nio.ch=ALL-UNNAMED
		--add-opens=java.base/java.io=ALL-UNNAMED
		--add-opens=java.base/java.lang.reflect=ALL-UNNAMED
		--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
		--add-opens=java.base/java.lang=ALL-UNNAMED
		--add-opens=java.base/java.util=ALL-UNNAMED
		-Dio.netty.tryReflectionSetAccessible=true
		-Dio.netty.allocator.useCacheForAllThreads=true
		-Dio.netty.allocator.maxOrder=11
	OPTS
}

start_cassandra() {
	local lib jamm
	lib=$(lib_dir)
	jamm=$(ls "$lib"/cassandra/jamm-*.jar 2>/dev/null | head -1)
	local opts
	mapfile -t opts < <(cassandra_jvm_opts)
	launch cassandra "$LOGS/cassandra.log" "$JAVA" "$(marker cassandra)" "${opts[@]}" \
		${jamm:+-javaagent:$jamm} \
		-Dcassandra.config="file://$STATE/conf/cassandra.yaml" \
		-Dlogback.configurationFile="$CLUSTER_SRC/conf/logback.xml" \
		-Dcassandra.logdir="$LOGS" \
		-Dcassandra.storagedir="$DATA/cassandra" \
		-Dcassandra.triggers_dir="$DATA/cassandra/triggers" \
		-Dcassandra-foreground=yes \
		-Dcassandra.jmx.local.port=$CASSANDRA_JMX_PORT \
		-Dcassandra.skip_wait_for_gossip_to_settle=0 \
		-Dcassandra.ring_delay_ms=1000 \
		-Dcassandra.superuser_setup_delay_ms=0 \
		-Dcassandra.initial_token=0 \
		-cp "$CLUSTER_SRC/conf:$lib/cassandra/*" org.apache.cassandra.service.CassandraDaemon
}

start_component() {
	case $1 in
	broker) start_broker ;;
	cassandra) start_cassandra ;;
	worker-[1-3]) start_worker "$1" ;;
	*) die "unknown component $1 (broker, cassandra, worker-1..3)" ;;
	esac
}
