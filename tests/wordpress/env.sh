# Shared settings of the WordPress test harness (sourced by setup.sh, teardown.sh, run.sh). Override by env.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
STATE=${ML_WP_STATE:-$REPO/target/wordpress}
WP_PORT=${ML_WP_PORT:-8391}
SIM_PORT=${ML_SIM_PORT:-8392}
SIM_FAULTY_PORT=${ML_SIM_FAULTY_PORT:-8393}
WP_URL="http://127.0.0.1:$WP_PORT"
# Node b (issue #16): a second PHP-FPM pool and nginx vhost on the same WordPress directory and database, with its
# own data directory (mu-plugins/ml-connector-test-node.php). Not WP_PORT+1: that is the simulator's port.
WP_PORT_B=${ML_WP_PORT_B:-8394}
WP_URL_B="http://127.0.0.1:$WP_PORT_B"
DB_NAME=${ML_WP_DB_NAME:-ml_connector_wp}
DB_USER=${ML_WP_DB_USER:-ml_connector_wp}
DB_PASS=${ML_WP_DB_PASS:-ml_connector_wp_pw}
EXT_SO="$REPO/dist/ml_connector.so"
CLI_BIN="$REPO/dist/ml-connector"
# The real extension, never a stand-in: the one PHP already loads (build.sh installs it with phpenmod), else
# dist/ml_connector.so with -d extension=. EXT_MISSING lists the contract functions (PHP-API.md) it does not
# export; setup.sh and run.sh stop when it is not empty.
CONTRACT="ml_connector_version ml_connector_configure ml_connector_enqueue ml_connector_drain ml_connector_status ml_connector_jobs ml_connector_audit ml_connector_order_state ml_connector_visma_totals ml_connector_replay ml_connector_replay_failed ml_connector_map_preview ml_connector_test_connection ml_connector_lookups ml_connector_save_secret ml_connector_has_secret ml_connector_health_check"
PHP_EXT_ARGS=()
EXT_FILE="$(php -r 'echo ini_get("extension_dir");')/ml_connector.so"
if ! php -r 'exit(extension_loaded("ml_connector") ? 0 : 1);' 2>/dev/null; then
  EXT_FILE="$EXT_SO"
  [ -f "$EXT_SO" ] && PHP_EXT_ARGS+=(-d "extension=$EXT_SO")
fi
# An installed extension other than dist's would test older code than the plugin: name it like a missing one.
EXT_STALE=""
if [ ${#PHP_EXT_ARGS[@]} -eq 0 ] && [ -f "$EXT_SO" ] && ! cmp -s "$EXT_FILE" "$EXT_SO"; then
  EXT_STALE="PHP loads $EXT_FILE, which is not the fresh dist/ml_connector.so: run ./build.sh (it installs it)"
fi
EXT_MISSING=$(php "${PHP_EXT_ARGS[@]}" -r 'echo implode(" ", array_filter(explode(" ", $argv[1]), fn($f) => !function_exists($f)));' "$CONTRACT" 2>/dev/null || echo "$CONTRACT")
EXT_KIND="real $(php "${PHP_EXT_ARGS[@]}" -r 'echo function_exists("ml_connector_version") ? ml_connector_version() : "missing";' 2>/dev/null)"
# php-fpm restarts when this changes (another extension build).
EXT_KEY="$EXT_KIND $(stat -c %Y "$EXT_FILE" 2>/dev/null || echo none)"
