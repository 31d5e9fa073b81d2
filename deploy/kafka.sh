#!/usr/bin/env bash
# A single-node Apache Kafka broker (KRaft, broker and controller in one
# JVM) on loopback for development, tests and benchmarks.
#
#   deploy/kafka.sh start    fetch Kafka if needed, start the broker, wait
#                            until it answers; prints its bootstrap address.
#                            A broker this script already runs is reused.
#   deploy/kafka.sh stop     stop the broker this script started
#   deploy/kafka.sh status   exit 0 and print the address while it runs
#   deploy/kafka.sh address  print the bootstrap address (host:port)
#
# Kafka comes from Maven Central (org.apache.kafka:kafka_2.13 and its
# runtime dependencies) through a generated pom, and is cached under
# ${IOCFLOW_CACHE:-~/.cache/iocflow}, so that only the first run downloads.
# State lives in deploy/.run/kafka (gitignored) and is wiped on each fresh
# start: this broker is for tests, not for keeping data. Ports are picked
# at start from the free ones on 127.0.0.1.
#
# Environment: KAFKA_VERSION (default below), KAFKA_HEAP (default 768m),
# KAFKA_READY_TIMEOUT in seconds (default 90).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=${KAFKA_VERSION:-4.1.1}
cache=${IOCFLOW_CACHE:-$HOME/.cache/iocflow}/kafka-$version
run=$root/deploy/.run/kafka
heap=${KAFKA_HEAP:-768m}
ready_timeout=${KAFKA_READY_TIMEOUT:-90}

log() { echo "kafka.sh: $*" >&2; }

# fetch puts the broker's jars in $cache/libs, once.
fetch() {
	if [ -f "$cache/libs/.complete" ]; then
		return
	fi
	command -v mvn >/dev/null || { log "mvn not found: install Maven"; exit 1; }
	command -v java >/dev/null || { log "java not found: install Java 17"; exit 1; }
	log "fetching Apache Kafka $version from Maven Central into $cache"
	local work
	work=$(mktemp -d)
	cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.iocflow.deploy</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$version</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
      <version>2.0.17</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j2-impl</artifactId>
      <version>2.24.3</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>2.24.3</version>
    </dependency>
  </dependencies>
</project>
EOF
	rm -rf "$cache/libs.tmp"
	mkdir -p "$cache"
	if ! mvn -B -f "$work/pom.xml" dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory="$cache/libs.tmp" >"$work/mvn.log" 2>&1; then
		tail -n 40 "$work/mvn.log" >&2
		log "download failed"
		exit 1
	fi
	rm -rf "$work" "$cache/libs"
	mv "$cache/libs.tmp" "$cache/libs"
	touch "$cache/libs/.complete"
}

# running exits 0 when the broker this script started is alive.
running() {
	[ -f "$run/pid" ] && kill -0 "$(cat "$run/pid")" 2>/dev/null
}

# port_free exits 0 when nothing listens on 127.0.0.1:$1.
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		if port_free "$p"; then
			echo "$p"
			return
		fi
	done
	log "no free port found on 127.0.0.1"
	exit 1
}

write_config() {
	local port=$1 cport=$2
	cat >"$run/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$run/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
log.retention.hours=24
log.segment.bytes=268435456
EOF
	# Warnings only, except the line wait_ready looks for.
	cat >"$run/log4j2.properties" <<EOF
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=WARN
rootLogger.appenderRef.out.ref=out
logger.raft.name=kafka.server.KafkaRaftServer
logger.raft.level=INFO
EOF
}

# java_args prints the JVM command line for a main class and its arguments.
java_args() {
	printf '%q ' java -Xms256m "-Xmx$heap" -XX:+UseG1GC -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$run/log4j2.properties" -cp "$cache/libs/*" "$@"
}

java_cmd() {
	eval "$(java_args "$@")"
}

# wait_ready polls until the broker logs that it started and takes
# connections, or the deadline passes.
wait_ready() {
	local port=$1 deadline=$((SECONDS + ready_timeout))
	while [ $SECONDS -lt $deadline ]; do
		if ! running; then
			log "broker exited during start; last lines of $run/kafka.log:"
			tail -n 30 "$run/kafka.log" >&2
			exit 1
		fi
		if grep -q "Kafka Server started" "$run/kafka.log" 2>/dev/null && ! port_free "$port"; then
			return
		fi
		sleep 0.5
	done
	log "broker not ready within ${ready_timeout}s; see $run/kafka.log"
	exit 1
}

start() {
	if running && [ -f "$run/address" ]; then
		cat "$run/address"
		return
	fi
	fetch
	rm -rf "$run"
	mkdir -p "$run/data"
	local port cport
	port=$(pick_port)
	cport=$(pick_port)
	while [ "$cport" = "$port" ]; do cport=$(pick_port); done
	write_config "$port" "$cport"
	java_cmd kafka.tools.StorageTool format -t "$(java_cmd kafka.tools.StorageTool random-uuid)" \
		-c "$run/server.properties" >"$run/format.log" 2>&1 ||
		{ log "storage format failed:"; cat "$run/format.log" >&2; exit 1; }
	log "starting Kafka $version on 127.0.0.1:$port"
	setsid nohup bash -c "exec $(java_args kafka.Kafka "$run/server.properties")" \
		>"$run/kafka.log" 2>&1 </dev/null &
	echo $! >"$run/pid"
	wait_ready "$port"
	echo "127.0.0.1:$port" >"$run/address"
	cat "$run/address"
}

stop() {
	if ! running; then
		rm -f "$run/pid" "$run/address"
		return
	fi
	local pid
	pid=$(cat "$run/pid")
	kill -TERM "$pid"
	local deadline=$((SECONDS + 30))
	while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
		sleep 0.2
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "broker did not stop within 30s; killing it"
		kill -KILL "$pid"
	fi
	rm -f "$run/pid" "$run/address"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status)
	running && [ -f "$run/address" ] && cat "$run/address"
	;;
address)
	if ! running || [ ! -f "$run/address" ]; then
		log "not running: deploy/kafka.sh start"
		exit 1
	fi
	cat "$run/address"
	;;
*)
	echo "usage: deploy/kafka.sh start|stop|status|address" >&2
	exit 2
	;;
esac
