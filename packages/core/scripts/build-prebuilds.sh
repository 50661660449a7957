#!/usr/bin/env bash
# Builds the native code from source (native/build/Release) and copies it to
# prebuilds/<platform>-<arch>/, which npm pack ships, so that installing
# node-crac needs no compiler. The addon uses only N-API, so one build serves
# every Node version. Prints the prebuilds folder last.
set -euo pipefail
cd "$(dirname "$0")/.."
target="prebuilds/$(node -p 'process.platform + "-" + process.arch')"
# Run as `pnpm run build:prebuilds` (or npm's): the package manager puts its node-gyp on PATH.
node-gyp rebuild --directory native >&2
rm -rf "$target"
mkdir -p "$target"
for file in crac_bridge.node crac_restore_helper crac_no_io_uring.so; do
  install -m 755 "native/build/Release/$file" "$target/$file"
done
echo "$(pwd)/$target"
