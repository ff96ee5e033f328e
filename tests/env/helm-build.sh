#!/usr/bin/env bash
# helm for `make verify`'s `helm test` in the e2e part (users on Minikube usually have it),
# built once from source, cached outside the repository. Prints the directory holding it.
#
# It is a `tool` of the tests module (tests/go.mod), so it is the Helm release the tests' Helm
# SDK pins, built on the module versions the tests and the Pulumi program select (lint holds
# that they agree): its packages are the ones lint and the tests have already compiled, and
# only cmd/helm itself compiles here. Built with `go install helm@version` and Helm's own
# go.mod, it recompiled nearly all of them (a few of its modules are older), ~2 minutes of a
# fresh machine's run. The version is stamped as Helm's Makefile does.
set -euo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT/tests"
version=$(go list -m -f '{{.Version}}' helm.sh/helm/v3)
# Keyed by the module versions too: a changed tests/go.sum may change what helm is built on.
dir=$TODO_CACHE/helm-$version-$(sha256sum go.sum | cut -c1-12)
build_lock "$dir"
if [[ ! -x $dir/helm ]]; then
  log "building helm $version into $dir (once)"
  go build -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" -o "$dir/helm.tmp" helm.sh/helm/v3/cmd/helm >&2
  mv "$dir/helm.tmp" "$dir/helm"
fi
echo "$dir"
