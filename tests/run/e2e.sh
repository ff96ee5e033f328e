#!/usr/bin/env bash
# `make test-e2e`: the user's commands end to end (tests/e2e): the REAL Pulumi CLI (built
# from source, tests/env/pulumi-cli.sh) with the REAL Go language host and kubernetes/docker
# providers from ../shared/plugins (installed into a test-local PULUMI_HOME), a local state
# backend and a passphrase, against the test cluster of tests/cluster and a Docker engine
# whose images are built on STAND-IN bases. `make verify` runs inside it.
# Without the plugins the part is SKIPPED LOUDLY (the summary lists the reason).
# Writes JUnit XML into $JUNIT_DIR; exits non-zero on any failure.
set -euo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/../env/lib.sh"
JUNIT_DIR=${JUNIT_DIR:-$ROOT/build/test-results/e2e}
mkdir -p "$JUNIT_DIR"
command -v gotestsum >/dev/null || "$ROOT/tests/env/deps.sh"

run_tests() {
  cd "$ROOT/tests"
  # The files carry the build tag "e2e" so `go test ./...` elsewhere never deploys anything;
  # vet them here, since the lint part vets without the tag.
  go vet -tags "${E2E_TAGS:-e2e}" ./e2e/
  gotestsum --format standard-verbose --junitfile "$JUNIT_DIR/e2e.xml" -- \
    -tags "${E2E_TAGS:-e2e}" -count=1 -timeout 40m "$@" ./e2e/
}

export TODO_PLUGINS_DIR=${TODO_PLUGINS_DIR:-$ROOT/../shared/plugins}
if ! compgen -G "$TODO_PLUGINS_DIR/pulumi-*.xz" >/dev/null; then
  log "SKIPPING LOUDLY: no Pulumi plugins in $TODO_PLUGINS_DIR; the test reports the skip"
  run_tests
  exit 0
fi

command -v kubectl >/dev/null || die "kubectl not found: make verify needs it (https://kubernetes.io/docs/tasks/tools/)"
command -v etcd >/dev/null || die "etcd not found: install Debian's etcd-server package (sudo tests/env/deps.sh)"
TODO_PULUMI_CLI=$("$ROOT/tests/env/pulumi-cli.sh")
export TODO_PULUMI_CLI
# helm for `make verify`'s `helm test` (tests/env/helm-build.sh).
helm_dir=$("$ROOT/tests/env/helm-build.sh")
export PATH=$helm_dir:$PATH
# The Ingress controller (Traefik, built from source once, cached by version and recipe),
# built before the node's lock is taken: the build needs no node.
TRAEFIK_BIN=$("$ROOT/tests/env/traefik-build.sh")
export TRAEFIK_BIN
# The test node and its Docker API (tests/env/node.sh: node binaries, the private engine
# whose tagged images the node runs, the STAND-IN bases). The bases are also tagged under the
# names the Dockerfiles default to, because the program builds without build arguments,
# exactly as on a user's Minikube; those tags go again at the end.
# shellcheck source=tests/env/node.sh
source "$ROOT/tests/env/node.sh"
finish() {
  "$TODO_DOCKER" rmi python:3.11-slim node:18-alpine >/dev/null 2>&1 || true
  node_env_down
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
node_env_up
"$TODO_DOCKER" tag "$TODO_STANDIN_PYTHON" python:3.11-slim
"$TODO_DOCKER" tag "$TODO_STANDIN_NODE" node:18-alpine
log "STAND-IN bases also tagged python:3.11-slim and node:18-alpine (Debian bookworm packages, not the official images)"

# Everything runs by default: TestUserCommands (deploy, edits, the load and fault runs,
# promotion, destroy) and TestMakeDev. E2E_RUN=<go test -run pattern> runs a selection, e.g.
# E2E_RUN='^TestUserCommands$/^0[1-4]-' for the first deployment only.
run_args=()
if [[ -n ${E2E_RUN:-} ]]; then
  log "e2e: running only -run '$E2E_RUN'"
  run_args=(-run "$E2E_RUN")
fi
run_tests "${run_args[@]}" "$@"
