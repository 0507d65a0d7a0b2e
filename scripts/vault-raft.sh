#!/usr/bin/env bash
# A 3-node OpenBao cluster with integrated Raft storage on loopback (docs/high-availability.md), its
# database secrets engine on the worktree's PostgreSQL, and haproxy in front of it, for the
# failover tests. Static seal (nodes unseal themselves), performance_multiplier = 1. Nodes 2 and 3
# join node 1 through sys/storage/raft/join once it is initialised (not retry_join: a background
# retry loop left a node sealed for good on a loaded CI machine, with nothing in the output to say
# why); a node restarted later rejoins with its own data.
#
#   scripts/vault-raft.sh up                 start what is not running (a new cluster when none
#                                            is initialised), wait for 3 voters; writes
#                                            $STATE/raft/env
#   scripts/vault-raft.sh down [--started]   stop the nodes and haproxy (--started: only what the
#                                            latest `up` started); --purge also deletes the data
#   scripts/vault-raft.sh status
#   scripts/vault-raft.sh leader             print the number (1-3) of the active node
#   scripts/vault-raft.sh kill N             SIGKILL node N
#   scripts/vault-raft.sh start N            start node N again (it rejoins with its data)
#   scripts/vault-raft.sh wait-healthy       wait until all 3 nodes are unsealed voters with a leader
#   scripts/vault-raft.sh role NAME TTL MAX  (re)define a database role on the cluster, e.g. ha 10s 60s
#
# Ports: API 28311-28313, cluster 28321-28323, haproxy 28330 (VDS_RAFT_PORT_BASE=28310,
# VDS_RAFT_HAPROXY_PORT).
set -euo pipefail

# shellcheck source=scripts/vault-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/vault-lib.sh"

RAFT_STATE="$STATE/raft"
RAFT_ENV="$RAFT_STATE/env"
RAFT_STARTED="$RAFT_STATE/started"
PORT_BASE="${VDS_RAFT_PORT_BASE:-28310}"
HAPROXY_PORT="${VDS_RAFT_HAPROXY_PORT:-28330}"
NODES=(1 2 3)

api_port() { echo $((PORT_BASE + $1)); }
cluster_port() { echo $((PORT_BASE + 10 + $1)); }
api_url() { echo "http://127.0.0.1:$(api_port "$1")"; }
node_dir() { echo "$RAFT_STATE/node$1"; }
node_pid() { read_pid "$(node_dir "$1")/bao.pid"; }
node_running() { pid_alive "$(node_pid "$1")" bao; }

# HTTP status of sys/health on node N (200 active, 429 standby, 503 sealed, 501 uninitialised).
node_health() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(api_url "$1")/v1/sys/health" || true
}

write_config() {
  local n="$1" dir other
  dir="$(node_dir "$n")"
  mkdir -p "$dir/data"
  {
    echo 'storage "raft" {'
    echo "  path                   = \"$dir/data\""
    echo "  node_id                = \"node$n\""
    echo "  performance_multiplier = 1"
    echo '}'
    echo 'listener "tcp" {'
    echo "  address         = \"127.0.0.1:$(api_port "$n")\""
    echo "  cluster_address = \"127.0.0.1:$(cluster_port "$n")\""
    echo "  tls_disable     = true"
    echo '}'
    echo 'seal "static" {'
    echo '  current_key_id = "vds-raft-1"'
    echo "  current_key    = \"file://$RAFT_STATE/seal.key\""
    echo '}'
    echo "api_addr     = \"$(api_url "$n")\""
    echo "cluster_addr = \"https://127.0.0.1:$(cluster_port "$n")\""
  } >"$dir/server.hcl"
}

start_node() {
  local n="$1"
  if node_running "$n"; then
    return 0
  fi
  port_in_use "$(api_port "$n")" && die "port $(api_port "$n") is taken; set VDS_RAFT_PORT_BASE"
  write_config "$n"
  start_detached "$(node_dir "$n")/bao.pid" "$(node_dir "$n")/bao.log" "$BAO" server -config="$(node_dir "$n")/server.hcl"
  wait_for 20 "node $n listening" port_in_use "$(api_port "$n")" ||
    { tail -n 20 "$(node_dir "$n")/bao.log" >&2; die "node $n did not start"; }
}

# Number of voters the active node reports, 0 when unknown.
voters() {
  local leader
  leader="$(leader_node)" || { echo 0; return; }
  BAO_ADDR_URL="$(api_url "$leader")"
  bao_api GET sys/storage/raft/configuration || { echo 0; return; }
  python3 -c 'import json,sys; s=json.load(sys.stdin)["data"]["config"]["servers"]; print(sum(1 for x in s if x["voter"]))' \
    <<<"$BAO_BODY" 2>/dev/null || echo 0
}

leader_node() {
  local n
  for n in "${NODES[@]}"; do
    if [[ "$(node_health "$n")" == 200 ]]; then
      echo "$n"
      return 0
    fi
  done
  return 1
}

