#!/usr/bin/env bash
# helm for `make verify`'s `helm test` in the e2e part (users on Minikube usually have it),
# built once from the module proxy at the version the tests' Helm SDK pins, cached by version
# outside the repository. Prints the directory holding the binary.
set -euo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/lib.sh"
HELM_VERSION=v3.22.0
dir=$TODO_CACHE/helm-$HELM_VERSION
build_lock "$dir"
if [[ ! -x $dir/helm ]]; then
  log "building helm $HELM_VERSION into $dir (once)"
  GOBIN=$dir go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
fi
echo "$dir"
