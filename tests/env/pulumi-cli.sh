#!/usr/bin/env bash
# The Pulumi CLI, built from github.com/pulumi/pulumi/pkg/v3 at a pinned version in a
# throwaway module, cached by version in $TODO_CACHE (no binary downloads are possible here).
# Prints the binary's path on stdout. A failed build leaves no binary behind.
# Used by tests/run/infra.sh (infra/clitest) and tests/run/e2e.sh (the CLI end-to-end test).
set -euo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/lib.sh"

PULUMI_CLI_VERSION=v3.250.0
dir=$TODO_CACHE/pulumi-$PULUMI_CLI_VERSION
build_lock "$dir"
if [[ -x $dir/pulumi ]]; then echo "$dir/pulumi"; exit 0; fi
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
) || die "building the Pulumi CLI $PULUMI_CLI_VERSION failed (see above)"
mv "$dir/pulumi.tmp" "$dir/pulumi"
echo "$dir/pulumi"
