# Shared shell helpers for the test runners (tests/run/), the test infrastructure (tests/env/)
# and the benchmarks (bench/). Source it; do not run it. ROOT, log and die come from
# deploy/lib.sh, the one place the user-facing scripts take them from too.
# shellcheck shell=bash
# shellcheck source=deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../deploy/lib.sh"
# Downloads and builds that are safe to keep between runs live here, never in the repo.
export TODO_CACHE=${TODO_CACHE:-$HOME/.cache/todo-chatbot}
export GOTESTSUM_VERSION=v1.12.3
mkdir -p "$TODO_CACHE/bin"
export PATH="$TODO_CACHE/bin:$PATH"
# Every Go build and test here compiles with -trimpath, the flag the Go language host builds
# the Pulumi program with (`pulumi preview`/`up` in the e2e part): the compiler's cache is
# keyed on it, so without it the host compiled the Pulumi SDKs (806 packages, about 700 CPU
# seconds) a second time on a cold machine. Tests find the repository with
# layout.FindRoot, not their source paths, which -trimpath rewrites.
case " ${GOFLAGS:-} " in *" -trimpath "*) ;; *) export GOFLAGS="${GOFLAGS:+$GOFLAGS }-trimpath" ;; esac

# build_lock DIR: one build of DIR's contents at a time. The caches are built by a part that
# needs them and, ahead of it, by the background warm-up of `make test`
# (tests/env/warm-caches.sh); the second caller waits here, then finds the result built.
# The lock is held until the calling script exits.
build_lock() {
  mkdir -p "$1"
  exec {TODO_BUILD_LOCK_FD}>"$1/.build.lock"
  flock -n "$TODO_BUILD_LOCK_FD" || { log "waiting for the build in $1 (another run is building it)"; flock "$TODO_BUILD_LOCK_FD"; }
}

# start_lowest LOG COMMAND...: starts COMMAND in the background in a session of its own, so
# that killing its process group stops everything it started, at the lowest CPU priority, with
# its output in LOG. Sets LOWEST_PID.
start_lowest() {
  local log=$1; shift
  setsid nice -n 19 "$@" >"$log" 2>&1 &
  LOWEST_PID=$!
  lower_session_priority "$LOWEST_PID"
}

# lower_session_priority PID: with the kernel's autogroup scheduling on, a new session (setsid)
# gets a CPU share equal to the rest of the machine's, whatever its processes' nice values: a
# background build at nice 19 measured half the CPU against the parts of `make test`. Setting
# the session's own autogroup nice value makes it yield to them. Waits until PID has become
# the session leader, so the caller's own session is never the one lowered.
lower_session_priority() {
  local pid=$1 tries=50 sid
  [[ -w /proc/$pid/autogroup ]] || return 0
  while ((tries-- > 0)); do
    sid=$(awk '{print $6}' "/proc/$pid/stat" 2>/dev/null) || return 0
    if [[ $sid == "$pid" ]]; then echo 19 >"/proc/$pid/autogroup" 2>/dev/null || true; return 0; fi
    sleep 0.02
  done
}

# gotest DIR JUNIT_FILE [go test args...]: runs go test in DIR with JUnit XML output.
gotest() {
  local dir=$1 junit=$2; shift 2
  (cd "$dir" && gotestsum --format testname --junitfile "$junit" -- "$@")
}

# use_standin_bases: builds (or reuses) the STAND-IN base images in the engine at DOCKER_HOST
# (tests/env/standin-bases.sh) and exports their names as TODO_STANDIN_PYTHON/TODO_STANDIN_NODE.
use_standin_bases() {
  local bases
  bases=$("$ROOT/tests/env/standin-bases.sh")
  TODO_STANDIN_PYTHON=$(sed -n 's/^python=//p' <<<"$bases")
  TODO_STANDIN_NODE=$(sed -n 's/^node=//p' <<<"$bases")
  export TODO_STANDIN_PYTHON TODO_STANDIN_NODE
  log "STAND-IN bases (Debian bookworm packages, not the official images): $TODO_STANDIN_PYTHON, $TODO_STANDIN_NODE"
}
