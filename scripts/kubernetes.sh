#!/usr/bin/env bash
# A real Kubernetes API server on loopback, for the tests of Vault's `kubernetes` auth method: no
# cluster is needed, OpenBao's TokenReview goes to this kube-apiserver, built from the Go module
# proxy and cached by version, backed by Debian's etcd (package etcd-server).
#
#   scripts/kubernetes.sh build            build kube-apiserver unless the cache has it (waits for a
#                                          build another process runs); prints the binary's path
#   scripts/kubernetes.sh build-background start `build` detached unless cached; log in the cache
#   scripts/kubernetes.sh build-stop       end a background build that is still running
#   scripts/kubernetes.sh up               build if needed, start etcd + kube-apiserver, create the
#                                          token reviewer; writes $STATE/kubernetes/env
#   scripts/kubernetes.sh down [--started] stop what `up` started (only those pids)
#   scripts/kubernetes.sh status
#
# No controller manager runs: namespaces, ServiceAccounts and tokens are made over the REST API
# (TokenRequest) by the tests. Ports: VDS_K8S_ETCD_PORT (28340), VDS_K8S_API_PORT (28342).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K8S_VERSION="1.35.4"
K8S_STAGING_VERSION="0.35.4"
K8S_CACHE="${VDS_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vault-datasource/kubernetes-$K8S_VERSION}"
K8S_APISERVER="$K8S_CACHE/kube-apiserver"
K8S_BUILD_LOG="$K8S_CACHE/build.log"
K8S_BUILD_LOCK="$K8S_CACHE.lock"
K8S_STATE="$STATE/kubernetes"
K8S_ENV="$K8S_STATE/env"
K8S_STARTED="$K8S_STATE/started"
ETCD_PORT="${VDS_K8S_ETCD_PORT:-28340}"
ETCD_PEER_PORT="${VDS_K8S_ETCD_PEER_PORT:-28341}"
API_PORT="${VDS_K8S_API_PORT:-28342}"
API_URL="https://127.0.0.1:$API_PORT"

# The staging modules k8s.io/kubernetes requires at v0.0.0 (its go.mod replaces them with
# ./staging/...); a module that depends on it must pin each to the matching release.
K8S_STAGING_MODULES=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go
  cloud-provider cluster-bootstrap code-generator component-base component-helpers controller-manager
  cri-api cri-client csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms
  kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
  mount-utils pod-security-admission sample-apiserver sample-cli-plugin sample-controller)

# --- build ----------------------------------------------------------------------------------

have_binary() { [[ -x "$K8S_APISERVER" ]] && "$K8S_APISERVER" --version 2>/dev/null | grep -q "v$K8S_VERSION"; }

write_module() {
  local src="$1" m
  mkdir -p "$src/cmd/kube-apiserver"
  {
    echo "module vds.local/kubernetes"
    echo
    echo "go 1.25.0"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    for m in "${K8S_STAGING_MODULES[@]}"; do
      echo "replace k8s.io/$m => k8s.io/$m v$K8S_STAGING_VERSION"
    done
  } >"$src/go.mod"
  cat >"$src/cmd/kube-apiserver/main.go" <<'GO'
// The upstream kube-apiserver main (cmd/kube-apiserver/apiserver.go), built from the module proxy.
package main

import (
	"os"

	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	command := app.NewAPIServerCommand()
	code := cli.Run(command)
	os.Exit(code)
}
GO
}

cmd_build() {
  command -v go >/dev/null 2>&1 || die "no Go toolchain (go) to build kube-apiserver with"
  mkdir -p "$(dirname "$K8S_CACHE")" "$K8S_CACHE"
  # One build at a time: a second caller waits for the first and then finds the binary.
  exec 8>"$K8S_BUILD_LOCK"
  flock 8
  if have_binary; then
    printf '%s\n' "$K8S_APISERVER"
    return 0
  fi
  local src="$K8S_CACHE/src" started=$SECONDS
  write_module "$src"
  log "building kube-apiserver v$K8S_VERSION from the Go module proxy (cold: ~8-13 min on 2 cores; log $K8S_BUILD_LOG)"
  (
    cd "$src"
    # Where only the module proxy is reachable (CI), sum.golang.org is not: the proxy's content is
    # taken as served.
    export GOSUMDB=off GOFLAGS=-mod=mod CGO_ENABLED=0
    go mod tidy
    go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION" \
      -o "$K8S_APISERVER.tmp" ./cmd/kube-apiserver
  ) >"$K8S_BUILD_LOG" 2>&1 || { tail -n 30 "$K8S_BUILD_LOG" >&2; die "kube-apiserver build failed (log: $K8S_BUILD_LOG)"; }
  mv -f "$K8S_APISERVER.tmp" "$K8S_APISERVER"
  log "built kube-apiserver in $((SECONDS - started)) s"
  printf '%s %s %ss\n' "$(date -u +%FT%TZ)" "kube-apiserver build" "$((SECONDS - started))" >>"$K8S_CACHE/timings.log"
  printf '%s\n' "$K8S_APISERVER"
}

