# shellcheck shell=bash
# Helpers for the extra OpenBao servers of the production-Vault tests (scripts/vault-tls.sh,
# scripts/vault-raft.sh): each gets the database secrets engine on the worktree's PostgreSQL
# (scripts/services.sh up must have run) with a management user of its own, since the dev
# server's vault_mgmt password is known only to that server.
# Sourced, not executed. Ports of these servers: 28300-28399, like those of scripts/kubernetes.sh
# (283xx) and scripts/ci/prometheus.sh (29090+): below Linux's ephemeral range (32768-60999), so a
# busy client's outgoing connection or a container's published port cannot already hold them when
# a test starts them half-way through the run (a haproxy in CI once failed to bind for that reason).

# shellcheck source=scripts/services.sh
source "$(dirname "${BASH_SOURCE[0]}")/services.sh"

# curl options for the server being configured (TLS CA, client certificate).
XBAO_CURL_OPTS=()

# Same contract as services.sh's bao_api, for the server at BAO_ADDR_URL with VDS_ROOT_TOKEN and
# XBAO_CURL_OPTS; create_role and bao_must use it.
bao_api() {
  local method="$1" path="$2" data="${3:-}" out
  local args=(-s --max-time 30 -X "$method" -H "X-Vault-Token: $VDS_ROOT_TOKEN" -w '\n%{http_code}'
    "${XBAO_CURL_OPTS[@]}")
  if [[ -n "$data" ]]; then args+=(-H 'Content-Type: application/json' --data "$data"); fi
  out="$(curl "${args[@]}" "$BAO_ADDR_URL/v1/$path")" || out=$'\n000'
  BAO_STATUS="${out##*$'\n'}"
  BAO_BODY="${out%$'\n'*}"
  [[ "$BAO_STATUS" == 2?? ]]
}

require_postgres() {
  PG_BIN="$(find_pg_bin)" || die "no PostgreSQL (run scripts/services.sh up)"
  pg_ready || die "PostgreSQL is not running on port $VDS_PG_PORT (run scripts/services.sh up first)"
}

# configure_database MGMT_USER: the database secrets engine at database/ of the current server,
# connected as MGMT_USER (created here with the grants vault_mgmt has), and the role "app".
configure_database() {
  local mgmt="$1" password
  [[ "$mgmt" =~ ^[a-z_]+$ ]] || die "bad management user: $mgmt"
  password="$(openssl rand -hex 16)"
  pg_sql postgres <<SQL
SET client_min_messages = warning;
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$mgmt') THEN
    CREATE ROLE $mgmt;
  END IF;
END
\$\$;
ALTER ROLE $mgmt WITH LOGIN CREATEROLE NOINHERIT PASSWORD '$password';
GRANT app_owner TO $mgmt WITH ADMIN OPTION;
GRANT pg_signal_backend TO $mgmt;
SQL
  pg_sql "$VDS_DB" <<SQL
SET client_min_messages = warning;
GRANT CONNECT ON DATABASE $VDS_DB TO $mgmt WITH GRANT OPTION;
SQL
  bao_api GET "sys/mounts/$VDS_DB_MOUNT" || bao_must POST "sys/mounts/$VDS_DB_MOUNT" '{"type":"database"}'
  local url="postgresql://{{username}}:{{password}}@127.0.0.1:$VDS_PG_PORT/$VDS_DB?sslmode=disable"
  bao_must POST "$VDS_DB_MOUNT/config/$VDS_DB" "{\"plugin_name\":\"postgresql-database-plugin\",\
\"allowed_roles\":\"*\",\"connection_url\":$(json_str "$url"),\
\"username\":$(json_str "$mgmt"),\"password\":$(json_str "$password"),\
\"password_authentication\":\"scram-sha-256\"}"
  create_role "$VDS_DB_ROLE" 1m 10m
}

# start_detached PIDFILE LOG CMD...: runs CMD in its own session; PIDFILE gets its pid.
start_detached() {
  local pidfile="$1" logfile="$2"
  shift 2
  # shellcheck disable=SC2016 # $$/$0/$@ are meant for the inner shell
  setsid -f bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" >"$logfile" 2>&1 </dev/null
  wait_for 5 "pid file $pidfile" test -s "$pidfile" || die "could not start $1"
}

# stop_pid PIDFILE: stops the bao process recorded there, if it still is one.
stop_pid() {
  local pid
  pid="$(read_pid "$1")"
  if pid_alive "$pid" bao; then
    kill "$pid"
    wait_for_exit 15 "$pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}
