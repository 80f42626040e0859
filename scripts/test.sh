#!/usr/bin/env bash
# The test command (`npm test`): installs what it needs, regenerates the typed
# test operations, typechecks, then runs every test against real Prometheus.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh prometheus victoria-metrics kubectl
npx --no-install graphql-codegen --config codegen.yml --silent >/dev/null
npx --no-install tsc --noEmit -p tsconfig.json
shopt -s globstar nullglob
# Arguments starting with "-" go to node's test runner; others name the test files (default: all).
flags=()
files=()
for arg in "$@"; do
  if [[ "$arg" == -* ]]; then flags+=("$arg"); else files+=("$arg"); fi
done
[ ${#files[@]} -gt 0 ] || files=(test/**/*.test.ts)
exec node --import tsx --test "${flags[@]}" "${files[@]}"
