#!/usr/bin/env bash
# Type-checks every package's src and test (packages/*/tsconfig.typecheck.json,
# no output written), after building the packages' declarations (tsc -b) that
# adapters and tests import. Reports every package, exits non-zero on any type error.
set -uo pipefail
cd "$(dirname "$0")/.."
tsc=node_modules/.bin/tsc
"$tsc" -b || { echo "typecheck: tsc -b (the build) failed"; exit 1; }
failed=()
for config in packages/*/tsconfig.typecheck.json; do
  "$tsc" -p "$config" || failed+=("$(dirname "$config")")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "typecheck: type errors in ${failed[*]}"
  exit 1
fi
echo "typecheck: src and test of $(ls packages/*/tsconfig.typecheck.json | wc -l) packages type-check"
