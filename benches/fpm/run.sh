#!/usr/bin/env bash
# PHP-FPM benches (issue 8, rows 1 and 5): checkout overhead and worker memory under real php-fpm8.2.
# Starts its own php-fpm (pm = static, 1 worker, no recycling, own config, port and pid file) and, for the
# inline variant, `ml-connector simulate --latency-ms 150`; stops both by pid. Prints RESULT/SAMPLE lines.
#
#   benches/fpm/run.sh SO BIN checkout [N_BASE N_ENQUEUE N_INLINE]   (default 2000 2000 200)
#   benches/fpm/run.sh SO BIN memory [REQUESTS]                      (default 10000)
set -euo pipefail

SO="$(realpath "${1:?usage: run.sh SO BIN checkout|memory}")"
BIN="$(realpath "${2:?}")"
WHAT="${3:?}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
FPM_BIN="${FPM_BIN:-php-fpm8.2}"

WORK="$(mktemp -d /tmp/ml-connector-bench-fpm.XXXXXX)"
chmod 0755 "$WORK"
PIDS=()

stop_pid() { # pid: TERM, wait up to 5 s, then KILL
    local pid="$1" i
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
    local pid f
    for f in "$WORK"/fpm-*.pid; do
        [ -s "$f" ] && stop_pid "$(cat "$f")"
    done
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    php -n -r '$s = stream_socket_server("tcp://127.0.0.1:0"); $n = stream_socket_get_name($s, false); echo substr($n, strrpos($n, ":") + 1);'
}
wait_for_port() {
    local i
    for i in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "bench fpm: nothing listens on 127.0.0.1:$1" >&2
    return 1
}

cp "$HERE/checkout.php" "$WORK/checkout.php"
cp "$ROOT/tests/fixtures/woo/real/orders/228.json" "$WORK/order.json"
# The plugin's settings document: the complete settings (the example, as JSON) and the simulator's URL (as
# tests/php/connector.phpt builds it); the checkout never reaches the simulator.
php -n -r '$e = json_decode(file_get_contents($argv[1]), true);
    echo json_encode(["mode" => "simulator", "simulator_url" => "http://127.0.0.1:9", "settings" => $e]);' \
    "$ROOT/tests/fixtures/settings/example.json" >"$WORK/settings.json"
chmod 0644 "$WORK/checkout.php" "$WORK/order.json" "$WORK/settings.json"

start_fpm() { # name, with_ext (1/0), sim token url → echoes port
    local name="$1" with_ext="$2" token_url="$3" port data user_lines="" ext_args=()
    port="$(free_port)"
    data="$WORK/data-$name"
    mkdir -p "$data"
    if [ "$(id -u)" -eq 0 ]; then
        chown nobody "$data"
        user_lines=$'user = nobody\ngroup = nogroup'
    fi
    [ "$with_ext" = 1 ] && ext_args=(-d "extension=$SO")
    cat >"$WORK/fpm-$name.conf" <<CONF
[global]
pid = $WORK/fpm-$name.pid
error_log = $WORK/fpm-$name.log
daemonize = yes

[bench-$name]
$user_lines
listen = 127.0.0.1:$port
pm = static
pm.max_children = 1
pm.max_requests = 0
env[ML_ORDER] = $WORK/order.json
env[ML_DATA_DIR] = $data
env[ML_SIM_TOKEN_URL] = $token_url
env[ML_SETTINGS_FILE] = $WORK/settings.json
CONF
    "$FPM_BIN" -n -y "$WORK/fpm-$name.conf" "${ext_args[@]}" >&2 || { cat "$WORK/fpm-$name.log" >&2; exit 1; }
    wait_for_port "$port"
    echo "$port"
}

case "$WHAT" in
checkout)
    N_BASE="${4:-2000}" N_ENQ="${5:-2000}" N_INLINE="${6:-200}"
    SIM_PORT="$(free_port)"
    "$BIN" simulate --listen "127.0.0.1:$SIM_PORT" --latency-ms 150 >/dev/null 2>&1 &
    PIDS+=($!)
    wait_for_port "$SIM_PORT"
    port="$(start_fpm checkout 1 "http://127.0.0.1:$SIM_PORT/connect/token")"
    # Warm-up: the worker's first enqueue opens the store (migrations); not part of the steady state.
    php -n "$HERE/client.php" "$port" "$WORK/checkout.php" "base:20,enqueue:20,inline:2" 0 100 >/dev/null
    php -n "$HERE/client.php" "$port" "$WORK/checkout.php" "base:$N_BASE,enqueue:$N_ENQ,inline:$N_INLINE" 0 1000
    ;;
memory)
    N="${4:-10000}"
    port="$(start_fpm noext 0 "http://127.0.0.1:9/unused")"
    echo "INFO memory without the extension (base requests)"
    php -n "$HERE/client.php" "$port" "$WORK/checkout.php" "base:$N" 1000 100 | sed 's/fpm_/fpm_noext_/'
    port="$(start_fpm ext 1 "http://127.0.0.1:9/unused")"
    echo "INFO memory with the extension (configure + enqueue requests)"
    php -n "$HERE/client.php" "$port" "$WORK/checkout.php" "enqueue:$N" 1000 100 | sed 's/fpm_/fpm_ext_/'
    ;;
*)
    echo "unknown bench '$WHAT' (checkout|memory)" >&2
    exit 2
    ;;
esac
