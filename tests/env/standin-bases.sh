#!/usr/bin/env bash
# Builds the STAND-IN base images that replace python:3.11-slim and node:18-alpine in the
# image tests (no container registry is reachable here, so those cannot be pulled).
# Each is a debootstrap of Debian bookworm (minbase) plus Debian's own packages, imported
# with `docker import`, and tagged and labelled as a stand-in.
#   tests/env/standin-bases.sh            # needs DOCKER_HOST (eval "$(tests/env/dockerd.sh start)")
#   tests/env/standin-bases.sh --rootfs   # only the debootstrap tarballs (no engine needed): what
#                                         # `make test` warms in the background
# Prints "python=<tag>" and "node=<tag>" lines on stdout (not with --rootfs).
# Cached by content: a hash of each base's recipe (suite, package lists, the build function's
# code) names its rootfs tarball in $TODO_CACHE/standin, and a hash of that plus the image
# settings and the host's extra CA certificates is a label on the image, so a second run
# neither debootstraps nor imports again. The debootstrap work happens in $TODO_CACHE, never
# in the repo.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DOCKER=${TODO_DOCKER:-/usr/bin/docker}
SUITE=bookworm
[[ $EUID -eq 0 ]] || die "debootstrap needs root; try: sudo $0"
command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install -y debootstrap"
ROOTFS_ONLY=0
[[ ${1:-} == --rootfs ]] && ROOTFS_ONLY=1
((ROOTFS_ONLY)) || [[ -n ${DOCKER_HOST:-} ]] || die "DOCKER_HOST is not set: eval \"\$(tests/env/dockerd.sh start)\" first"

# The same Debian mirror the host's apt uses (deb822 .sources or one-line sources.list).
mirror() {
  [[ -n ${DEBIAN_MIRROR:-} ]] && { echo "$DEBIAN_MIRROR"; return; }
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ && $2 ~ /\/debian\/?$/ {print $2; exit}')
  [[ -n $uri ]] || uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '$1 == "deb" && $3 ~ /^bookworm$/ && $2 ~ /\/debian\/?$/ {print $2; exit}')
  echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=$(mirror)

