#!/usr/bin/env bash
# Runs every package's tap suite and prints one closing line with the totals.
#   scripts/test.sh                     all tests, with the node on PATH
#   scripts/test.sh --node 24.9.0       with that Node version (scripts/provision-node.sh)
#   scripts/test.sh --e2e               only the end-to-end suites (test/e2e of each package), no
#                                       coverage thresholds and no typecheck (those go with a whole run)
# Exits non-zero when any suite fails or when no test ran.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
only_e2e=0
while [ $# -gt 0 ]; do
  case "$1" in
    --node) node_bin=$(bash scripts/provision-node.sh "$2" | tail -1) || exit 1
            export PATH="$(dirname "$node_bin"):$PATH"; shift 2;;
    --e2e) only_e2e=1; shift;;
    *) echo "test.sh: unknown argument $1 (use --node VERSION, --e2e)" >&2; exit 2;;
  esac
done
echo "test.sh: node $(node --version) ($(command -v node))"
typecheck=()
if [ "$only_e2e" = 0 ]; then
  echo "=== typecheck: src and test of every package (pnpm typecheck)"
  bash scripts/typecheck.sh || typecheck=(typecheck)
fi
bash scripts/services.sh

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
pass=0; fail=0; skip=0; failed_suites=("${typecheck[@]}"); failed_logs=()
for dir in packages/* examples/* bench; do
  [ -d "$dir/test" ] || continue
  target=()
  if [ "$only_e2e" = 1 ]; then
    [ -d "$dir/test/e2e" ] || continue
    target=(--disable-coverage test/e2e)
  fi
  log="$logs/$(echo "$dir" | tr / _).log"
  echo "=== $dir ${target[*]:-}"
  (cd "$dir" && "$root/node_modules/.bin/tap" --reporter=tap "${target[@]}") 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  summary=$(grep -E '^# \{ total: [0-9]+' "$log" | tail -1)
  p=$(echo "$summary" | grep -oE 'pass: [0-9]+' | grep -oE '[0-9]+' || echo 0)
  f=$(echo "$summary" | grep -oE 'fail: [0-9]+' | grep -oE '[0-9]+' || echo 0)
  s=$(echo "$summary" | grep -oE '(skip|todo): [0-9]+' | awk '{n += $2} END {print n + 0}')
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0})); skip=$((skip + ${s:-0}))
  if [ "$status" != 0 ] || [ -z "$summary" ]; then
    failed_suites+=("$dir")
    failed_logs+=("$log")
    [ "${f:-0}" = 0 ] && fail=$((fail + 1))
  fi
done

echo
if [ ${#failed_suites[@]} -gt 0 ]; then
  echo "failed suites: ${failed_suites[*]}"
  [ ${#failed_logs[@]} -gt 0 ] && awk -f scripts/tap-failures.awk "${failed_logs[@]}"
fi
echo "total: $pass passed, $fail failed, $skip skipped"
[ ${#failed_suites[@]} -eq 0 ] && [ "$pass" -gt 0 ]
