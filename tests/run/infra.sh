#!/usr/bin/env bash
# `make test-infra`: the Pulumi program's tests. Go unit tests under pulumi.WithMocks
# (graph, values, secrets, config errors, docker discovery, promotion), the `make dev`
# watcher's tests (deploy/dev, the root module's other package), plus infra/clitest
# against the real Pulumi CLI, which is built once from source into $TODO_CACHE (no plugin
# or binary downloads are possible here) and found via TODO_PULUMI_CLI; then the deploy
# scripts' own tests (tests/scripts). JUnit XML goes to $JUNIT_DIR.
set -euo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/../env/lib.sh"
cd "$ROOT"
JUNIT_DIR=${JUNIT_DIR:-$ROOT/build/test-results/infra}
mkdir -p "$JUNIT_DIR"
[[ -x "$TODO_CACHE/bin/gotestsum" ]] || "$ROOT/tests/env/deps.sh"
# tests/scripts runs shellcheck on deploy/pulumi.sh and these scripts.
if ! command -v shellcheck >/dev/null && [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
  log "installing shellcheck"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; }
fi

# The Pulumi CLI, built once from source and cached by version (tests/env/pulumi-cli.sh).
TODO_PULUMI_CLI=$("$ROOT/tests/env/pulumi-cli.sh")
export TODO_PULUMI_CLI
log "Pulumi CLI: $("$TODO_PULUMI_CLI" version)"

log "infra: go test . ./infra/... ./deploy/dev/... (root module)"
# The root module is main.go, infra/ and deploy/dev/ (`make dev`), named explicitly so no
# stray Go file elsewhere in the monorepo, e.g. under node_modules, can break the run.
gotest "$ROOT" "$JUNIT_DIR/infra.xml" -count=1 . ./infra/... ./deploy/dev/...

log "infra: deploy/pulumi.sh and shellcheck (tests/scripts)"
gotest "$ROOT/tests" "$JUNIT_DIR/scripts.xml" -count=1 ./scripts/...
