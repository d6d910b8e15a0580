# clickcheck: build, test, lint, bench. `make test` is what CI runs.
GO ?= go
PKGS := ./...

.PHONY: build test lint bench bench-retry bench-load clean

build:
	$(GO) build -o bin/clickcheck ./cmd/clickcheck

## test: gofmt and go vet, then every test under the race detector.
test: lint
	$(GO) test -race -count=1 $(PKGS)

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

## bench: generator speed per core, then the engine holding 100k pending retries.
## Figures, not pass/fail.
bench:
	$(GO) test -run '^$$' -bench 'Generator' -benchmem -cpu 1 ./mock8x8
	scripts/bench-retry.sh

bench-retry:
	scripts/bench-retry.sh

## bench-load: `clickcheck load` against vegeta (fetched with go install), then its memory.
bench-load:
	scripts/bench-vs-vegeta.sh
	scripts/bench-load-memory.sh

clean:
	rm -rf bin
