#!/usr/bin/env bash
# Installs frontend/node_modules from package-lock.json with `npm ci`, only when the lockfile
# (or the Node major version) changed since the last install: a stamp in node_modules
# records what was installed, so repeated runs take well under a second.
set -euo pipefail
cd "$(dirname "$0")/../../frontend"

stamp=node_modules/.setup-stamp
want="$(sha256sum package-lock.json | cut -d' ' -f1) node-$(node -p 'process.versions.node.split(".")[0]')"
if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
echo "==> frontend: npm ci (package-lock.json changed)" >&2
# No telemetry, audit or funding calls: the tests run on closed networks too.
NEXT_TELEMETRY_DISABLED=1 npm ci --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
