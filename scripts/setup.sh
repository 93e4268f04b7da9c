#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh machine: redis-server (Debian's package), with
# --tests also Debian's chromium (the browser test of the HTML report), and the node modules (npm ci, which
# also builds dist/). Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server redis-tools)
if [ "${1:-}" = "--tests" ] && ! command -v chromium >/dev/null 2>&1; then packages+=(chromium); fi

if [ "${#packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${packages[*]} (Debian packages)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
  else
    echo "setup: missing ${packages[*]}: install them (sudo apt-get install -y ${packages[*]}) and run this again" >&2
    exit 1
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ ! -f dist/bin/redis-leak-audit.js ]; then
  echo "setup: installing node modules (npm ci)" >&2
  npm ci --no-audit --no-fund
fi
