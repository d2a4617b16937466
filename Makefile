# The few commands people reach for; CI runs .ci/run, which calls the same
# scripts. `make help` lists the targets.
GO ?= go
RACE_PKGS = ./cmd/ctitui ./internal/db/... ./internal/user ./internal/demo ./internal/password ./internal/spoof

.PHONY: help build test race lint fuzz bench check ci cross

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

build: ## a static binary in ./ctitui
	CGO_ENABLED=0 $(GO) build -trimpath -o ctitui ./cmd/ctitui

test: ## go test ./...
	$(GO) test ./...

race: ## the race detector on the packages with goroutines
	$(GO) test -race $(RACE_PKGS)

lint: ## golangci-lint, pinned, config in .golangci.yml
	scripts/lint.sh

fuzz: ## every fuzz target for 30s (FUZZTIME=2m for longer)
	scripts/fuzz.sh $(or $(FUZZTIME),30s)

cross: ## vet, build and compile the tests for windows/amd64 and darwin/arm64
	scripts/cross.sh

bench: ## build a 1,000,000-user database and measure; rewrites BENCHMARKS.md
	scripts/bench.sh

check: ## gofmt, vet, lint and tests: what CI checks, without installing tools
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	scripts/lint.sh
	$(GO) test ./...

ci: ## exactly what CI runs (installs tmux and sqlite3 when missing)
	.ci/run
