# Minimal top-level Makefile written for the local cluster (issue 3); to be merged with
# the project's own targets.
include cluster/cluster.mk
