#!/usr/bin/env bash
# `make test`: installs what the tests need, runs every part (or the parts named as
# arguments), and prints one summary. Each part is a `make test-<part>` target that writes
# JUnit XML into $JUNIT_DIR; the summary is read from those files, so what it counts is what
# the test runners themselves reported.
set -euo pipefail
source "$(dirname "$0")/../env/lib.sh"
cd "$ROOT"

all_parts=(lint infra chart backend frontend cluster images e2e)
parts=("$@")
((${#parts[@]})) || parts=("${all_parts[@]}")

"$ROOT/tests/env/deps.sh"

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

python3 "$ROOT/tests/run/summarize.py" "$results" "${parts[@]}"
