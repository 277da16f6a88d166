#!/usr/bin/env bash
# Runs the issue-8 benchmarks and writes BENCHMARKS.md (about 12 minutes on 2 shared cores).
#
#   benches/run.sh            everything (needs ./build.sh first: dist/ml_connector.so, dist/ml-connector)
#   benches/run.sh quick      smaller counts, for checking the harness (about 3 minutes; BENCHMARKS.md says so)
#
# Every number in BENCHMARKS.md is a ratio against a baseline measured in the same run, next to the command that
# produced it: the machine is shared and absolute times drift. Raw output: target/bench/results.txt.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
DIST="$ROOT/dist"
OUT="$ROOT/target/bench"
RESULTS="$OUT/results.txt"
MODE="${1:-full}"

[ -x "$DIST/ml-connector" ] && [ -f "$DIST/ml_connector.so" ] \
    || { echo "benches/run.sh: run ./build.sh first (dist/ml-connector, dist/ml_connector.so)" >&2; exit 2; }
mkdir -p "$OUT"
: >"$RESULTS"

echo "==> cargo bench --bench pipeline --no-run"
BENCH_BIN="$(cargo bench --locked --bench pipeline --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "pipeline" and m.get("executable"):
        print(m["executable"])')"
[ -x "$BENCH_BIN" ] || { echo "benches/run.sh: the pipeline bench did not build" >&2; exit 1; }
export ML_CONNECTOR_BIN="$DIST/ml-connector"

# run "shown command" actual command...: records the command, then its RESULT/SAMPLE/INFO lines.
run() {
    local shown="$1"
    shift
    echo "==> $shown"
    local start=$SECONDS from
    echo "CMD $shown" >>"$RESULTS"
    from=$(wc -l <"$RESULTS")
    "$@" 2>&1 | tee -a "$RESULTS" | grep -E '^(RESULT|INFO)' || true
    echo "TIME $((SECONDS - start))" >>"$RESULTS"
    # A bench whose requests failed measured the failure, not the connector: stop with its first answers.
    if tail -n +"$((from + 1))" "$RESULTS" | grep -q '^RESULT .* errors=[1-9]'; then
        echo "benches/run.sh: '$shown' had failed requests:" >&2
        tail -n +"$((from + 1))" "$RESULTS" | grep -m 2 -A 5 '^bad answer' >&2 || true
        exit 1
    fi
}

if [ "$MODE" = quick ]; then
    N_MICRO=500 FPM="300 300 20" FPM_MEM=1000 CEIL=2000 BACKFILL=5000 RATE_A="500 2 60" RATE_B="2000 8 60"
else
    N_MICRO=3000 FPM="2000 2000 200" FPM_MEM=10000 CEIL=5000 BACKFILL=100000 RATE_A="500 2 60" RATE_B="2000 8 60"
fi
P="cargo bench --bench pipeline --"
run "$P enqueue $N_MICRO" "$BENCH_BIN" enqueue $N_MICRO
run "$P mapping $N_MICRO" "$BENCH_BIN" mapping $N_MICRO
run "benches/fpm/run.sh dist/ml_connector.so dist/ml-connector checkout $FPM" \
    benches/fpm/run.sh "$DIST/ml_connector.so" "$DIST/ml-connector" checkout $FPM
run "benches/fpm/run.sh dist/ml_connector.so dist/ml-connector memory $FPM_MEM" \
    benches/fpm/run.sh "$DIST/ml_connector.so" "$DIST/ml-connector" memory $FPM_MEM
run "$P drain-rate $RATE_A" "$BENCH_BIN" drain-rate $RATE_A
run "$P drain-rate $RATE_B" "$BENCH_BIN" drain-rate $RATE_B
# The default batch of 1 (what the plugin's background drain uses) and the backfill batch of 20. Each three times,
# interleaved (single runs vary by ±10 % on shared cores); BENCHMARKS.md shows the median run and all three.
for rep in 1 2 3; do
    for batch in 1 20; do
        for engines in 4 8; do
            run "$P ceiling $CEIL $engines $batch" "$BENCH_BIN" ceiling $CEIL $engines $batch
        done
    done
done
run "$P backfill $BACKFILL 4 20" "$BENCH_BIN" backfill $BACKFILL 4 20

echo "==> writing BENCHMARKS.md"
python3 benches/report.py "$RESULTS" "$MODE" >BENCHMARKS.md
echo "done: BENCHMARKS.md (raw: $RESULTS)"
