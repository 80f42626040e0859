#!/usr/bin/env bash
# The test command (`npm test`): installs what it needs, regenerates the typed
# test operations, builds the web console, typechecks, then runs every test
# against real Prometheus (and the console's in Debian's Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh prometheus kubectl chromium node24
npx --no-install graphql-codegen --config codegen.yml --silent >/dev/null
npx --no-install vite build --config web/vite.config.ts --logLevel error
npx --no-install tsc --noEmit -p tsconfig.json
npx --no-install tsc --noEmit -p web/tsconfig.json
shopt -s globstar nullglob
files=(test/**/*.test.ts)
exec node --import tsx --test "$@" "${files[@]}"
