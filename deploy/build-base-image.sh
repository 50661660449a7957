#!/usr/bin/env bash
# Builds the base image locally when no registry is at hand: a minimal Debian 13
# tree from debootstrap, imported into podman. Reuses the image when podman has
# it, else the tree's archive cached in .cache/container.
#   deploy/build-base-image.sh [NAME]     (default localhost/node-crac-base:trixie)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=${1:-localhost/node-crac-base:trixie}
cache="$root/.cache/container"
archive="$cache/base-trixie.tar"

if podman image exists "$name"; then echo "$name"; exit 0; fi
if [ ! -f "$archive" ]; then
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$work" "$archive.tmp"' EXIT
  echo "build-base-image: debootstrap --variant=minbase trixie" >&2
  debootstrap --variant=minbase trixie "$work/rootfs" > "$work/debootstrap.log" 2>&1 || { cat "$work/debootstrap.log" >&2; exit 1; }
  # The package caches and lists are not needed at run time.
  rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
  tar -C "$work/rootfs" -cf "$archive.tmp" .
  mv "$archive.tmp" "$archive"
fi
# An imported image has no PATH: the app image sets one.
podman import -q "$archive" "$name" >&2
echo "$name"
