#!/usr/bin/env bash
# fuzz-ci.sh is the fuzzing step of CI: every fuzz target of the module for a
# few seconds each (FUZZ_CI_TIME, default 3s), through scripts/fuzz.sh, which
# finds the targets (`func FuzzXxx(` in *_test.go), runs them one by one and
# prints a line for each. It exits non-zero if any target fails; Go then
# writes the failing input under <package>/testdata/fuzz/<Target>/, which
# the log names: commit it, and every later `go test` runs it as a seed.
#
# A few seconds is enough for what CI is for: catching a change that breaks
# a property a fuzz target states, with the corpus kept in testdata/fuzz and
# the seeds added by f.Add as the starting point (the lone CR in a CSV cell
# took the fuzzer about 3 s to find). Longer runs are for people:
# scripts/fuzz.sh 2m.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZ_CI_TIME:-3s}
start=$(date +%s)
status=0
scripts/fuzz.sh "$fuzztime" || status=$?
echo "fuzz-ci: $(($(date +%s) - start))s in all"
exit "$status"
