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
echo "== integration: enforcement and the LDAP directory against a scratch slapd on loopback"
ldap_env=$(bash deploy/ldap.sh start)
ldap_status=0
(. "$ldap_env" && go test -count=1 -tags integration ./enforce/... ./pipeline/enrich/...) ||
	ldap_status=$?
bash deploy/ldap.sh stop
[ "$ldap_status" -eq 0 ] || exit "$ldap_status"
echo "== integration: ClickHouse sink, schema, retro-hunt queries and dashboards"
# ClickHouse stays up for the service test at the end, which uses Kafka and
# ClickHouse together.
export CLICKHOUSE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/iocflow-ch.XXXXXX")
ch_env=$(bash deploy/clickhouse.sh start)
stop_clickhouse() {
	bash deploy/clickhouse.sh stop
	rm -rf "$CLICKHOUSE_DIR"
}
trap stop_clickhouse EXIT
(export $ch_env && go test -count=1 -tags integration ./sinks/clickhouse/...)
echo "== integration: Kafka pipeline, workers and indicator topic on a local broker"
echo "   then the service with ClickHouse, uploads, enforcement and its EDL list"
kafka_addr=$(bash deploy/kafka.sh start)
kafka_status=0
IOCFLOW_KAFKA=$kafka_addr go test -count=1 -tags integration \
	./pipeline/kafka/... ./internal/config/... ./internal/metrics/... || kafka_status=$?
[ "$kafka_status" -ne 0 ] || (export $ch_env && IOCFLOW_KAFKA=$kafka_addr \
	go test -count=1 -tags integration -run 'TestService_|TestProduce_' ./cmd/iocflow/) || kafka_status=$?
bash deploy/kafka.sh stop
[ "$kafka_status" -eq 0 ] || exit "$kafka_status"
