#!/usr/bin/env bash
# `make test`: installs what the tests need, runs every part (or the parts named as
# arguments), and prints one summary. Each part is a `make test-<part>` target that writes
# JUnit XML into $JUNIT_DIR; the summary is read from those files, so what it counts is what
# the test runners themselves reported.
set -euo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/../env/lib.sh"
cd "$ROOT"

all_parts=(lint infra chart backend frontend cluster images e2e)
parts=("$@")
((${#parts[@]})) || parts=("${all_parts[@]}")

"$ROOT/tests/env/deps.sh"

# The caches later parts need (node binaries, Pulumi CLI, Traefik, helm, stand-in bases) are
# built in the background meanwhile, at the lowest CPU priority (tests/env/warm-caches.sh).
mkdir -p "$ROOT/build"
# Its own process group (setsid), so that stopping `make test` stops its builds too.
setsid nice -n 19 "$ROOT/tests/env/warm-caches.sh" "${parts[@]}" >"$ROOT/build/warm-caches.log" 2>&1 &
warm_pid=$!
trap 'kill -- "-$warm_pid" 2>/dev/null || true' EXIT
lower_session_priority "$warm_pid"
log "warming the caches later parts need in the background (build/warm-caches.log)"

results=$ROOT/build/test-results
for part in "${parts[@]}"; do
  # Only this part's old reports go, so two runs of different parts don't erase each other.
  rm -rf "${results:?}/$part"; mkdir -p "$results/$part"
  log "test part: $part"
  start=$SECONDS
  rc=0
  JUNIT_DIR="$results/$part" make --no-print-directory "test-$part" || rc=$?
  printf '%s %s\n' "$rc" "$((SECONDS - start))" >"$results/$part/.status"
done

wait "$warm_pid" || true
sed 's/^/  /' "$ROOT/build/warm-caches.log"
python3 "$ROOT/tests/run/summarize.py" "$results" "${parts[@]}"
