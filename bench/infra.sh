#!/usr/bin/env bash
# `make bench` (infra): what the Go language host pays to get the program running, before any
# provider work. On every Pulumi command the host (pulumi-language-go v3.250.0,
# sdk/go/pulumi-language-go/main.go, compileProgram) runs in the project directory
#     go build -buildvcs=false -o <target> -trimpath -ldflags "-w -s"
# with <target> a new temporary file, or runtime.options.buildTarget from Pulumi.yaml (ours:
# build/pulumi-program), which Go leaves alone when it is up to date. This runs that exact
# command (not a plain `go build`: -trimpath gives other cache keys, so what `go build` and
# `go test` cached does not help the first `pulumi preview`):
#   cold      empty GOCACHE: a new user's first `make up` (the module cache is kept:
#             downloads are not measured); -debug-trace says where the time goes
#   no change with buildTarget: every later command; without it: a relink into a temp file
#   edit      a one-line edit of the program (in a copy; with -trimpath the copy shares the
#             cache keys): recompile of the edited package and the relink
# plus the binary's size as the host builds it (stripped) and the program's evaluation under
# mocks. BENCH_INFRA_COLD=0 skips the cold build (minutes on 2 cores). Wall and CPU seconds
# are printed: on a shared machine CPU seconds are the steadier figure.
set -euo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/../tests/env/lib.sh"
cd "$ROOT"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
HOST_BUILD=(go build -buildvcs=false -trimpath -ldflags "-w -s") # plus -o <target>

# measure DIR COMMAND...: sets WALL and CPU (user+sys of the command and its children).
measure() {
  local dir=$1 t0 c0 c1
  shift
  t0=$(date +%s.%N)
  c0=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
  (cd "$dir" && "$@" >/dev/null)
  c1=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
  WALL=$(awk -v s="$t0" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f s", e - s }')
  CPU=$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f s", (b - a) / hz }')
}
rows=()
row() { rows+=("$(printf '%-52s %10s %10s' "$1" "$2" "$3")"); }

breakdown=""
if [[ ${BENCH_INFRA_COLD:-1} != 0 ]]; then
  log "cold build as the language host runs it (empty GOCACHE; minutes on 2 cores)"
  GOCACHE=$tmp/gocache measure "$ROOT" "${HOST_BUILD[@]}" -debug-trace="$tmp/trace.json" -o "$tmp/cold-program" .
  row "cold build (empty GOCACHE)" "$WALL" "$CPU"
  breakdown=$("$ROOT/bench/gobuild-trace.py" "$tmp/trace.json" 8)
  rm -rf "$tmp/gocache"
fi

log "warm builds"
target=$ROOT/build/pulumi-program
"${HOST_BUILD[@]}" -o "$target" . # fill the shared cache and the target; not measured
measure "$ROOT" "${HOST_BUILD[@]}" -o "$target" .
row "no change, buildTarget (every later command)" "$WALL" "$CPU"
measure "$ROOT" "${HOST_BUILD[@]}" -o "$tmp/program.tmp" .
row "no change, temp file (without buildTarget)" "$WALL" "$CPU"

# A copy of the program to edit: main.go, infra/ (no tests), go.mod, go.sum.
mkdir -p "$tmp/copy"
tar -cf - main.go go.mod go.sum --exclude='*_test.go' --exclude=testdata infra | tar -C "$tmp/copy" -xf -
(cd "$tmp/copy" && "${HOST_BUILD[@]}" -o program .) # from the shared cache
printf '\n// bench edit %s\n' "$RANDOM" >>"$tmp/copy/infra/program.go"
measure "$tmp/copy" "${HOST_BUILD[@]}" -o program .
row "after a one-line edit of infra/program.go" "$WALL" "$CPU"
size=$(du -m "$target" | cut -f1)

log "program under mocks"
eval_line=$(go test -count=1 -run '^$' -bench '^BenchmarkProgramUnderMocks$' -benchtime 50x ./infra/ | grep '^BenchmarkProgramUnderMocks')
eval_ms=$(awk '{ printf "%.2f ms", $3 / 1e6 }' <<<"$eval_line")
pkgs=$(go list -deps . | grep -c .)
# The object preview's own cost in each preview (render x3 + diff, no cluster round trip).
preview_lines=$(go test -count=1 -run '^$' -bench '^BenchmarkPreview$' -benchtime 20x ./infra/manifestdiff/ | grep '^BenchmarkPreview/')
preview_ms() { awk -v n="$1" '$1 ~ n { printf "%.2f ms", $3 / 1e6 }' <<<"$preview_lines"; }

printf '\n%-52s %10s %10s\n' "infra: the Pulumi Go program as the language host builds it" "wall" "CPU"
printf '%-52s %10s %10s\n' "----------------------------------------------------" "----------" "----------"
printf '%s\n' "${rows[@]}"
printf '%-52s %10s\n' "program evaluation under mocks" "$eval_ms"
printf '%-52s %10s\n' "object preview: render + diff, no change" "$(preview_ms no-change)"
printf '%-52s %10s\n' "object preview: render + diff, one edit" "$(preview_ms one-edit)"
printf '%-52s %10s\n' "program binary (-trimpath -ldflags '-w -s')" "$size MB"
printf '%-52s %10s\n' "packages in the program's build" "$pkgs"
if [[ -n $breakdown ]]; then
  echo
  echo "$breakdown"
fi
