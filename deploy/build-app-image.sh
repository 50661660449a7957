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
# CRIU as scripts/provision-criu.sh assembles it: criu and the libraries and
# loader it runs with, either as the packages/criu-linux-x64 package (sbin/, lib/)
# or unpacked under .cache/criu/root.
bash "$root/scripts/provision-criu.sh" >/dev/null
criu_sbin= criu_lib=
for layout in "$root/packages/criu-linux-x64:sbin:lib" "$root/.cache/criu/root:usr/sbin:usr/lib/x86_64-linux-gnu"; do
  IFS=: read -r dir sbin lib <<< "$layout"
  if [ -x "$dir/$sbin/criu" ] && [ -x "$dir/$lib/ld-linux-x86-64.so.2" ]; then criu_sbin="$dir/$sbin"; criu_lib="$dir/$lib"; break; fi
done
if [ -z "$criu_sbin" ]; then
  echo "build-app-image: scripts/provision-criu.sh left no CRIU with its libraries in packages/criu-linux-x64 or .cache/criu/root (a system CRIU cannot be copied into the image)" >&2
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
mkdir -p "$context/criu/bin" "$context/criu/sbin"
cp "$criu_sbin/criu" "$context/criu/sbin/criu"
cp -a "$criu_lib" "$context/criu/lib"
# The launcher finds sbin/ and lib/ from its own path.
printf '#!/bin/sh\nhere=${0%%/bin/*}\nexec "$here/lib/ld-linux-x86-64.so.2" --library-path "$here/lib" "$here/sbin/criu" "$@"\n' > "$context/criu/bin/criu"
chmod 755 "$context/criu/bin/criu"
podman build -q --build-arg "BASE=$base" -f "$root/deploy/Containerfile" -t "$image" "$context" >&2
echo "$image"
