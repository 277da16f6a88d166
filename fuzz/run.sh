#!/usr/bin/env bash
# Seeds each target's corpus with the real captures (tests/fixtures) and fuzzes it for SECONDS (default 300).
#   fuzz/run.sh [SECONDS] [TARGET...]        needs: rustup nightly, cargo install cargo-fuzz
# Prints each target's last libFuzzer status line (exec count) for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
seconds=${1:-300}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(webhook_intake order_mapping refund_mapping customer_mapping config_parsing)
fixtures=../tests/fixtures
seed() { mkdir -p "corpus/$1"; for f in "${@:2}"; do cp -f "$f" "corpus/$1/seed-$(basename "$(dirname "$f")")-$(basename "$f")"; done; }
seed order_mapping "$fixtures"/woo/real/orders/*.json
seed refund_mapping "$fixtures"/woo/real/refunds/*.json
seed customer_mapping "$fixtures"/woo/real/customers/*.json
seed config_parsing ../src/settings/example.toml "$fixtures"/visma/settings-nordlys.toml "$fixtures"/settings/example.json
mkdir -p corpus/webhook_intake
for f in "$fixtures"/woo/webhooks/*.json; do
  python3 -c 'import base64,json,sys; d=json.load(open(sys.argv[1])); sys.stdout.buffer.write(base64.b64decode(d.get("body_b64","")))' "$f" \
    > "corpus/webhook_intake/seed-$(basename "$f")"
done
for t in "${targets[@]}"; do
  cargo +nightly fuzz run "$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 2> "corpus/$t.log" || { tail -30 "corpus/$t.log"; exit 1; }
  echo "$t: $(grep -E '^#[0-9]+' "corpus/$t.log" | tail -1)"
done
