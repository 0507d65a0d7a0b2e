#!/usr/bin/env bash
# Local dev/test services: a real PostgreSQL and a real OpenBao dev server, wired together
# through OpenBao's database secrets engine the way docs/getting-started.md sets them up by hand.
# The PostgreSQL statements (database set-up, the role's creation and revocation) are the templates
# OpenBaoContainer uses too, read from $SQL_TEMPLATES below.
#
#   scripts/services.sh up               install if missing, start what is not running, configure
#   scripts/services.sh down [--purge]   stop only our recorded processes (--purge: delete state)
#   scripts/services.sh down --started   stop only what the latest `up` started (for scripts)
#   scripts/services.sh status           what runs, ports, pids
#   scripts/services.sh role NAME DEFAULT_TTL MAX_TTL [owner-session]
#                                            (re)define a database role, e.g. app 4s 12s; with
#                                            owner-session its users' sessions act as app_owner
#   scripts/services.sh restart-pg fast|immediate [MAX_CONNECTIONS]
#                                            restart PostgreSQL (fault tests; default 200 connections)
#   scripts/services.sh restart-bao          restart OpenBao: the dev server loses every lease,
#                                            then the engine and the default role are set up again
#
# Everything lives under $VDS_STATE_DIR (default: <repo>/.vds); `source $STATE/env` to use it.
#
# When sourced (to reuse create_role / bao_api), the caller's shell options are left alone.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then set -euo pipefail; fi

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- helpers --------------------------------------------------------------------------------

# JSON string literal for values we build ourselves (SQL statements, URLs): escape \ " and newlines.
json_str() {
  local s="$1"
  s="${s//\\/\\\\}"
  s="${s//\"/\\\"}"
  s="${s//$'\n'/\\n}"
  printf '"%s"' "$s"
}

# JSON array of string literals, one per line of $1 (each a statement).
json_lines() {
  local line sep="" out="["
  while IFS= read -r line; do
    out+="$sep$(json_str "$line")"
    sep=","
  done <<<"$1"
  printf '%s]' "$out"
}

# The owner-role SQL shared with OpenBaoContainer: the testcontainers jar carries these files.
SQL_TEMPLATES="$REPO/testcontainers/src/main/resources/io/github/vaultdatasource/testcontainers/postgresql"

# sql_template FILE: the template's statements, one per line, with our names in place of its
# @...@ placeholders ({{...}} ones are OpenBao's). Comment and blank lines are left out.
sql_template() {
  local file="$SQL_TEMPLATES/$1" line
  [[ -f "$file" ]] || die "missing SQL template $file"
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[[:space:]]*(--|$) ]] && continue
    line="${line//@database@/$VDS_DB}"
    line="${line//@owner_role@/$VDS_OWNER_ROLE}"
    line="${line//@management_user@/$VDS_MGMT_USER}"
    line="${line//@admin_user@/$VDS_PG_ADMIN_USER}"
    [[ ! "$line" =~ @[a-z_]+@ ]] || die "unknown placeholder in $file: $line"
    printf '%s\n' "$line"
  done <"$file"
}

# bao_api METHOD PATH [JSON]: calls the OpenBao HTTP API with the root token.
# Sets BAO_STATUS and BAO_BODY; returns 0 only on a 2xx answer.
bao_api() {
  local method="$1" path="$2" data="${3:-}" out
  local args=(-s --max-time 30 -X "$method" -H "X-Vault-Token: $VDS_ROOT_TOKEN" -w '\n%{http_code}')
  if [[ -n "$data" ]]; then args+=(-H 'Content-Type: application/json' --data "$data"); fi
  out="$(curl "${args[@]}" "$BAO_ADDR_URL/v1/$path")" || out=$'\n000'
  BAO_STATUS="${out##*$'\n'}"
  BAO_BODY="${out%$'\n'*}"
  [[ "$BAO_STATUS" == 2?? ]]
}

# Like bao_api, but a failure is fatal and shows OpenBao's answer.
bao_must() {
  bao_api "$@" || die "OpenBao $1 $2 failed (HTTP $BAO_STATUS): $BAO_BODY"
}

# pg_sql DB: runs SQL from stdin as the postgres superuser over our private socket.
pg_sql() {
  as_postgres "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$VDS_PG_PORT" -U postgres -d "$1" -f -
}

pg_postmaster_pid() { read_pid "$PG_DATA/postmaster.pid"; }

pg_ready() { "$PG_BIN/pg_isready" -q -h "$PG_SOCK" -p "$VDS_PG_PORT"; }

