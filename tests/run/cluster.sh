#!/usr/bin/env bash
# `make test-cluster`: installs charts/todo-chatbot with the Pulumi program's values on a REAL
# one-node cluster (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, and a node
# of containerd + runc, CNI bridge, kubelet, kube-proxy, CoreDNS and local-path-provisioner)
# running the real images built from backend/Dockerfile and frontend/Dockerfile (on the
# STAND-IN bases) and a PostgreSQL STAND-IN, in a network namespace with no route out. The
# first run builds the node (tests/env/kube-build.sh, ~10 minutes on 2 cores); later runs
# reuse the cached binaries and images. Needs root. JUnit XML into $JUNIT_DIR; exits non-zero
# on any failure. Waits for the node's locks while another run holds them (tests/env/node.sh).
set -euo pipefail
source "$(dirname "$0")/../env/lib.sh"
source "$ROOT/tests/env/node.sh"
JUNIT_DIR=${JUNIT_DIR:-$ROOT/build/test-results/cluster}
mkdir -p "$JUNIT_DIR"

command -v gotestsum >/dev/null || "$ROOT/tests/env/deps.sh"
command -v containerd >/dev/null || die "containerd not found: install the node's packages (sudo tests/env/deps.sh)"

# TestIngressControllerAndPrometheus's Ingress controller, built (once) before the node's lock
# is taken: the build needs no node.
TRAEFIK_BIN=$("$ROOT/tests/env/traefik-build.sh")
export TRAEFIK_BIN
trap node_env_down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
node_env_up

cd "$ROOT/tests"
# The test files carry the build tag "cluster" so `go test ./...` elsewhere never starts a
# cluster by accident; vet them here, since the lint part vets without the tag.
go vet -tags cluster ./cluster/
# standard-verbose, so the timings and the stand-in notices are always printed.
gotestsum --format standard-verbose --junitfile "$JUNIT_DIR/cluster.xml" -- \
  -tags cluster -count=1 -timeout 30m ./cluster/
