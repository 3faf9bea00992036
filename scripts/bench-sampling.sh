#!/usr/bin/env bash
# The cost of plan's record sampling (preflight.sampleRecords, docs/preflight.md):
# the newest 20 records of 3 partitions of 10 topics, read from the local cluster's
# broker with a new client each time, as plan does. Needs the local cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
export CONNECTSYNC_CLUSTER="${CONNECTSYNC_CLUSTER:-$PWD/.cluster}"
echo "== sampling: 10 topics x 3 partitions x 20 records"
go test ./kafka -run '^$' -bench '^BenchmarkLatest10x3x20$' -benchtime 10x -count 1 | grep -E '^Benchmark|^ok|FAIL'
