#!/usr/bin/env bash
# `make bench` (infra): what `pulumi up`/`pulumi preview` pay for the Go program before any
# provider work (Pulumi runs `go build` on every command): the build from an empty Go build
# cache (first run on a machine), the build with a warm cache (every later run, and after
# an edit of the program), and evaluating the program under mocks.
# The cold build uses a throwaway GOCACHE (the module cache is kept: downloads are not
# what is measured), deleted afterwards. Set BENCH_INFRA_COLD=0 to skip the cold build
# (it takes minutes on 2 cores).
set -euo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/../tests/env/lib.sh"
cd "$ROOT"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

seconds() { # seconds COMMAND...: wall time of a command, in seconds with 1 decimal
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }'
}

cold="skipped"
if [[ ${BENCH_INFRA_COLD:-1} != 0 ]]; then
  log "cold build (empty GOCACHE)"
  cold="$(GOCACHE="$tmp/gocache" seconds go build -o "$tmp/prog" .) s"
fi
log "warm build"
go build -o "$tmp/prog" . # fill the shared cache if needed; not measured
warm="$(seconds go build -o "$tmp/prog" .) s"
# After an edit of the program, Go recompiles the edited package and relinks; a changing
# -X stamp forces the relink alone, which dominates that cost.
relink="$(seconds go build -ldflags "-X main.benchStamp=$RANDOM$RANDOM" -o "$tmp/prog" .) s"
size=$(du -m "$tmp/prog" | cut -f1)

log "program under mocks"
eval_line=$(go test -count=1 -run '^$' -bench '^BenchmarkProgramUnderMocks$' -benchtime 50x ./infra/ | grep '^BenchmarkProgramUnderMocks')
eval_ms=$(awk '{ printf "%.2f", $3 / 1e6 }' <<<"$eval_line")

printf '\n%-40s %12s\n' "infra (Pulumi Go program)" "time"
printf '%-40s %12s\n' "----------------------------------------" "------------"
printf '%-40s %12s\n' "cold build (empty GOCACHE)" "$cold"
printf '%-40s %12s\n' "warm build (no change)" "$warm"
printf '%-40s %12s\n' "warm build after an edit (relink)" "$relink"
printf '%-40s %12s\n' "program evaluation under mocks" "$eval_ms ms"
printf '%-40s %12s\n' "program binary size" "$size MB"
