#!/usr/bin/env bash
# Two OpenBao servers that speak TLS, for the TLS, mutual-TLS and `cert` login tests, both wired to
# the worktree's PostgreSQL:
#
#   dev TLS:  `bao server -dev -dev-tls` on https://127.0.0.1:$VDS_TLS_PORT (28301; the dev server also takes 28302 for its cluster port); its own CA
#             in $STATE/tls/dev/vault-ca.pem
#   mTLS:     a non-dev server (file storage, static seal, initialised here) on
#             https://localhost:$VDS_MTLS_PORT (28304) with a CA of ours, requiring a client
#             certificate; the `cert` auth method trusts our client CA. Its server certificate
#             names only DNS:localhost, so https://127.0.0.1 fails hostname verification.
#
#   scripts/vault-tls.sh up | down [--started] | status
#
# `up` needs scripts/services.sh up first; it writes $STATE/tls/env (addresses, CA and client
# certificate files, root tokens). `down --started` stops only what the latest `up` started.
set -euo pipefail

# shellcheck source=scripts/vault-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/vault-lib.sh"

TLS_STATE="$STATE/tls"
TLS_ENV="$TLS_STATE/env"
TLS_STARTED="$TLS_STATE/started"
DEV_PORT="${VDS_TLS_PORT:-28301}"
MTLS_PORT="${VDS_MTLS_PORT:-28304}"
MTLS_CLUSTER_PORT="${VDS_MTLS_CLUSTER_PORT:-28305}"
DEV_TOKEN="vds-tls-root"
DEV_DIR="$TLS_STATE/dev"
MTLS_DIR="$TLS_STATE/mtls"
PKI="$MTLS_DIR/pki"