# Our PostgreSQL runs if the postmaster of OUR data dir is alive and answers on our socket/port.
pg_running() {
  [[ -d "$PG_DATA" ]] || return 1
  pid_alive "$(pg_postmaster_pid)" postgres && pg_ready
}

# Our OpenBao runs if the recorded pid is a live bao process and the port answers healthy.
bao_running() {
  pid_alive "$(read_pid "$BAO_PIDFILE")" bao && bao_healthy
}

# --- PostgreSQL -----------------------------------------------------------------------------

PG_FRESH_INIT=0

start_pg() {
  mkdir -p "$PG_HOME"
  # postgres (not root) writes the log and socket, so it must own these and reach them.
  chown postgres:postgres "$PG_HOME"
  install -d -o postgres -g postgres -m 0700 "$PG_SOCK"
  as_postgres test -w "$PG_HOME" ||
    die "user postgres cannot write $PG_HOME (is a parent directory of it private?)"

  if [[ ! -s "$PG_DATA/PG_VERSION" ]]; then
    log "initdb $PG_DATA"
    install -d -o postgres -g postgres -m 0700 "$PG_DATA"
    # trust on the private socket (setup as postgres), passwords (SCRAM) over TCP like real clients.
    as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C \
      --auth-local=trust --auth-host=scram-sha-256 >"$PG_HOME/initdb.log" 2>&1 ||
      { cat "$PG_HOME/initdb.log" >&2; die "initdb failed"; }
    PG_FRESH_INIT=1
  fi

  if pid_alive "$(pg_postmaster_pid)" postgres; then
    # Alive but not answering on our port: probably started with another VDS_PG_PORT.
    wait_for 5 "PostgreSQL on port $VDS_PG_PORT" pg_ready && return 0
    die "our PostgreSQL (pid $(pg_postmaster_pid)) runs but not on port $VDS_PG_PORT; run '$0 down' first"
  fi
  if port_in_use "$VDS_PG_PORT"; then
    die "port $VDS_PG_PORT is taken by another process; set VDS_PG_PORT to a free port"
  fi

  log "starting PostgreSQL on 127.0.0.1:$VDS_PG_PORT"
  : >"$PG_LOG"
  chown postgres:postgres "$PG_LOG"
  # pg_ctl -w waits until the server accepts connections; the postmaster detaches from our session.
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 30 \
    -o "-p $VDS_PG_PORT -k '$PG_SOCK' -c listen_addresses=127.0.0.1 -c max_connections=200" \
    start </dev/null >/dev/null ||
    { tail -n 30 "$PG_LOG" >&2; die "PostgreSQL failed to start (log: $PG_LOG)"; }
  wait_for 10 "PostgreSQL ready" pg_ready || die "PostgreSQL not ready (log: $PG_LOG)"
}

# Idempotent: the database, our administrator, the table the library's own tests query, and the
# shared set-up (owner role, vault_mgmt, who may connect, schema grants). vault_mgmt's password is
# set by configure_bao, which OpenBao then rotates.
setup_pg_objects() {
  local setup
  setup="$(sql_template database-setup.sql)" || die "could not read the database set-up SQL"
  pg_sql postgres <<SQL
SET client_min_messages = warning; -- hide "already exists" notices of the idempotent steps
SELECT 'CREATE DATABASE $VDS_DB' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$VDS_DB')\gexec
DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$VDS_PG_ADMIN_USER') THEN CREATE ROLE $VDS_PG_ADMIN_USER; END IF; END \$\$;
ALTER ROLE $VDS_PG_ADMIN_USER WITH SUPERUSER LOGIN PASSWORD '$VDS_PG_ADMIN_PASSWORD';
SQL
  # items first, so that the set-up's grants on ALL TABLES cover it; then the owner role owns it.
  pg_sql "$VDS_DB" <<SQL
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS items (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz DEFAULT now()
);
INSERT INTO items (name)
  SELECT n FROM unnest(ARRAY['alpha', 'beta', 'gamma']) AS n
  WHERE NOT EXISTS (SELECT FROM items);
$setup
ALTER TABLE items OWNER TO $VDS_OWNER_ROLE;
SQL
}

stop_pg() {
  if pid_alive "$(pg_postmaster_pid)" postgres; then
    log "stopping PostgreSQL (pid $(pg_postmaster_pid))"
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null
  else
    log "PostgreSQL not running"
  fi
  rm -f "$PG_PIDFILE"
}

# --- OpenBao --------------------------------------------------------------------------------

