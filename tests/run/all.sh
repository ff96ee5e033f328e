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
# The parts on the test node: they mostly wait (pods starting, rollouts, drains), leaving
# about half the CPU idle.
node_parts=" cluster images e2e "
# Parts that only compute (static checks, helm template and schema tests), with no timing in
# any assertion: they can run beside the node parts on that idle CPU.
offpeak_parts=" lint chart "
parts=("$@")
((${#parts[@]})) || parts=("${all_parts[@]}")

"$ROOT/tests/env/deps.sh"

# The caches later parts need (node binaries, Pulumi CLI, Traefik, helm, stand-in bases) are
# built in the background meanwhile, at the lowest CPU priority (tests/env/warm-caches.sh).
mkdir -p "$ROOT/build"
start_lowest "$ROOT/build/warm-caches.log" "$ROOT/tests/env/warm-caches.sh" "${parts[@]}"
warm_pid=$LOWEST_PID offpeak_pid=
# Stopping `make test` stops the background sessions' builds and tests too.
trap 'kill -- "-$warm_pid" 2>/dev/null || true; [[ -z $offpeak_pid ]] || kill -- "-$offpeak_pid" 2>/dev/null || true' EXIT
log "warming the caches later parts need in the background (build/warm-caches.log)"

# With node parts in the run, the off-peak parts run beside them instead of before them, at
# the lowest priority, once the background builds are done (they would otherwise slow the
# builds the node waits for). On a fresh machine this takes lint's compiling (several
# minutes) off the path to the node. Their output is printed with the summary.
foreground=() offpeak=() node=()
for part in "${parts[@]}"; do
  if [[ $node_parts == *" $part "* ]]; then node+=("$part")
  elif [[ $offpeak_parts == *" $part "* ]]; then offpeak+=("$part")
  else foreground+=("$part"); fi
done
if ((${#node[@]} == 0)); then foreground=("${parts[@]}") offpeak=(); fi

"$ROOT/tests/run/parts.sh" "${foreground[@]}"
if ((${#offpeak[@]})); then
  log "running ${offpeak[*]} beside the node parts, at the lowest priority (build/offpeak.log)"
  # The parts before the node ones (backend, frontend) have prepared backend/.venv and
  # frontend/node_modules, which lint also uses, so the two never install them at once.
  start_lowest "$ROOT/build/offpeak.log" "$ROOT/tests/run/parts.sh" --after "$warm_pid" "${offpeak[@]}"
  offpeak_pid=$LOWEST_PID
fi
"$ROOT/tests/run/parts.sh" "${node[@]}"

wait "$warm_pid" || true
sed 's/^/  /' "$ROOT/build/warm-caches.log"
if [[ -n $offpeak_pid ]]; then
  wait "$offpeak_pid" || true
  sed 's/^/  /' "$ROOT/build/offpeak.log"
fi
python3 "$ROOT/tests/run/summarize.py" "$ROOT/build/test-results" "${parts[@]}"
