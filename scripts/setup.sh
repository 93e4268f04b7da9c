#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh machine: redis-server (Debian's package) and the
# node modules (npm ci, which also builds dist/). Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing redis-server (Debian package)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null
  else
    echo "setup: redis-server is missing: install it (sudo apt-get install -y redis-server, or brew install redis) and run this again" >&2
    exit 1
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ ! -f dist/bin/redis-leak-audit.js ]; then
  echo "setup: installing node modules (npm ci)" >&2
  npm ci --no-audit --no-fund
fi