start_bao() {
  rm -f "$BAO_PIDFILE"
  if port_in_use "$VDS_BAO_PORT"; then
    die "port $VDS_BAO_PORT is taken by a process we did not record; set VDS_BAO_PORT to a free port"
  fi
  log "starting OpenBao dev server on $BAO_ADDR_URL"
  # HOME: the dev server writes a token helper file (~/.vault-token); keep it inside STATE.
  mkdir -p "$STATE/bao-home"
  # setsid -f: own session, so Ctrl-C or a job-group kill of the caller does not stop it.
  # The inner shell records its own pid, which exec (nohup -> bao wrapper -> execv) keeps.
  # shellcheck disable=SC2016 # $$/$0/$@ are meant for the inner shell
  HOME="$STATE/bao-home" setsid -f bash -c 'echo $$ >"$0"; exec nohup "$@"' "$BAO_PIDFILE" \
    "$BAO" server -dev -dev-root-token-id="$VDS_ROOT_TOKEN" \
    -dev-listen-address="127.0.0.1:$VDS_BAO_PORT" >"$BAO_LOG" 2>&1 </dev/null
  wait_for 10 "OpenBao health ($BAO_ADDR_URL)" bao_healthy ||
    { tail -n 30 "$BAO_LOG" >&2; die "OpenBao did not become healthy (log: $BAO_LOG)"; }
  pid_alive "$(read_pid "$BAO_PIDFILE")" bao || die "recorded OpenBao pid is not a bao process"
}

stop_bao() {
  local pid
  pid="$(read_pid "$BAO_PIDFILE")"
  if pid_alive "$pid" bao; then
    log "stopping OpenBao (pid $pid)"
    kill "$pid"
    wait_for_exit 10 "$pid" || { log "OpenBao did not exit on TERM; killing"; kill -KILL "$pid" || true; }
  else
    log "OpenBao not running"
  fi
  rm -f "$BAO_PIDFILE"
}

# create_role NAME DEFAULT_TTL MAX_TTL [owner-session]: (re)defines a dynamic-credentials role on
# our database, with the statements of the shared templates: users join the owner role and get all
# their access from it; with owner-session their sessions also act as the owner role, so whatever
# they create (Flyway migrations) is the owner's and DROP ROLE on revocation never meets owned
# objects. Revocation ends the user's sessions and drops it.
create_role() {
  local name="$1" dttl="$2" mttl="$3" mode="${4:-}" creation revocation
  [[ "$name" =~ ^[A-Za-z0-9_-]+$ ]] || die "bad role name: $name"
  creation="$(sql_template role-creation.sql)" || die "could not read the creation SQL"
  case "$mode" in
    "") ;;
    owner-session) creation+=$'\n'"$(sql_template role-owner-session.sql)" || die "could not read the owner-session SQL" ;;
    *) die "unknown role mode: $mode (expected owner-session)" ;;
  esac
  revocation="$(sql_template role-revocation.sql)" || die "could not read the revocation SQL"
  bao_must POST "$VDS_DB_MOUNT/roles/$name" "{\"db_name\":$(json_str "$VDS_DB"),\
\"creation_statements\":$(json_lines "$creation"),\
\"revocation_statements\":$(json_lines "$revocation"),\
\"default_ttl\":$(json_str "$dttl"),\"max_ttl\":$(json_str "$mttl")}"
  log "role $VDS_DB_MOUNT/roles/$name: default_ttl=$dttl max_ttl=$mttl${mode:+ ($mode)}"
}

# Configured = our role exists. A fresh (in-memory) dev server has nothing, so it gets it all.
bao_configured() { bao_api GET "$VDS_DB_MOUNT/roles/$VDS_DB_ROLE"; }

configure_bao() {
  log "configuring OpenBao: $VDS_DB_MOUNT/ engine, config/$VDS_DB, rotate-root, role $VDS_DB_ROLE"
  # A new dev server lost the password rotate-root set last time; start from the known one.
  pg_sql postgres <<<"ALTER ROLE $VDS_MGMT_USER WITH PASSWORD '$VDS_MGMT_INITIAL_PASSWORD';"
  if ! bao_api GET "sys/mounts/$VDS_DB_MOUNT"; then
    bao_must POST "sys/mounts/$VDS_DB_MOUNT" '{"type":"database"}'
  fi
  local url="postgresql://{{username}}:{{password}}@127.0.0.1:$VDS_PG_PORT/$VDS_DB?sslmode=disable"
  bao_must POST "$VDS_DB_MOUNT/config/$VDS_DB" "{\"plugin_name\":\"postgresql-database-plugin\",\
\"allowed_roles\":\"*\",\"connection_url\":$(json_str "$url"),\
\"username\":$(json_str "$VDS_MGMT_USER"),\"password\":$(json_str "$VDS_MGMT_INITIAL_PASSWORD"),\
\"password_authentication\":\"scram-sha-256\"}"
  # From here on only OpenBao knows vault_mgmt's password.
  bao_must POST "$VDS_DB_MOUNT/rotate-root/$VDS_DB"
  create_role "$VDS_DB_ROLE" "${VDS_DEFAULT_TTL:-1h}" "${VDS_MAX_TTL:-24h}"
}

