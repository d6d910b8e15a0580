# clickcheck: build, test, lint, bench. `make test` is what CI runs.
GO ?= go
PKGS := ./...

.PHONY: build test lint bench bench-retry clean

build:
	$(GO) build -o bin/clickcheck ./cmd/clickcheck

## test: gofmt and go vet, then every test under the race detector.
test: lint
	$(GO) test -race -count=1 $(PKGS)

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

## bench: the Go benchmarks (generator speed, engine backlog); figures, not pass/fail.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./mock8x8

bench-retry:
	scripts/bench-retry.sh

clean:
	rm -rf bin
