#!/usr/bin/env bash
# Makes staticcheck $STATICCHECK_VERSION (tests/env/lib.sh) available on PATH, installing it
# once from the module proxy into $TODO_CACHE/bin. Exits non-zero, with the go command's
# output, when it cannot: the lint part counts that as a failure, never as a silent pass.
set -euo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/lib.sh"
version() { staticcheck -version 2>/dev/null || true; }
[[ $(version) == *"($STATICCHECK_VERSION)"* ]] && exit 0
GOBIN="$TODO_CACHE/bin" go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" ||
  die "staticcheck $STATICCHECK_VERSION did not install from the module proxy (above: the go command's output)"
[[ $(version) == *"($STATICCHECK_VERSION)"* ]] ||
  die "staticcheck installed, but 'staticcheck -version' reports '$(version)', not $STATICCHECK_VERSION"
