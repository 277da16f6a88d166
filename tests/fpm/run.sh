#!/usr/bin/env bash
# PHP-FPM fork-safety test. Starts php-fpm8.2 (pm = static, 2 workers, own config, pid file and port) with the
# extension, plus a loopback HTTP server, then sends FastCGI requests (cgi-fcgi) that each run
# ml_connector_health_check: an HTTP GET through the worker's client and a SQLite write through its connection.
# Every request must succeed, both workers must answer, and no request may hang (5 s guard; a client created
# before the fork makes every request hang, NOTES-ext-php-rs.md §4.1). Timings are printed, not asserted.
#
#   tests/fpm/run.sh /path/to/ml_connector.so
set -euo pipefail

SO="$(realpath "${1:?usage: tests/fpm/run.sh /path/to/ml_connector.so}")"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FPM_BIN="${FPM_BIN:-php-fpm8.2}"
ROUNDS=4        # rounds of concurrent requests
PER_ROUND=3     # concurrent requests per round (more than the 2 workers, so both must take some)
HANG_GUARD_S=5

command -v "$FPM_BIN" >/dev/null || { echo "fpm test: $FPM_BIN not found (package php8.2-fpm)"; exit 1; }
command -v cgi-fcgi >/dev/null || { echo "fpm test: cgi-fcgi not found (package libfcgi-bin)"; exit 1; }

WORK="$(mktemp -d /tmp/ml-connector-fpm.XXXXXX)"
chmod 0755 "$WORK"
FPM_PID_FILE="$WORK/php-fpm.pid"
HTTP_PID=""

free_port() {
    php -n -r '$s = stream_socket_server("tcp://127.0.0.1:0"); $n = stream_socket_get_name($s, false); echo substr($n, strrpos($n, ":") + 1);'
}

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
    if [ -s "$FPM_PID_FILE" ]; then
        stop_pid "$(cat "$FPM_PID_FILE")"
    fi
    if [ -n "$HTTP_PID" ]; then
        stop_pid "$HTTP_PID"
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

wait_for_port() { # port: up to 10 s for a listener
    local i
    for i in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "fpm test: nothing listens on 127.0.0.1:$1"
    return 1
}

# The loopback HTTP server the health check calls.
HTTP_PORT="$(free_port)"
printf '<?php http_response_code(204);\n' >"$WORK/router.php"
php -n -S "127.0.0.1:$HTTP_PORT" "$WORK/router.php" >/dev/null 2>&1 &
HTTP_PID=$!
wait_for_port "$HTTP_PORT"

# Workers run as nobody when we are root, so the data dir must be theirs to write.
DATA_DIR="$WORK/data"
mkdir -p "$DATA_DIR"
cp "$HERE/health.php" "$WORK/health.php"
chmod 0644 "$WORK/health.php"
USER_LINES=""
if [ "$(id -u)" -eq 0 ]; then
    chown nobody "$DATA_DIR"
    USER_LINES=$'user = nobody\ngroup = nogroup'
fi

FPM_PORT="$(free_port)"
cat >"$WORK/php-fpm.conf" <<CONF
[global]
pid = $FPM_PID_FILE
error_log = $WORK/php-fpm.log
daemonize = yes

[ml-connector-test]
$USER_LINES
listen = 127.0.0.1:$FPM_PORT
pm = static
pm.max_children = 2
catch_workers_output = yes
CONF

echo "starting $FPM_BIN (pm = static, 2 workers) on 127.0.0.1:$FPM_PORT with $SO"
if ! "$FPM_BIN" -n -y "$WORK/php-fpm.conf" -d "extension=$SO" -d zend.assertions=1 -d assert.exception=1; then
    echo "fpm test: php-fpm did not start"; cat "$WORK/php-fpm.log" 2>/dev/null || true; exit 1
fi
wait_for_port "$FPM_PORT"

request() { # n: one FastCGI request; writes "<rc> <ms> <body line>" to $WORK/req.<n>
    local n="$1" start end rc=0 out
    start="$(date +%s%N)"
    out="$(SCRIPT_FILENAME="$WORK/health.php" REQUEST_METHOD=GET ML_DATA_DIR="$DATA_DIR" \
        ML_URL="http://127.0.0.1:$HTTP_PORT/ping" \
        timeout "$HANG_GUARD_S" cgi-fcgi -bind -connect "127.0.0.1:$FPM_PORT" 2>&1)" || rc=$?
    end="$(date +%s%N)"
    printf '%s %s %s\n' "$rc" "$(((end - start) / 1000000))" "$(printf '%s\n' "$out" | grep -E '^(ok|error) ' | head -1)" >"$WORK/req.$n"
}

n=0
for round in $(seq 1 "$ROUNDS"); do
    pids=()
    for _ in $(seq 1 "$PER_ROUND"); do
        n=$((n + 1))
        request "$n" &
        pids+=($!)
    done
    wait "${pids[@]}"
done

failures=0
declare -A workers=()
for i in $(seq 1 "$n"); do
    read -r rc ms body <"$WORK/req.$i"
    printf 'request %2d: %5s ms  rc=%s  %s\n' "$i" "$ms" "$rc" "${body:-<no body>}"
    if [ "$rc" -eq 124 ]; then
        echo "  FAIL: hung for ${HANG_GUARD_S}s (fork-unsafe state?)"; failures=$((failures + 1))
    elif [ "$rc" -ne 0 ] || [[ "$body" != ok\ * ]]; then
        echo "  FAIL: request did not succeed"; failures=$((failures + 1))
    else
        pid="${body#ok pid=}"; pid="${pid%% *}"
        workers[$pid]=1
    fi
done

echo "worker pids seen: ${!workers[*]}"
if [ "${#workers[@]}" -ne 2 ]; then
    echo "FAIL: expected answers from both workers, got ${#workers[@]}"; failures=$((failures + 1))
fi

# Every request wrote one heartbeat: the per-pid counters must add up to the number of requests.
beats="$(python3 - "$DATA_DIR/ml-connector.sqlite" <<'PY'
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
rows = conn.execute("SELECT COUNT(*), COALESCE(SUM(CAST(value AS INTEGER)), 0) FROM cursors WHERE store_id = 'health'").fetchone()
print(f"{rows[0]} {rows[1]}")
PY
)"
echo "heartbeat rows/beats: $beats"
if [ "$beats" != "2 $n" ]; then
    echo "FAIL: expected 2 rows and $n beats"; failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
    echo "--- php-fpm.log"; cat "$WORK/php-fpm.log" 2>/dev/null || true
    echo "fpm test: $failures failure(s)"
    exit 1
fi
echo "fpm test: $n requests ok across 2 workers"