cmd_build_background() {
  if have_binary; then
    log "kube-apiserver v$K8S_VERSION cached: $K8S_APISERVER"
    return 0
  fi
  mkdir -p "$K8S_CACHE"
  log "starting the kube-apiserver build in the background (log $K8S_CACHE/background.log)"
  # Its own session, so `build-stop` can end the build and the compilers it runs, and nothing else.
  # shellcheck disable=SC2016
  setsid -f bash -c 'echo $$ >"$0"; exec "$@"' "$K8S_CACHE/background.pid" "$0" build \
    >"$K8S_CACHE/background.log" 2>&1 </dev/null
}

cmd_build_stop() {
  local pid
  pid="$(read_pid "$K8S_CACHE/background.pid")"
  if [[ -n "$pid" ]] && pid_alive "$pid" && [[ "$(ps -o sid= -p "$pid" | tr -d ' ')" == "$pid" ]]; then
    log "stopping the background kube-apiserver build (session $pid)"
    kill -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$K8S_CACHE/background.pid"
}

# --- servers --------------------------------------------------------------------------------

install_etcd() {
  command -v etcd >/dev/null 2>&1 && return 0
  log "installing Debian's etcd-server with apt"
  export DEBIAN_FRONTEND=noninteractive
  # Without an init system (a container, CI) the package's service does not start; we run etcd
  # ourselves either way.
  apt-get install -y --no-install-recommends etcd-server >"$K8S_STATE/apt.log" 2>&1 ||
    { apt-get update >>"$K8S_STATE/apt.log" 2>&1 &&
      apt-get install -y --no-install-recommends etcd-server >>"$K8S_STATE/apt.log" 2>&1; } ||
    { tail -n 20 "$K8S_STATE/apt.log" >&2; die "could not install etcd-server"; }
}

