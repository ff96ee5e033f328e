# Shared shell helpers for hack/ and the parts' test scripts. Source it; do not run it.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ROOT
# Downloads and builds that are safe to keep between runs live here, never in the repo.
export TODO_CACHE=${TODO_CACHE:-$HOME/.cache/todo-chatbot}
export GOTESTSUM_VERSION=v1.12.3
export STATICCHECK_VERSION=v0.7.0 # staticcheck 2026.1; newer point releases are not on the proxy here
mkdir -p "$TODO_CACHE/bin"
export PATH="$TODO_CACHE/bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

# gotest DIR JUNIT_FILE [go test args...]: runs go test in DIR with JUnit XML output.
gotest() {
  local dir=$1 junit=$2; shift 2
  (cd "$dir" && gotestsum --format testname --junitfile "$junit" -- "$@")
}