dev_healthy() {
  [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$DEV_DIR/vault-ca.pem" \
    "https://127.0.0.1:$DEV_PORT/v1/sys/health")" == 200 ]]
}

mtls_curl_opts() {
  XBAO_CURL_OPTS=(--cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client-key.pem")
}

mtls_status() {
  mtls_curl_opts
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${XBAO_CURL_OPTS[@]}" \
    "https://localhost:$MTLS_PORT/v1/sys/health?uninitcode=200&sealedcode=200" || true
}

mtls_listening() { [[ "$(mtls_status)" != 000 ]]; }
mtls_active() { [[ "$(mtls_status)" == 200 ]]; }

start_dev() {
  if pid_alive "$(read_pid "$DEV_DIR/bao.pid")" bao && dev_healthy; then
    log "TLS dev server already running (https://127.0.0.1:$DEV_PORT)"
    return 0
  fi
  port_in_use "$DEV_PORT" && die "port $DEV_PORT is taken; set VDS_TLS_PORT"
  rm -rf "$DEV_DIR"
  mkdir -p "$DEV_DIR/home"
  log "starting the OpenBao TLS dev server on https://127.0.0.1:$DEV_PORT"
  HOME="$DEV_DIR/home" start_detached "$DEV_DIR/bao.pid" "$DEV_DIR/bao.log" \
    "$BAO" server -dev -dev-tls -dev-tls-cert-dir="$DEV_DIR" -dev-root-token-id="$DEV_TOKEN" \
    -dev-listen-address="127.0.0.1:$DEV_PORT"
  echo dev >>"$TLS_STARTED"
  wait_for 20 "TLS dev server" dev_healthy || { tail -n 20 "$DEV_DIR/bao.log" >&2; die "TLS dev server did not start"; }
  BAO_ADDR_URL="https://127.0.0.1:$DEV_PORT" VDS_ROOT_TOKEN="$DEV_TOKEN"
  XBAO_CURL_OPTS=(--cacert "$DEV_DIR/vault-ca.pem")
  configure_database vault_mgmt_tls
}

make_pki() {
  [[ -s "$PKI/client-key.pem" ]] && return 0
  mkdir -p "$PKI"
  (
    cd "$PKI"
    # Server CA and a server certificate for DNS:localhost only.
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=vds-mtls-server-ca" \
      -keyout ca-key.pem -out ca.pem >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server-key.pem -out server.csr >/dev/null 2>&1
    printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
      -extfile server.ext -out server.pem >/dev/null 2>&1
    # Client CA (trusted by the listener and by the cert auth method) and the app's certificate.
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=vds-mtls-client-ca" \
      -keyout client-ca-key.pem -out client-ca.pem >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=orders-app" -keyout client-key.pem -out client.csr >/dev/null 2>&1
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA client-ca.pem -CAkey client-ca-key.pem -CAcreateserial -days 3650 \
      -extfile client.ext -out client.pem >/dev/null 2>&1
    # A CA nobody trusts, and a client certificate from it.
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=vds-untrusted-ca" \
      -keyout untrusted-ca-key.pem -out untrusted-ca.pem >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=intruder" -keyout untrusted-client-key.pem \
      -out untrusted-client.csr >/dev/null 2>&1
    openssl x509 -req -in untrusted-client.csr -CA untrusted-ca.pem -CAkey untrusted-ca-key.pem \
      -CAcreateserial -days 3650 -extfile client.ext -out untrusted-client.pem >/dev/null 2>&1
    openssl rand -out seal.key 32
    chmod 600 ./*key*.pem seal.key
  )
}

start_mtls() {
  local status
  status="$(mtls_status)"
  if pid_alive "$(read_pid "$MTLS_DIR/bao.pid")" bao && [[ "$status" == 200 && -s "$MTLS_DIR/root-token" ]]; then
    log "mTLS server already running (https://localhost:$MTLS_PORT)"
    return 0
  fi
  port_in_use "$MTLS_PORT" && die "port $MTLS_PORT is taken; set VDS_MTLS_PORT"
  make_pki
  rm -rf "$MTLS_DIR/data" "$MTLS_DIR/root-token"
  mkdir -p "$MTLS_DIR/data"
  cat >"$MTLS_DIR/server.hcl" <<HCL
storage "raft" {
  path    = "$MTLS_DIR/data"
  node_id = "mtls"
}
listener "tcp" {
  address                            = "127.0.0.1:$MTLS_PORT"
  cluster_address                    = "127.0.0.1:$MTLS_CLUSTER_PORT"
  tls_cert_file                      = "$PKI/server.pem"
  tls_key_file                       = "$PKI/server-key.pem"
  tls_client_ca_file                 = "$PKI/client-ca.pem"
  tls_require_and_verify_client_cert = true
}
seal "static" {
  current_key_id = "vds-mtls-1"
  current_key    = "file://$PKI/seal.key"
}
api_addr      = "https://localhost:$MTLS_PORT"
cluster_addr  = "https://127.0.0.1:$MTLS_CLUSTER_PORT"
HCL
  log "starting the OpenBao mTLS server on https://localhost:$MTLS_PORT"
  start_detached "$MTLS_DIR/bao.pid" "$MTLS_DIR/bao.log" "$BAO" server -config="$MTLS_DIR/server.hcl"
  echo mtls >>"$TLS_STARTED"
  wait_for 20 "mTLS server listening" mtls_listening ||
    { tail -n 20 "$MTLS_DIR/bao.log" >&2; die "mTLS server did not start"; }
  BAO_ADDR_URL="https://localhost:$MTLS_PORT" VDS_ROOT_TOKEN=""
  mtls_curl_opts
  bao_must PUT sys/init '{"recovery_shares":1,"recovery_threshold":1}'
  python3 -c 'import json,sys; print(json.load(sys.stdin)["root_token"], end="")' <<<"$BAO_BODY" >"$MTLS_DIR/root-token"
  chmod 600 "$MTLS_DIR/root-token"
  VDS_ROOT_TOKEN="$(cat "$MTLS_DIR/root-token")"
  wait_for 30 "mTLS server unsealed and active" mtls_active ||
    { tail -n 20 "$MTLS_DIR/bao.log" >&2; die "mTLS server did not unseal"; }
  wait_for 30 "mTLS server accepting writes" bao_api GET sys/mounts || die "mTLS server does not answer: $BAO_BODY"
  configure_database vault_mgmt_mtls
  bao_must POST sys/policies/acl/app-db "{\"policy\":$(json_str "path \"$VDS_DB_MOUNT/creds/$VDS_DB_ROLE\" { capabilities = [\"read\"] }
path \"sys/leases/renew\" { capabilities = [\"update\"] }
path \"sys/leases/revoke\" { capabilities = [\"update\"] }")}"
  bao_must POST sys/auth/cert '{"type":"cert"}'
  bao_must POST auth/cert/certs/orders-app "{\"certificate\":$(json_str "$(cat "$PKI/client-ca.pem")"),\
\"allowed_common_names\":[\"orders-app\"],\"token_policies\":[\"app-db\"],\"token_ttl\":\"10m\",\"token_max_ttl\":\"1h\"}"
}

write_env() {
  (
    umask 077
    printf 'export %s=%q\n' \
      VDS_TLS_ADDR "https://127.0.0.1:$DEV_PORT" \
      VDS_TLS_TOKEN "$DEV_TOKEN" \
      VDS_TLS_CA_FILE "$DEV_DIR/vault-ca.pem" \
      VDS_MTLS_ADDR "https://localhost:$MTLS_PORT" \
      VDS_MTLS_IP_ADDR "https://127.0.0.1:$MTLS_PORT" \
      VDS_MTLS_TOKEN "$(cat "$MTLS_DIR/root-token")" \
      VDS_MTLS_CA_FILE "$PKI/ca.pem" \
      VDS_MTLS_CLIENT_CERT_FILE "$PKI/client.pem" \
      VDS_MTLS_CLIENT_KEY_FILE "$PKI/client-key.pem" \
      VDS_MTLS_UNTRUSTED_CLIENT_CERT_FILE "$PKI/untrusted-client.pem" \
      VDS_MTLS_UNTRUSTED_CLIENT_KEY_FILE "$PKI/untrusted-client-key.pem" >"$TLS_ENV.tmp"
  )
  mv -f "$TLS_ENV.tmp" "$TLS_ENV"
}

cmd_up() {
  mkdir -p "$TLS_STATE"
  : >"$TLS_STARTED"
  require_postgres
  BAO="$(find_bao)" || die "no bao (run scripts/services.sh up)"
  command -v openssl >/dev/null 2>&1 || die "openssl is needed for the test PKI"
  start_dev
  start_mtls
  write_env
  log "up: TLS https://127.0.0.1:$DEV_PORT, mTLS https://localhost:$MTLS_PORT; env: . $TLS_ENV"
}

cmd_down() {
  if [[ "${1:-}" == --started ]]; then
    [[ -f "$TLS_STARTED" ]] || return 0
    if grep -qx dev "$TLS_STARTED"; then stop_pid "$DEV_DIR/bao.pid"; fi
    if grep -qx mtls "$TLS_STARTED"; then stop_pid "$MTLS_DIR/bao.pid"; fi
  else
    stop_pid "$DEV_DIR/bao.pid"
    stop_pid "$MTLS_DIR/bao.pid"
  fi
  rm -f "$TLS_STARTED"
  if ! pid_alive "$(read_pid "$DEV_DIR/bao.pid")" bao && ! pid_alive "$(read_pid "$MTLS_DIR/bao.pid")" bao; then
    rm -f "$TLS_ENV"
  fi
}

cmd_status() {
  if pid_alive "$(read_pid "$DEV_DIR/bao.pid")" bao; then echo "tls dev: running https://127.0.0.1:$DEV_PORT"; else echo "tls dev: stopped"; fi
  if pid_alive "$(read_pid "$MTLS_DIR/bao.pid")" bao; then echo "mtls:    running https://localhost:$MTLS_PORT (health $(mtls_status))"; else echo "mtls:    stopped"; fi
}

case "${1:-}" in
  up) cmd_up ;;
  down) shift; cmd_down "$@" ;;
  status) cmd_status ;;
  *) echo "usage: $0 up | down [--started] | status" >&2; exit 2 ;;
esac
