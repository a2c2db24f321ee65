# The two commands a fresh machine needs are `make run` and `make test`.
GO ?= go

.PHONY: run test test-race build vet bench loadtest eval

run:
	$(GO) run ./cmd/switchboard serve

# test runs every test. The store and widget tests start their own
# redis-server and headless Chromium; .ci/run installs both when missing.
# The race detector runs on the concurrent packages where it is cheap.
test: vet
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) test-race

test-race:
	$(GO) test -count=1 -race -timeout 10m ./adapters/web ./bot ./conversation/memstore ./conversation/queue

vet:
	$(GO) vet ./...

build:
	$(GO) build -o bin/switchboard ./cmd/switchboard

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# eval prints the extractive answerer's scores on the dev help centres
# (a row each and their sum), held-out and the demo: the figures issue
# notes report. MODE=all adds generative mode (about 7 minutes more).
MODE ?= extractive
eval: build
	./bin/switchboard eval --mode $(MODE) --sets 'configs/dev/*'
	./bin/switchboard eval --mode $(MODE) --sets configs/heldout
	./bin/switchboard eval --mode $(MODE)

# loadtest prints reply latency p50/p99 for 200 concurrent widget sessions
# on a real redis-server.
loadtest:
	$(GO) test -count=1 -run '^TestLoad$$' -v ./bot -loadtest.sessions 200

# soak is the long form of the load and fault harness: 3 gateways and 3
# workers (one core each) on a local Redis Cluster (3 primaries, 3
# replicas), 40 widget and webhook users for 10 minutes, workers killed,
# gateways restarted, every Redis node stopped for 10 s, a primary failed
# over and another killed; it fails if a message is lost, answered twice,
# out of order, or answered differently on a retry.
.PHONY: soak
soak: build
	./bin/switchboard loadtest --cluster --gateways 3 --workers 3 --worker-procs 1 --users 40 --duration 10m --faults --outage 10s
