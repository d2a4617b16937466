#!/usr/bin/env bash
# cross.sh checks that ctitui builds for the platforms this machine cannot
# run: for each target it vets every package (test files included), builds
# the binary, and compiles every package's test binary (go test -c), so
# that code behind a build tag (_windows.go, _darwin.go, _unix.go) and the
# tests that run only there cannot rot unseen. Nothing is run.
#
# Targets are GOOS/GOARCH pairs, windows/amd64 and darwin/arm64 unless
# given as arguments: `scripts/cross.sh linux/arm64 freebsd/amd64`.
# CGO_ENABLED=0 as for releases: modernc's SQLite is pure Go.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(windows/amd64 darwin/arm64)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for target in "${targets[@]}"; do
  goos=${target%/*} goarch=${target#*/}
  echo "cross: $target: go vet ./..."
  GOOS=$goos GOARCH=$goarch CGO_ENABLED=0 go vet ./...
  echo "cross: $target: go build ./cmd/ctitui"
  GOOS=$goos GOARCH=$goarch CGO_ENABLED=0 go build -o "$out/$goos-$goarch/" ./cmd/ctitui
  # With -o naming a directory, go test -c takes many packages at once and
  # writes one pkg.test each (Go 1.21 and later); a package without tests
  # is reported and skipped.
  echo "cross: $target: go test -c ./..."
  GOOS=$goos GOARCH=$goarch CGO_ENABLED=0 go test -c -o "$out/$goos-$goarch/" ./... | { grep -v 'no test files' || true; }
done
echo "cross: ${targets[*]}: vetted, built, test binaries compiled"
