#!/usr/bin/env bash
# `make lint`: every linter of every part. Each linter is one JUnit test case in
# $JUNIT_DIR/lint.xml, so `make test` counts them like tests; the output of a failing
# linter is printed and kept in the report.
set -uo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/../env/lib.sh"
cd "$ROOT" || exit 1
JUNIT_DIR=${JUNIT_DIR:-$ROOT/build/test-results/lint}
mkdir -p "$JUNIT_DIR"
cases=() failures=0

check() { # check NAME COMMAND...
  local name=$1; shift
  local out rc=0 start=$SECONDS secs
  out=$("$@" 2>&1) || rc=$?
  # Each linter's seconds: on a fresh machine most of lint is the first compile of every
  # module, and this says which.
  secs=$((SECONDS - start))
  if ((rc == 0)); then
    printf '  ok    %s (%ds)\n' "$name" "$secs"
    cases+=("<testcase classname=\"lint\" name=\"$name\" time=\"$secs\"/>")
  else
    failures=$((failures + 1))
    printf '  FAIL  %s (%ds)\n%s\n' "$name" "$secs" "$out" | sed 's/^/        /'
    out=$(printf '%s' "$out" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g')
    cases+=("<testcase classname=\"lint\" name=\"$name\" time=\"$secs\"><failure message=\"exit $rc\">$out</failure></testcase>")
  fi
  return "$rc"
}
gofmt_clean() { local bad; bad=$(gofmt -l "$@"); [[ -z $bad ]] || { echo "gofmt needed on: $bad"; return 1; }; }
# Every Go module with Go source; a module that only pins a tool (tests/kube/local-path) has no
# package for go vet to check, and `go vet ./...` fails there with "matched no packages".
go_modules() {
  local mod
  for mod in $(find . -name go.mod -not -path '*/node_modules/*' -not -path './build/*' -printf '%h\n' | sort); do
    [[ -n $(find "$mod" -name '*.go' -print -quit) ]] && echo "$mod"
  done
  return 0
}

# The test node's pins (tests/kube) are built with CGO_ENABLED=0 (tests/env/kube-build.sh):
# vetted the same way, their dependencies compile once for both.
cgo_of() { if [[ $1 == ./tests/kube* ]]; then echo CGO_ENABLED=0; else echo "CGO_ENABLED=$(go env CGO_ENABLED)"; fi; }

# version_diff NAME_A NAME_B LIST_A LIST_B: each module the two sorted "path version" lists
# both name at different versions, as "  path: A's in NAME_A, B's in NAME_B".
version_diff() { join "$3" "$4" | awk -v a="$1" -v b="$2" 'NF == 3 && $2 != $3 {printf "  %s: %s in %s, %s in %s\n", $1, $2, a, $3, b}'; }

# The tests module builds on the root module's packages; with the same version of every module
# they share, each package compiles once for both. (One newer golang.org/x/net and logr in
# tests/go.mod had the tests module compile nearly all of its 1,400 dependencies a second time
# on a fresh machine: its go vet took 13 minutes of a cold run.)
same_versions() {
  local diff
  diff=$(version_diff go.mod tests/go.mod <(go list -m -f '{{.Path}} {{.Version}}' all | sort) \
    <(cd tests && go list -m -f '{{.Path}} {{.Version}}' all | sort))
  [[ -z $diff ]] && return 0
  echo "go.mod and tests/go.mod select different versions (fix: go get MODULE@VERSION in the module with the older one, then go mod tidy in both):"
  echo "$diff"
  return 1
}

# local-path-provisioner (tests/kube/local-path) is its own module, so its graph never moves
# the node's; but every module it builds that the node builds too is pinned at the node's
# version, so client-go and the API types compile once for both. (CoreDNS v1.12.1 cannot:
# it uses a client-go field v0.33 removed, and no CoreDNS release builds on v0.33.)
# built_modules DIR: "path version" of every module the `tool` packages of DIR's module compile.
built_modules() { (cd "$1" && CGO_ENABLED=0 go list -deps -f '{{with .Module}}{{.Path}} {{.Version}}{{end}}' tool | sort -u); }
local_path_builds_the_nodes_versions() {
  local diff
  diff=$(version_diff tests/kube tests/kube/local-path <(built_modules tests/kube) <(built_modules tests/kube/local-path))
  [[ -z $diff ]] && return 0
  echo "tests/kube/local-path builds modules at other versions than tests/kube (fix: go get MODULE@VERSION in tests/kube/local-path, then go mod tidy there):"
  echo "$diff"
  return 1
}

log "lint"
check "the tests module selects the root module's versions" same_versions
check "local-path builds the node's module versions" local_path_builds_the_nodes_versions
for mod in $(go_modules); do
  check "gofmt $mod" gofmt_clean "$mod"
  check "go vet $mod" env "$(cgo_of "$mod")" bash -c "cd '$mod' && go vet ./..."
done
# staticcheck's checks through go vet (tests/lint/staticvet says why); a failed build is a
# failing case with its output.
if check "staticvet built" tests/env/staticvet.sh; then
  staticvet=$TODO_CACHE/bin/staticvet
  check "staticvet prints what staticcheck prints" bash -c "cd tests/lint/staticvet && go test -count=1 ."
  for mod in $(go_modules); do check "staticcheck $mod" env "$(cgo_of "$mod")" bash -c "cd '$mod' && go vet -vettool='$staticvet' ./..."; done
fi
tests/env/backend-venv.sh >/dev/null
check "ruff check backend" backend/.venv/bin/ruff check backend
check "ruff format backend" backend/.venv/bin/ruff format --check backend
tests/env/frontend-deps.sh >/dev/null
check "eslint frontend" npm --prefix frontend run --silent lint
check "tsc frontend" npm --prefix frontend run --silent typecheck
# The committed API types must be what the current backend generates (`make types`).
check "frontend API types match the backend" npm --prefix frontend run --silent types -- --check
check "helm lint charts/todo-chatbot" bash -c "cd tests && go test -count=1 -run '^TestLint' ./chart/"
# The settings and values tables are generated (`make docs`): stale ones fail here.
check "README settings table matches Pulumi.yaml and infra.Settings" go test -trimpath -count=1 -run '^TestREADMESettingsTable$' ./infra
check "chart README values table matches the schema" bash -c "cd tests && go test -trimpath -count=1 -run '^TestREADMEValuesTable$' ./chart/"

{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo "<testsuite name=\"lint\" tests=\"${#cases[@]}\" failures=\"$failures\">"
  printf '%s\n' "${cases[@]}"
  echo '</testsuite>'
} >"$JUNIT_DIR/lint.xml"
((failures == 0))
