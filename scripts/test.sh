#!/usr/bin/env bash
# Runs every test on a fresh machine: installs and starts the real OpenBao and PostgreSQL the
# integration tests use (scripts/services.sh), a Docker engine with local images for the
# Testcontainers tests (scripts/docker.sh), then the Maven build with unit and integration tests,
# then the CI stages under scripts/ci/ (other Boot and Java versions, AOT, release packaging,
# workflow lint, the alert rules against a real Prometheus), one line each at the end.
# What this script started is stopped again at the end; what was already running is left alone.
# With CI=true a Docker engine that cannot be set up fails the run instead of skipping those tests.
set -euo pipefail
cd "$(dirname "$0")/.."
state="${VDS_STATE_DIR:-.vds}"

docker_started_here=0
if ! scripts/docker.sh status >/dev/null 2>&1; then
  docker_started_here=1
fi
cleanup() {
  scripts/ci/production-vault.sh stop || true
  if [ "$docker_started_here" = 1 ]; then scripts/docker.sh down || true; fi
  scripts/services.sh down --started || true
}
trap cleanup EXIT

scripts/ci/production-vault.sh start
scripts/services.sh up
# shellcheck source=/dev/null
. "$state/env"

if scripts/docker.sh up; then
  # shellcheck source=/dev/null
  . "$state/docker.env"
elif [ "${CI:-}" = true ]; then
  echo "[vds] ERROR: no Docker engine for the container tests; CI must not skip them" >&2
  exit 1
else
  echo "[vds] WARNING: no Docker engine; the container tests will be skipped" >&2
fi

mvn -B -ntp verify "$@"

# CI stages beyond the main build, one line each (the stage in scripts/ci/; CONTRIBUTING.md has what each adds).
[ "${VDS_SKIP_COMPAT:-}" = true ] || scripts/ci/compat.sh   # Boot 4.1 on Java 17, Boot 4.0 on Java 25
scripts/ci/aot.sh                                            # sample app AOT-processed, run against the real servers
scripts/ci/release.sh                                        # mvn -Prelease verify: sources, javadoc, flattened POMs
scripts/ci/workflows.sh                                      # actionlint on .github/workflows
scripts/ci/prometheus.sh                                     # alert rules against a real Prometheus scraping the sample app under faults
