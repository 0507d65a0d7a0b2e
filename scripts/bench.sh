#!/usr/bin/env bash
# The benchmarks, one command: starts the real OpenBao and PostgreSQL (on their own ports unless
# VDS_PG_PORT / VDS_BAO_PORT say otherwise), builds the benchmarks module, runs every scenario in
# one invocation (query-path overhead, the rotation stress test, the headline run of forced
# rotations, the incumbents: Spring Cloud Vault and HashiCorp's tutorial patterns, startup, cost per
# managed pool, simulated fleet), prints the table, writes the raw figures to
# benchmarks/results/latest.json (and a timestamped copy) and the latency plot to
# benchmarks/results/latency.png. Stops what it started.
#
#   scripts/bench.sh           the full run: the source of published figures
#   scripts/bench.sh --quick   every scenario with fewer rounds, about two minutes on a quiet
#                              machine: a developer's check for a regression, never for publishing
#
# Every setting is a BENCH_* environment variable (or -Dbench.* in BENCH_JAVA_OPTS), for example
#   BENCH_ROTATION_WORKERS=32 BENCH_ROTATION_ROTATIONS=20 BENCH_OVERHEAD_ROUNDS=6 scripts/bench.sh
#   BENCH_SCENARIOS=overhead,fleet scripts/bench.sh
#   BENCH_NICE=-10 scripts/bench.sh    on a loaded machine, as root: a higher CPU weight for the run
# A variable set by hand wins over --quick. See docs/benchmarks.md for the list and what the
# figures mean.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
case "${1:-}" in
  "") ;;
  --quick) mode=quick ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac
if [[ "$mode" == quick ]]; then
  # Same scenarios, fewer and shorter rounds; only what is not already set by hand.
  : "${BENCH_OVERHEAD_ROUNDS:=3}" "${BENCH_OVERHEAD_ROUND:=1s}" "${BENCH_OVERHEAD_WARMUP:=1s}"
  : "${BENCH_ROTATION_ROTATIONS:=3}" "${BENCH_ROTATION_WARMUP:=2s}"
  : "${BENCH_HEADLINE_RUNS:=1}" "${BENCH_HEADLINE_ROTATIONS:=2}" "${BENCH_HEADLINE_WARMUP:=2s}"
  : "${BENCH_INCUMBENT_VARIANTS:=3s/6s/8s}" "${BENCH_INCUMBENT_APPS:=spring-cloud-vault}"
  : "${BENCH_STARTUP_ROUNDS:=1}" "${BENCH_STARTUP_RUNS:=1}" "${BENCH_STARTUP_BREAKDOWN_RUNS:=0}"
  : "${BENCH_STARTUP_WARM_UP:=false}"
  : "${BENCH_COST_RUNS:=1}" "${BENCH_COST_POOLS:=3}" "${BENCH_COST_IDLE_SECONDS:=0}"
  : "${BENCH_FLEET_INSTANCES:=1000}" "${BENCH_FLEET_WINDOW:=1h}" "${BENCH_FLEET_SEEDS:=1}"
  : "${BENCH_FLEET_VARIANTS:=false}"
  export BENCH_OVERHEAD_ROUNDS BENCH_OVERHEAD_ROUND BENCH_OVERHEAD_WARMUP BENCH_ROTATION_ROTATIONS \
    BENCH_ROTATION_WARMUP BENCH_HEADLINE_RUNS BENCH_HEADLINE_ROTATIONS BENCH_HEADLINE_WARMUP \
    BENCH_INCUMBENT_VARIANTS BENCH_INCUMBENT_APPS BENCH_STARTUP_ROUNDS BENCH_STARTUP_RUNS \
    BENCH_STARTUP_BREAKDOWN_RUNS BENCH_STARTUP_WARM_UP BENCH_COST_RUNS BENCH_COST_POOLS \
    BENCH_COST_IDLE_SECONDS BENCH_FLEET_INSTANCES BENCH_FLEET_WINDOW BENCH_FLEET_SEEDS \
    BENCH_FLEET_VARIANTS
fi
export BENCH_MODE="$mode"

# On a machine shared with other builds, a JVM starved of CPU can take longer to start than a lease
# of seconds lives. BENCH_NICE=-10 (as root) runs the benchmark in a session of its own whose
# scheduling group (Linux autogroup) gets a higher CPU weight than the other sessions: the services,
# the suite and every application it starts, ours and the incumbents alike, get the same priority,
# and nobody else's processes are touched. Off by default (0): a published script does not renice
# the caller's session unless asked.
nice_level="${BENCH_NICE:-0}"
if [[ "$nice_level" != 0 && "$(id -u)" == 0 && -w /proc/self/autogroup ]]; then
  if [[ -z "${BENCH_OWN_SESSION:-}" ]]; then
    BENCH_OWN_SESSION=1 exec setsid --wait bash "$0" "$@"
  fi
  echo "$nice_level" >/proc/self/autogroup
  renice -n "$nice_level" -p $$ >/dev/null
  echo "[bench] own scheduling group: $(cat /proc/self/autogroup)"
elif [[ "$nice_level" != 0 ]]; then
  echo "[bench] BENCH_NICE=$nice_level ignored: it needs root and /proc/self/autogroup" >&2
fi

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
rm -f "$results/bench.log" "$results/startup.log" "$results/pool-cost.log"
suite_cp="benchmarks/suite/target/classes:$(cat benchmarks/suite/target/classpath.txt)"
incumbent_cp="$PWD/benchmarks/spring-cloud-vault/target/classes:$(cat benchmarks/spring-cloud-vault/target/classpath.txt)"
echo "[bench] running the $mode suite (logs: $results/bench.log)"
# shellcheck disable=SC2086 # BENCH_JAVA_OPTS is a list of options
java ${BENCH_JAVA_OPTS:-} \
  -Djava.awt.headless=true \
  -Dbench.env-file="$state/env" \
  -Dbench.repository="$PWD" \
  -Dbench.results-dir="$results" \
  -Dbench.log-file="$results/bench.log" \
  -Dbench.incumbent.classpath="$incumbent_cp" \
  -cp "$suite_cp" io.github.vaultdatasource.benchmarks.BenchmarkSuite
