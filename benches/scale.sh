#!/usr/bin/env bash
# Issue #16: the connector service's throughput by instance count. The service simulation of
# tests/service_scale.rs (N `ml-connector serve` processes on one PostgreSQL, STORES shops each with its own
# simulated Visma company with faults and a rate limit, half on webhooks through a load balancer, half polled)
# without kills, for 1, 2 and 4 instances in one run; writes benches/SCALE.md, which benches/report.py puts into
# BENCHMARKS.md. Ratios are against the 1-instance row of the same run.
#
#   benches/scale.sh [STORES] [ORDERS]     defaults 100 and 3000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
STORES="${1:-100}"
ORDERS="${2:-3000}"
"$PWD/tests/databases.sh" >/dev/null
OUT="$PWD/target/bench/scale.txt"
mkdir -p "$(dirname "$OUT")"
: >"$OUT"
for n in 1 2 4; do
    echo "==> ML_SCALE_INSTANCES=$n ML_SCALE_STORES=$STORES ML_SCALE_ORDERS=$ORDERS ML_SCALE_KILLS=0 cargo test --release --test service_scale"
    ML_SCALE_INSTANCES=$n ML_SCALE_STORES=$STORES ML_SCALE_ORDERS=$ORDERS ML_SCALE_KILLS=0 \
        cargo test --release --locked --test service_scale -- --ignored --nocapture 2>&1 | grep '^scale: instances=' | tee -a "$OUT" \
        || echo "benches/scale.sh: $n instance(s) gave no result" >&2
done
python3 - "$OUT" "$STORES" "$ORDERS" >"$PWD/benches/SCALE.md" <<'PY'
import sys, datetime
path, stores, orders = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [dict(kv.split("=", 1) for kv in line.split()[1:]) for line in open(path) if line.startswith("scale:")]
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
print("## Connector service by instance count (issue #16)")
print()
print(f"Measured {now} UTC by `benches/scale.sh {stores} {orders}` on this machine: 2 shared cores run the instances,")
print("PostgreSQL, the load balancer and every shop's WooCommerce and Visma stand-ins, so this shows what more instances")
print("cost and whether they share the work correctly, not what more machines would add. Time from the first order")
print("placed to every order invoiced, released and paid in its company with every queue empty.")
print()
print("| instances | stores | orders | seconds | orders/s | vs 1 instance |")
print("|---|---|---|---|---|---|")
base = next((float(r["orders_per_sec"]) for r in rows if r["instances"] == "1"), None)
for r in rows:
    v = float(r["orders_per_sec"])
    ratio = f"×{v / base:.2f}" if base else "–"
    print(f"| {r['instances']} | {r['stores']} | {r['orders']} | {r['secs']} | {v:.0f} | {ratio} |")
PY
cat "$PWD/benches/SCALE.md"
