# Targets for a fresh machine: `make demo` runs the conformance suite on its
# embedded vectors, `make test` runs every check CI runs.
GO ?= go
FUZZTIME ?= 5s

.PHONY: test vet unit fuzz-smoke fuzz demo bench bench-smoke build interop

test: vet unit fuzz-smoke

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout=20m ./...

# Every fuzz target of every package, FUZZTIME each.
fuzz-smoke:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash .ci/fuzz-smoke.sh

fuzz:
	$(MAKE) fuzz-smoke FUZZTIME=5m

# DEMO_FLAGS: e.g. -strict (CI), -slow, -json report.json.
demo:
	$(GO) run ./cmd/ssh3-conformance $(DEMO_FLAGS)

bench:
	$(GO) test -run=NONE -bench=. -benchmem ./wire/ ./frame/

# ssh3-bench's every mode once, small, no delay (CI adds -strict): as root
# with OpenSSH and iproute2 installed it runs through the namespace relay.
bench-smoke:
	$(GO) build -o bin/ ./cmd/ssh3 ./cmd/ssh3-server ./cmd/ssh3-bench
	bin/ssh3-bench smoke $(BENCH_SMOKE_FLAGS)

build:
	$(GO) build -o bin/ ./cmd/...

# The interop matrix against the original (francoismichel/ssh3 v0.1.7), built
# from ../shared/peers into .peer/ (once; SSH3_PEER_DIR overrides): every cell
# SSH3_INTEROP_RUNS times (10) in both directions. Needs root; skips, saying
# why, without the peer's archive. The table lands in bin/interop-matrix.md.
interop:
	mkdir -p bin
	SSH3_INTEROP_TABLE=$(CURDIR)/bin/interop-matrix.md $(GO) test -count=1 -timeout=30m -run TestMatrix -v ./interop/
