#!/usr/bin/env bash
# Installs what meshql's demo and tests need, only when it is missing:
# node modules (npm ci), Debian's prometheus (with promtool), victoria-metrics,
# kubectl and chromium (the browser tests drive it; never a downloaded browser),
# and Node 24 (the npm registry's `node` package, in .tmp/node24) for the smoke tests.
# Usage: scripts/ensure-deps.sh [prometheus] [victoria-metrics] [kubectl] [chromium] [node24]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "meshql: installing node modules (npm ci; a minute or two on a fresh clone)" >&2
  started=$SECONDS
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "meshql: node modules installed ($((SECONDS - started))s)" >&2
fi

# Node 24, the current LTS: the built server's smoke tests run on it as well as on this Node.
NODE24_VERSION=24.21.0
if [[ " $* " == *" node24 "* ]] && [ "$(.tmp/node24/node_modules/.bin/node --version 2>/dev/null)" != "v$NODE24_VERSION" ]; then
  echo "meshql: installing Node $NODE24_VERSION into .tmp/node24 (npm package node)" >&2
  mkdir -p .tmp/node24
  npm install --prefix .tmp/node24 --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node@$NODE24_VERSION" >&2
fi

apt_packages=()
for need in "$@"; do
  case "$need" in
    prometheus) command -v prometheus >/dev/null && command -v promtool >/dev/null || apt_packages+=(prometheus) ;;
    victoria-metrics) command -v victoria-metrics >/dev/null || apt_packages+=(victoria-metrics) ;;
    kubectl) command -v kubectl >/dev/null || apt_packages+=(kubernetes-client) ;;
    chromium) command -v chromium >/dev/null || apt_packages+=(chromium) ;;
  esac
done
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "meshql: missing Debian packages: ${apt_packages[*]}. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${apt_packages[*]}" >&2
    exit 1
  fi
  echo "meshql: installing Debian packages: ${apt_packages[*]} (apt-get; up to a few minutes)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >&2
fi
