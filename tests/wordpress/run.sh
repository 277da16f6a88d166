#!/usr/bin/env bash
# Runs the whole WordPress suite: setup.sh (idempotent), the Visma simulator when dist/ml-connector exists,
# PHPUnit against the live test site (in-process + HTTP through nginx), then teardown.sh (KEEP=1 keeps the site
# running). Ends with one line "N passed, N failed". Extra arguments go to phpunit (e.g. --filter SettingsTest,
# --group fn:ml_connector_drain). With no dist/ml_connector.so the PHP test double of the extension is used.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cleanup() { [ "${KEEP:-0}" = 1 ] || "$HERE/teardown.sh" >/dev/null; }
trap cleanup EXIT

"$HERE/setup.sh" || { echo "0 passed, 1 failed"; exit 1; }

if [ -x "$CLI_BIN" ] && [ "$EXT_KIND" = real ]; then
  if ! { [ -f "$STATE/simulator.pid" ] && kill -0 "$(cat "$STATE/simulator.pid")" 2>/dev/null; }; then
    "$CLI_BIN" simulate --listen "127.0.0.1:$SIM_PORT" >"$STATE/simulator.log" 2>&1 &
    echo $! > "$STATE/simulator.pid"
  fi
  for _ in $(seq 1 40); do (exec 3<>"/dev/tcp/127.0.0.1/$SIM_PORT") 2>/dev/null && break; sleep 0.25; done
  export ML_SIM_URL="http://127.0.0.1:$SIM_PORT"
  echo "run: simulator on $ML_SIM_URL"
else
  echo "run: no simulator (needs $CLI_BIN and $EXT_SO); the simulator test will fail"
fi

export ML_WP_STATE="$STATE" ML_WP_URL="$WP_URL"
rm -f "$STATE/junit.xml"
php "${PHP_EXT_ARGS[@]}" -d zend.assertions=1 -d assert.exception=1 /usr/bin/phpunit \
  -c "$HERE/phpunit.xml.dist" --log-junit "$STATE/junit.xml" "$@"
status=$?

if [ ! -f "$STATE/junit.xml" ]; then
  echo "0 passed, 1 failed"
  exit 1
fi
php -r '
  $x = simplexml_load_file( $argv[1] );
  $s = $x->testsuite[0];
  $t = (int) $s["tests"]; $f = (int) $s["failures"] + (int) $s["errors"]; $k = (int) $s["skipped"];
  printf( "%d passed, %d failed%s\n", $t - $f - $k, $f, $k ? ", $k skipped" : "" );
' "$STATE/junit.xml"
exit $status
