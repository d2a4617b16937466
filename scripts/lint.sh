#!/usr/bin/env bash
# lint.sh runs golangci-lint at the version pinned below with the
# configuration in .golangci.yml: the one command for people and for CI
# (.ci/run). Arguments go to `golangci-lint run`, for example
# `scripts/lint.sh ./internal/db/...`; without any it lints the module.
#
# `go run module@version` builds the pinned linter from the module proxy
# without making it a dependency: go.mod and go.sum stay as they are.
# GOFLAGS is emptied so that a -mod=mod in the environment cannot change
# that. The first run downloads and builds it (3-4 minutes on a 2-core
# machine); later runs reuse Go's build cache and golangci-lint's own cache.
#
# --allow-serial-runners: golangci-lint takes a machine-wide lock; on a
# machine shared by several checkouts a second run waits for the first
# instead of failing.
set -euo pipefail
cd "$(dirname "$0")/.."

version=v2.15.0
GOFLAGS= exec go run "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$version" run --allow-serial-runners "$@"
