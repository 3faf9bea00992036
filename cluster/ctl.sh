#!/usr/bin/env bash
# Fault handles on one JVM of the running local cluster, for tests and by hand:
#
#   cluster/ctl.sh stop    worker-2   SIGTERM, wait (GRACE, default 20 s), then SIGKILL
#   cluster/ctl.sh kill    worker-2   SIGKILL at once (kill -9)
#   cluster/ctl.sh start   worker-2   start it again on the same properties and wait for
#                                     GET / and GET /connectors (workers only) 
#   cluster/ctl.sh restart worker-2   stop then start
#   cluster/ctl.sh freeze  worker-2   SIGSTOP: the process stays but stops answering,
#                                     like a network partition
#   cluster/ctl.sh thaw    worker-2   SIGCONT
#   cluster/ctl.sh log     worker-2   print its log
#   cluster/ctl.sh pid     worker-2   print its PID (exit 1 if down)
#   cluster/ctl.sh status             one line per component
#   cluster/ctl.sh produce TOPIC      send stdin's lines to TOPIC with Kafka's own
#                                     ConsoleProducer; "key|value" lines carry a key
#   cluster/ctl.sh topic TOPIC N      create TOPIC with N partitions, or grow it to N
#   cluster/ctl.sh cql STATEMENT...   run CQL on the local Cassandra, print SELECT rows
#
# Components: worker-1, worker-2, worker-3, broker, cassandra.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() { die "usage: $0 stop|kill|start|restart|freeze|thaw|log|pid <worker-N|broker|cassandra>, $0 produce TOPIC, $0 topic TOPIC N, $0 cql STATEMENT..., or $0 status"; }
[ $# -ge 1 ] || usage
cmd=$1
name=${2:-}

case $cmd in
status)
	for n in broker cassandra "${WORKERS[@]}"; do
		if p=$(pid_of "$n"); then
			st=$(awk '{print $3}' "/proc/$p/stat")
			[ "$st" = T ] && st="frozen" || st="running"
			printf '%-10s %-8s pid %s\n' "$n" "$st" "$p"
		else
			printf '%-10s %-8s\n' "$n" down
		fi
	done
	exit 0
	;;
produce)
	[ -n "$name" ] || usage
	find_java
	prop=--reader-property
	case $KAFKA_VERSION in 3.*) prop=--property ;; esac
	exec "$JAVA" -Xmx256m -cp "$CLUSTER_SRC/conf:$(lib_dir)/broker/*" \
		-Dlog4j2.configurationFile="$CLUSTER_SRC/conf/log4j2-tools.properties" \
		org.apache.kafka.tools.ConsoleProducer --bootstrap-server "127.0.0.1:$BROKER_PORT" --topic "$name" \
		$prop parse.key=true $prop key.separator='|'
	;;
topic)
	[ -n "$name" ] && [ -n "${3:-}" ] || usage
	find_java
	topics() {
		"$JAVA" -Xmx256m -cp "$CLUSTER_SRC/conf:$(lib_dir)/broker/*" \
			-Dlog4j2.configurationFile="$CLUSTER_SRC/conf/log4j2-tools.properties" \
			org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$BROKER_PORT" "$@"
	}
	# --describe fails for a topic that does not exist yet: that is the answer "none".
	have=$({ topics --describe --topic "$name" 2>/dev/null || true; } | sed -n 's/.*PartitionCount: *\([0-9]*\).*/\1/p' | head -1)
	if [ -z "$have" ]; then
		topics --create --topic "$name" --partitions "$3" --replication-factor 1 >/dev/null
		say "topic $name created with $3 partitions"
	elif [ "$have" -lt "$3" ]; then
		topics --alter --topic "$name" --partitions "$3" >/dev/null
		say "topic $name grown from $have to $3 partitions"
	fi
	exit 0
	;;
cql)
	shift
	[ $# -gt 0 ] || usage
	cd "$REPO"
	exec go run ./cluster/cql -port "$CASSANDRA_PORT" "$@"
	;;
esac

[ -n "$name" ] || usage
case $name in broker | cassandra | worker-[1-3]) ;; *) usage ;; esac

do_start() {
	if alive "$name"; then
		say "$name is already running (pid $(pid_of "$name"))"
	else
		find_java
		start_component "$name"
		say "$name started (pid $(pid_of "$name"))"
	fi
	if [[ $name == worker-* ]]; then
		local deadline=$(($(date +%s) + ${TIMEOUT:-120}))
		until worker_ready "$name"; do
			alive "$name" || { tail_log "$LOGS/$name.log"; die "$name exited while starting"; }
			[ "$(date +%s)" -lt "$deadline" ] || { tail_log "$LOGS/$name.log"; die "$name not ready after ${TIMEOUT:-120}s"; }
			sleep 0.5
		done
		say "$name ready"
	fi
}

case $cmd in
stop)
	if p=$(pid_of "$name"); then stop_pids "$p"; say "$name stopped"; else say "$name is not running"; fi
	;;
kill)
	p=$(pid_of "$name") || die "$name is not running"
	kill -KILL "$p"
	while [ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]; do sleep 0.05; done
	say "$name killed (pid $p)"
	;;
start) do_start ;;
restart)
	if p=$(pid_of "$name"); then stop_pids "$p"; fi
	do_start
	;;
freeze)
	p=$(pid_of "$name") || die "$name is not running"
	kill -STOP "$p"
	say "$name frozen (pid $p)"
	;;
thaw)
	p=$(pid_of "$name") || die "$name is not running"
	kill -CONT "$p"
	say "$name thawed (pid $p)"
	;;
log) cat "$LOGS/$name.log" ;;
pid) pid_of "$name" ;;
*) usage ;;
esac