make_pki() {
  local pki="$K8S_STATE/pki"
  [[ -s "$pki/admin.token" ]] && return 0
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=vds-kubernetes-ca" \
      -keyout ca.key -out ca.crt >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout apiserver.key \
      -out apiserver.csr >/dev/null 2>&1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n' >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile apiserver.ext -out apiserver.crt >/dev/null 2>&1
    openssl genrsa -out sa.key 2048 >/dev/null 2>&1
    openssl rsa -in sa.key -pubout -out sa.pub >/dev/null 2>&1
    printf '%s,admin,admin-uid,"system:masters"\n' "$(openssl rand -hex 24)" >tokens.csv
    cut -d, -f1 tokens.csv >admin.token
    chmod 600 ./*.key tokens.csv admin.token
  )
}

etcd_pid() { read_pid "$K8S_STATE/etcd.pid"; }
api_pid() { read_pid "$K8S_STATE/apiserver.pid"; }
etcd_running() { pid_alive "$(etcd_pid)" etcd; }
api_running() { pid_alive "$(api_pid)" kube-apiserver; }
api_ready() {
  [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$K8S_STATE/pki/ca.crt" \
    -H "Authorization: Bearer $(cat "$K8S_STATE/pki/admin.token")" "$API_URL/readyz")" == 200 ]]
}

# kube METHOD PATH [JSON]: the API as admin; sets KUBE_STATUS and KUBE_BODY.
kube() {
  local out args=(-s --max-time 20 -X "$1" --cacert "$K8S_STATE/pki/ca.crt"
    -H "Authorization: Bearer $(cat "$K8S_STATE/pki/admin.token")" -w '\n%{http_code}')
  if [[ -n "${3:-}" ]]; then args+=(-H 'Content-Type: application/json' --data "$3"); fi
  out="$(curl "${args[@]}" "$API_URL$2")" || out=$'\n000'
  KUBE_STATUS="${out##*$'\n'}"
  KUBE_BODY="${out%$'\n'*}"
}

kube_must() {
  kube "$@"
  [[ "$KUBE_STATUS" == 2?? || "$KUBE_STATUS" == 409 ]] || die "Kubernetes $1 $2 answered $KUBE_STATUS: $KUBE_BODY"
}

start_etcd() {
  port_in_use "$ETCD_PORT" && die "port $ETCD_PORT is taken; set VDS_K8S_ETCD_PORT"
  log "starting etcd $(etcd --version | head -n1 | awk '{print $3}') on 127.0.0.1:$ETCD_PORT"
  rm -rf "$K8S_STATE/etcd-data"
  # shellcheck disable=SC2016
  setsid -f bash -c 'echo $$ >"$0"; exec "$@"' "$K8S_STATE/etcd.pid" \
    etcd --name vds --data-dir "$K8S_STATE/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "vds=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync \
    >"$K8S_STATE/etcd.log" 2>&1 </dev/null
  wait_for 20 "etcd" curl -sf "http://127.0.0.1:$ETCD_PORT/health" ||
    { tail -n 20 "$K8S_STATE/etcd.log" >&2; die "etcd did not start"; }
  echo etcd >>"$K8S_STARTED"
}

start_apiserver() {
  local pki="$K8S_STATE/pki"
  port_in_use "$API_PORT" && die "port $API_PORT is taken; set VDS_K8S_API_PORT"
  log "starting kube-apiserver v$K8S_VERSION on $API_URL"
  # shellcheck disable=SC2016
  setsid -f bash -c 'echo $$ >"$0"; exec "$@"' "$K8S_STATE/apiserver.pid" \
    "$K8S_APISERVER" --etcd-servers "http://127.0.0.1:$ETCD_PORT" --bind-address 127.0.0.1 \
    --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" --token-auth-file "$pki/tokens.csv" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --authorization-mode RBAC --service-cluster-ip-range 10.96.0.0/16 --endpoint-reconciler-type none \
    --enable-priority-and-fairness=false --cert-dir "$K8S_STATE/certs" \
    >"$K8S_STATE/apiserver.log" 2>&1 </dev/null
  echo apiserver >>"$K8S_STARTED"
  wait_for 90 "kube-apiserver ready" api_ready ||
    { tail -n 30 "$K8S_STATE/apiserver.log" >&2; die "kube-apiserver did not become ready"; }
}

# The ServiceAccount Vault's kubernetes auth method uses to call the TokenReview API.
make_reviewer() {
  kube_must POST /api/v1/namespaces '{"metadata":{"name":"vault"}}'
  kube_must POST /api/v1/namespaces/vault/serviceaccounts '{"metadata":{"name":"token-reviewer"}}'
  kube_must POST /apis/rbac.authorization.k8s.io/v1/clusterrolebindings \
    '{"metadata":{"name":"vault-token-reviewer"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"system:auth-delegator"},"subjects":[{"kind":"ServiceAccount","name":"token-reviewer","namespace":"vault"}]}'
  kube_must POST /api/v1/namespaces/vault/serviceaccounts/token-reviewer/token \
    '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":86400}}'
  python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["token"], end="")' <<<"$KUBE_BODY" \
    >"$K8S_STATE/pki/reviewer.jwt"
  chmod 600 "$K8S_STATE/pki/reviewer.jwt"
}

write_env() {
  (
    umask 077
    printf 'export %s=%q\n' \
      VDS_K8S_API_URL "$API_URL" \
      VDS_K8S_CA_FILE "$K8S_STATE/pki/ca.crt" \
      VDS_K8S_ADMIN_TOKEN_FILE "$K8S_STATE/pki/admin.token" \
      VDS_K8S_REVIEWER_JWT_FILE "$K8S_STATE/pki/reviewer.jwt" >"$K8S_ENV.tmp"
  )
  mv -f "$K8S_ENV.tmp" "$K8S_ENV"
}

cmd_up() {
  mkdir -p "$K8S_STATE"
  : >"$K8S_STARTED"
  local started=$SECONDS
  if api_running && api_ready; then
    log "kube-apiserver already running (pid $(api_pid), $API_URL)"
    write_env
    return 0
  fi
  install_etcd
  command -v openssl >/dev/null 2>&1 || die "openssl is needed for the Kubernetes PKI"
  cmd_build >/dev/null
  make_pki
  etcd_running || start_etcd
  api_running || start_apiserver
  make_reviewer
  write_env
  log "up: kube-apiserver $API_URL in $((SECONDS - started)) s; env: . $K8S_ENV"
}

stop_pidfile() {
  local file="$1" comm="$2" pid
  pid="$(read_pid "$file")"
  if pid_alive "$pid" "$comm"; then
    log "stopping $comm (pid $pid)"
    kill "$pid"
    wait_for_exit 15 "$pid" || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

cmd_down() {
  local only_started=0
  [[ "${1:-}" == --started ]] && only_started=1
  if ((only_started)); then
    [[ -f "$K8S_STARTED" ]] || return 0
    if grep -qx apiserver "$K8S_STARTED"; then stop_pidfile "$K8S_STATE/apiserver.pid" kube-apiserver; fi
    if grep -qx etcd "$K8S_STARTED"; then stop_pidfile "$K8S_STATE/etcd.pid" etcd; fi
    rm -f "$K8S_STARTED"
  else
    stop_pidfile "$K8S_STATE/apiserver.pid" kube-apiserver
    stop_pidfile "$K8S_STATE/etcd.pid" etcd
    rm -f "$K8S_STARTED"
  fi
  if ! api_running; then rm -f "$K8S_ENV"; fi
}

cmd_status() {
  if have_binary; then echo "binary:    $K8S_APISERVER"; else echo "binary:    not built ($K8S_CACHE)"; fi
  if etcd_running; then echo "etcd:      running pid=$(etcd_pid) port=$ETCD_PORT"; else echo "etcd:      stopped"; fi
  if api_running; then echo "apiserver: running pid=$(api_pid) $API_URL"; else echo "apiserver: stopped"; fi
}

case "${1:-}" in
  build) cmd_build ;;
  build-background) cmd_build_background ;;
  build-stop) cmd_build_stop ;;
  up) cmd_up ;;
  down) shift; cmd_down "$@" ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 build | build-background | build-stop | up | down [--started] | status" >&2
    exit 2
    ;;
esac
