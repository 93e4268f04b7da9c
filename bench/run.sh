#!/usr/bin/env bash
# Runs the benchmarks (bench/run.ts) with the open-files limit raised for the whole bench, so that the live
# redis-server section can hold 65,000 connections (redis-server, holder processes and the bench inherit it).
# As root the limit goes past the hard limit, up to 262,144 (bounded by /proc/sys/fs/nr_open); otherwise the soft
# limit is raised to the hard one. Arguments pass through: --smoke, --out PATH, --only a,b.
set -euo pipefail
cd "$(dirname "$0")/.."

want=262144
hard="$(ulimit -Hn)"
nr_open="$(cat /proc/sys/fs/nr_open 2>/dev/null || echo 0)"
if [ "$nr_open" -gt 0 ] && [ "$nr_open" -lt "$want" ]; then want="$nr_open"; fi
if [ "$(id -u)" = "0" ] && ulimit -n "$want" 2>/dev/null; then
  :
elif [ "$hard" = "unlimited" ]; then
  ulimit -n "$want" 2>/dev/null || true
else
  ulimit -Sn "$hard" 2>/dev/null || true
fi
echo "bench: open files soft limit $(ulimit -Sn) (hard $(ulimit -Hn))"

# --expose-gc: the parse section collects garbage between sizes, so that one size's garbage is not billed to the next.
npx tsx --expose-gc bench/run.ts "$@"

# The companion's overhead (redis-leak-auditor/track): its own results file, bench/track-results.json (with --smoke,
# tiny and in the temp dir). Not a section of run.ts, so --only (which names run.ts's sections) leaves it out.
track_args=()
for arg in "$@"; do
  case "$arg" in
    --only) exit 0 ;;
    --smoke) track_args+=(--smoke) ;;
  esac
done
npx tsx bench/track-overhead.ts "${track_args[@]}"
