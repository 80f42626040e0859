#!/usr/bin/env bash
# The test command (`npm test`): installs what it needs, checks formatting and
# lint, regenerates the typed test operations, builds the web console,
# typechecks, then runs every test against real Prometheus (and the
# console's in Debian's Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
# VictoriaMetrics only for `npm run test:victoriametrics`: the default run reads Prometheus.
backends=(prometheus)
[ "${MESHQL_TEST_BACKEND:-}" != victoriametrics ] || backends+=(victoria-metrics)
bash scripts/ensure-deps.sh "${backends[@]}" kubectl chromium node24
# Formatting and lint first (Biome, biome.jsonc): drift fails here; `npx biome check --write` mends most of it.
npx --no-install biome ci
npx --no-install graphql-codegen --config codegen.yml --silent >/dev/null
npx --no-install vite build --config web/vite.config.ts --logLevel error
npx --no-install tsc --noEmit -p tsconfig.json
npx --no-install tsc --noEmit -p web/tsconfig.json
shopt -s globstar nullglob
# Arguments starting with "-" go to node's test runner; others name the test files (default: all).
flags=()
files=()
for arg in "$@"; do
  if [[ "$arg" == -* ]]; then flags+=("$arg"); else files+=("$arg"); fi
done
[ ${#files[@]} -gt 0 ] || files=(test/**/*.test.ts)
exec node --import tsx --test "${flags[@]}" "${files[@]}"
