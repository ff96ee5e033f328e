#!/usr/bin/env bash
# Runs the named parts one after the other, each as its `make test-<part>` target with
# JUNIT_DIR set, and records each one's exit status and seconds beside its reports, where
# tests/run/summarize.py reads them. Used by tests/run/all.sh (`make test`).
#
# Usage: tests/run/parts.sh [--after PID] PART...   (--after: first wait until PID has exited)
set -uo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/../env/lib.sh"
cd "$ROOT" || exit 1
if [[ ${1:-} == --after ]]; then
  while kill -0 "$2" 2>/dev/null; do sleep 2; done
  shift 2
fi
results=$ROOT/build/test-results
for part; do
  # Only this part's old reports go, so two runs of different parts don't erase each other.
  rm -rf "${results:?}/$part"; mkdir -p "$results/$part"
  log "test part: $part"
  start=$SECONDS rc=0
  JUNIT_DIR="$results/$part" make --no-print-directory "test-$part" || rc=$?
  printf '%s %s\n' "$rc" "$((SECONDS - start))" >"$results/$part/.status"
done
exit 0
