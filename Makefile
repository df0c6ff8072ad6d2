# otelcol-payments — build, run and test the distribution.
# `make run` and `make test` are the two commands a newcomer needs.

GO            ?= go
BUILDER_VERSION := v0.165.0
TOOLS_DIR     := $(CURDIR)/bin/tools
BUILDER       := $(TOOLS_DIR)/builder-$(BUILDER_VERSION)
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT ?= $(TOOLS_DIR)/golangci-lint-$(GOLANGCI_LINT_VERSION)
BINARY        := $(CURDIR)/bin/otelcol-payments
CONFIG        ?= config/otelcol.yaml
CONFIGS       := $(wildcard config/*.yaml)
# Packages with benchmarks; `make bench BENCH_PKGS=./processor/piisanitizer/...` narrows it.
BENCH_PKGS    ?= ./...
BENCH_TIME    ?= 1s
TEST_FLAGS    ?=
# Time per piisanitizer fuzz target in `make test-long` (a crash or an idempotency break fails it).
FUZZ_TIME     ?= 60s

.PHONY: all help build run test test-long vet lint tidy-check unit validate check-generate generate bench demo tools clean

all: build

## help: list the targets
help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

$(BUILDER):
	@mkdir -p $(TOOLS_DIR)
	GOBIN=$(TOOLS_DIR) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(BUILDER_VERSION)
	@mv $(TOOLS_DIR)/builder $(BUILDER)

$(TOOLS_DIR)/golangci-lint-$(GOLANGCI_LINT_VERSION):
	@mkdir -p $(TOOLS_DIR)
	GOBIN=$(TOOLS_DIR) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	@mv $(TOOLS_DIR)/golangci-lint $@

tools: $(BUILDER) $(GOLANGCI_LINT)

## build: compile the distribution into bin/otelcol-payments
build:
	$(GO) build -trimpath -o $(BINARY) ./cmd/otelcol-payments

## run: run the collector on the local default profile (no secrets needed)
run: build
	$(BINARY) --config $(CONFIG)

## generate: regenerate cmd/otelcol-payments from builder-config.yaml
generate: $(BUILDER)
	BUILDER=$(BUILDER) ./scripts/generate.sh

check-generate: $(BUILDER)
	BUILDER=$(BUILDER) ./scripts/generate.sh --check

vet:
	$(GO) vet ./...

## lint: golangci-lint with .golangci.yml (GOLANGCI_LINT=path uses an installed binary)
lint: $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) run --allow-parallel-runners ./...

## tidy-check: fail when go.mod or go.sum is not tidy
tidy-check:
	$(GO) mod tidy -diff

# The binary is built once here and handed to the tests that run it.
unit: build
	OTELCOL_PAYMENTS_BINARY=$(BINARY) $(GO) test -count=1 $(TEST_FLAGS) ./...

# The local default profile must validate with no environment at all; the
# production profiles (and every overlay combination) with the dummy values of
# config/validate.env.
## validate: check every profile in config/ and every overlay combination
PROD_PROFILES := config/gateway.yaml \
	config/gateway.yaml,config/overlays/development.yaml \
	config/gateway.yaml,config/overlays/staging.yaml \
	config/gateway.yaml,config/overlays/production.yaml \
	config/gateway.yaml,config/overlays/kafka-gateway.yaml \
	config/gateway.yaml,config/overlays/kafka-gateway.yaml,config/overlays/production.yaml \
	config/sidecar.yaml \
	config/sidecar.yaml,config/overlays/kafka-sidecar.yaml \
	config/otelcol.yaml,config/overlays/demo.yaml
validate: build
	@for f in $(filter-out config/gateway.yaml config/sidecar.yaml,$(CONFIGS)); do \
		env -i PATH="$$PATH" HOME="$$HOME" $(BINARY) validate --config $$f || { echo "FAIL $$f (empty environment)"; exit 1; }; \
		echo "OK   $$f (empty environment)"; \
	done
	@for combo in $(PROD_PROFILES); do \
		args=$$(echo $$combo | tr ',' '\n' | sed 's/^/--config /' | tr '\n' ' '); \
		env -i PATH="$$PATH" HOME="$$HOME" $$(grep -v '^#' config/validate.env | xargs) $(BINARY) validate $$args || { echo "FAIL $$combo (config/validate.env)"; exit 1; }; \
		echo "OK   $$combo (config/validate.env)"; \
	done

## test: vet, lint, go.mod tidiness, drift check, build, every Go test, and validate every config profile
test: vet lint tidy-check check-generate unit validate

## test-long: reliability tests that run the built binary (kill -9 and restart), then piisanitizer fuzzing (FUZZ_TIME per target); bounded well under 60 min
test-long: build
	OTELCOL_PAYMENTS_BINARY=$(BINARY) $(GO) test -count=1 -tags long -timeout 60m $(TEST_FLAGS) ./test/reliability/...
	$(GO) test -run '^$$' -fuzz '^FuzzSanitize$$' -fuzztime $(FUZZ_TIME) ./processor/piisanitizer/internal/detect
	$(GO) test -run '^$$' -fuzz '^FuzzProcessor$$' -fuzztime $(FUZZ_TIME) ./processor/piisanitizer

## bench: component benchmarks (figures go in the component READMEs), then bench-e2e
# The end-to-end package is left out of the component run: its benchmarks
# take fixed iteration counts (bench-e2e), not BENCH_TIME.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCH_TIME) $$($(GO) list $(BENCH_PKGS) | grep -v '/test/perf$$')
	$(MAKE) --no-print-directory bench-e2e

# The built binary on the gateway and default profiles next to a passthrough,
# on the recorded simulator load (BENCH_E2E_ROUNDS alternated rounds of
# BENCH_E2E_GATEWAY_PASSES passes per signal, ~23k spans / ~8k log records
# each), then alert triggers; about five minutes on 2 cores
# (docs/benchmarks.md).
BENCH_E2E_ROUNDS ?= 5
BENCH_E2E_GATEWAY_PASSES ?= 2
BENCH_E2E_ALERTS ?= 300x
.PHONY: bench-e2e
## bench-e2e: gateway/default profile CPU per span and log record and RSS vs passthrough, alert latency (docs/benchmarks.md)
bench-e2e: build
	BENCH_E2E_ROUNDS=$(BENCH_E2E_ROUNDS) BENCH_E2E_GATEWAY_PASSES=$(BENCH_E2E_GATEWAY_PASSES) OTELCOL_PAYMENTS_BINARY=$(BINARY) \
		$(GO) test -run '^$$' -bench BenchmarkGatewayCPU -benchtime 1x -timeout 30m ./test/perf/
	$(GO) test -run '^$$' -bench BenchmarkAlertLatency -benchtime $(BENCH_E2E_ALERTS) -timeout 10m ./test/perf/

## demo: a 6-minute story: healthy traffic, a payment provider outage, alerts, escalation, recovery (README)
demo: build
	@BINARY=$(BINARY) GO=$(GO) ./scripts/demo.sh

clean:
	rm -rf bin
