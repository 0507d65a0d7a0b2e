#!/usr/bin/env bash
# CI stage for the production-Vault tests (TLS, mutual TLS and cert login, token file, JWT,
# Kubernetes, Raft failover). The tests start their servers themselves through scripts/vault-tls.sh,
# scripts/vault-raft.sh and scripts/kubernetes.sh and stop them again; this stage only
#   start: begins the kube-apiserver build in the background (unless cached) so that it overlaps
#          the Maven build, and installs haproxy and etcd up front;
#   stop:  ends a build still running and whatever those scripts' latest `up` left running.
set -euo pipefail
cd "$(dirname "$0")/../.."

case "${1:-}" in
  start)
    missing=()
    command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
    command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
    if ((${#missing[@]})); then
      echo "[vds] installing ${missing[*]} with apt" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
        { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
    fi
    scripts/kubernetes.sh build-background
    ;;
  stop)
    scripts/kubernetes.sh build-stop || true
    scripts/kubernetes.sh down --started || true
    scripts/vault-raft.sh down --started || true
    scripts/vault-tls.sh down --started || true
    ;;
  *)
    echo "usage: $0 start | stop" >&2
    exit 2
    ;;
esac
