#!/usr/bin/env bash
# The benchmarks, one command: starts the real OpenBao and PostgreSQL (on their own ports unless
# VDS_PG_PORT / VDS_BAO_PORT say otherwise), builds the benchmarks module, runs every scenario in
# one invocation (query-path overhead, rotation under load, Spring Cloud Vault, startup, simulated
# fleet), prints the table, writes the raw figures to benchmarks/results/latest.json (and a
# timestamped copy) and the latency plot to benchmarks/results/latency.png. Stops what it started.
#
# Every setting is a BENCH_* environment variable (or -Dbench.* in BENCH_JAVA_OPTS), for example
#   BENCH_ROTATION_WORKERS=32 BENCH_ROTATION_ROTATIONS=20 BENCH_OVERHEAD_ROUNDS=6 scripts/bench.sh
#   BENCH_SCENARIOS=overhead,fleet scripts/bench.sh
# See docs/benchmarks.md for the list and what the figures mean.
set -euo pipefail
cd "$(dirname "$0")/.."
# Ports and a state directory of its own, so that the services the tests and the demo use (the
# default ports, .vds) are never used or stopped, in this checkout or another.
export VDS_PG_PORT="${VDS_PG_PORT:-57432}"
export VDS_BAO_PORT="${VDS_BAO_PORT:-57200}"
export VDS_STATE_DIR="${VDS_STATE_DIR:-$PWD/.vds-bench}"
state="$VDS_STATE_DIR"
results="${BENCH_RESULTS_DIR:-$PWD/benchmarks/results}"

cleanup() {
  scripts/services.sh down --started || true
}
trap cleanup EXIT
scripts/services.sh up

echo "[bench] building the benchmarks module"
mvn -B -ntp -q -Pbenchmarks -pl benchmarks/suite,benchmarks/spring-cloud-vault -am package -DskipTests

mkdir -p "$results"
rm -f "$results/bench.log" "$results/startup.log"
suite_cp="benchmarks/suite/target/classes:$(cat benchmarks/suite/target/classpath.txt)"
scv_cp="$PWD/benchmarks/spring-cloud-vault/target/classes:$(cat benchmarks/spring-cloud-vault/target/classpath.txt)"
echo "[bench] running (logs: $results/bench.log)"
# shellcheck disable=SC2086 # BENCH_JAVA_OPTS is a list of options
java ${BENCH_JAVA_OPTS:-} \
  -Djava.awt.headless=true \
  -Dbench.env-file="$state/env" \
  -Dbench.repository="$PWD" \
  -Dbench.results-dir="$results" \
  -Dbench.log-file="$results/bench.log" \
  -Dbench.incumbent.classpath="$scv_cp" \
  -cp "$suite_cp" io.github.vaultdatasource.benchmarks.BenchmarkSuite
