# connectsync. `make demo` and `make test` are the two commands a newcomer needs.
.PHONY: build test unit lint cross demo fuzz bench clean test-datastax-1.4.0

GO ?= go

# A static binary (no cgo): nothing here needs C, and a process that does
# not load libc through the dynamic linker starts in 5 ms of CPU instead of
# 9 (perf stat -r 50 bin/connectsync version), which every plan pays.
build:
	CGO_ENABLED=0 $(GO) build -o bin/connectsync ./cmd/connectsync

# Everything CI runs: lint, unit tests, and the integration tests against the
# real local cluster (started here if it is not up, and stopped again after).
test: lint
	bash scripts/test.sh

# The DataStax end-to-end suite against connector 1.4.0 as well (make test runs it too
# when DATASTAX_CONNECTOR_14 exists); the cluster gets its own connector back afterwards.
DATASTAX_CONNECTOR_14 ?= $(abspath ../shared/plugins/datastax-kafka-connector/1.4.0)
test-datastax-1.4.0:
	bash scripts/test-datastax.sh $(DATASTAX_CONNECTOR_14) 1.4.0

# Unit tests only: no cluster needed.
unit:
	$(GO) test -short -count=1 ./...

lint: cross
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The binary builds for every platform a release ships (the apply lock has a
# Windows implementation); vet catches what only one platform's files hold.
PLATFORMS = linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
cross:
	@set -e; for p in $(PLATFORMS); do \
	  echo "== GOOS=$${p%/*} GOARCH=$${p#*/}"; \
	  GOOS=$${p%/*} GOARCH=$${p#*/} CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/connectsync; \
	  GOOS=$${p%/*} GOARCH=$${p#*/} CGO_ENABLED=0 $(GO) vet ./...; \
	done

# Bring up the local cluster and reconcile examples/quickstart.yaml against it.
demo: build
	bash scripts/demo.sh

# Fuzz every fuzz target, one after the other: the manifest loader, plan's
# preview of it, the fast YAML parser against yaml.v3, the sink JSON
# writer, the name and DataStax topic key checks against the code they
# replace, the REST answer decoder, the expand answer decoder against
# encoding/json, a fingerprint's quoting against strconv's, and the metrics
# file's writer against expfmt's (FUZZTIME=5m for a longer run). -short: no
# cluster. Inputs that find new code are not minimised (FUZZMINIMIZE,
# default 0s): a manifest is slow to parse, and minimising the first such
# input took the whole of a short run.
FUZZ_TARGETS = ./manifest:FuzzLoad ./manifest:FuzzPreview ./manifest:FuzzFastParse ./manifest:FuzzSinkJSON ./manifest:FuzzNames ./manifest:FuzzTopicKey ./connect:FuzzDecodeAnswer ./connect:FuzzExpandMatchesUnmarshal ./diff:FuzzAppendQuoteIsStrconv ./diff:FuzzDifferingKeysMatchesCmp ./internal/view:FuzzMetricsMatchExpfmt
# scripts/fuzz.sh runs a target once more when it failed only with Go 1.26's
# "context deadline exceeded" at the end of -fuzztime, with no failing input
# written (golang/go#75804); any other failure fails at once.
fuzz:
	@GO="$(GO)" bash scripts/fuzz.sh $(FUZZ_TARGETS)

# Every performance figure beside its floor, measured in the same run (scripts/bench.sh,
# docs/performance.md), then the cost of plan's record sampling (10 topics x 3
# partitions x 20 records). BENCH_5000=1 adds plan at N=5000 (minutes to set up); RUNS=N.
bench: build
	bash scripts/bench.sh
	bash scripts/bench-sampling.sh

clean:
	rm -rf bin

include cluster/cluster.mk
