# shellcheck shell=bash
# The settings below are used by the scripts that source this file.
# shellcheck disable=SC2034
# Shared helpers for the local dev/test services (OpenBao dev server + PostgreSQL).
# Sourced by install.sh, services.sh and docker.sh; not meant to be executed directly.

# Resolve the repo root from this file's location so scripts work from any cwd.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${VDS_STATE_DIR:-$REPO/.vds}"

VDS_PG_PORT="${VDS_PG_PORT:-55432}"
VDS_BAO_PORT="${VDS_BAO_PORT:-58200}"
VDS_ROOT_TOKEN="${VDS_ROOT_TOKEN:-vds-root-token}"
VDS_DB="appdb"
VDS_BAO_VERSION="2.7.2"

# Fixed local-dev credentials (not secrets: loopback-only throwaway services).
VDS_PG_ADMIN_USER="vds_admin"
VDS_PG_ADMIN_PASSWORD="vds-admin-pw"
VDS_MGMT_USER="vault_mgmt"
VDS_OWNER_ROLE="app_owner"
VDS_MGMT_INITIAL_PASSWORD="vault-mgmt-initial"
VDS_DB_MOUNT="database"
VDS_DB_ROLE="app"

# PostgreSQL runs as the postgres user, which cannot enter a private directory such as /root (a
# checkout there is common in CI): keep its files in the state dir only where postgres can reach it.
PG_HOME="$STATE/pg"
pg_probe="$STATE"
while [[ ! -d "$pg_probe" ]]; do pg_probe="$(dirname "$pg_probe")"; done
if id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$pg_probe" 2>/dev/null; then
  PG_HOME="/var/tmp/vds-pg-$(printf '%s' "$STATE" | md5sum | cut -c1-12)"
fi
unset pg_probe
PG_DATA="$PG_HOME/data"
PG_SOCK="$PG_HOME/sock"
PG_LOG="$PG_HOME/postgres.log"
PG_PIDFILE="$STATE/pg.pid"
BAO_PIDFILE="$STATE/bao.pid"
BAO_LOG="$STATE/bao.log"
ENV_FILE="$STATE/env"
STARTED_FILE="$STATE/started"
BAO_ADDR_URL="http://127.0.0.1:$VDS_BAO_PORT"

log() { printf '[vds] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Prints the path of the bao binary, or nothing (status 1) if absent.
# A pyenv shim is resolved to the real binary so that the pid we record is bao's own.
find_bao() {
  local p scripts
  if p="$(command -v bao 2>/dev/null)"; then
    if [[ "$p" == */shims/* ]] && command -v pyenv >/dev/null 2>&1; then
      p="$(pyenv which bao 2>/dev/null)" || p=""
    fi
    if [[ -n "$p" && -x "$p" ]]; then
      printf '%s\n' "$p"
      return 0
    fi
  fi
  # pip puts it in Python's scripts dir, which may not be on PATH.
  scripts="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null)" || return 1
  if [[ -x "$scripts/bao" ]]; then
    printf '%s\n' "$scripts/bao"
    return 0
  fi
  return 1
}

# Prints the PostgreSQL bin dir with the highest major version that has initdb.
find_pg_bin() {
  local d best="" bestv=-1 v
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" ]] || continue
    v="$(basename "$(dirname "$d")")"
    [[ "$v" =~ ^[0-9]+$ ]] || continue
    if ((v > bestv)); then
      bestv=$v
      best="$d"
    fi
  done
  [[ -n "$best" ]] || return 1
  printf '%s\n' "$best"
}

# pid_alive PID [COMM]: true if the process exists and is not a zombie (and, if given, its
# command name matches), so a recycled pid of an unrelated process is not mistaken for ours.
# Zombies matter where pid 1 is no init that reaps orphans promptly (a container's entrypoint, for
# one): our services are orphans once their starter exits, and kill -0 succeeds on a zombie.
pid_alive() {
  local pid="${1:-}" comm="${2:-}" stat
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }" # fields after "(comm) "; the first is the state letter
  [[ -n "$stat" && "${stat:0:1}" != Z ]] || return 1
  if [[ -n "$comm" ]]; then
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$comm" ]] || return 1
  fi
}

# Reads a pid file (first line); prints nothing if missing.
read_pid() {
  if [[ -f "$1" ]]; then
    head -n1 "$1" | tr -dc '0-9'
  fi
}

# wait_for TIMEOUT_SECONDS DESCRIPTION CMD...: polls CMD every 0.1 s until it succeeds.
wait_for() {
  local timeout="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.1
  done
}

# wait_for_exit TIMEOUT_SECONDS PID: polls until PID is gone or a zombie (not our child: no `wait`).
wait_for_exit() {
  local timeout="$1" pid="$2"
  local deadline=$((SECONDS + timeout))
  while pid_alive "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# True if something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True if the OpenBao dev server answers its health endpoint with 200.
bao_healthy() {
  [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BAO_ADDR_URL/v1/sys/health")" == 200 ]]
}

# Runs a command as the postgres OS user (initdb/postgres refuse to run as root).
as_postgres() { runuser -u postgres -- "$@"; }
