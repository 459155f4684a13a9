# CyberMesh. The README's first two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

SWIFT ?= swift
FUZZ_RUNS ?= 1000000
FUZZ_SMOKE_RUNS ?= 4000
SEEDS ?= 20000
TEST_SEEDS ?= 300

.PHONY: help deps build release test unit-tests sim-check sim proto check-proto fuzz fuzz-smoke bench-micro bench-state bench-consensus bench-ingest run node-stop node-start

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

deps: ## install missing Debian packages (idempotent)
	@scripts/deps.sh

build: deps ## debug build of everything
	$(SWIFT) build

release: deps ## release binaries in .build/release (the shipped products only, not the test-only byzantine-validator)
	$(SWIFT) build -c release --product consensusd
	$(SWIFT) build -c release --product ingestor

test: deps check-proto unit-tests sim-check fuzz-smoke ## every test: unit, simulation, multi-process, fuzz smoke
	@echo "make test: all suites passed"

unit-tests:
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-xctest 2>&1 | tee .build/unit-tests.log; test $${PIPESTATUS[0]} -eq 0
	@n=$$(grep -o 'Test run with [0-9]* tests' .build/unit-tests.log | grep -o '[0-9]*' | tail -1); echo "tests: $$n passed, 0 failed"

sim-check: release ## simulator: every scenario, TEST_SEEDS seeds, and the checker's own test
	scripts/sim-check.sh $(TEST_SEEDS)

sim: release ## run SEEDS simulator seeds (default 20000) and bounded-memory over 1,000,000 transactions
	.build/release/consensusd simulate --scenario bounded-memory
	.build/release/consensusd simulate --seeds $(SEEDS)

proto: ## regenerate the protobuf-c code from proto/
	scripts/generate-proto.sh Sources/CyberMeshProto

check-proto: deps ## fail if committed generated code differs from proto/
	@scripts/check-proto.sh

fuzz: deps ## run every fuzz target for FUZZ_RUNS inputs
	scripts/fuzz.sh $(FUZZ_RUNS)

fuzz-smoke: deps ## a short pass of every fuzz target
	scripts/fuzz.sh $(FUZZ_SMOKE_RUNS)

bench-state: release ## state-machine apply rate, Merkle cost per block at 10k/1M entries, simulated throughput with checkpoints
	.build/release/consensusd bench-state
	.build/release/consensusd simulate --bench

bench-ingest: deps ## ingestor: verification per core vs raw Ed25519, Kafka to f+1 commit with 4 validators, CPU per event
	$(SWIFT) build -c release --product consensusd
	$(SWIFT) build -c release --product ingestor
	scripts/bench-ingest.py

bench-consensus: deps ## 4 validators + ingestor load at stepped rates: committed events/s, latency, CPU per event, Ed25519 bound, genesis time
	$(SWIFT) build -c release --product consensusd
	$(SWIFT) build -c release --product ingestor
	scripts/bench-consensus.py

bench-micro: deps ## micro-benchmarks (ordo-one/benchmark), figures in docs/benchmarks.md
	CYBERMESH_BENCH=1 $(SWIFT) package --scratch-path .build-bench --allow-writing-to-package-directory benchmark --target WireBenchmarks

run: deps ## build release binaries and run a VALIDATORS-validator cluster (default 4) with a load of RATE events/s (default 200)
	$(SWIFT) build -c release --product consensusd
	$(SWIFT) build -c release --product ingestor
	scripts/devcluster.py run

node-stop: ## stop validator N of a running `make run` (N=<id>)
	@scripts/devcluster.py node-stop $(N)

node-start: ## start validator N again (same data dir, same ports)
	@scripts/devcluster.py node-start $(N)
