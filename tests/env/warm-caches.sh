#!/usr/bin/env bash
# Builds, in the background of `make test` (tests/run/all.sh starts it at the lowest CPU
# priority), the caches the named parts will need: the stand-in bases' debootstrap tarballs,
# the Pulumi CLI, the node's binaries, Traefik and helm. On a fresh machine these are most of
# the run; built ahead, they take the CPU the earlier parts leave idle (downloads, single-
# threaded test runs) and the network time of debootstrap overlaps the lint's compiling.
# Each build script holds a lock while it builds (build_lock), so a part that needs a result
# still being built waits for it, then finds it. A failure here only costs the head start: the
# part runs the same script and reports the failure itself. A warm machine finds everything
# built and this ends within seconds.
#
# Usage: tests/env/warm-caches.sh PART...
set -uo pipefail
# shellcheck source=tests/env/lib.sh
source "$(dirname "$0")/lib.sh"
PARTS=" $* "
wants() { local p; for p; do [[ $PARTS == *" $p "* ]] && return 0; done; return 1; } # any of these parts
step() { # step NAME COMMAND...: runs one build, saying how long it took or that it failed
  local start=$SECONDS
  if "${@:2}" >/dev/null; then log "warm-caches: $1 ready in $((SECONDS - start))s"
  else log "warm-caches: $1 FAILED after $((SECONDS - start))s (the part that needs it will build it again and report)"; fi
}
# The network-bound debootstrap beside the CPU-bound builds, not before them: on a fresh
# machine it has taken 3 to 11 minutes, nearly all of it waiting on the package mirror.
standins=
if wants cluster images e2e && [[ $EUID -eq 0 ]]; then
  step "stand-in base tarballs" "$ROOT/tests/env/standin-bases.sh" --rootfs &
  standins=$!
fi
wants infra e2e && step "Pulumi CLI" "$ROOT/tests/env/pulumi-cli.sh"
wants cluster e2e && step "node binaries" "$ROOT/tests/env/kube-build.sh"
wants cluster e2e && step "Traefik" "$ROOT/tests/env/traefik-build.sh"
wants e2e && step "helm" "$ROOT/tests/env/helm-build.sh"
[[ -z $standins ]] || wait "$standins"
exit 0
