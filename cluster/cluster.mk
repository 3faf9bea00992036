# The local cluster (cluster/README.md). Included by the top-level Makefile.
.PHONY: cluster-up cluster-down cluster-status

# Start the broker, Cassandra and the three workers of examples/quickstart.yaml; harmless
# when they are already up.
cluster-up:
	bash cluster/up.sh

# Stop everything and remove the data (KEEP=1 keeps it).
cluster-down:
	bash cluster/down.sh

cluster-status:
	bash cluster/ctl.sh status
