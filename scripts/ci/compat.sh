#!/usr/bin/env bash
# CI stage: the supported versions beyond the baseline (Spring Boot 4.0.x on Java 17, which the main
# build of scripts/test.sh covers). For each of
#   boot-4.1  Spring Boot 4.1.x (Maven profile boot-4.1) on Java 17
#   java-25   Spring Boot 4.0.x on Java 25
# it rebuilds from clean and runs every unit test (Surefire) plus the real-server integration
# classes in COMPAT_IT (Failsafe) against the real OpenBao and PostgreSQL.
#
#   scripts/ci/compat.sh                 # what CI runs: both entries, unit tests + COMPAT_IT
#   scripts/ci/compat.sh --full          # the whole matrix, every test: the two above and
#                                        # boot-4.1 on Java 25, with all integration tests
#   scripts/ci/compat.sh boot-4.1        # one entry (boot-4.1, java-25, boot-4.1-java-25)
#
# With --full the container tests run too when scripts/docker.sh's env is sourced. Starts the
# services when they are not up and stops only what it started. JAVA25_HOME overrides the JDK path.
set -euo pipefail
cd "$(dirname "$0")/../.."
state="${VDS_STATE_DIR:-.vds}"
java25="${JAVA25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
# Issue, connect, revoke on the Vault pool; Vault's sys/health read. Not SampleApplicationIntegrationTests:
# with 5 s / 12 s leases it fails when startup takes longer than max_ttl (seen at load average 30).
its="${COMPAT_IT:-VaultDataSourceIntegrationTests,VaultServerStatusIntegrationTests}"

full=0
entries=()
for arg in "$@"; do
  case "$arg" in
    --full) full=1 ;;
    boot-4.1 | java-25 | boot-4.1-java-25) entries+=("$arg") ;;
    *) echo "usage: $0 [--full] [boot-4.1|java-25|boot-4.1-java-25]..." >&2; exit 2 ;;
  esac
done
if [ "${#entries[@]}" = 0 ]; then
  if [ "$full" = 1 ]; then entries=(boot-4.1 java-25 boot-4.1-java-25); else entries=(boot-4.1 java-25); fi
fi

# services.sh records what its latest `up` started: call it only when nothing runs, so that the
# caller's (scripts/test.sh's) own `down --started` still stops what the caller started.
own_services=0
trap '[ "$own_services" = 0 ] || scripts/services.sh down --started || true' EXIT
if ! scripts/services.sh status >/dev/null 2>&1 || [ ! -f "$state/env" ]; then
  own_services=1
  scripts/services.sh up
fi
# shellcheck source=/dev/null
. "$state/env"

if [ ! -x "$java25/bin/java" ]; then
  echo "[compat] ERROR: no Java 25 at $java25 (set JAVA25_HOME)" >&2
  exit 1
fi

tests=(-Dit.test="$its" -Dfailsafe.failIfNoSpecifiedTests=false)
if [ "$full" = 1 ]; then tests=(); fi

summary=()
for entry in "${entries[@]}"; do
  profile=()
  jdk="${JAVA_HOME:-}"
  case "$entry" in
    boot-4.1) profile=(-Pboot-4.1) ;;
    java-25) jdk="$java25" ;;
    boot-4.1-java-25) profile=(-Pboot-4.1); jdk="$java25" ;;
  esac
  echo "[compat] $entry: mvn ${profile[*]} clean verify (JAVA_HOME=${jdk:-default})"
  begin=$(date +%s)
  # The published modules, and the sample app (Flyway, actuator, web on that Boot and JDK).
  JAVA_HOME="$jdk" mvn -B -ntp "${profile[@]}" clean verify "${tests[@]}" \
    -pl autoconfigure,starter,sample-app -am
  boot=$(JAVA_HOME="$jdk" mvn -B -ntp -q "${profile[@]}" -N help:evaluate -Dexpression=spring-boot.version -DforceStdout 2>/dev/null || echo '?')
  javav=$("${jdk:-${JAVA_HOME:-/usr}}/bin/java" -version 2>&1 | head -1 || true)
  summary+=("$entry: Spring Boot $boot, $javav: passed in $(($(date +%s) - begin)) s")
done
printf '[compat] %s\n' "${summary[@]}"
