#!/usr/bin/env bash
# Runs the benchmarks (bench/run.ts) with the soft open-files limit raised to the hard limit, so that the live
# redis-server section can hold 15,000+ connections. Arguments pass through: --smoke, --out PATH, --only a,b.
set -euo pipefail
cd "$(dirname "$0")/.."

hard="$(ulimit -Hn)"
if [ "$hard" = "unlimited" ]; then
  ulimit -n 1048576 2>/dev/null || true
else
  ulimit -n "$hard" 2>/dev/null || true
fi
echo "bench: open files soft limit $(ulimit -Sn) (hard ${hard})"

# --expose-gc: the parse section collects garbage between sizes, so that one size's garbage is not billed to the next.
exec npx tsx --expose-gc bench/run.ts "$@"
