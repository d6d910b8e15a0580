#!/usr/bin/env bash
# Memory of `clickcheck load` over a minute (targets from the load issue):
#  1. flat: at a constant RATE (default 5000/s) against a receiver that answers 200, the
#     RSS at 60 s is within 1.2x of the RSS at 10 s;
#  2. retries: against a receiver that answers 503 to everything at 5000 events/s for 60 s
#     (300,000 events pending retry on the real schedule), the peak RSS stays under 300 MB.
# DURATION shortens both runs for a quick look (the targets are for 60s).
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-5000}
DURATION=${DURATION:-60s}
PORT=${PORT:-18090}
. scripts/bench-receiver.sh
bench_setup
build_receiver "$work/receiver"
go build -o "$work/clickcheck" ./cmd/clickcheck
secs=$(python3 -c "import re,sys; m=re.fullmatch(r'(\d+)(s|m)', sys.argv[1]); print(int(m[1])*(60 if m[2]=='m' else 1))" "$DURATION")

rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_mb() { awk '/^VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0; }

# run_load STATUS: runs the load against a receiver answering STATUS, printing the RSS
# every 10 s of the attack, and leaves the samples in $samples and the peak in $peak.
run_load() {
	"$work/receiver" -addr "127.0.0.1:$PORT" -status "$1" &
	pids+=($!)
	wait_listening "$PORT"
	"$work/clickcheck" load --to "http://127.0.0.1:$PORT/webhooks/8x8" --rate "$RATE" --duration "$DURATION" \
		--drain -1s --quiet --report-json "$work/report.json" >"$work/summary.txt" &
	local pid=$!
	samples=()
	peak=0
	local began=$SECONDS
	# Samples every 10 s, the last 2 s before the attack ends (the process then exits).
	for t in $(seq 10 10 "$((secs - 2))") "$((secs - 2))"; do
		[ "$t" -le "$((SECONDS - began))" ] && continue
		sleep "$((t - (SECONDS - began)))"
		samples+=("$(rss_mb "$pid")")
		peak=$(hwm_mb "$pid")
		echo "  ${t}s: RSS ${samples[-1]} MB (peak so far $peak MB)"
	done
	wait "$pid" || true
	kill "${pids[-1]}"
	wait "${pids[-1]}" 2>/dev/null || true
	sed -n '1,6p' "$work/summary.txt" | sed 's/^/  /'
}

echo "1. constant $RATE/s for $DURATION, receiver answers 200"
run_load 200
python3 - "${samples[0]}" "${samples[-1]}" <<'PY'
import sys
first, last = float(sys.argv[1]), float(sys.argv[2])
print(f"RSS at 10 s {first:.1f} MB, 2 s before the end {last:.1f} MB: ratio {last / first:.2f} (target <= 1.2)")
PY
echo "2. constant $RATE/s for $DURATION, receiver answers 503 to everything (real retry schedule)"
run_load 503
pending=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['results']['pending'])" "$work/report.json")
echo "peak RSS $peak MB with $pending events pending retry at the end (target < 300 MB)"
