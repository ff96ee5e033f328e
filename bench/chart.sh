#!/usr/bin/env bash
# `make bench` part: how long Helm takes to lint the chart and to render it (values merge,
# schema validation, templates, strict decoding) for each realistic value set.
set -euo pipefail
source "$(dirname "$0")/../tests/env/lib.sh"
cd "$ROOT/tests"
out=$(go test -run '^$' -bench '^Benchmark(Render|Lint)$' -benchmem -benchtime=20x -count=1 ./chart/)
printf '%-48s %10s %12s %12s\n' "chart benchmark" "ms/op" "KiB/op" "allocs/op"
awk '/^Benchmark/ {
  name=$1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
  for (i=2; i<=NF; i++) { if ($(i+1)=="ns/op") ns=$i; if ($(i+1)=="B/op") by=$i; if ($(i+1)=="allocs/op") al=$i }
  printf "%-48s %10.1f %12.0f %12d\n", name, ns/1e6, by/1024, al
}' <<<"$out"
