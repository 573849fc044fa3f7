# kafka-demo — the two commands a person needs:
#   make run    set up what is missing, start the local stack and the playground, print its URL
#   make test   run every test: unit, integration against the real stack, and browser tests

CARGO      ?= cargo
BIN        := target/debug/kafka-demo
TEST_STACK := target/tmp/kafka-demo-test-stack-shared

.PHONY: run test lint setup setup-test build frontend e2e bench fuzz chaos test-cluster stop status wasm-check

run: setup build frontend
	$(BIN) stack up
	@echo
	$(BIN) stack status
	@echo
	@echo "The stack keeps running after the playground stops (make stop ends it; state is kept)."
	$(BIN) serve

test: setup-test wasm-check build frontend
	@status=0; \
	  $(CARGO) test --workspace || status=$$?; \
	  if [ $$status = 0 ]; then $(MAKE) --no-print-directory fuzz SECONDS=30 || status=$$?; fi; \
	  if [ $$status = 0 ]; then $(MAKE) --no-print-directory e2e || status=$$?; fi; \
	  if [ -d $(TEST_STACK) ]; then $(BIN) --data-dir $(TEST_STACK) stack down || true; fi; \
	  $(BIN) $(CLUSTER_FLAGS) stack down --cluster || true; \
	  exit $$status

# Browser tests in headless Chromium against the real bridge and the shared test stack.
e2e:
	cd e2e && node --test --test-concurrency=1 tests/
	@echo "browser test screenshots: $(CURDIR)/e2e/artifacts"

# The fuzzer of shared's parsers (release build), SECONDS split over its targets; defects are
# written to fuzz/corpus/ and make it fail.
SECONDS ?= 600
fuzz:
	$(CARGO) build --release -p kafka-demo-fuzz
	$(CARGO) run --release -q -p kafka-demo-fuzz -- --seconds $(SECONDS) --target all

# Benchmarks, not tests: each prints its ratio to its target from one run (see docs/benchmarks.md).
bench: setup-test build frontend
	$(CARGO) build --release -p kafka-demo -p kafka-demo-bench
	cd e2e && node bench/all.mjs

# Services killed with kill -9 mid-work on private stacks; each scenario prints its figures
# (see README, Chaos suite). Scenarios run one at a time: one stack at a time on 2 cores.
chaos: setup-test build
	$(CARGO) test -p kafka-demo --test chaos -- --include-ignored --test-threads=1 --nocapture

# The cluster suite: every step on the local cluster (3 Kafka nodes over SASL_SSL, Spark standalone
# with 2 workers, token-protected Spark Connect), nodes killed with kill -9 mid-work; each
# scenario prints its figures. The cluster is stopped at the end, pass or fail.
CLUSTER_FLAGS := --data-dir target/tmp/kafka-demo-test-cluster --cluster-base-port $$((26000 + $${KAFKA_DEMO_TEST_PORT_OFFSET:-0}))
test-cluster: setup-test build frontend
	@status=0; \
	  $(CARGO) test -p kafka-demo --test cluster -- --include-ignored --test-threads=1 --nocapture || status=$$?; \
	  if [ $$status = 0 ]; then (cd e2e && node --test --test-concurrency=1 cluster/) || status=$$?; fi; \
	  $(BIN) $(CLUSTER_FLAGS) stack down --cluster || true; \
	  exit $$status

lint: setup
	python3 scripts/module-cycles.py
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

build:
	$(CARGO) build -p kafka-demo

# The page, built offline by trunk into dist/ (wasm-opt from tools/, see Trunk.toml).
frontend:
	PATH="$(CURDIR)/tools/node_modules/.bin:$$PATH" trunk build --release
	@wasm=$$(ls dist/*.wasm); echo "frontend: $$wasm $$(stat -c %s $$wasm) bytes, $$(gzip -9 -c $$wasm | wc -c) gzipped"

stop:
	$(BIN) stack down

status:
	$(BIN) stack status

# `shared` is used by the browser too: it must keep building for wasm32.
wasm-check:
	$(CARGO) build -p shared --target wasm32-unknown-unknown
	$(CARGO) build -p shared --features avro --target wasm32-unknown-unknown

setup:
	@bash scripts/setup.sh

setup-test:
	@bash scripts/setup.sh --test
