#!/usr/bin/env bash
# One command from a fresh clone: installs everything (pnpm, dependencies, the
# native code and its prebuilds, TypeScript build, the bundled CRIU package,
# podman with a locally built base image, PostgreSQL and Redis running),
# then runs the main demo. `--no-demo` stops after the setup (used by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
demo=1
[ "${1:-}" = "--no-demo" ] && demo=0

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then echo "setup: Node.js >= 20 is needed (found: $(node --version 2>/dev/null || echo none))" >&2; exit 1; fi

pnpm_version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  echo "setup: installing pnpm $pnpm_version" >&2
  npm install -g "pnpm@$pnpm_version" >&2
fi

echo "setup: installing dependencies" >&2
pnpm install --frozen-lockfile
echo "setup: building the native code (packages/core/native/build, copied to prebuilds/)" >&2
pnpm --filter node-crac run build:prebuilds >/dev/null
echo "setup: building TypeScript" >&2
pnpm run build

# The same package npm users get; the workspace links it into node-crac.
echo "setup: assembling @node-crac/criu-linux-x64 (packages/criu-linux-x64)" >&2
criu=$(bash scripts/provision-criu.sh | tail -1)
echo "setup: bundled CRIU at $criu" >&2
node packages/core/bin/crac.js doctor || echo "setup: crac doctor reports the problems above" >&2
echo "setup: provisioning podman and the base image of the deploy/ tests" >&2
CONTAINERS_CONF=$(bash scripts/provision-podman.sh | tail -1)
export CONTAINERS_CONF
bash deploy/build-base-image.sh >/dev/null
bash scripts/services.sh

if [ "$demo" = 1 ]; then
  pnpm run demo
fi
