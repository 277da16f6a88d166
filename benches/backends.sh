#!/usr/bin/env bash
# Issue #16: the same pipeline benches on each store backend (SQLite file, MariaDB, PostgreSQL), in one run so the
# rows compare; writes benches/BACKENDS.md, which benches/report.py puts into BENCHMARKS.md.
#
#   benches/backends.sh [ORDERS_CEILING] [ORDERS_BACKFILL]     defaults 5000 and 20000
#
# Needs ./build.sh first (dist/ml-connector is the simulator) and the servers tests/databases.sh starts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CEIL="${1:-5000}"
FILL="${2:-20000}"
"$PWD/tests/databases.sh" >/dev/null
export ML_CONNECTOR_BIN="$PWD/dist/ml-connector"
BENCH_BIN="$(cargo bench --locked --bench pipeline --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == "pipeline" and m.get("executable"):
        print(m["executable"])')"
OUT="$PWD/target/bench/backends.txt"
mkdir -p "$(dirname "$OUT")"
: >"$OUT"
for db in sqlite mysql postgres; do
    for batch in 1 20; do
        echo "==> BENCH_DB=$db cargo bench --bench pipeline -- ceiling $CEIL 4 $batch"
        BENCH_DB=$db "$BENCH_BIN" ceiling "$CEIL" 4 "$batch" 2>&1 | grep '^RESULT ceiling ' | tee -a "$OUT" \
            || echo "benches/backends.sh: ceiling on $db gave no result" >&2
    done
    echo "==> BENCH_DB=$db cargo bench --bench pipeline -- backfill $FILL 4 20"
    BENCH_DB=$db "$BENCH_BIN" backfill "$FILL" 4 20 >"$OUT.$db.log" 2>&1 || true
    grep '^RESULT backfill ' "$OUT.$db.log" | tee -a "$OUT" \
        || { echo "benches/backends.sh: backfill on $db gave no result:" >&2; tail -5 "$OUT.$db.log" >&2; }
done
python3 - "$OUT" "$CEIL" "$FILL" >"$PWD/benches/BACKENDS.md" <<'PY'
import sys, datetime
path, ceil, fill = sys.argv[1], sys.argv[2], sys.argv[3]
rows = []
for line in open(path):
    kind, rest = line.split()[1], line.split()[2:]
    rows.append((kind, dict(kv.split("=", 1) for kv in rest)))
name = {"sqlite": "SQLite file", "mariadb": "MariaDB 10.11", "postgres": "PostgreSQL 15"}
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
print("## Store backends (issue #16)")
print()
print(f"Measured {now} UTC by `benches/backends.sh {ceil} {fill}` on this machine (2 shared cores; the database")
print("servers run on the same cores as the connector and the simulator). Each backend's row compares with the SQLite row")
print("measured in the same run.")
print()
print("**Overhead ceiling**: orders queued, then drained by 4 engines against a zero-latency simulator process,")
print("end to end (map + queue + HTTP + audit).")
print()
print("| backend | command | batch | orders/s | vs SQLite, same batch |")
print("|---|---|---|---|---|")
base = {r["batch"]: float(r["orders_per_s"]) for k, r in rows if k == "ceiling" and r["backend"] == "sqlite"}
for k, r in rows:
    if k != "ceiling":
        continue
    v = float(r["orders_per_s"])
    cmd = f"`BENCH_DB={r['backend'].replace('mariadb', 'mysql')} cargo bench --bench pipeline -- ceiling {r['orders']} 4 {r['batch']}`"
    print(f"| {name[r['backend']]} | {cmd} | {r['batch']} | {v:.0f} | ×{v / base.get(r['batch'], v):.2f} |")
print()
print(f"**Storage**: the tables and indexes after a backfill of {fill} orders (4 engines, batch 20), every order posted and")
print("audited, payloads compressed. \"After the retention\": the same queue once `[queue] payload_retention_days` has")
print("passed for every job (payloads dropped), with the space handed back (VACUUM / OPTIMIZE TABLE / VACUUM FULL),")
print("which is what a long-running queue settles at. SQLite: the file. MariaDB: data + index length after")
print("`ANALYZE TABLE`. PostgreSQL: `pg_total_relation_size` of the tables.")
print()
print("| backend | command | audit rows | bytes per order | per 1 M orders | after the retention: bytes per order | per 1 M orders | vs SQLite (after) |")
print("|---|---|---|---|---|---|---|---|")
sq = next((float(r["pruned_bytes_per_order"]) for k, r in rows if k == "backfill" and r["backend"] == "sqlite"), None)
for k, r in rows:
    if k != "backfill":
        continue
    b = float(r["db_bytes_per_order"])
    p = float(r["pruned_bytes_per_order"])
    cmd = f"`BENCH_DB={r['backend'].replace('mariadb', 'mysql')} cargo bench --bench pipeline -- backfill {r['orders']} 4 20`"
    print(f"| {name[r['backend']]} | {cmd} | {r['audit_rows']} | {b:.0f} | {b * 1e6 / 1e9:.2f} GB | {p:.0f} | {p * 1e6 / 1e9:.2f} GB | ×{p / (sq or p):.2f} |")
PY
echo "wrote benches/BACKENDS.md"
