#!/usr/bin/env bash
# `make test-frontend`: the frontend's unit tests (Vitest), its production build (printing
# the First Load JS table `next build` reports), then the browser tests against that build
# talking to the real backend and a real PostgreSQL (tests/run/frontend-e2e.sh).
# JUnit XML goes to $JUNIT_DIR; screenshots of the main states to build/artifacts/frontend.
set -euo pipefail
source "$(dirname "$0")/../env/lib.sh"
JUNIT_DIR=${JUNIT_DIR:-$ROOT/build/test-results/frontend}
mkdir -p "$JUNIT_DIR"
fe=$ROOT/frontend
export NEXT_TELEMETRY_DISABLED=1
# The registry mirror lacks some other-platform swc packages; Next would try to "patch"
# the lockfile on every build (scripts/lockfile-add-platforms.mjs explains).
export NEXT_IGNORE_INCORRECT_LOCKFILE=1

log "frontend: dependencies"
"$ROOT/tests/env/frontend-deps.sh"

log "frontend: unit tests (Vitest)"
rc=0
(cd "$fe" && npx --no-install vitest run --reporter=default --reporter=junit \
  --outputFile.junit="$JUNIT_DIR/frontend-unit.xml") || rc=$?

log "frontend: production build (next build)"
build_log=$(mktemp)
if (cd "$fe" && npm run --silent build) >"$build_log" 2>&1; then
  # The route table with each page's size and First Load JS.
  sed -n '/^Route (app)/,/^ƒ  (Dynamic)/p' "$build_log"
  build_ok=1
else
  cat "$build_log"
  build_ok=0
fi
rm -f "$build_log"
# The build is a test case too, so a broken build shows up in the summary by name.
mkdir -p "$JUNIT_DIR"
if ((build_ok)); then
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="frontend build" tests="1" failures="0">\n<testcase classname="frontend" name="next build (standalone)"/>\n</testsuite>\n' >"$JUNIT_DIR/frontend-build.xml"
else
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="frontend build" tests="1" failures="1">\n<testcase classname="frontend" name="next build (standalone)"><failure message="next build failed"/></testcase>\n</testsuite>\n' >"$JUNIT_DIR/frontend-build.xml"
  die "next build failed; the browser tests need it"
fi

log "frontend: browser tests (Playwright + Chromium, real backend and PostgreSQL)"
E2E_JUNIT_FILE="$JUNIT_DIR/frontend-e2e.xml" E2E_SCREENSHOT_DIR="$ROOT/build/artifacts/frontend" \
  "$ROOT/tests/run/frontend-e2e.sh" || rc=$?
log "frontend: screenshots in build/artifacts/frontend/"
exit "$rc"
