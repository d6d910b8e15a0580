#!/usr/bin/env bash
# Holds 100,000 events pending retry in the mock8x8 engine and prints the peak RSS and how
# late retries start against their due time (p50/p99/max). Targets: RSS < 100 MB, p99 < 5 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(go test -run '^$' -bench 'BenchmarkEngine_RetryBacklog$' -benchtime 1x -count "${COUNT:-1}" ./mock8x8)
echo "$out" | grep -E '^(goos|goarch|cpu|Benchmark)'
echo "$out" | awk '/^BenchmarkEngine_RetryBacklog/ {
  for (i = 3; i < NF; i += 2) v[$(i+1)] = $i
  printf "100k pending: peak RSS %.1f MB for the whole process (target < 100; %.1f MB before the first event),\n", v["peak-RSS-MB"], v["base-RSS-MB"]
  printf "retry lateness: p50 %.3f ms, p99 %.3f ms (target < 5), max %.3f ms\n", v["p50-late-ms"], v["p99-late-ms"], v["max-late-ms"]
}'
