#!/usr/bin/env bash
# `make test-infra`: the Pulumi program's tests. Go unit tests under pulumi.WithMocks
# (graph, values, secrets, config errors, docker discovery, promotion, deploy/pulumi.sh),
# plus infra/clitest against the real Pulumi CLI, which is built once from source into
# $TODO_CACHE (no plugin or binary downloads are possible here) and found via
# TODO_PULUMI_CLI. JUnit XML goes to $JUNIT_DIR/infra.xml.
set -euo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/../env/lib.sh"
cd "$ROOT"
JUNIT_DIR=${JUNIT_DIR:-$ROOT/build/test-results/infra}
mkdir -p "$JUNIT_DIR"
[[ -x "$TODO_CACHE/bin/gotestsum" ]] || "$ROOT/tests/env/deps.sh"
# infra/scripts_test.go runs shellcheck on deploy/pulumi.sh and these scripts.
if ! command -v shellcheck >/dev/null && [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
  log "installing shellcheck"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; }
fi

# The Pulumi CLI, built from github.com/pulumi/pulumi/pkg/v3 at a pinned version in a
# throwaway module, cached by version. A failed build leaves no binary behind.
PULUMI_CLI_VERSION=v3.250.0
build_pulumi_cli() {
  local dir=$TODO_CACHE/pulumi-$PULUMI_CLI_VERSION
  if [[ -x $dir/pulumi ]]; then echo "$dir/pulumi"; return; fi
  log "building the Pulumi CLI $PULUMI_CLI_VERSION from source into $dir (once; several minutes)"
  mkdir -p "$dir/src"
  (
    cd "$dir/src"
    [[ -f go.mod ]] || go mod init example.invalid/pulumi-cli >/dev/null 2>&1
    printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' >tools.go
    go get "github.com/pulumi/pulumi/pkg/v3@$PULUMI_CLI_VERSION" >&2
    go mod tidy >&2
    go build -trimpath -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_CLI_VERSION" \
      -o "$dir/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
  ) || return 1
  mv "$dir/pulumi.tmp" "$dir/pulumi"
  echo "$dir/pulumi"
}

if ! TODO_PULUMI_CLI=$(build_pulumi_cli); then
  die "building the Pulumi CLI $PULUMI_CLI_VERSION failed (see above); infra/clitest needs it"
fi
export TODO_PULUMI_CLI
log "Pulumi CLI: $("$TODO_PULUMI_CLI" version)"

log "infra: go test . ./infra/... (root module)"
# The root module is main.go and infra/ (explicit, so no stray Go file elsewhere in the
# monorepo, e.g. under node_modules, can break the run).
gotest "$ROOT" "$JUNIT_DIR/infra.xml" -count=1 . ./infra/...
