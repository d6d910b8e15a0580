#!/usr/bin/env bash
# Throughput of `clickcheck load --rate 0` (a unique generated event per request) against
# `vegeta attack -rate=0 -max-workers=100` (one fixed body), both against the same trivial
# Go receiver on loopback: 10 s each, alternating ROUNDS times (default 2), then the ratio
# of the median throughputs. Target: clickcheck >= 1.3x vegeta.
# Then a short run against a receiver that remembers every body proves each request was
# a distinct event. PPROF=1 also prints where clickcheck's CPU goes.
# Needs Go and python3; fetches vegeta v12.13.0 with `go install` unless it is on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10s}
PORT=${PORT:-18089}
CONNECTIONS=${CONNECTIONS:-}

. scripts/bench-receiver.sh
bench_setup
build_receiver "$work/receiver"
go build -o "$work/clickcheck" ./cmd/clickcheck
if command -v vegeta >/dev/null; then
	VEGETA=$(command -v vegeta)
else
	GOBIN="$work" GOFLAGS=-mod=mod go install github.com/tsenart/vegeta/v12@v12.13.0
	VEGETA="$work/vegeta"
fi

start_receiver() {
	"$work/receiver" -addr "127.0.0.1:$PORT" "$@" &
	pids+=($!)
	wait_listening "$PORT"
}
stop_receiver() { kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; }

json() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1"; }

start_receiver
url="http://127.0.0.1:$PORT/webhooks/8x8"
body="$work/body.json"
"$work/clickcheck" send --dry-run --count 1 --seed 1 >"$body"
conn=()
[ -n "$CONNECTIONS" ] && conn=(--connections "$CONNECTIONS")
profile=()
[ "${PPROF:-0}" = 1 ] && profile=(--cpu-profile "$work/cpu.out")
v=() c=()
echo "$(nproc) cores; receiver and load generator share them; $ROUNDS rounds of $DURATION each"
for round in $(seq "$ROUNDS"); do
	echo "POST $url" | "$VEGETA" attack -rate=0 -max-workers=100 -duration="$DURATION" \
		-header 'Content-Type: application/json' -body "$body" >"$work/vegeta.bin"
	"$VEGETA" report -type=json <"$work/vegeta.bin" >"$work/vegeta.json"
	v+=("$(json "$work/vegeta.json" "['throughput']")")
	"$work/clickcheck" load --to "$url" --rate 0 --duration "$DURATION" --quiet "${conn[@]}" "${profile[@]}" \
		--report-json "$work/load.json" >/dev/null
	c+=("$(json "$work/load.json" "['throughput']")")
	printf 'round %d: vegeta %8.0f req/s   clickcheck load %8.0f events/s\n' "$round" "${v[-1]}" "${c[-1]}"
done
stop_receiver
python3 - "${v[*]}" "${c[*]}" <<'PY'
import statistics, sys
v = [float(x) for x in sys.argv[1].split()]
c = [float(x) for x in sys.argv[2].split()]
mv, mc = statistics.median(v), statistics.median(c)
print(f"median: vegeta {mv:.0f} req/s (fixed body), clickcheck load {mc:.0f} events/s (unique events)")
print(f"ratio clickcheck/vegeta: {mc / mv:.2f}x (target >= 1.3x)")
PY

# Every request a distinct event: a receiver that hashes every body must see as many
# distinct bodies as requests, and as many as the report's events.
start_receiver -unique
"$work/clickcheck" load --to "$url" --rate 0 --duration 3s --quiet --report-json "$work/unique.json" >/dev/null
read -r requests distinct < <(curl -s "http://127.0.0.1:$PORT/distinct")
events=$(json "$work/unique.json" "['events']")
stop_receiver
if [ "$requests" = "$distinct" ] && [ "$requests" = "$events" ]; then
	echo "unique events: $events events sent, $requests requests received, $distinct distinct bodies"
else
	echo "UNIQUE CHECK FAILED: $events events sent, $requests requests received, $distinct distinct bodies" >&2
	exit 1
fi

if [ "${PPROF:-0}" = 1 ]; then
	echo "where clickcheck's CPU went (last round):"
	go tool pprof -top -nodecount=25 "$work/clickcheck" "$work/cpu.out" 2>/dev/null | sed -n '4,40p'
fi
