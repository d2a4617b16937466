#!/usr/bin/env bash
# Runs the trust proofs at full size: the crash tests kill larger databases
# at more points, and the stress test runs 8 processes x 50 user add while a
# terminal UI watches the file. go test ./... runs smaller versions of both
# so that it stays within two minutes on two cores. Takes several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export CTITUI_FULL_PROOFS=1 CTITUI_STRESS=1
go test ./cmd/ctitui -run 'TestCrash|TestLocked|TestStress|TestConcurrent' -count=1 -v -timeout 30m 2>&1 |
  grep -E '^(=== RUN|--- (PASS|FAIL|SKIP)|PASS|FAIL|ok)|kills?|killed|processes' || true
