#!/usr/bin/env bash
# Runs every test on a fresh machine: installs and starts the real OpenBao and PostgreSQL the
# integration tests use (scripts/services.sh), then the Maven build with unit and integration tests.
# Services this script started are stopped again at the end; ones already running are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

started_here=0
if ! scripts/services.sh status >/dev/null 2>&1; then
  started_here=1
fi
scripts/services.sh up
if [ "$started_here" = 1 ]; then
  trap 'scripts/services.sh down || true' EXIT
fi
# shellcheck source=/dev/null
. "${VDS_STATE_DIR:-.vds}/env"

mvn -B -ntp verify "$@"
