#!/usr/bin/env bash
# Builds staticvet (tests/lint/staticvet: staticcheck's checks as a `go vet -vettool`, at the
# version pinned in its go.mod) into $TODO_CACHE/bin and prints its path. The go command's
# cache makes a rebuild of unchanged source a no-op. Exits non-zero, with the go command's
# output, when it cannot build: the lint part counts that as a failure, never a silent pass.
set -euo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/lib.sh"
bin=$TODO_CACHE/bin/staticvet
(cd "$ROOT/tests/lint/staticvet" && go build -o "$bin.tmp" .) >&2 ||
  die "staticvet did not build from tests/lint/staticvet (above: the go command's output; its modules come from the Go module proxy)"
mv "$bin.tmp" "$bin"
echo "$bin"
