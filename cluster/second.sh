#!/usr/bin/env bash
# The second, smaller Connect group (cluster/second.yaml) on the local cluster's broker,
# on demand: its own group.id (connectsync-second), storage topics and ports (38183,
# 38184), and its own state under $STATE/second. Off by default; for benchmarks of more
# than one cluster, and for large connector counts that should not slow the main group.
#
#   cluster/second.sh up        start it (the broker must be up: cluster/up.sh, or
#                               SECOND=1 cluster/up.sh, which runs this after)
#   cluster/second.sh down      stop it and remove its state, storage topics included
#                               (down.sh runs this too; KEEP_TOPICS=1 keeps them)
#   cluster/second.sh status    one line per worker
#   SECOND_WORKERS=2 ...up      two workers instead of one
set -euo pipefail
. "$(dirname "$0")/common.sh"

SECOND=$STATE/second
LOGS=$SECOND/logs
PIDS=$SECOND/pids
N=${SECOND_WORKERS:-1}
case $N in 1 | 2) ;; *) die "SECOND_WORKERS must be 1 or 2" ;; esac
NAMES=(second-1 second-2)
declare -A PORT=([second-1]=38183 [second-2]=38184)
TIMEOUT=${TIMEOUT:-180}

ready() { [ "$(http_code "http://127.0.0.1:${PORT[$1]}/")" = 200 ] && [ "$(http_code "http://127.0.0.1:${PORT[$1]}/connectors")" = 200 ]; }

up() {
	find_java
	local lib
	lib=$(lib_dir)
	[ -d "$lib/connect" ] || die "no Connect classpath at $lib: run cluster/up.sh first"
	port_open "$BROKER_PORT" || die "no broker on 127.0.0.1:$BROKER_PORT: run cluster/up.sh first"
	mkdir -p "$LOGS" "$PIDS"
	local need=() w
	for w in "${NAMES[@]:0:N}"; do alive "$w" || need+=("$w"); done
	if [ ${#need[@]} -eq 0 ]; then
		say "second group already up"
		return 0
	fi
	for w in "${need[@]}"; do
		port_open "${PORT[$w]}" && die "$w can't start: 127.0.0.1:${PORT[$w]} is already taken"
	done
	rm -rf "$SECOND/render"
	(cd "$REPO" && CGO_ENABLED=0 go build -o "$SECOND/connectsync" ./cmd/connectsync) >&2 || die "building cmd/connectsync failed"
	(cd "$REPO" && "$SECOND/connectsync" render -f cluster/second.yaml -o "$SECOND/render") >/dev/null ||
		die "connectsync render -f cluster/second.yaml failed"
	for w in "${need[@]}"; do
		# shellcheck disable=SC2046
		launch "$w" "$LOGS/$w.log" "$JAVA" "$(marker "$w")" \
			-Xms128m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:TieredStopAtLevel=1 \
			-Djava.awt.headless=true $(kafka_log_opts) \
			-cp "$lib/connect/*" org.apache.kafka.connect.cli.ConnectDistributed \
			"$SECOND/render/second/workers/$w/connect-distributed.properties"
	done
	local deadline=$(($(date +%s) + TIMEOUT))
	for w in "${need[@]}"; do
		until ready "$w"; do
			alive "$w" || { tail_log "$LOGS/$w.log" 60; die "$w exited before it answered"; }
			[ "$(date +%s)" -lt "$deadline" ] || { tail_log "$LOGS/$w.log" 60; die "$w: no answer after ${TIMEOUT}s"; }
			sleep 0.5
		done
		say "$w ready: http://127.0.0.1:${PORT[$w]} (log $LOGS/$w.log)"
	done
}

down() {
	local pids=() w p
	for w in "${NAMES[@]}"; do p=$(pid_of "$w") && pids+=("$p"); done
	[ ${#pids[@]} -eq 0 ] || say "stopping the second group (pids ${pids[*]})"
	stop_pids "${pids[@]}"
	rm -rf "$PIDS" "$SECOND/render" "$SECOND/connectsync"
	[ "${KEEP_TOPICS:-0}" = 1 ] || drop_topics
}

# drop_topics deletes the group's storage topics, when the broker answers. They are its
# state too: a worker started on them again replays every connector ever created, and
# Kafka's config store keeps entries for deleted connectors, which it copies for every
# connector of an expand=info read. After `make bench` with BENCH_5000=1 (5000 connectors
# created, then deleted) the second group's expand read of 500 took 49-63 ms against 27
# before, restarts included; on fresh topics, 32 ms.
drop_topics() {
	port_open "$BROKER_PORT" || return 0
	find_java
	"$JAVA" -Xmx256m -cp "$CLUSTER_SRC/conf:$(lib_dir)/broker/*" \
		-Dlog4j2.configurationFile="$CLUSTER_SRC/conf/log4j2-tools.properties" \
		org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$BROKER_PORT" \
		--delete --if-exists --topic 'connectsync-second-(configs|offsets|status)' >/dev/null ||
		{ say "could not delete the second group's storage topics"; return 0; }
	say "deleted the second group's storage topics"
}

status() {
	local w p
	for w in "${NAMES[@]}"; do
		if p=$(pid_of "$w"); then printf '%-10s running  pid %s\n' "$w" "$p"; else printf '%-10s down\n' "$w"; fi
	done
}

case ${1:-} in
up) up ;;
down) down ;;
status) status ;;
*) die "usage: $0 up|down|status" ;;
esac
