#!/usr/bin/env bash
# The soak: hundreds of rotations under load in one run against the real OpenBao and PostgreSQL
# (leases of 4 s / 10 s, 16 threads of queries), checking that nothing accumulates: no failed query,
# no database user or lease left after shutdown, heap after GC and live threads flat (sampled at
# start, middle and end). Not part of scripts/test.sh: it takes several minutes.
#
#   scripts/soak.sh                 200 rotations
#   SOAK_ROTATIONS=500 scripts/soak.sh
#
# Starts the services it needs (scripts/services.sh) and stops only what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
state="${VDS_STATE_DIR:-.vds}"

cleanup() {
  scripts/services.sh down --started || true
}
trap cleanup EXIT
scripts/services.sh up
# shellcheck source=/dev/null
. "$state/env"

mvn -B -ntp -pl autoconfigure -am verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=LeaseSoak -Dfailsafe.failIfNoSpecifiedTests=false \
  -DargLine="-Dsoak.rotations=${SOAK_ROTATIONS:-200}"
grep -h '^SOAK' autoconfigure/target/failsafe-reports/*LeaseSoak-output.txt || true
