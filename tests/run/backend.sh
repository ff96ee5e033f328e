#!/usr/bin/env bash
# `make test-backend`: the backend's pytest suite twice, against a real PostgreSQL server
# on loopback (started here, stopped on exit) and against SQLite, then the API fuzzer
# (tests/run/backend-fuzz.sh) against the real server on that PostgreSQL; each run writes
# JUnit XML into $JUNIT_DIR. Any failure, or a run that collected no test, fails the part.
set -euo pipefail
source "$(dirname "$0")/../env/lib.sh"
JUNIT_DIR=${JUNIT_DIR:-$ROOT/build/test-results/backend}
mkdir -p "$JUNIT_DIR"

"$ROOT/tests/env/backend-venv.sh"

pgdir=""
cleanup() { [[ -z $pgdir ]] || "$ROOT/tests/env/postgres.sh" stop "$pgdir"; }
trap cleanup EXIT

log "backend: starting PostgreSQL on loopback"
pg_env=$("$ROOT/tests/env/postgres.sh" start)
eval "$pg_env"
pgdir=$PGTEST_DIR

run_suite() { # run_suite NAME [env assignments...]
  local name=$1 rc=0; shift
  log "backend: pytest against $name"
  (cd "$ROOT/backend" && env "$@" .venv/bin/python3 -m pytest -p no:cacheprovider \
    -o junit_suite_name="backend-$name" --junitprefix="$name" --junitxml="$JUNIT_DIR/backend-$name.xml" tests) || rc=$?
  # pytest exits 5 when it collected nothing: that is a failure here, not a pass.
  ((rc == 0)) || { echo "backend tests against $name failed (pytest exit $rc)" >&2; return 1; }
}

failed=0
run_suite postgres TEST_DATABASE_URL="$DATABASE_URL" BACKEND_TESTS_REQUIRE_POSTGRES=1 || failed=1
run_suite sqlite TEST_DATABASE_URL= DATABASE_URL= || failed=1
# The pytest sessions make databases of their own; the server's first one is the fuzzer's.
"$ROOT/tests/run/backend-fuzz.sh" "$DATABASE_URL" "$JUNIT_DIR/backend-schemathesis.xml" || failed=1
((failed == 0))
