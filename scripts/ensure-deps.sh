#!/usr/bin/env bash
# Installs what meshql's demo and tests need, only when it is missing:
# node modules (npm ci), and Debian's prometheus (with promtool), victoria-metrics and kubectl.
# Usage: scripts/ensure-deps.sh [prometheus] [victoria-metrics] [kubectl]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "meshql: installing node modules (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

apt_packages=()
for need in "$@"; do
  case "$need" in
    prometheus) command -v prometheus >/dev/null && command -v promtool >/dev/null || apt_packages+=(prometheus) ;;
    victoria-metrics) command -v victoria-metrics >/dev/null || apt_packages+=(victoria-metrics) ;;
    kubectl) command -v kubectl >/dev/null || apt_packages+=(kubernetes-client) ;;
  esac
done
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "meshql: missing Debian packages: ${apt_packages[*]}. Install them with: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${apt_packages[*]}" >&2
    exit 1
  fi
  echo "meshql: installing Debian packages: ${apt_packages[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >&2
fi
