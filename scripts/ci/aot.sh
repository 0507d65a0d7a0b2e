#!/usr/bin/env bash
# CI stage: the sample app through Spring Boot's AOT processing (spring-boot:process-aot, profile
# aot), then the processed jar run with -Dspring.aot.enabled=true against the real OpenBao and
# PostgreSQL. Leases of 10 s / 30 s, so the app renews and rotates while this script sends HTTP
# requests (at least AOT_SECONDS, then until the first rotation, 150 s at most); then SIGTERM. Passes when the app started from the generated initializer, served every
# request as a Vault-issued user, rotated at least once, and left no issued user in PostgreSQL.
# Starts the services itself when they are not up, and stops only what it started.
# (4 s / 12 s leases, as in the demo, do not survive a startup of more than 12 s between the first
# issue and the pool's first connection, which a loaded 2-core machine reaches.)
# Environment: AOT_SECONDS (least traffic time, default 20), AOT_PORT (default 18091), VDS_* as services.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
state="${VDS_STATE_DIR:-.vds}"
seconds="${AOT_SECONDS:-20}"
port="${AOT_PORT:-18091}"
role=aot
log="$state/aot-app.log"
started=$(date +%s)

app_pid=""
own_services=0
cleanup() {
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then kill "$app_pid" 2>/dev/null || true; fi
  if [ "$own_services" = 1 ]; then scripts/services.sh down --started || true; fi
}
trap cleanup EXIT
say() { echo "[aot] $*"; }
fail() { echo "[aot] FAILED: $*" >&2; [ -f "$log" ] && tail -n 40 "$log" >&2; exit 1; }

# services.sh records what its latest `up` started: call it only when nothing runs, so that the
# caller's (scripts/test.sh's) own `down --started` still stops what the caller started.
if ! scripts/services.sh status >/dev/null 2>&1 || [ ! -f "$state/env" ]; then
  own_services=1
  scripts/services.sh up
fi
# shellcheck source=/dev/null
. "$state/env"
scripts/services.sh role "$role" 10s 30s owner-session

say "building the sample app with spring-boot:process-aot"
mvn -B -ntp -q -Paot -pl sample-app -am package -DskipTests
jar="sample-app/target/vault-datasource-sample-app-$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -1).jar"
# The listing first: grep -q would stop reading early, and pipefail would count unzip's SIGPIPE as a failure.
listing=$(unzip -Z1 "$jar")
grep -q 'SampleApplication__ApplicationContextInitializer.class' <<<"$listing" \
  || fail "$jar holds no AOT-generated initializer"

say "starting $jar with -Dspring.aot.enabled=true on port $port"
mkdir -p "$state"
# VAULT_ADDR and VAULT_TOKEN come from the services' env file; the role is this script's.
java -Dspring.aot.enabled=true -jar "$jar" \
  --server.port="$port" \
  --vault.database.role="$role" \
  --spring.datasource.url="$VDS_JDBC_URL" >"$log" 2>&1 &
app_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 180); do
  curl -fsS "$base/actuator/health/readiness" >/dev/null 2>&1 && break
  kill -0 "$app_pid" 2>/dev/null || fail "the app stopped during startup"
  sleep 1
done
curl -fsS "$base/actuator/health/readiness" >/dev/null || fail "not ready after 180 s"
# Started from the generated code: Boot's AOT mode refuses to start without it, and says so.
grep -q 'Started SampleApplication' "$log" || fail "no 'Started SampleApplication' in the log"

rotations() {
  curl -fsS "$base/actuator/vaultleases" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["leases"]["dataSource"]["rotations"])'
}
say "sending requests for ${seconds}s at least, until the 10 s / 30 s lease has rotated"
requests=0
failed=0
users=$(mktemp)
min_end=$(($(date +%s) + seconds))
max_end=$(($(date +%s) + 150))
rotated=0
while [ "$(date +%s)" -lt "$max_end" ]; do
  if [ "$(date +%s)" -ge "$min_end" ]; then
    rotated=$(rotations)
    [ "$rotated" -ge 1 ] && break
  fi
  if curl -fsS -X POST -H 'Content-Type: application/json' -d '{"name":"aot"}' "$base/api/items" >/dev/null 2>&1 \
    && curl -fsS "$base/api/items" >/dev/null 2>&1 \
    && curl -fsS "$base/api/whoami" >>"$users" 2>/dev/null; then
    requests=$((requests + 3))
  else
    failed=$((failed + 1))
    requests=$((requests + 3))
  fi
  echo >>"$users"
done
rotated=$(rotations)
health=$(curl -sS "$base/actuator/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
served=$(python3 -c '
import json,sys
users=set()
for line in open(sys.argv[1]):
    line=line.strip()
    if line: users.add(json.loads(line)["databaseUser"])
print(" ".join(sorted(u[:16] + "…" for u in users)))' "$users")
rm -f "$users"

kill -TERM "$app_pid"
wait "$app_pid" || true
app_pid=""
left=$(PGPASSWORD="$VDS_PG_ADMIN_PASSWORD" psql -h 127.0.0.1 -p "$VDS_PG_PORT" -U "$VDS_PG_ADMIN_USER" -d "$VDS_DB" -Atc \
  "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'v-token-${role}-%'")
# Never a password or token in the log: the ones this run used are known here.
if grep -qF "$VAULT_TOKEN" "$log"; then fail "the Vault token appears in the app's log"; fi

say "requests=$requests failed=$failed rotations=$rotated health=$health users: $served"
say "after SIGTERM: v-token-$role-… roles left in PostgreSQL: $left"
[ "$failed" = 0 ] || fail "$failed request rounds failed"
[ "$rotated" -ge 1 ] || fail "no rotation within 150 s with 10 s / 30 s leases"
case "$served" in v-token-"$role"*) ;; *) fail "requests were not served by a Vault-issued user: $served" ;; esac
[ "$health" = UP ] || fail "health was $health"
[ "$left" = 0 ] || fail "$left issued users left after shutdown"
say "passed in $(($(date +%s) - started)) s"
