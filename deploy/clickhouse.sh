#!/usr/bin/env bash
# deploy/clickhouse.sh runs a ClickHouse server for development and tests:
# on loopback only, with every file it writes (data, temporary files, logs,
# its generated configuration) in one scratch folder, and with ports picked
# free at start.
#
#   deploy/clickhouse.sh start   install when missing, start, wait until ready
#   deploy/clickhouse.sh wait    wait until the started server answers
#   deploy/clickhouse.sh stop    stop the server started from this folder
#   deploy/clickhouse.sh status  exit 0 when it runs and answers
#   deploy/clickhouse.sh env     print CLICKHOUSE_ADDR=... lines for eval
#   deploy/clickhouse.sh client  run clickhouse-client against it (args pass)
#
# Environment:
#   CLICKHOUSE_DIR   scratch folder (default ${TMPDIR:-/tmp}/iocflow-clickhouse)
#   CLICKHOUSE_WAIT  seconds to wait for readiness (default 60)
#
# The server runs as a plain child process (not a system service), so it
# needs no init system; start is idempotent: it installs only what is
# missing and leaves a running server alone. The Debian package of bookworm
# is ClickHouse 18.16, the oldest release iocflow supports.
set -euo pipefail

dir=${CLICKHOUSE_DIR:-${TMPDIR:-/tmp}/iocflow-clickhouse}
wait_secs=${CLICKHOUSE_WAIT:-60}
server_bin=""

log() { echo "clickhouse.sh: $*" >&2; }

find_server() {
	for b in clickhouse-server /usr/sbin/clickhouse-server /usr/bin/clickhouse-server; do
		if command -v "$b" >/dev/null 2>&1; then
			server_bin=$(command -v "$b")
			return 0
		fi
	done
	return 1
}

install_server() {
	if find_server && command -v clickhouse-client >/dev/null 2>&1; then
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		log "clickhouse-server is missing; run as root to install it, or install it yourself"
		exit 1
	fi
	log "installing clickhouse-server and clickhouse-client from the distribution"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null
	find_server
}

# free_port prints a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
		return
	fi
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		if port_free "$p"; then
			echo "$p"
			return
		fi
	done
	log "no free port found"
	exit 1
}

port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

write_config() {
	local tcp=$1 http=$2
	mkdir -p "$dir/data" "$dir/tmp" "$dir/log" "$dir/user_files" "$dir/format_schemas"
	cat >"$dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$dir/log/server.log</log>
        <errorlog>$dir/log/server.err.log</errorlog>
        <size>50M</size>
        <count>2</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>$tcp</tcp_port>
    <http_port>$http</http_port>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <max_connections>256</max_connections>
    <max_concurrent_queries>64</max_concurrent_queries>
    <mark_cache_size>67108864</mark_cache_size>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <builtin_dictionaries_reload_interval>0</builtin_dictionaries_reload_interval>
</yandex>
EOF
	cat >"$dir/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
            <!-- Idle connections notice a shutdown within a second. -->
            <poll_interval>1</poll_interval>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF
	printf 'tcp_port=%s\nhttp_port=%s\n' "$tcp" "$http" >"$dir/ports"
}

running() {
	[ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null
}

ports() {
	# shellcheck disable=SC1091
	. "$dir/ports"
}

answers() {
	ports
	clickhouse-client --host 127.0.0.1 --port "$tcp_port" --query 'SELECT 1' >/dev/null 2>&1
}

cmd_wait() {
	local deadline=$((SECONDS + wait_secs))
	while ! answers; do
		if ! running; then
			log "server exited; last log lines:"
			tail -n 20 "$dir/log/server.err.log" >&2 2>/dev/null || true
			exit 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "server did not answer within ${wait_secs}s"
			exit 1
		fi
		sleep 0.2
	done
}

cmd_start() {
	install_server
	mkdir -p "$dir"
	if running; then
		cmd_wait
		log "already running"
		cmd_env
		return
	fi
	# A restart keeps its data folder and, while they are still free, its
	# ports, so that clients (the down/up tests) reconnect to the same
	# address; otherwise ports are picked anew.
	local tcp http
	if [ -f "$dir/ports" ] && ports && port_free "$tcp_port" && port_free "$http_port"; then
		tcp=$tcp_port http=$http_port
	else
		tcp=$(free_port) http=$(free_port)
	fi
	write_config "$tcp" "$http"
	# setsid puts the server in its own session, so the caller's job control
	# and signals (a Ctrl-C on the test run) leave it to stop.
	setsid "$server_bin" --config-file="$dir/config.xml" \
		>"$dir/log/stdout.log" 2>&1 </dev/null &
	echo $! >"$dir/pid"
	cmd_wait
	cmd_env
}

cmd_stop() {
	if ! running; then
		rm -f "$dir/pid"
		return
	fi
	local pid deadline
	pid=$(cat "$dir/pid")
	kill "$pid"
	deadline=$((SECONDS + 30))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "server did not stop within 30s; killing it"
			kill -9 "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	rm -f "$dir/pid"
}

cmd_env() {
	ports
	echo "CLICKHOUSE_ADDR=127.0.0.1:$tcp_port"
	echo "CLICKHOUSE_HTTP_ADDR=127.0.0.1:$http_port"
	echo "CLICKHOUSE_DIR=$dir"
}

case "${1:-}" in
start) cmd_start ;;
wait) cmd_wait ;;
stop) cmd_stop ;;
status) running && answers ;;
env) cmd_env ;;
client)
	shift
	ports
	exec clickhouse-client --host 127.0.0.1 --port "$tcp_port" "$@"
	;;
*)
	echo "usage: $0 start|wait|stop|status|env|client [args]" >&2
	exit 2
	;;
esac