# --- env file -------------------------------------------------------------------------------

write_env() {
  local tmp="$ENV_FILE.tmp"
  (
    umask 077
    {
      printf '# written by scripts/services.sh up; source it: . %q\n' "$ENV_FILE"
      printf 'export %s=%q\n' \
        VAULT_ADDR "$BAO_ADDR_URL" \
        VAULT_TOKEN "$VDS_ROOT_TOKEN" \
        BAO_ADDR "$BAO_ADDR_URL" \
        BAO_TOKEN "$VDS_ROOT_TOKEN" \
        VDS_BAO_BIN "$BAO" \
        VDS_BAO_PORT "$VDS_BAO_PORT" \
        VDS_BAO_PID "$(read_pid "$BAO_PIDFILE")" \
        VDS_PG_PORT "$VDS_PG_PORT" \
        VDS_PG_PID "$(read_pid "$PG_PIDFILE")" \
        VDS_PG_BIN "$PG_BIN" \
        VDS_DB "$VDS_DB" \
        VDS_JDBC_URL "jdbc:postgresql://127.0.0.1:$VDS_PG_PORT/$VDS_DB" \
        VDS_PG_ADMIN_USER "$VDS_PG_ADMIN_USER" \
        VDS_PG_ADMIN_PASSWORD "$VDS_PG_ADMIN_PASSWORD" \
        VDS_DB_MOUNT "$VDS_DB_MOUNT" \
        VDS_DB_ROLE "$VDS_DB_ROLE" \
        VDS_OWNER_ROLE "$VDS_OWNER_ROLE" \
        VDS_MGMT_USER "$VDS_MGMT_USER" \
        VDS_STATE_DIR "$STATE"
    } >"$tmp"
  )
  mv -f "$tmp" "$ENV_FILE"
}

# --- commands -------------------------------------------------------------------------------

resolve_bins() {
  PG_BIN="$(find_pg_bin)" || die "no PostgreSQL (run scripts/install.sh)"
  BAO="$(find_bao)" || die "no bao (run scripts/install.sh)"
}

cmd_up() {
  # What this call starts, for `down --started` (scripts stop only what their own `up` started);
  # emptied first, so a failure before anything started leaves nothing to stop.
  mkdir -p "$STATE"
  : >"$STARTED_FILE"
  "$REPO/scripts/install.sh"
  resolve_bins
  mkdir -p "$STATE"
  chmod 0755 "$STATE" # postgres must traverse it to reach its data, log and socket

  local pg_started=0 bao_started=0
  if pg_running; then
    log "PostgreSQL already running (pid $(pg_postmaster_pid), port $VDS_PG_PORT)"
  else
    start_pg
    pg_started=1
    echo postgres >>"$STARTED_FILE"
  fi
  pg_postmaster_pid >"$PG_PIDFILE"
  if ((pg_started)); then setup_pg_objects; fi

  if bao_running; then
    if ((PG_FRESH_INIT)); then
      # OpenBao holds a rotated password for a cluster that no longer exists: start it over.
      log "PostgreSQL was re-initialised; restarting OpenBao to reconfigure"
      stop_bao
      start_bao
      bao_started=1
      echo openbao >>"$STARTED_FILE"
    else
      log "OpenBao already running (pid $(read_pid "$BAO_PIDFILE"), $BAO_ADDR_URL)"
    fi
  else
    stop_bao >/dev/null 2>&1 || true # clears a stale pid file only
    start_bao
    bao_started=1
    echo openbao >>"$STARTED_FILE"
  fi

  if ! bao_configured; then
    [[ "$BAO_STATUS" == 404 || "$BAO_STATUS" == 400 ]] ||
      die "OpenBao answered HTTP $BAO_STATUS checking role $VDS_DB_ROLE (wrong VDS_ROOT_TOKEN?): $BAO_BODY"
    # Also reached if an earlier `up` stopped half-way, not only after a fresh start.
    ((pg_started)) || setup_pg_objects
    configure_bao
  fi

  write_env
  if ((pg_started || bao_started)); then
    log "up: PostgreSQL 127.0.0.1:$VDS_PG_PORT, OpenBao $BAO_ADDR_URL; env: . $ENV_FILE"
  else
    log "already running; env: . $ENV_FILE"
  fi
}

