# connectsync. `make demo` and `make test` are the two commands a newcomer needs.
.PHONY: build test unit lint demo fuzz bench clean test-datastax-1.4.0

GO ?= go

build:
	$(GO) build -o bin/connectsync ./cmd/connectsync

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

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Bring up the local cluster and reconcile examples/quickstart.yaml against it.
demo: build
	bash scripts/demo.sh

# Fuzz every fuzz target, one after the other: the manifest loader and the
# REST answer decoder (FUZZTIME=5m for a longer run). -short: no cluster.
FUZZ_TARGETS = ./manifest:FuzzLoad ./connect:FuzzDecodeAnswer
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "== fuzz $${t#*:} ($${t%%:*}) for $${FUZZTIME:-1m}"; \
	  $(GO) test -short $${t%%:*} -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $${FUZZTIME:-1m}; \
	done

# Every performance figure beside its floor, measured in the same run (scripts/bench.sh,
# docs/performance.md). BENCH_5000=1 adds plan at N=5000 (minutes to set up); RUNS=N.
bench: build
	bash scripts/bench.sh

clean:
	rm -rf bin

include cluster/cluster.mk
