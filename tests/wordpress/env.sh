# Shared settings of the WordPress test harness (sourced by setup.sh, teardown.sh, run.sh). Override by env.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
STATE=${ML_WP_STATE:-$REPO/target/wordpress}
WP_PORT=${ML_WP_PORT:-8391}
SIM_PORT=${ML_SIM_PORT:-8392}
WP_URL="http://127.0.0.1:$WP_PORT"
DB_NAME=${ML_WP_DB_NAME:-ml_connector_wp}
DB_USER=${ML_WP_DB_USER:-ml_connector_wp}
DB_PASS=${ML_WP_DB_PASS:-ml_connector_wp_pw}
EXT_SO="$REPO/dist/ml_connector.so"
CLI_BIN="$REPO/dist/ml-connector"
FAKE_EXT="$HERE/fake-extension/ml_connector_fake.php"
# The extension, or the PHP test double when dist/ml_connector.so is not built yet.
if [ -f "$EXT_SO" ]; then
  PHP_EXT_ARGS=(-d "extension=$EXT_SO")
  EXT_KIND=real
else
  PHP_EXT_ARGS=(-d "auto_prepend_file=$FAKE_EXT")
  EXT_KIND=fake
fi