cmd_down() {
  local purge=0 only_started=0
  case "${1:-}" in
    --purge) purge=1 ;;
    --started) only_started=1 ;;
    "") ;;
    *) die "usage: $0 down [--purge | --started]" ;;
  esac
  PG_BIN="$(find_pg_bin)" || PG_BIN=""
  if ((only_started)); then
    # Only what the latest `up` started; a service that was already running stays up.
    [[ -f "$STARTED_FILE" ]] || return 0
    if grep -qx openbao "$STARTED_FILE"; then stop_bao; fi
    if grep -qx postgres "$STARTED_FILE" && [[ -n "$PG_BIN" ]]; then stop_pg; fi
    rm -f "$STARTED_FILE"
    if ! bao_running && ! { [[ -n "$PG_BIN" ]] && pg_running; }; then rm -f "$ENV_FILE"; fi
    return 0
  fi
  stop_bao
  if [[ -n "$PG_BIN" ]]; then stop_pg; fi
  rm -f "$ENV_FILE" "$STARTED_FILE"
  if ((purge)); then
    # Guard against deleting something that is not our state dir.
    [[ -n "$STATE" && "$STATE" != "/" && -d "$STATE" ]] || { log "nothing to purge"; return 0; }
    log "purging $STATE"
    rm -rf -- "$STATE"
    if [[ "$PG_HOME" == /var/tmp/vds-pg-* ]]; then rm -rf -- "$PG_HOME"; fi
  fi
}

cmd_status() {
  local rc=0 pid
  PG_BIN="$(find_pg_bin)" || PG_BIN=""
  if [[ -n "$PG_BIN" ]] && pg_running; then
    echo "postgres: running  pid=$(pg_postmaster_pid) port=$VDS_PG_PORT data=$PG_DATA"
  else
    echo "postgres: stopped  (port $VDS_PG_PORT, data $PG_DATA)"
    rc=1
  fi
  pid="$(read_pid "$BAO_PIDFILE")"
  if bao_running; then
    echo "openbao:  running  pid=$pid addr=$BAO_ADDR_URL"
  else
    echo "openbao:  stopped  (addr $BAO_ADDR_URL)"
    rc=1
  fi
  if [[ -f "$ENV_FILE" ]]; then echo "env:      $ENV_FILE"; fi
  return "$rc"
}

cmd_role() {
  (($# == 3 || $# == 4)) || die "usage: $0 role NAME DEFAULT_TTL MAX_TTL [owner-session]   (e.g. app 4s 12s)"
  bao_healthy || die "OpenBao is not running at $BAO_ADDR_URL (run '$0 up')"
  create_role "$@"
}

# Fault injection for the reliability tests: restart a service the way an operator or a crash would.
cmd_restart_pg() {
  local mode="${1:-fast}" max="${2:-200}"
  [[ "$mode" == fast || "$mode" == immediate ]] || die "usage: $0 restart-pg fast|immediate [MAX_CONNECTIONS]"
  [[ "$max" =~ ^[0-9]+$ ]] || die "MAX_CONNECTIONS must be a number, was $max"
  resolve_bins
  pg_running || die "our PostgreSQL is not running (run '$0 up')"
  log "restarting PostgreSQL (-m $mode, max_connections=$max)"
  # -o replaces the options of the last start, so they are all given again.
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -m "$mode" -w -t 30 \
    -o "-p $VDS_PG_PORT -k '$PG_SOCK' -c listen_addresses=127.0.0.1 -c max_connections=$max" \
    restart </dev/null >/dev/null ||
    { tail -n 30 "$PG_LOG" >&2; die "PostgreSQL failed to restart (log: $PG_LOG)"; }
  wait_for 10 "PostgreSQL ready" pg_ready || die "PostgreSQL not ready (log: $PG_LOG)"
  pg_postmaster_pid >"$PG_PIDFILE"
  write_env
}

# A dev server keeps its state in memory: a restart loses every lease, mount and role, as a Vault
# restored from an old snapshot would. The database engine and the default role come back.
cmd_restart_bao() {
  resolve_bins
  stop_bao
  start_bao
  setup_pg_objects
  configure_bao
  write_env
}

main() {
  local cmd="${1:-}"
  shift || true
  case "$cmd" in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    role) cmd_role "$@" ;;
    restart-pg) cmd_restart_pg "$@" ;;
    restart-bao) cmd_restart_bao "$@" ;;
    *)
      echo "usage: $0 up | down [--purge] | status | role NAME DEFAULT_TTL MAX_TTL [owner-session]" \
        "| restart-pg fast|immediate [MAX_CONNECTIONS] | restart-bao" >&2
      exit 2
      ;;
  esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
