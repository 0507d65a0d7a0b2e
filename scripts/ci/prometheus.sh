#!/usr/bin/env bash
# CI stage for the alert rules (docs/monitoring/): promtool checks and unit tests of the shipped
# rules, then a real Prometheus, Alertmanager and Pushgateway (Debian's packages, installed when
# missing) on loopback, scraping two real sample apps on the real OpenBao and PostgreSQL while faults
# are injected, with every alert shown pending/firing and resolved over Prometheus' HTTP API and every
# PromQL expression of the Grafana dashboard run (scripts/ci/prometheus/harness.py).
#
#   scripts/ci/prometheus.sh           all of it (what scripts/test.sh runs)
#   scripts/ci/prometheus.sh check     promtool/amtool only, a few seconds
#   scripts/ci/prometheus.sh up|down|status
#                                      Prometheus, Alertmanager, Pushgateway with the shipped rules, by hand
#
# Ports VDS_PROM_PORT_BASE (default 29090) to +6. Uses the services scripts/services.sh runs (starting
# them if they are not running, and then stopping them again). Builds the sample app jar if missing;
# VDS_PROM_SAMPLE_JAR runs another build of it.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

HARNESS=scripts/ci/prometheus/harness.py
PROM_STATE="$STATE/prometheus"

install_packages() {
  local missing=()
  command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v prometheus-alertmanager >/dev/null 2>&1 && command -v amtool >/dev/null 2>&1 ||
    missing+=(prometheus-alertmanager)
  command -v prometheus-pushgateway >/dev/null 2>&1 || missing+=(prometheus-pushgateway)
  ((${#missing[@]})) || return 0
  mkdir -p "$PROM_STATE"
  log "installing ${missing[*]} with apt"
  export DEBIAN_FRONTEND=noninteractive
  # Where policy-rc.d forbids it (a container, CI) apt starts no daemon; one that started would
  # listen on the package's default ports, not ours.
  apt-get install -y --no-install-recommends "${missing[@]}" >"$PROM_STATE/apt.log" 2>&1 ||
    { apt-get update >>"$PROM_STATE/apt.log" 2>&1 &&
      apt-get install -y --no-install-recommends "${missing[@]}" >>"$PROM_STATE/apt.log" 2>&1; } ||
    { tail -n 20 "$PROM_STATE/apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
}

check() {
  promtool check rules docs/monitoring/prometheus-alerts.yml
  promtool test rules scripts/ci/prometheus/alerts-test.yml scripts/ci/prometheus/alerts-test-24h.yml
  promtool check config docs/monitoring/prometheus.yml
  amtool check-config docs/monitoring/alertmanager.yml
  python3 "$HARNESS" check
}

# The Pushgateway client for Boot's shutdown push is not in the sample app; it goes on the app's
# class path (loader.path) in the version of the Prometheus client the app already has.
pushgateway_client() {
  local jar version lib
  jar="${VDS_PROM_SAMPLE_JAR:-}"
  for f in sample-app/target/vault-datasource-sample-app-*.jar; do
    [[ -z "${VDS_PROM_SAMPLE_JAR:-}" ]] || break
    case "$f" in *-sources.jar | *-tests.jar) ;; *) jar="$f" ;; esac
  done
  [[ -f "$jar" ]] || die "no sample-app jar in sample-app/target"
  version="$(python3 -c 'import re, sys, zipfile
for name in zipfile.ZipFile(sys.argv[1]).namelist():
    m = re.fullmatch(r"BOOT-INF/lib/prometheus-metrics-core-(.+)\.jar", name)
    if m: print(m.group(1))' "$jar")"
  [[ -n "$version" ]] || die "no prometheus-metrics-core in $jar"
  lib="$PROM_STATE/lib-$version"
  if [[ ! -f "$lib/prometheus-metrics-exporter-pushgateway-$version.jar" ]]; then
    mvn -B -ntp -q dependency:get -Dartifact="io.prometheus:prometheus-metrics-exporter-pushgateway:$version" >&2 ||
      die "could not resolve io.prometheus:prometheus-metrics-exporter-pushgateway:$version"
    mkdir -p "$lib"
    cp ~/.m2/repository/io/prometheus/prometheus-metrics-exporter-pushgateway/"$version"/*"-$version.jar" \
      ~/.m2/repository/io/prometheus/prometheus-metrics-exporter-common/"$version"/*"-$version.jar" "$lib/"
  fi
  printf '%s\n' "$lib"
}

run() {
  local started_services=0 rc=0
  if ! scripts/services.sh status >/dev/null 2>&1; then
    scripts/services.sh up
    started_services=1
  fi
  # shellcheck source=/dev/null
  . "$STATE/env"
  if ! ls sample-app/target/vault-datasource-sample-app-*.jar >/dev/null 2>&1; then
    log "building the sample app"
    mvn -B -ntp -q package -DskipTests -pl sample-app -am
  fi
  VDS_PROM_LIB="$(pushgateway_client)" python3 "$HARNESS" run || rc=$?
  if ((started_services)); then scripts/services.sh down --started || true; fi
  return "$rc"
}

case "${1:-all}" in
  all)
    install_packages
    start=$SECONDS
    check
    log "promtool checks and unit tests passed in $((SECONDS - start)) s"
    start=$SECONDS
    run
    log "real Prometheus run passed in $((SECONDS - start)) s"
    ;;
  check) install_packages && check ;;
  up) install_packages && python3 "$HARNESS" up ;;
  down | status) python3 "$HARNESS" "$1" ;;
  *)
    echo "usage: $0 [all | check | up | down | status]" >&2
    exit 2
    ;;
esac
