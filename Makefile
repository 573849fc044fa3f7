# kafka-demo — the two commands a person needs:
#   make run    set up what is missing, start the local stack, print where everything listens
#   make test   run every test (starts the real stack on test ports and stops it afterwards)

CARGO      ?= cargo
BIN        := target/debug/kafka-demo
TEST_STACK := target/tmp/kafka-demo-test-stack-shared

.PHONY: run test lint setup build stop status wasm-check

run: setup build
	$(BIN) stack up
	@echo
	$(BIN) stack status
	@echo
	@echo "The stack runs in the background. Try:"
	@echo "  $(BIN) schema register schemas/click_v1.avsc --topic clicks-avro"
	@echo "  $(BIN) stack logs kafka      # or registry, spark"
	@echo "  make stop                    # stops it; state is kept for the next run"

test: setup wasm-check
	@status=0; $(CARGO) test --workspace || status=$$?; \
	  if [ -d $(TEST_STACK) ]; then $(BIN) --data-dir $(TEST_STACK) stack down || true; fi; \
	  exit $$status

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

build:
	$(CARGO) build -p bridge

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