healthy() {
  local n
  leader_node >/dev/null || return 1
  for n in "${NODES[@]}"; do
    [[ "$(node_health "$n")" == 200 || "$(node_health "$n")" == 429 ]] || return 1
  done
  [[ "$(voters)" == 3 ]]
}

cmd_wait_healthy() {
  VDS_ROOT_TOKEN="$(cat "$RAFT_STATE/root-token")"
  wait_for "${1:-90}" "3 unsealed voters with a leader" healthy || {
    local n
    for n in "${NODES[@]}"; do
      [[ "$(node_health "$n")" == 200 || "$(node_health "$n")" == 429 ]] || node_log "$n"
    done
    die "the Raft cluster is not healthy: $(status_line)"
  }
}

init_cluster() {
  log "initialising a new 3-node Raft cluster"
  BAO_ADDR_URL="$(api_url 1)" VDS_ROOT_TOKEN=""
  wait_for 20 "node 1 answering" test_health 1 501
  bao_must PUT sys/init '{"recovery_shares":1,"recovery_threshold":1}'
  python3 -c 'import json,sys; print(json.load(sys.stdin)["root_token"], end="")' <<<"$BAO_BODY" >"$RAFT_STATE/root-token"
  chmod 600 "$RAFT_STATE/root-token"
  VDS_ROOT_TOKEN="$(cat "$RAFT_STATE/root-token")"
  wait_for 30 "node 1 active" test_health 1 200 || die "node 1 did not become active"
  # Joined nodes become voters after the stabilisation time (10 s by default): shorten it.
  wait_for 30 "autopilot configurable" bao_api POST sys/storage/raft/autopilot/configuration \
    '{"server_stabilization_time":"2s","cleanup_dead_servers":false}' || die "autopilot: $BAO_BODY"
  local n
  for n in "${NODES[@]}"; do
    [[ "$n" == 1 ]] && continue
    wait_for 60 "node $n to join node 1" join_node "$n" || { node_log "$n"; die "node $n did not join: $BAO_BODY"; }
  done
  BAO_ADDR_URL="$(api_url 1)"
  configure_database vault_mgmt_raft
}

# Ask node N to join node 1; true once it has joined and unsealed itself (standby, 429).
join_node() {
  local n="$1" health
  health="$(node_health "$n")"
  [[ "$health" == 429 || "$health" == 200 ]] && return 0
  if [[ "$health" == 501 ]]; then
    BAO_ADDR_URL="$(api_url "$n")" bao_api POST sys/storage/raft/join "{\"leader_api_addr\":\"$(api_url 1)\"}" || return 1
  fi
  sleep 1
  health="$(node_health "$n")"
  [[ "$health" == 429 || "$health" == 200 ]]
}

# The end of node N's log, to say why it is not healthy.
node_log() {
  log "node $1 (health $(node_health "$1")), end of $(node_dir "$1")/bao.log:"
  tail -n 25 "$(node_dir "$1")/bao.log" >&2 || true
}

test_health() { [[ "$(node_health "$1")" == "$2" ]]; }

start_haproxy() {
  local cfg="$RAFT_STATE/haproxy.cfg" n
  if pid_alive "$(read_pid "$RAFT_STATE/haproxy.pid")" haproxy; then return 0; fi
  if ! command -v haproxy >/dev/null 2>&1; then
    log "installing Debian's haproxy with apt"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy >"$RAFT_STATE/apt.log" 2>&1 ||
      { apt-get update >>"$RAFT_STATE/apt.log" 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy >>"$RAFT_STATE/apt.log" 2>&1; } ||
      die "could not install haproxy"
  fi
  port_in_use "$HAPROXY_PORT" && die "port $HAPROXY_PORT is taken; set VDS_RAFT_HAPROXY_PORT"
  {
    echo "global"
    echo "  maxconn 256"
    echo "defaults"
    echo "  mode http"
    echo "  timeout connect 2s"
    echo "  timeout client 30s"
    echo "  timeout server 30s"
    echo "  retries 2"
    echo "  option redispatch"
    echo "frontend vault"
    echo "  bind 127.0.0.1:$HAPROXY_PORT"
    echo "  default_backend vault_active"
    echo "backend vault_active"
    echo "  option httpchk GET /v1/sys/health"
    echo "  http-check expect status 200"
    for n in "${NODES[@]}"; do
      echo "  server node$n 127.0.0.1:$(api_port "$n") check inter 500ms fall 2 rise 2"
    done
  } >"$cfg"
  haproxy -c -f "$cfg" >/dev/null || die "bad haproxy configuration $cfg"
  # -db: stay in the foreground, so the recorded pid is haproxy's own.
  # shellcheck disable=SC2016
  setsid -f bash -c 'echo $$ >"$0"; exec "$@"' "$RAFT_STATE/haproxy.pid" haproxy -db -f "$cfg" \
    >"$RAFT_STATE/haproxy.log" 2>&1 </dev/null
  echo haproxy >>"$RAFT_STARTED"
  wait_for 10 "haproxy" port_in_use "$HAPROXY_PORT" || die "haproxy did not start"
}

