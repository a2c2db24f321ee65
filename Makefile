# The two commands a fresh machine needs are `make run` and `make test`.
GO ?= go

.PHONY: run test test-race build vet bench loadtest

run:
	$(GO) run ./cmd/switchboard serve

# test runs every test. The store and widget tests start their own
# redis-server and headless Chromium; .ci/run installs both when missing.
# The race detector runs on the concurrent packages where it is cheap.
test: vet
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) test-race

test-race:
	$(GO) test -count=1 -race -timeout 10m ./adapters/web ./bot ./conversation/memstore

vet:
	$(GO) vet ./...

build:
	$(GO) build -o bin/switchboard ./cmd/switchboard

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# loadtest prints reply latency p50/p99 for 200 concurrent widget sessions
# on a real redis-server.
loadtest:
	$(GO) test -count=1 -run '^TestLoad$$' -v ./bot -loadtest.sessions 200
