#!/usr/bin/env bash
# Installs and starts a WordPress test site for ml-connector; idempotent (run it again, it only fixes what is
# missing). WordPress 6.1 from Debian's package, nginx, our own php-fpm8.2 pool (own socket and pid file, the
# extension loaded with -d), MariaDB (the running one on 127.0.0.1:3306, or our own), the WooCommerce stand-in
# and this plugin symlinked into wp-content/plugins. Two web nodes serve the one site (issue #16): node a (pool
# ml-connector-wp, $WP_URL, the suite's site) and node b (pool ml-connector-wp-b, $WP_URL_B), each with its own
# data directory; TwoNodesTest uses b. Everything it starts is recorded in $STATE/*.pid for teardown.sh. Run as
# root (CI and the dev machines are root).
set -euo pipefail
source "$(dirname "$0")/env.sh"
mkdir -p "$STATE" "$STATE/tmp"
log() { printf 'setup: %s\n' "$*"; }

# 0. The suite runs only against the real extension (no test double): stop here when it is missing or stale.
if [ -n "$EXT_STALE" ]; then
  log "$EXT_STALE"
  exit 1
fi
if [ -n "$EXT_MISSING" ]; then
  if [ "$EXT_MISSING" = "$CONTRACT" ]; then
    log "the ml_connector extension is not loaded and $EXT_SO does not exist: run ./build.sh (as root) first"
  else
    log "the ml_connector extension does not export: $EXT_MISSING (PHP-API.md); rebuild it with ./build.sh"
  fi
  exit 1
fi

# 1. Packages, only the missing ones. WP-CLI is not in Debian 12, so WordPress is installed through PHP below.
need=()
for pkg in nginx wordpress php8.2-fpm php8.2-mysql php8.2-curl php8.2-xml php8.2-mbstring phpunit chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
db_up() { (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; }
if ! db_up && ! command -v mariadbd >/dev/null; then need+=(mariadb-server); fi
# Node from Debian only when no node/npm is installed at all (a newer one may already be there).
command -v node >/dev/null && command -v npm >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Browser tests: playwright-core from npm drives Debian's chromium (no browser download).
if [ ! -d "$HERE/browser/node_modules/playwright-core" ]; then
  log "npm install (playwright-core)"
  (cd "$HERE/browser" && npm install --no-audit --no-fund --silent)
fi

# 2. MariaDB: use the one on 127.0.0.1:3306, else start our own with its data in $STATE/mysql.
MYSQL=(mysql -u root)
if ! db_up; then
  if [ ! -d "$STATE/mysql/mysql" ]; then
    log "initialising MariaDB in $STATE/mysql"
    mariadb-install-db --user=root --datadir="$STATE/mysql" --auth-root-authentication-method=socket >/dev/null
  fi
  log "starting MariaDB on 127.0.0.1:3306"
  mariadbd --user=root --datadir="$STATE/mysql" --socket="$STATE/mysql.sock" --port=3306 --bind-address=127.0.0.1 \
    --pid-file="$STATE/mariadb.pid" --log-error="$STATE/mariadb.log" --skip-name-resolve &
  for _ in $(seq 1 60); do db_up && break; sleep 0.5; done
  db_up || { log "MariaDB did not start, see $STATE/mariadb.log"; exit 1; }
  MYSQL=(mysql -u root --socket="$STATE/mysql.sock")
fi
# The database outlives $STATE (MariaDB is the machine's), but the site's queue, data-folder option and the
# simulator's documents live in $STATE: a new $STATE (a fresh checkout, CI) gets a new database, or it would meet
# another checkout's id map and ask the fresh simulator for customers it never created.
if [ "$(cat "$STATE/db-owner" 2>/dev/null)" != "$DB_NAME $STATE" ]; then
  log "new database $DB_NAME for $STATE"
  for f in "$STATE"/simulator*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; rm -f "$f"; done
  "${MYSQL[@]}" -e "DROP DATABASE IF EXISTS \`$DB_NAME\`"
  rm -rf "$STATE/ml-connector-data" "$STATE/ml-connector-data-b" "$STATE/simulator-state.json" "$STATE/wordpress/.ml-connector-installed"
fi
"${MYSQL[@]}" <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost';
FLUSH PRIVILEGES;
SQL
echo "$DB_NAME $STATE" > "$STATE/db-owner"

# 3. WordPress: a copy of Debian's tree (its wp-config.php reads /etc/wordpress; ours is written here instead).
WP="$STATE/wordpress"
if [ ! -f "$WP/wp-load.php" ]; then
  log "copying /usr/share/wordpress to $WP"
  cp -a /usr/share/wordpress "$WP"
fi
cat > "$WP/wp-config.php" <<PHP
<?php
// Written by tests/wordpress/setup.sh (test site only).
define( 'DB_NAME', '$DB_NAME' );
define( 'DB_USER', '$DB_USER' );
define( 'DB_PASSWORD', '$DB_PASS' );
define( 'DB_HOST', '127.0.0.1' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
foreach ( array( 'AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT' ) as \$k ) {
	define( \$k, 'ml-connector-test-' . \$k );
}
\$table_prefix = 'wp_';
define( 'WP_HOME', '$WP_URL' );
define( 'WP_SITEURL', '$WP_URL' );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', '$STATE/wp-debug.log' );
define( 'WP_DEBUG_DISPLAY', false );
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'FS_METHOD', 'direct' );
define( 'ML_CONNECTOR_TEST_SITE', true );
// No network beyond this machine: WordPress' update checks and anything else external are refused.
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'WP_ACCESSIBLE_HOSTS', '127.0.0.1,localhost' );
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
PHP
mkdir -p "$WP/wp-content/plugins" "$WP/wp-content/mu-plugins" "$WP/wp-content/uploads"
ln -sfn "$REPO" "$WP/wp-content/plugins/ml-connector"
ln -sfn "$HERE/woocommerce-standin" "$WP/wp-content/plugins/woocommerce"
for f in ml-connector-test-endpoints.php ml-connector-test-node.php; do
  ln -sfn "$HERE/mu-plugins/$f" "$WP/wp-content/mu-plugins/$f"
