#!/usr/bin/env bash
# Step 1 of the pipeline: the app image (deploy/Containerfile), from a package
# of this workspace with its production dependencies (pnpm deploy), the Node
# binary on PATH (or NODE) and the CRIU of scripts/provision-criu.sh.
#   deploy/build-app-image.sh PACKAGE IMAGE     e.g. example-realistic localhost/realistic:app
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
package=${1:?usage: build-app-image.sh PACKAGE IMAGE}
image=${2:?usage: build-app-image.sh PACKAGE IMAGE}
node=${NODE:-$(command -v node)}
base=$(bash "$root/deploy/build-base-image.sh" | tail -1)
criu_prefix="$root/.cache/criu/root"
[ -x "$criu_prefix/usr/sbin/criu" ] || bash "$root/scripts/provision-criu.sh" >/dev/null
if [ ! -x "$criu_prefix/usr/sbin/criu" ]; then
  echo "build-app-image: no unpacked CRIU in $criu_prefix: scripts/provision-criu.sh found a system CRIU; the image needs Debian 13's, unpacked there" >&2
  exit 1
fi

mkdir -p "$root/.cache/container"
context=$(mktemp -d "$root/.cache/container/context.XXXXXX")
trap 'rm -rf "$context"' EXIT
(cd "$root" && pnpm --filter "$package" deploy --prod --prefer-offline --legacy "$context/app" > "$context/deploy.log" 2>&1) ||
  { cat "$context/deploy.log" >&2; echo "build-app-image: pnpm deploy of $package failed" >&2; exit 1; }
rm -f "$context/deploy.log"
cp "$node" "$context/node"
cp "$root/deploy/probe.js" "$context/probe.js"
mkdir -p "$context/criu/bin"
cp -a "$criu_prefix" "$context/criu/root"
lib=/opt/criu/root/usr/lib/x86_64-linux-gnu
printf '#!/bin/sh\nexec %s/ld-linux-x86-64.so.2 --library-path %s /opt/criu/root/usr/sbin/criu "$@"\n' "$lib" "$lib" > "$context/criu/bin/criu"
chmod 755 "$context/criu/bin/criu"
podman build -q --build-arg "BASE=$base" -f "$root/deploy/Containerfile" -t "$image" "$context" >&2
echo "$image"
