#!/usr/bin/env bash
# A scratch OpenLDAP server (slapd from the distribution's packages) on
# loopback, for the LDAP enforcement adapter's integration tests.
#
#   deploy/ldap.sh start   install slapd if missing, write a scratch config
#                          and directory, start slapd on a free 127.0.0.1
#                          port, load the seed entries, wait until it
#                          answers; prints the env file to source
#   deploy/ldap.sh stop    stop the slapd this script started
#   deploy/ldap.sh env     print the env file path while it runs
#
# The env file sets IOCFLOW_LDAP_URL, IOCFLOW_LDAP_BIND_DN,
# IOCFLOW_LDAP_PASSWORD_FILE, IOCFLOW_LDAP_BASE and IOCFLOW_LDAP_GROUP.
# The bind password is made fresh on each start and kept in a 0600 file.
# State lives in deploy/.run/ldap (gitignored) and is wiped on each start.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
run=$root/deploy/.run/ldap
base="dc=iocflow,dc=test"

log() { echo "ldap.sh: $*" >&2; }

running() {
	[ -f "$run/slapd.pid" ] && kill -0 "$(cat "$run/slapd.pid")" 2>/dev/null
}

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

install() {
	if command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ]; then
		return
	fi
	log "installing slapd and ldap-utils from the distribution's packages"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends slapd ldap-utils >/dev/null
	# The package may start a system slapd on port 389; this script uses
	# its own scratch server only.
	if command -v service >/dev/null 2>&1; then service slapd stop >/dev/null 2>&1 || true; fi
}

write_config() {
	cat >"$run/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $run/slapd.pid
argsfile $run/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 67108864
suffix "$base"
rootdn "cn=admin,$base"
rootpw $(cat "$run/password")
directory $run/db
CONF
	cat >"$run/seed.ldif" <<LDIF
dn: $base
objectClass: dcObject
objectClass: organization
dc: iocflow
o: iocflow test

dn: ou=people,$base
objectClass: organizationalUnit
ou: people

dn: ou=groups,$base
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=people,$base
objectClass: inetOrgPerson
uid: alice
cn: Alice Example
sn: Example

dn: uid=bob,ou=people,$base
objectClass: inetOrgPerson
uid: bob
cn: Bob Example
sn: Example

dn: cn=iocflow-restricted,ou=groups,$base
objectClass: groupOfNames
cn: iocflow-restricted
member: cn=placeholder,$base
LDIF
}

start() {
	if running; then
		echo "$run/env"
		return
	fi
	install
	rm -rf "$run"
	mkdir -p "$run/db"
	chmod 700 "$run"
	(umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$run/password")
	write_config
	local port url deadline
	for _ in 1 2 3 4 5; do
		port=$(pick_port)
		url="ldap://127.0.0.1:$port/"
		/usr/sbin/slapd -f "$run/slapd.conf" -h "$url" >"$run/slapd.log" 2>&1 || true
		deadline=$((SECONDS + 20))
		while [ $SECONDS -lt $deadline ]; do
			if ldapsearch -x -H "$url" -b "" -s base -LLL namingContexts >/dev/null 2>&1; then
				break 2
			fi
			sleep 0.2
		done
		log "slapd did not answer on $url; trying another port"
		stop
	done
	if ! running; then
		log "slapd did not start; see $run/slapd.log"
		cat "$run/slapd.log" >&2 || true
		exit 1
	fi
	ldapadd -x -H "$url" -D "cn=admin,$base" -y "$run/password" -f "$run/seed.ldif" >/dev/null
	cat >"$run/env" <<ENV
export IOCFLOW_LDAP_URL=$url
export IOCFLOW_LDAP_BIND_DN=cn=admin,$base
export IOCFLOW_LDAP_PASSWORD_FILE=$run/password
export IOCFLOW_LDAP_BASE=ou=people,$base
export IOCFLOW_LDAP_GROUP=cn=iocflow-restricted,ou=groups,$base
ENV
	log "slapd on $url"
	echo "$run/env"
}

stop() {
	if running; then
		local pid
		pid=$(cat "$run/slapd.pid")
		kill "$pid"
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	rm -f "$run/slapd.pid"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env) running && echo "$run/env" ;;
*)
	echo "usage: $0 start|stop|env" >&2
	exit 2
	;;
esac
