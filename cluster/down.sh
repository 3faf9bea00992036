#!/usr/bin/env bash
# Stop the local cluster: SIGTERM to the workers, then to the broker and Cassandra, and
# SIGKILL to whatever is still running after GRACE seconds (default 20). Every process
# that carries this state dir's marker is stopped, pid file or not, so none is left behind.
# Then the data (Kafka log dirs, Cassandra data, pid files, rendered properties) is
# removed, unless KEEP=1. Logs stay in $STATE/logs for a post-mortem.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ ! -d "$STATE" ]; then
	say "nothing to stop: no state dir $STATE"
	exit 0
fi

# Workers first, while the broker is still there for them to leave the group cleanly:
# the second group's (cluster/second.sh) too, when it runs. Its storage topics share the
# broker's fate below: removed with its data, or kept with KEEP=1.
KEEP_TOPICS=1 bash "$CLUSTER_SRC/second.sh" down
pids=()
for w in "${WORKERS[@]}"; do p=$(pid_of "$w") && pids+=("$p"); done
[ ${#pids[@]} -eq 0 ] || say "stopping workers (pids ${pids[*]})"
stop_pids "${pids[@]}"

pids=()
for n in broker cassandra; do p=$(pid_of "$n") && pids+=("$p"); done
[ ${#pids[@]} -eq 0 ] || say "stopping broker and cassandra (pids ${pids[*]})"
stop_pids "${pids[@]}"

mapfile -t stray < <(pids_of_state)
if [ ${#stray[@]} -gt 0 ]; then
	say "stopping leftover processes of $STATE (pids ${stray[*]})"
	stop_pids "${stray[@]}"
fi
mapfile -t stray < <(pids_of_state)
[ ${#stray[@]} -eq 0 ] || die "processes still running: ${stray[*]}"

rm -f "$PIDS"/*.pid
if [ "${KEEP:-0}" = 1 ]; then
	say "stopped; data kept in $STATE/data (KEEP=1)"
else
	rm -rf "$DATA" "$RENDER" "$STATE/conf" "$STATE/connectsync"
	say "stopped; data removed (logs kept in $LOGS)"
fi
