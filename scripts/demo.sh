#!/usr/bin/env bash
# The demo, one command on a fresh machine: starts the real OpenBao and PostgreSQL (installing them
# if needed), defines a Vault role with short leases (4 s TTL, 12 s max TTL) whose users act as the
# owner role, builds and runs the sample app (REST API, Flyway, actuator on DEMO_PORT, default 18080)
# with steady HTTP traffic for DEMO_SECONDS (default 60) while its credentials renew and rotate,
# shows the vaultleases endpoint and health half-way, stops it with SIGTERM, and prints a summary.
# Stops whatever it started.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO_SECONDS="${DEMO_SECONDS:-60}"
DEMO_PORT="${DEMO_PORT:-18080}"
DEMO_ROLE="${DEMO_ROLE:-demo}"

# The trap comes first: an `up` that fails half-way still has what it started stopped.
app_pid=""
tail_pid=""
cleanup() {
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then kill "$app_pid" 2>/dev/null || true; fi
  if [ -n "$tail_pid" ]; then kill "$tail_pid" 2>/dev/null || true; fi
  scripts/services.sh down --started || true
}
trap cleanup EXIT
scripts/services.sh up
# shellcheck source=/dev/null
. "${VDS_STATE_DIR:-.vds}/env"
scripts/services.sh role "$DEMO_ROLE" 4s 12s owner-session

# package, not install: the reactor resolves the starter and autoconfigure jars it just built, and
# the local Maven repository keeps whatever SNAPSHOT jars it had.
echo "[demo] building the sample app"
mvn -B -ntp -q package -DskipTests -pl sample-app -am

log="${VDS_STATE_DIR:-.vds}/demo.log"
echo "[demo] starting the sample app for ${DEMO_SECONDS}s (log: $log)"
java -jar sample-app/target/vault-datasource-sample-app-*.jar \
  --server.port="$DEMO_PORT" \
  --vault.database.role="$DEMO_ROLE" \
  --sample.traffic.enabled=true \
  --logging.level.io.github.vaultdatasource=INFO >"$log" 2>&1 &
app_pid=$!

# Show the renewals and rotations live.
tail -n +1 -f "$log" --pid="$app_pid" 2>/dev/null | grep --line-buffered -E '\[demo\]|Connected to the database|Started SampleApplication|ERROR|WARN' &
tail_pid=$!
base="http://127.0.0.1:$DEMO_PORT"
for _ in $(seq 1 120); do
  curl -fsS "$base/actuator/health/readiness" >/dev/null 2>&1 && break
  kill -0 "$app_pid" 2>/dev/null || { echo "[demo] the sample app stopped; see $log"; exit 1; }
  sleep 1
done
started=$(date +%s)
sleep $((DEMO_SECONDS / 2))
echo
echo "[demo] GET $base/actuator/vaultleases"
curl -fsS "$base/actuator/vaultleases" | python3 -m json.tool || true
echo "[demo] GET $base/actuator/health -> vaultLeases, vaultServer, db"
curl -sS "$base/actuator/health" | python3 -c 'import json,sys; c=json.load(sys.stdin)["components"]; [print("  %-12s %s" % (k, c[k]["status"])) for k in ("vaultLeases","vaultServer","db")]' || true
echo "[demo] GET $base/api/whoami"
curl -fsS "$base/api/whoami"; echo
echo
left=$((DEMO_SECONDS - ($(date +%s) - started)))
if [ "$left" -gt 0 ]; then sleep "$left"; fi
kill -TERM "$app_pid"
wait "$app_pid" || true
app_pid=""
sleep 1
kill "$tail_pid" 2>/dev/null || true
tail_pid=""

summary=$(grep -E '^DEMO-SUMMARY' "$log" | tail -1)
revoked=$(grep -c '^DEMO-REVOKED-ON-SHUTDOWN' "$log" || true)
# The psql of the PostgreSQL that services.sh runs, not whichever one is first on PATH (if any).
roles_left=$(PGPASSWORD="$VDS_PG_ADMIN_PASSWORD" "$VDS_PG_BIN/psql" -X -h 127.0.0.1 -p "$VDS_PG_PORT" \
  -U "$VDS_PG_ADMIN_USER" -d "$VDS_DB" -Atc "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'v-token-${DEMO_ROLE}-%'")
get() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$summary"; }

echo
echo "================ vault-datasource demo summary ================"
printf '  requests                        %s\n' "$(get requests)"
printf '  failed requests                 %s\n' "$(get failed)"
printf '  renewals                        %s\n' "$(get renewals)"
printf '  rotations                       %s\n' "$(get rotations)"
printf '  database users that served      %s\n' "$(get users)"
printf '  lease revoked on shutdown       %s\n' "$([ "$revoked" -ge 1 ] && echo yes || echo NO)"
printf '  v-token-%s-… roles left    %s\n' "$DEMO_ROLE" "$roles_left"
echo "================================================================"
if [ -z "$summary" ] || [ "$(get failed)" != 0 ] || [ "$roles_left" != 0 ] || [ "$revoked" -lt 1 ]; then
  echo "[demo] FAILED: see $log"
  exit 1
fi
