#!/usr/bin/env bash
# `make image`: the platform's one image (Containerfile beside this script), built with podman as root.
#   resources/deploy/build-image.sh [IMAGE]      default localhost/enrichment-platform:<version of pyproject.toml>
#   resources/deploy/build-image.sh --tools      only install podman and debootstrap (apt-get) when missing
# No registry image is pulled: the base is Debian bookworm made by debootstrap and imported once, then reused;
# rebuilds reuse podman's layer cache.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$repo/pyproject.toml")"
image="${1:-localhost/enrichment-platform:$version}"
base="${ENRICHMENT_BASE_IMAGE:-localhost/enrichment-base:bookworm}"
suite=bookworm
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# What the image needs from Debian: Python 3.11 with venv, the CA bundle, tini as the containers' init.
base_packages=python3,python3-venv,ca-certificates,tini
host_ca=/etc/ssl/certs/ca-certificates.crt
podman=(podman --storage-driver=vfs)

if [[ "$(id -u)" != 0 ]]; then
  echo "build-image.sh: run as root (podman builds here as root, and apt-get may install it)" >&2
  exit 1
fi

install_tools() {
  local missing=()
  command -v podman > /dev/null || missing+=(podman)
  command -v debootstrap > /dev/null || missing+=(debootstrap)
  [[ ${#missing[@]} == 0 ]] && return
  if ! command -v apt-get > /dev/null; then
    echo "build-image.sh: ${missing[*]} missing and no apt-get to install them; install them first" >&2
    exit 1
  fi
  echo "installing ${missing[*]} with apt-get"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# The pinned base: the suite, plus the Debian point release and every package version as labels.
build_base() {
  local root
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' RETURN
  chmod 755 "$root"  # it becomes the image's /, which every user must traverse
  echo "making the base $base: debootstrap $suite from $mirror"
  debootstrap --variant=minbase --include="$base_packages" "$suite" "$root" "$mirror"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  local packages
  packages="$(chroot "$root" dpkg-query -W -f '${Package}=${Version} ' | sed 's/ $//')"
  tar -C "$root" --numeric-owner -c . | "${podman[@]}" import \
    --change "LABEL org.debian.suite=$suite" \
    --change "LABEL org.debian.version=$(cat "$root/etc/debian_version")" \
    --change "LABEL org.debian.packages=\"$packages\"" \
    --change 'CMD ["/bin/bash"]' \
    --message "debootstrap --variant=minbase --include=$base_packages $suite $mirror" - "$base"
}

install_tools
[[ "${1:-}" == --tools ]] && exit 0
"${podman[@]}" image exists "$base" || build_base

build_args=(--build-arg "BASE=$base")
# pip inside the build uses the host's index and CA bundle (which may hold a proxy's CA).
[[ -n "${PIP_INDEX_URL:-}" ]] && build_args+=(--build-arg "PIP_INDEX_URL=$PIP_INDEX_URL")
[[ -f "$host_ca" ]] && build_args+=(--volume "$host_ca:/etc/ssl/certs/ca-certificates.crt:ro")
# --format docker keeps HEALTHCHECK (the OCI format has no field for it).
"${podman[@]}" build --format docker --isolation=chroot --network=host --layers \
  "${build_args[@]}" \
  --file "$repo/resources/deploy/Containerfile" --ignorefile "$repo/resources/deploy/Containerfile.ignore" \
  --tag "$image" "$repo"
echo "built $image ($("${podman[@]}" image inspect --format '{{.Size}}' "$image") bytes)"
