#!/usr/bin/env bash
# Builds Traefik (the test node's Ingress controller, tests/cluster/addons/traefik.yaml) from
# its source module on the Go proxy into a cache directory keyed by its version and this
# recipe, outside the repository; later runs reuse it (the first build takes minutes on 2
# shared cores). Prints the binary's path on stdout.
#
# Traefik's go.mod has replace directives, which `go install module@version` refuses, so the
# build runs inside a writable copy of the module, as its own Makefile's `binary` target does.
# Two things its release build makes that the module zip lacks:
# - the web dashboard (webui/static, built with npm there): the embed only needs the directory,
#   which the zip holds with a placeholder file; the dashboard is off on the test node anyway;
# - the nested module github.com/traefik/traefik/dynamic/ext (replaced by ./pkg/config/dynamic/ext,
#   a directory Go's module zips leave out because it has its own go.mod, and not served by the
#   proxy): an extension point whose open-source content is two empty structs, written here.
# Two of its dependencies are not served by the Go proxy reachable here, so the build differs
# from a release build in two features the test node never uses (a STAND-IN, named so in the
# tests' output):
# - ACME DNS-01 providers: github.com/go-acme/lego/v5/providers/dns pulls in every DNS vendor's
#   SDK, several of them refused by the proxy; the one call that picks a provider by name
#   returns an error naming this instead (HTTP-01/TLS-ALPN-01 and all static TLS stay intact);
# - basicAuth/digestAuth middlewares: Traefik replaces github.com/abbot/go-http-auth by a fork
#   the proxy refuses (and upstream v0.4.0 lacks what the fork added); their constructors
#   return an error naming this instead, so a route using them fails to build, loudly.
#
# Usage: tests/env/traefik-build.sh      build when missing, print the binary path
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TRAEFIK_VERSION=v3.7.13
module=github.com/traefik/traefik/v3
ldflags="-s -w -X $module/pkg/version.Version=$TRAEFIK_VERSION -X $module/pkg/version.Codename=test-node"
ldflags+=" -X $module/pkg/version.BuildDate=1970-01-01T00:00:00Z"
ext_go='package ext

// HTTP extends dynamic.HTTP; empty in open-source Traefik.
type HTTP struct{}

// Router extends dynamic.Router; empty in open-source Traefik.
type Router struct{}
'
no_dns_go='package acme

import (
	"fmt"

	"github.com/go-acme/lego/v5/challenge"
)

// newDNSChallengeProviderByName replaces lego'"'"'s provider registry in the test node'"'"'s build.
func newDNSChallengeProviderByName(name string) (challenge.Provider, error) {
	return nil, fmt.Errorf("ACME DNS-01 provider %q: not built into this test-node Traefik (tests/env/traefik-build.sh)", name)
}
'
no_auth_go='package auth

import (
	"context"
	"fmt"
	"net/http"

	"github.com/traefik/traefik/v3/pkg/config/dynamic"
)

// NewBasic replaces the basicAuth middleware in the test node'"'"'s build.
func NewBasic(_ context.Context, _ http.Handler, _ dynamic.BasicAuth, name string) (http.Handler, error) {
	return nil, fmt.Errorf("middleware %s: basicAuth is not built into this test-node Traefik (tests/env/traefik-build.sh)", name)
}

// NewDigest replaces the digestAuth middleware in the test node'"'"'s build.
func NewDigest(_ context.Context, _ http.Handler, _ dynamic.DigestAuth, name string) (http.Handler, error) {
	return nil, fmt.Errorf("middleware %s: digestAuth is not built into this test-node Traefik (tests/env/traefik-build.sh)", name)
}
'
recipe=$( (echo "$ldflags"; echo "$ext_go"; echo "$no_dns_go"; echo "$no_auth_go"; sed -n '/^ext_go=/,$p' "$0") | sha256sum | cut -c1-12)
dir=$TODO_CACHE/traefik-$TRAEFIK_VERSION-$recipe
bin=$dir/traefik
build_lock "$dir"
if [[ -x $bin ]]; then echo "$bin"; exit 0; fi

src=$(cd "$dir" && GOFLAGS=-mod=mod go mod download -json "$module@$TRAEFIK_VERSION" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
work=$(mktemp -d "$dir/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$src/." "$work/"
chmod -R u+w "$work"
mkdir -p "$work/pkg/config/dynamic/ext"
printf 'module github.com/traefik/traefik/dynamic/ext\n\ngo 1.24.0\n' >"$work/pkg/config/dynamic/ext/go.mod"
printf '%s' "$ext_go" >"$work/pkg/config/dynamic/ext/ext.go"
acme=$work/pkg/provider/acme/provider.go
grep -q 'dns.NewDNSChallengeProviderByName(' "$acme" || die "Traefik $TRAEFIK_VERSION: the DNS provider call moved; update $0"
sed -i -e '\|"github.com/go-acme/lego/v5/providers/dns"|d' \
  -e 's/dns\.NewDNSChallengeProviderByName(/newDNSChallengeProviderByName(/' "$acme"
printf '%s' "$no_dns_go" >"$work/pkg/provider/acme/dns_providers_omitted.go"
auth=$work/pkg/middlewares/auth
rm "$auth"/basic_auth.go "$auth"/basic_auth_test.go "$auth"/digest_auth.go "$auth"/digest_auth*_test.go
printf '%s' "$no_auth_go" >"$auth/auth_omitted.go"
log "building Traefik $TRAEFIK_VERSION into $dir (first run only; several minutes)"
start=$SECONDS
(cd "$work" && GOFLAGS=-mod=mod CGO_ENABLED=0 nice -n 10 go build -p "${KUBE_BUILD_JOBS:-2}" -trimpath \
  -ldflags="$ldflags" -o "$work/traefik" ./cmd/traefik)
mv "$work/traefik" "$bin"
log "built Traefik in $((SECONDS - start))s"
echo "$bin"
