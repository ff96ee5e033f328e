# Shared shell helpers for the scripts a user runs (deploy/) and, through tests/env/lib.sh,
# for the test and benchmark scripts. Source it; do not run it.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ROOT

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }
