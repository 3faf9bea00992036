#!/usr/bin/env bash
# Fuzzes each target given as PKG:FuzzName, one after the other, for FUZZTIME (1m by
# default) each (make fuzz). Exits 1 if any target fails.
#
# Go 1.26's fuzzing coordinator can fail a target that found nothing: when the
# -fuzztime deadline fires while a worker is still stopping, it reports "context
# deadline exceeded" as the target's failure (golang/go#75804, fixed in Go 1.27). A
# real finding always writes its input under testdata/fuzz and says "Failing input
# written to". A failure with the first and without the second is that race: the
# target is run once more, and only a second failure counts. Anything else fails at
# once.
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
rc=0
for t in "$@"; do
	pkg=${t%%:*} name=${t#*:}
	for try in 1 2; do
		echo "== fuzz $name ($pkg) for ${FUZZTIME:-1m}"
		out=$(mktemp)
		"$GO" test -short "$pkg" -run '^$' -fuzz "^$name\$" -fuzztime "${FUZZTIME:-1m}" \
			-fuzzminimizetime "${FUZZMINIMIZE:-0s}" 2>&1 | tee "$out"
		status=${PIPESTATUS[0]}
		race=0
		if [ "$status" != 0 ] && grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written to' "$out"; then
			race=1
		fi
		rm -f "$out"
		if [ "$status" = 0 ]; then
			break
		fi
		if [ "$race" = 1 ] && [ "$try" = 1 ]; then
			echo "== fuzz $name: \"context deadline exceeded\" with no failing input written: Go's fuzzing deadline race (golang/go#75804); once more"
			continue
		fi
		rc=1
		break
	done
done
exit $rc