STANDIN=$TODO_CACHE/standin
build_lock "$STANDIN"
mkdir -p "$STANDIN/debs"
# A debootstrap interrupted half-way leaves /proc mounted in its rootfs: unmount before exit.
cleanup_mounts() {
  local m
  for m in $(awk -v d="$STANDIN/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" || true; done
}
trap cleanup_mounts EXIT

# Python: what python:3.11-slim gives a Dockerfile (python3.11, venv, pip), and no compiler
# (debootstrap installs Depends only, not the Recommends that would pull build-essential).
PY_TAG=todo-standin/python:3.11-bookworm-standin
PY_PKGS=python3.11,python3-venv,python3-pip,ca-certificates
# Node: Debian's nodejs (18.19) and npm. debootstrap cannot configure npm's hundreds of
# node-* packages itself, so npm is installed with apt-get inside the chroot afterwards.
NODE_TAG=todo-standin/node:18-bookworm-standin
NODE_PKGS=nodejs,ca-certificates
NODE_EXTRA=npm

# rootfs NAME INCLUDE EXTRA HASH -> path of a cached rootfs tarball
rootfs() {
  local name=$1 include=$2 extra=$3 hash=$4
  local tar=$STANDIN/$name-$SUITE-$hash.tar
  if [[ -s $tar ]]; then echo "$tar"; return; fi
  local dir=$STANDIN/$name-rootfs.$$
  rm -rf "$dir"
  log "debootstrap $SUITE ($include) from $MIRROR for the $name stand-in base (first run only)"
  debootstrap --variant=minbase --include="$include" --cache-dir="$STANDIN/debs" \
    "$SUITE" "$dir" "$MIRROR" >"$STANDIN/$name-debootstrap.log" 2>&1 \
    || { tail -n 30 "$STANDIN/$name-debootstrap.log" >&2; die "debootstrap of the $name stand-in failed (log $STANDIN/$name-debootstrap.log)"; }
  if [[ -n $extra ]]; then
    log "apt-get install $extra in the $name stand-in rootfs"
    cp /etc/resolv.conf "$dir/etc/resolv.conf"
    mount -t proc proc "$dir/proc"
    local rc=0
    chroot "$dir" env DEBIAN_FRONTEND=noninteractive bash -c \
      "apt-get update -qq && apt-get install -y -qq --no-install-recommends $extra" \
      >"$STANDIN/$name-apt.log" 2>&1 || rc=$?
    umount "$dir/proc"
    ((rc == 0)) || { tail -n 30 "$STANDIN/$name-apt.log" >&2; die "apt-get install $extra in the $name stand-in failed"; }
  fi
  # Like the official slim images: no apt lists or package cache left in the base.
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb
  : >"$dir/etc/resolv.conf"
  tar -C "$dir" --numeric-owner -cf "$tar.tmp" .
  mv "$tar.tmp" "$tar"
  rm -rf "$dir"
  echo "$tar"
}

# The host's own extra CA certificates (Debian's /usr/local/share/ca-certificates). Where the
# network re-signs TLS (as on this project's machines), pip and npm inside the build trust
# what the host trusts; on an ordinary network the directory is empty and nothing changes.
HOST_CAS=/usr/local/share/ca-certificates

# import TAG TARBALL HASH DOCKERFILE_LINES... -> imports the rootfs, then adds the host's CAs
# and the image settings in a one-step local build; skipped when TAG already carries HASH.
import() {
  local tag=$1 tar=$2 hash=$3; shift 3
  local have
  have=$("$DOCKER" image inspect -f '{{index .Config.Labels "todo.standin.hash"}}' "$tag" 2>/dev/null || true)
  if [[ $have == "$hash" ]]; then log "stand-in base $tag is up to date (recipe $hash)"; return; fi
  log "importing stand-in base $tag"
  local rootfs_tag=${tag%%:*}-rootfs:$hash
  "$DOCKER" import "$tar" "${rootfs_tag}" >/dev/null
  local ctx
  ctx=$(mktemp -d)
  mkdir -p "$ctx/cas"
  find "$HOST_CAS" -maxdepth 1 -name '*.crt' -exec cp {} "$ctx/cas/" \; 2>/dev/null || true
  {
    echo "FROM $rootfs_tag"
    echo "COPY cas/ /usr/local/share/ca-certificates/"
    echo "RUN update-ca-certificates >/dev/null"
    printf '%s\n' "$@"
    echo "LABEL todo.standin=true todo.standin.hash=$hash"
    echo "LABEL org.opencontainers.image.description=\"STAND-IN base built from Debian $SUITE packages, not the official image\""
  } >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=1 "$DOCKER" build --quiet --network none -t "$tag" "$ctx" >/dev/null \
    || { rm -rf "$ctx"; die "building the stand-in base $tag from $rootfs_tag failed"; }
  rm -rf "$ctx"
  "$DOCKER" rmi "$rootfs_tag" >/dev/null 2>&1 || true
}

# hash_of WORDS... -> short content hash
hash_of() { printf '%s\n' "$@" | sha256sum | cut -c1-16; }

# base NAME TAG INCLUDE EXTRA DOCKERFILE_LINES...
base() {
  local name=$1 tag=$2 include=$3 extra=$4; shift 4
  local fs_hash img_hash tar cas
  # The rootfs depends on the suite, the packages and how rootfs() makes it; the image also
  # on the import recipe, its settings and the host's extra CAs.
  fs_hash=$(hash_of "$SUITE" "$name" "$include" "$extra" "$(declare -f rootfs)")
  cas=$(cat "$HOST_CAS"/*.crt 2>/dev/null | sha256sum)
  img_hash=$(hash_of "$fs_hash" "$tag" "$(declare -f import)" "$cas" "$@")
  tar=$(rootfs "$name" "$include" "$extra" "$fs_hash")
  ((ROOTFS_ONLY)) || import "$tag" "$tar" "$img_hash" "$@"
  # Tarballs of older recipes of this base are useless now: keep the cache small.
  find "$STANDIN" -maxdepth 1 -name "$name-$SUITE-*.tar" ! -name "$name-$SUITE-$fs_hash.tar" -delete
}

PATH_ENV="ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8"
base python "$PY_TAG" "$PY_PKGS" "" "$PATH_ENV" 'CMD ["python3"]'
# Node reads only its bundled CA list unless told otherwise.
base node "$NODE_TAG" "$NODE_PKGS" "$NODE_EXTRA" "$PATH_ENV" "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" 'CMD ["node"]'
((ROOTFS_ONLY)) && exit 0
echo "python=$PY_TAG"
echo "node=$NODE_TAG"
