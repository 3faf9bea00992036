#!/usr/bin/env bash
# Runs the DataStax end-to-end suite (internal/datastaxe2e) against one release of the
# connector, then puts the cluster back as it was:
#
#   bash scripts/test-datastax.sh SRC VERSION     e.g. ../shared/plugins/datastax-kafka-connector/1.4.0 1.4.0
#
# SRC is anything DATASTAX_CONNECTOR takes (cluster/datastax.sh). cluster/up.sh installs
# it and restarts the workers; afterwards up.sh runs again with the caller's own
# DATASTAX_CONNECTOR (the default when unset), and a cluster this script started is
# stopped. With CONNECTSYNC_UPDATE_DOCS=1 the suite rewrites VERSION's column of the
# table in docs/preflight.md.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: $0 SRC VERSION" >&2; exit 2; }
src=$1 version=$2
state="${CONNECTSYNC_CLUSTER_DIR:-$PWD/.cluster}"

started=0
# Not "ctl.sh status | grep -q": under pipefail, grep -q leaving early can fail
# the pipeline with SIGPIPE, and a running cluster would count as not started.
status=$(bash cluster/ctl.sh status 2>/dev/null)
grep -q '^worker-1 *running' <<<"$status" || started=1
restore() {
  if [ "$started" = 1 ]; then
    bash cluster/down.sh >/dev/null 2>&1 || bash cluster/down.sh
  else
    echo "== restoring the cluster's own DataStax connector"
    bash cluster/up.sh >/dev/null 2>&1 || bash cluster/up.sh
  fi
}
trap restore EXIT

echo "== the DataStax connector $version from $src"
t0=$(date +%s)
DATASTAX_CONNECTOR=$src bash cluster/up.sh || { echo "the cluster did not start with $src" >&2; exit 1; }
DATASTAX_VERSION=$version CONNECTSYNC_CLUSTER="$state" go test -count=1 -p 1 -timeout 20m -v ./internal/datastaxe2e 2>&1 |
  grep -E '^(\s*--- |ok |FAIL|PASS|panic|\s+\S+_test.go:)'
rc=${PIPESTATUS[0]}
echo "== DataStax $version suite: exit $rc after $(($(date +%s) - t0)) s"
exit "$rc"
