#!/bin/bash
# Behaves like the official image's entrypoint where Testcontainers and users rely on it:
# POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB (and POSTGRES_HOST_AUTH_METHOD), scripts in
# /docker-entrypoint-initdb.d, and "database system is ready to accept connections" logged twice
# on first start (once by the temporary init server, once by the real one).
set -Eeuo pipefail

if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" = 'postgres' ] && [ "$(id -u)" = '0' ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	chmod 2777 /var/run/postgresql
	exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

if [ "$1" = 'postgres' ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
	auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != 'trust' ]; then
		echo 'error: POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust)' >&2
		exit 1
	fi
	user="${POSTGRES_USER:-postgres}"
	db="${POSTGRES_DB:-$user}"

	initdb --username="$user" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") \
		--encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
	echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
	printf 'host all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

	# Unix socket only while initialising, so nobody connects before the setup is done.
	pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
	export PGUSER="$user" PGPASSWORD="${POSTGRES_PASSWORD:-}"
	if [ "$db" != 'postgres' ]; then
		psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname postgres --set db="$db" <<<'CREATE DATABASE :"db";'
	fi
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
			*.sh) echo "running $f"; . "$f" ;;
			*.sql) echo "running $f"; psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname "$db" -f "$f" ;;
			*) ;;
		esac
	done
	unset PGPASSWORD
	pg_ctl -D "$PGDATA" -m fast -w stop
	echo 'PostgreSQL init process complete; ready for start up.'
fi

exec "$@"
