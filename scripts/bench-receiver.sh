# Sourced by the load benchmarks.

# bench_setup makes a work directory ($work) and a list of background processes ($pids),
# both cleaned up when the script exits.
bench_setup() {
	work=$(mktemp -d)
	pids=()
	trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
}

# build_receiver PATH builds the trivial Go receiver they
# run against. It answers every POST after reading the body: 200, or -status N. With
# -unique it also hashes every body, and GET /distinct reports "requests distinct".
build_receiver() {
	local dir
	dir=$(mktemp -d)
	cat >"$dir/main.go" <<'GO'
package main

import (
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"sync"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18089", "listen address")
	unique := flag.Bool("unique", false, "count distinct bodies")
	status := flag.Int("status", 200, "status to answer every POST with")
	flag.Parse()
	var mu sync.Mutex
	seen := map[uint64]bool{}
	requests := 0
	http.HandleFunc("GET /distinct", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "%d %d\n", requests, len(seen))
	})
	http.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		defer w.WriteHeader(*status)
		if !*unique {
			io.Copy(io.Discard, r.Body)
			return
		}
		h := fnv.New64a()
		io.Copy(h, r.Body)
		mu.Lock()
		seen[h.Sum64()] = true
		requests++
		mu.Unlock()
	})
	if err := http.ListenAndServe(*addr, nil); err != nil {
		panic(err)
	}
}
GO
	printf 'module benchrecv\n\ngo 1.26\n' >"$dir/go.mod"
	(cd "$dir" && go build -o "$1" .)
	rm -rf "$dir"
}

# wait_listening PORT waits up to 5 s for the receiver to answer on 127.0.0.1:PORT.
wait_listening() {
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$1/distinct" && return 0
		sleep 0.1
	done
	echo "receiver did not start on 127.0.0.1:$1" >&2
	return 1
}
