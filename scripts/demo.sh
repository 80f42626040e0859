#!/usr/bin/env bash
# The demo command (`npm run demo`): installs what it needs, then runs
# Prometheus, the traffic generator and meshql on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh prometheus
exec node bin/meshql.js demo "$@"
