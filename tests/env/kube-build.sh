#!/usr/bin/env bash
# Builds the control-plane binaries the cluster test runs: kube-apiserver,
# kube-controller-manager and kube-scheduler from k8s.io/kubernetes, and kwok (simulated
# kubelets), all pinned in tests/kube/go.mod. They go into a cache directory keyed by version,
# outside the repository, and are reused when present, so only the first run pays the
# ~7-10 minute build. Prints the bin directory on stdout.
#
# Usage: tests/env/kube-build.sh            build what is missing, print the bin dir
#        KUBE_BUILD_JOBS=N ...         go build -p N (default 2: the machine is shared)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

KUBE_VERSION=v1.33.0
KWOK_VERSION=v0.7.0
bin=$TODO_CACHE/kube-$KUBE_VERSION-kwok-$KWOK_VERSION/bin
mkdir -p "$bin"

declare -A pkgs=(
  [kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
  [kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
  [kube-scheduler]=k8s.io/kubernetes/cmd/kube-scheduler
  [kwok]=sigs.k8s.io/kwok/cmd/kwok
)

cd "$ROOT/tests/kube"
for name in kube-apiserver kube-controller-manager kube-scheduler kwok; do
  if [[ -x $bin/$name ]]; then
    continue
  fi
  log "building $name (${pkgs[$name]}) into $bin (first run only; several minutes)"
  start=$SECONDS
  # Build to a temporary name and rename, so an interrupted build never leaves a binary
  # that looks complete.
  CGO_ENABLED=0 go build -p "${KUBE_BUILD_JOBS:-2}" -trimpath -ldflags='-s -w' \
    -o "$bin/.$name.tmp" "${pkgs[$name]}"
  mv "$bin/.$name.tmp" "$bin/$name"
  log "built $name in $((SECONDS - start))s"
done
echo "$bin"
