#!/usr/bin/env bash
# `make test-cluster`: installs charts/todo-chatbot with the Pulumi program's values on a
# real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler) whose kubelets are SIMULATED by kwok: pods are scheduled, admitted and
# reconciled for real, but no container runs. The first run builds the control plane
# (tests/env/kube-build.sh, ~10 minutes on 2 cores); later runs reuse the cached binaries.
# Writes JUnit XML into $JUNIT_DIR; exits non-zero on any failure.
set -euo pipefail
source "$(dirname "$0")/../env/lib.sh"
JUNIT_DIR=${JUNIT_DIR:-$ROOT/build/test-results/cluster}
mkdir -p "$JUNIT_DIR"

command -v gotestsum >/dev/null || "$ROOT/tests/env/deps.sh"
command -v etcd >/dev/null || die "etcd not found: install Debian's etcd-server package (sudo tests/env/deps.sh)"

start=$SECONDS
KUBE_BIN_DIR=$("$ROOT/tests/env/kube-build.sh")
export KUBE_BIN_DIR
log "control-plane binaries ready in $((SECONDS - start))s ($KUBE_BIN_DIR)"

cd "$ROOT/tests"
# The test files carry the build tag "cluster" so `go test ./...` elsewhere never starts a
# control plane by accident; vet them here, since the lint part vets without the tag.
go vet -tags cluster ./cluster/
# standard-verbose, so the timings and the "simulated kubelets" notice are always printed.
gotestsum --format standard-verbose --junitfile "$JUNIT_DIR/cluster.xml" -- \
  -tags cluster -count=1 -timeout 20m ./cluster/