done

# 4. Our php-fpm pools (run as root: -R), the extension loaded with -d when PHP does not load it already. One
# master, two pools: node a and node b, told apart by ML_NODE (mu-plugins/ml-connector-test-node.php).
fpm_pool() {
  local name=$1 node=$2 sock=$3
  cat <<CONF
[$name]
user = root
group = root
listen = $sock
listen.mode = 0666
pm = static
pm.max_children = 4
catch_workers_output = yes
env[ML_NODE] = $node
php_admin_value[error_log] = $STATE/php-errors.log
php_admin_flag[log_errors] = on
php_admin_value[zend.assertions] = 1
CONF
}
old_fpm_conf=$(cat "$STATE/php-fpm.conf" 2>/dev/null || true)
{
  cat <<CONF
[global]
pid = $STATE/php-fpm.pid
error_log = $STATE/php-fpm.log
daemonize = yes
CONF
  fpm_pool ml-connector-wp a "$STATE/php-fpm.sock"
  fpm_pool ml-connector-wp-b b "$STATE/php-fpm-b.sock"
} > "$STATE/php-fpm.conf"
fpm_running() { [ -f "$STATE/php-fpm.pid" ] && kill -0 "$(cat "$STATE/php-fpm.pid")" 2>/dev/null; }
if fpm_running && { [ "$(cat "$STATE/ext-kind" 2>/dev/null)" != "$EXT_KEY" ] || [ "$old_fpm_conf" != "$(cat "$STATE/php-fpm.conf")" ]; }; then
  log "extension or pools changed; restarting php-fpm"
  kill "$(cat "$STATE/php-fpm.pid")"; for _ in $(seq 1 40); do fpm_running || break; sleep 0.25; done
fi
if ! fpm_running; then
  log "starting php-fpm8.2 ($EXT_KIND extension)"
  php-fpm8.2 -R -y "$STATE/php-fpm.conf" "${PHP_EXT_ARGS[@]}"
  echo "$EXT_KEY" > "$STATE/ext-kind"
fi

# 5. nginx on 127.0.0.1:$WP_PORT (node a) and 127.0.0.1:$WP_PORT_B (node b) with its own config, pid and temp dirs.
# Both vhosts serve the same WordPress directory; wp-config.php's WP_HOME stays node a's URL, as nodes behind a
# load balancer share one site URL (so node b's loopback runner requests go to node a, as they would go to the
# balancer).
vhost() {
  local port=$1 sock=$2
  cat <<CONF
  server {
    listen 127.0.0.1:$port;
    root $WP;
    index index.php;
    # readme.txt "Installation" step 4: the data directory must not be served.
    location ^~ /wp-content/ml-connector-data/ { deny all; }
    location / { try_files \$uri \$uri/ /index.php?\$args; }
    location ~ \.php$ {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_pass unix:$sock;
    }
  }
CONF
}
{
  cat <<CONF
user root;
worker_processes 2;
pid $STATE/nginx.pid;
error_log $STATE/nginx-error.log;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  access_log $STATE/nginx-access.log;
  client_body_temp_path $STATE/tmp/body;
  fastcgi_temp_path $STATE/tmp/fastcgi;
  proxy_temp_path $STATE/tmp/proxy;
  uwsgi_temp_path $STATE/tmp/uwsgi;
  scgi_temp_path $STATE/tmp/scgi;
CONF
  vhost "$WP_PORT" "$STATE/php-fpm.sock"
  vhost "$WP_PORT_B" "$STATE/php-fpm-b.sock"
  echo "}"
} > "$STATE/nginx.conf"
if [ -f "$STATE/nginx.pid" ] && kill -0 "$(cat "$STATE/nginx.pid")" 2>/dev/null; then
  nginx -c "$STATE/nginx.conf" -p "$STATE" -s reload 2>/dev/null
else
  log "starting nginx on $WP_URL and $WP_URL_B"
  nginx -c "$STATE/nginx.conf" -p "$STATE" 2>/dev/null
fi

# 6. WordPress install + plugins + users (PHP, since there is no WP-CLI package).
php "${PHP_EXT_ARGS[@]}" "$HERE/bin/install.php" "$WP" "$WP_URL"
for _ in $(seq 1 20); do curl -fsS -o /dev/null "$WP_URL/wp-login.php" && break; sleep 0.25; done
for url in "$WP_URL" "$WP_URL_B"; do
  curl -fsS -o /dev/null "$url/wp-login.php" || { log "WordPress does not answer on $url"; exit 1; }
done
log "ready: $WP_URL, node b $WP_URL_B (extension: $EXT_KIND)"
