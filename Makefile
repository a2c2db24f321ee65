# The two commands a fresh machine needs are `make run` and `make test`.
GO ?= go

.PHONY: run test build vet fuzz bench

run:
	$(GO) run ./cmd/switchboard serve

# test runs every test. The store and widget tests start their own
# redis-server and headless Chromium; .ci/run installs both when missing.
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

build:
	$(GO) build -o bin/switchboard ./cmd/switchboard

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