status_line() {
  local n out=""
  if [[ -s "$RAFT_STATE/root-token" ]]; then VDS_ROOT_TOKEN="$(cat "$RAFT_STATE/root-token")"; fi
  for n in "${NODES[@]}"; do out+="node$n=$(node_health "$n") "; done
  echo "${out}voters=$(voters)"
}

write_env() {
  (
    umask 077
    printf 'export %s=%q\n' \
      VDS_RAFT_ADDRS "$(api_url 1),$(api_url 2),$(api_url 3)" \
      VDS_RAFT_TOKEN "$(cat "$RAFT_STATE/root-token")" \
      VDS_RAFT_HAPROXY_ADDR "http://127.0.0.1:$HAPROXY_PORT" >"$RAFT_ENV.tmp"
  )
  mv -f "$RAFT_ENV.tmp" "$RAFT_ENV"
}

cmd_up() {
  mkdir -p "$RAFT_STATE"
  : >"$RAFT_STARTED"
  require_postgres
  BAO="$(find_bao)" || die "no bao (run scripts/services.sh up)"
  local started=$SECONDS n fresh=0
  if [[ ! -s "$RAFT_STATE/root-token" ]]; then
    for n in "${NODES[@]}"; do
      node_running "$n" && die "node $n runs without a recorded cluster; run '$0 down --purge' first"
    done
    rm -rf "$RAFT_STATE"/node*
    openssl rand -out "$RAFT_STATE/seal.key" 32
    chmod 600 "$RAFT_STATE/seal.key"
    fresh=1
  fi
  for n in "${NODES[@]}"; do
    if ! node_running "$n"; then
      log "starting Raft node $n on $(api_url "$n")"
      start_node "$n"
      echo "node$n" >>"$RAFT_STARTED"
    fi
  done
  if ((fresh)); then init_cluster; fi
  start_haproxy
  cmd_wait_healthy 120
  write_env
  log "up in $((SECONDS - started)) s: $(status_line), haproxy http://127.0.0.1:$HAPROXY_PORT; env: . $RAFT_ENV"
}

cmd_down() {
  local n only_started=0 purge=0
  case "${1:-}" in
    --started) only_started=1 ;;
    --purge) purge=1 ;;
  esac
  if ((only_started)); then
    [[ -f "$RAFT_STARTED" ]] || return 0
    for n in "${NODES[@]}"; do
      if grep -qx "node$n" "$RAFT_STARTED"; then stop_pid "$(node_dir "$n")/bao.pid"; fi
    done
    if grep -qx haproxy "$RAFT_STARTED"; then stop_haproxy; fi
  else
    for n in "${NODES[@]}"; do stop_pid "$(node_dir "$n")/bao.pid"; done
    stop_haproxy
  fi
  rm -f "$RAFT_STARTED"
  local any=0
  for n in "${NODES[@]}"; do node_running "$n" && any=1; done
  if ((!any)); then
    rm -f "$RAFT_ENV"
    # Without its nodes a cluster cannot be restarted half-way: the next `up` starts a new one.
    rm -rf "$RAFT_STATE"/node* "$RAFT_STATE/root-token"
  fi
  if ((purge)); then rm -rf "$RAFT_STATE"; fi
}

stop_haproxy() {
  local pid
  pid="$(read_pid "$RAFT_STATE/haproxy.pid")"
  if pid_alive "$pid" haproxy; then
    kill "$pid"
    wait_for_exit 10 "$pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RAFT_STATE/haproxy.pid"
}

cmd_kill() {
  local n="${1:-}" pid
  [[ "$n" =~ ^[123]$ ]] || die "usage: $0 kill 1|2|3"
  pid="$(node_pid "$n")"
  pid_alive "$pid" bao || die "node $n is not running"
  kill -KILL "$pid"
  wait_for_exit 10 "$pid" || die "node $n (pid $pid) did not die"
}

cmd_start() {
  local n="${1:-}"
  [[ "$n" =~ ^[123]$ ]] || die "usage: $0 start 1|2|3"
  BAO="$(find_bao)" || die "no bao"
  start_node "$n"
}

cmd_role() {
  (($# == 3)) || die "usage: $0 role NAME DEFAULT_TTL MAX_TTL"
  require_postgres
  local leader
  leader="$(leader_node)" || die "no active node"
  BAO_ADDR_URL="$(api_url "$leader")" VDS_ROOT_TOKEN="$(cat "$RAFT_STATE/root-token")"
  create_role "$@"
}

case "${1:-}" in
  up) cmd_up ;;
  role) shift; cmd_role "$@" ;;
  down) shift; cmd_down "$@" ;;
  status) status_line ;;
  leader) leader_node || die "no active node" ;;
  kill) cmd_kill "${2:-}" ;;
  start) cmd_start "${2:-}" ;;
  wait-healthy) cmd_wait_healthy "${2:-90}" ;;
  *) echo "usage: $0 up | down [--started|--purge] | status | leader | kill N | start N | wait-healthy [SECONDS] | role NAME TTL MAX" >&2; exit 2 ;;
esac
