#!/usr/bin/env bash
# The real-shop suite (issue #13): this plugin and extension in REAL WordPress + WooCommerce, taken from the tree
# whoever runs it gives (`./build.sh test-woo DIR`: DIR holds WordPress core and wp-content/plugins/woocommerce;
# nothing of WordPress or WooCommerce is in this repository or downloaded by it). Builds a Norwegian shop the way
# ../shared/reference/woocommerce/REAL-SHOP-NOTES.md describes (HPOS, 25/15/12/0 % VAT, flat-rate shipping,
# bank transfer and cash on delivery), installs dist/ml-connector.zip through WordPress's own upgrader, connects
# it in Visma mode to the simulator seeded with the Nordlys company (every id unlike the default), then places
# orders the ways shoppers and merchants do (block checkout through the Store API, wp-admin), pays one later,
# refunds, runs Action Scheduler, and checks every object's job and document. Ends with "N passed, N failed".
# Run as root. KEEP=1 leaves the shop running on http://127.0.0.1:8491 (admin / Admin-2026!).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SRC=${1:-}
STATE=${ML_REALSHOP_STATE:-$REPO/target/realshop}
PORT=${ML_REALSHOP_PORT:-8491}
SIM_PORT=${ML_REALSHOP_SIM_PORT:-8492}
HOST="127.0.0.1:$PORT"
URL="http://$HOST"
SIM="http://127.0.0.1:$SIM_PORT"
DB=${ML_REALSHOP_DB:-mlc_realshop}
EXT="$REPO/dist/ml_connector.so"
log() { printf 'realshop: %s\n' "$*"; }
die() { log "$*"; echo "0 passed, 1 failed"; exit 1; }

[ -n "$SRC" ] && [ -f "$SRC/wp-load.php" ] && [ -f "$SRC/wp-content/plugins/woocommerce/woocommerce.php" ] \
  || die "usage: ./build.sh test-woo DIR (DIR: WordPress core with wp-content/plugins/woocommerce)"
[ -f "$EXT" ] && [ -x "$REPO/dist/ml-connector" ] && [ -f "$REPO/dist/ml-connector.zip" ] || die "run ./build.sh first"

# 1. Packages, only the missing ones.
need=()
for pkg in nginx php8.2-fpm php8.2-cli php8.2-mysql php8.2-curl php8.2-xml php8.2-mbstring php8.2-zip php8.2-intl \
  php8.2-gd php8.2-bcmath curl rsync; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
db_up() { (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; }
db_up || command -v mariadbd >/dev/null || need+=(mariadb-server)
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || die "apt-get install failed"
fi

# 2. Stop what an earlier run left, then a fresh shop: files copied from DIR, a new database, a new simulator.
stop() {
  for f in "$STATE"/run/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; rm -f "$f"; done
}
stop
rm -rf "$STATE/logs"
mkdir -p "$STATE"/{www,conf,run,logs,tmp}
log "copying WordPress and WooCommerce from $SRC"
rsync -a --delete --exclude /wp-config.php --exclude /wp-content/uploads/ --exclude /wp-content/ml-connector-data/ \
  --exclude '/wp-content/plugins/*/' --include '/wp-content/themes/twentytwentyfive/' --exclude '/wp-content/themes/*/' \
  "$SRC/" "$STATE/www/" || die "copy failed"
rsync -a --delete "$SRC/wp-content/plugins/woocommerce/" "$STATE/www/wp-content/plugins/woocommerce/"
rm -rf "$STATE/www/wp-content/plugins/ml-connector" "$STATE/www/wp-content/uploads" "$STATE/www/wp-content/ml-connector-data"
if ! db_up; then
  mkdir -p "$STATE/mysql"
  [ -d "$STATE/mysql/mysql" ] || mariadb-install-db --user=root --datadir="$STATE/mysql" >/dev/null
  mariadbd --user=root --datadir="$STATE/mysql" --socket="$STATE/run/mysql.sock" --port=3306 --bind-address=127.0.0.1 \
    --pid-file="$STATE/run/mariadb.pid" --log-error="$STATE/logs/mariadb.log" --skip-name-resolve &
  for _ in $(seq 1 60); do db_up && break; sleep 0.5; done
fi
mysql -h127.0.0.1 -uroot <<SQL || die "MariaDB refused root on 127.0.0.1"
DROP DATABASE IF EXISTS \`$DB\`;
CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB'@'127.0.0.1' IDENTIFIED BY '$DB';
GRANT ALL ON \`$DB\`.* TO '$DB'@'127.0.0.1';
SQL
salt() { php -r 'echo bin2hex(random_bytes(32));'; }
{
  echo "<?php"
  echo "define( 'DB_NAME', '$DB' ); define( 'DB_USER', '$DB' ); define( 'DB_PASSWORD', '$DB' );"
  echo "define( 'DB_HOST', '127.0.0.1:3306' ); define( 'DB_CHARSET', 'utf8mb4' ); define( 'DB_COLLATE', '' );"
  for k in AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT; do
    echo "define( '$k', '$(salt)' );"
  done
  echo "\$table_prefix = 'wp_';"
  echo "define( 'WP_HOME', '$URL' ); define( 'WP_SITEURL', '$URL' );"
  echo "define( 'WP_DEBUG', true ); define( 'WP_DEBUG_LOG', '$STATE/logs/debug.log' ); define( 'WP_DEBUG_DISPLAY', false );"
  echo "define( 'FS_METHOD', 'direct' ); define( 'AUTOMATIC_UPDATER_DISABLED', true ); define( 'WP_HTTP_BLOCK_EXTERNAL', true );"
  echo "define( 'DISABLE_WP_CRON', true );"
  echo "if ( ! defined( 'ABSPATH' ) ) { define( 'ABSPATH', __DIR__ . '/' ); }"
  echo "require_once ABSPATH . 'wp-settings.php';"
} > "$STATE/www/wp-config.php"
# No MTA here: mails are dropped, as the notes advise, instead of forking a missing sendmail.
mkdir -p "$STATE/www/wp-content/mu-plugins"
cat > "$STATE/www/wp-content/mu-plugins/realshop-no-mail.php" <<'PHP'
<?php
add_filter( 'pre_wp_mail', '__return_true' );
// A fee on carts with a cinema ticket, taxed at the standard rate (fees for tests, as the notes suggest).
add_action( 'woocommerce_cart_calculate_fees', static function ( $cart ) {
	foreach ( $cart->get_cart() as $item ) {
		if ( 'KINO-1' === $item['data']->get_sku() ) {
			$cart->add_fee( 'Billettgebyr', 19.20, true, '' );
			return;
		}
	}
} );
PHP
chown -R www-data: "$STATE/www/wp-content" "$STATE/logs" "$STATE/tmp"

# 3. nginx + PHP-FPM of our own, loopback only, configured as a merchant's would be (nothing denied for the plugin).
# Debian's fastcgi_params drops the port from HTTP_HOST.
grep -v -E '^\s*#|HTTP_HOST|^\s*$' /etc/nginx/fastcgi_params > "$STATE/conf/fastcgi_params"
echo 'fastcgi_param HTTP_HOST $http_host;' >> "$STATE/conf/fastcgi_params"
cat > "$STATE/conf/nginx.conf" <<NGINX
user www-data; worker_processes 1; pid $STATE/run/nginx.pid; error_log $STATE/logs/nginx-error.log warn;
events { worker_connections 256; }
http { include /etc/nginx/mime.types; access_log $STATE/logs/nginx-access.log; client_max_body_size 64m;
  client_body_temp_path $STATE/tmp/body; fastcgi_temp_path $STATE/tmp/fastcgi; proxy_temp_path $STATE/tmp/proxy;
  uwsgi_temp_path $STATE/tmp/uwsgi; scgi_temp_path $STATE/tmp/scgi;
  server { listen $HOST; root $STATE/www; index index.php;
    location / { try_files \$uri \$uri/ /index.php?\$args; }
    location ~ \.php\$ { try_files \$uri =404; include $STATE/conf/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_pass unix:$STATE/run/php-fpm.sock; fastcgi_read_timeout 300; }
    location ~ /\.ht { deny all; } } }
NGINX
cat > "$STATE/conf/php-fpm.conf" <<FPM
[global]
pid = $STATE/run/php-fpm.pid
error_log = $STATE/logs/php-fpm.log
daemonize = yes
[realshop]
user = www-data
group = www-data
listen = $STATE/run/php-fpm.sock
listen.mode = 0666
pm = static
pm.max_children = 4
pm.max_requests = 500
catch_workers_output = yes
php_admin_value[memory_limit] = 256M
FPM
# The extension: dist's, loaded with -d, unless PHP already loads one (./build.sh installs it), which must then be
# the same build, or the shop would run older code than the plugin zip.
PHPX=(-d "extension=$EXT")
if php -r 'exit(extension_loaded("ml_connector") ? 0 : 1);' 2>/dev/null; then
  cmp -s "$(php -r 'echo ini_get("extension_dir");')/ml_connector.so" "$EXT" \
    || die "PHP loads an ml_connector.so other than $EXT: run ./build.sh (it installs the fresh one)"
  PHPX=()
fi
php "${PHPX[@]}" -r 'exit(function_exists("ml_connector_note") ? 0 : 1);' || die "$EXT does not load"
/usr/sbin/php-fpm8.2 --fpm-config "$STATE/conf/php-fpm.conf" "${PHPX[@]}" || die "php-fpm did not start"
nginx -c "$STATE/conf/nginx.conf" -p "$STATE" || die "nginx did not start"
rm -f "$STATE/simulator.json"
"$REPO/dist/ml-connector" simulate --listen "127.0.0.1:$SIM_PORT" --seed "$REPO/tests/fixtures/visma/seed-nordlys.json" \
  --state "$STATE/simulator.json" > "$STATE/logs/simulator.log" 2>&1 &
echo $! > "$STATE/run/simulator.pid"
cleanup() { [ "${KEEP:-0}" = 1 ] || stop; }
trap cleanup EXIT

# 4. WordPress, WooCommerce, the shop, the plugin: each step in its own process, as the web user.
wp() { runuser -u www-data -- php "${PHPX[@]}" "$HERE/bin/wp.php" "$STATE/www" "$HOST" "$@"; }
log "installing WordPress $(grep -o "wp_version = '[^']*'" "$STATE/www/wp-includes/version.php" | cut -d"'" -f2)"
wp install >/dev/null || die "WordPress install failed"
wp activate-woocommerce >/dev/null || die "WooCommerce did not activate"
SHOP=$(wp setup-woocommerce) || die "shop setup failed"
log "shop: $SHOP"
RATES=$(php -r 'echo json_encode(json_decode($argv[1], true)["rates"]);' "$SHOP")
PRODUCT() { php -r 'echo json_decode($argv[1], true)["products"][$argv[2]];' "$SHOP" "$1"; }
SETTINGS=$(sed -e "s#@SIM@#$SIM#g" "$HERE/settings-nordlys.json")
wp install-plugin "{\"zip\":\"$REPO/dist/ml-connector.zip\",\"rates\":$RATES,\"settings\":$SETTINGS}" >/dev/null \
  || die "the plugin zip did not install and activate"
CONNECT=$(wp connect '{"secret":"nordlys-secret"}') || die "connecting to the Nordlys company failed"
log "connected: $CONNECT"

# 5. Shoppers and the merchant. A block checkout is the Store API: a cart token, add to cart, checkout.
json() { php -r '$v = json_decode($argv[1], true); foreach (explode(".", $argv[2]) as $k) { $v = $v[$k] ?? null; } echo is_bool($v) ? ($v ? "true" : "false") : (is_scalar($v) ? $v : json_encode($v));' "$1" "$2"; }
# Headless (a Cart-Token, as a decoupled front end sends) or, with BROWSER=1, as the block checkout page does in a
# browser: WooCommerce's session cookie and the Store API nonce, no Cart-Token.
store_api_checkout() { # $1 email, $2 payment method, $3 JSON items [[sku, qty]...], $4 create_account true|false, [$5 coupon, $6 country]
  local headers token nonce body jar="$STATE/tmp/browser-$RANDOM.jar"
  headers=$(curl -s -c "$jar" -b "$jar" -D - -o /dev/null "$URL/wp-json/wc/store/v1/cart")
  token=$(printf '%s' "$headers" | tr -d '\r' | sed -n 's/^[Cc]art-[Tt]oken: //p')
  nonce=$(printf '%s' "$headers" | tr -d '\r' | sed -n 's/^[Nn]once: //p')
  if [ -n "${BROWSER:-}" ]; then
    token=""
    curl() { command curl -c "$jar" -b "$jar" "$@"; }
  fi
  for item in $(php -r 'foreach (json_decode($argv[1]) as [$s, $q]) echo "$s:$q ";' "$3"); do
    curl -s -o /dev/null -H "Cart-Token: $token" -H "Nonce: $nonce" -H 'Content-Type: application/json' \
      -d "{\"id\":$(PRODUCT "${item%%:*}"),\"quantity\":${item##*:}}" "$URL/wp-json/wc/store/v1/cart/add-item"
  done
  if [ -n "${5:-}" ]; then
    curl -s -o /dev/null -H "Cart-Token: $token" -H "Nonce: $nonce" -H 'Content-Type: application/json' \
      -d "{\"code\":\"$5\"}" "$URL/wp-json/wc/store/v1/cart/apply-coupon"
  fi
  local country=${6:-NO} city=Oslo postcode=0155
  [ "$country" = SE ] && city=Göteborg && postcode=41101
  local address="\"first_name\":\"Kari\",\"last_name\":\"Nordmann\",\"address_1\":\"Storgata 1\",\"city\":\"$city\",\"postcode\":\"$postcode\",\"country\":\"$country\""
  if [ "$country" != NO ]; then
    # Shipping rates follow the address: tell the cart first, as the block checkout does while the shopper types.
    curl -s -o /dev/null -H "Cart-Token: $token" -H "Nonce: $nonce" -H 'Content-Type: application/json' \
      -d "{\"shipping_address\":{$address},\"billing_address\":{$address,\"email\":\"$1\"}}" "$URL/wp-json/wc/store/v1/cart/update-customer"
  fi
  body="{\"billing_address\":{$address,\"email\":\"$1\",\"phone\":\"40000000\"},\"shipping_address\":{$address},\"payment_method\":\"$2\",\"create_account\":$4}"
  curl -s -H "Cart-Token: $token" -H "Nonce: $nonce" -H 'Content-Type: application/json' -d "$body" \
    ${TIMED:+-o "$STATE/tmp/checkout.json" -w '%{time_total}'} "$URL/wp-json/wc/store/v1/checkout"
  unset -f curl
}

# A classic (shortcode) checkout: add to cart, the checkout page's nonce, then ?wc-ajax=checkout, all with cookies.
classic_checkout() { # $1 email, $2 payment method, $3 sku
  local jar="$STATE/tmp/classic-$RANDOM.jar" nonce
  curl -s -c "$jar" -b "$jar" -o /dev/null "$URL/?add-to-cart=$(PRODUCT "$3")"
  nonce=$(curl -s -c "$jar" -b "$jar" "$URL/kasse-klassisk/" | sed -n 's/.*name="woocommerce-process-checkout-nonce" value="\([^"]*\)".*/\1/p' | head -1)
  curl -s -c "$jar" -b "$jar" "$URL/?wc-ajax=checkout" --data-urlencode "billing_first_name=Ola" \
    --data-urlencode "billing_last_name=Klassisk" --data-urlencode "billing_country=NO" \
    --data-urlencode "billing_address_1=Torget 3" --data-urlencode "billing_city=Bergen" \
    --data-urlencode "billing_postcode=5014" --data-urlencode "billing_phone=41000000" \
    --data-urlencode "billing_email=$1" --data-urlencode "payment_method=$2" \
    --data-urlencode "woocommerce-process-checkout-nonce=$nonce" --data-urlencode "_wp_http_referer=/kasse-klassisk/"
}

# ./build.sh bench-woo DIR: what a shopper waits for, the block checkout's "Place order" request, with the plugin
# active and deactivated, interleaved in blocks so both see the same machine. Prints medians and the ratio.
if [ -n "${BENCH_ROUNDS:-}" ]; then
  declare -A times=([on]="" [off]="")
  # The plugin's own work in the shopper's request: its shutdown callback (priority 5), timed from 4 to 6 (the
  # loopback kick runs after the response is finished, so the shopper does not wait for it).
  cat > "$STATE/www/wp-content/mu-plugins/realshop-timing.php" <<PHP
<?php
if ( str_contains( (string) ( \$_SERVER['REQUEST_URI'] ?? '' ), '/wc/store/v1/checkout' ) ) {
	add_action( 'shutdown', static function () { \$GLOBALS['realshop_t0'] = hrtime( true ); }, 4 );
	add_action( 'shutdown', static function () { has_action( 'shutdown', array( 'MlConnector\\OrderEvents', 'action_shutdown' ) ) && file_put_contents( '$STATE/logs/shutdown-ms.txt', sprintf( "%.3f\n", ( hrtime( true ) - \$GLOBALS['realshop_t0'] ) / 1e6 ), FILE_APPEND ); }, 6 );
}
PHP
  rm -f "$STATE/logs/shutdown-ms.txt"
  round=0
  for _ in $(seq 1 "$BENCH_ROUNDS"); do
    round=$((round + 1))
    # Alternate which side goes first, so neither always runs on a larger database.
    sides="on off"; [ $((round % 2)) -eq 0 ] && sides="off on"
    for side in $sides; do
      wp plugin "{\"active\":$([ $side = on ] && echo true || echo false)}" >/dev/null
      store_api_checkout "warm-$RANDOM@example.test" cod '[["BOK-1",1]]' false >/dev/null  # first request after a switch
      for _ in 1 2 3 4 5; do
        # One shopper at a time: the background sending a checkout starts (same 2 cores) ends before the next.
        sleep "${BENCH_GAP:-1.5}"
        t=$(TIMED=1 store_api_checkout "bench-$RANDOM@example.test" cod '[["BOK-1",1],["MAT-1",1]]' false)
        times[$side]+="$t "
      done
    done
  done
  wp plugin '{"active":true}' >/dev/null
  php -r '
    $m = function ($s) { $v = array_map("floatval", preg_split("/\s+/", trim($s))); sort($v); $n = count($v);
      return [1000 * $v[intdiv($n, 2)], 1000 * $v[(int) floor(0.9 * ($n - 1))], $n]; };
    [$on, $on90, $n] = $m($argv[1]); [$off, $off90] = $m($argv[2]);
    printf("checkouts: %d per side\nplugin active:      median %.1f ms, p90 %.1f ms\nplugin deactivated: median %.1f ms, p90 %.1f ms\n", $n, $on, $on90, $off, $off90);
    printf("overhead: %+.1f ms median (ratio %.3f)\n", $on - $off, $on / $off);
    $sd = array_map("floatval", file($argv[7], FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [0]); sort($sd);
    $sm = $sd[intdiv(count($sd), 2)]; $s90 = $sd[(int) floor(0.9 * (count($sd) - 1))];
    printf("shutdown work of the plugin in those requests: median %.2f ms, p90 %.2f ms (%d requests)\n", $sm, $s90, count($sd));
    $md = sprintf("## Real shop: what a shopper waits for (block checkout, plugin active vs deactivated)\n\n"
      . "Measured %s UTC by `./build.sh bench-woo DIR` (tests/realshop/run.sh with BENCH_ROUNDS=%d) in real WordPress %s + WooCommerce %s "
      . "(nginx, PHP-FPM 8.2, 4 workers, MariaDB, HPOS), on this machine (%s, %d cores). Each side: the Store API "
      . "`POST /wc/store/v1/checkout` (\"Place order\") of a two-line cart, timed by curl, %d checkouts in blocks of 5, 1.5 s apart (one shopper at a time: the sending each checkout starts in the background, on the same cores, ends before the next), "
      . "the sides interleaved, after one untimed checkout per switch.\n\n"
      . "| what | baseline (plugin deactivated) | measurement (plugin active) | ratio | added |\n|---|---|---|---|---|\n"
      . "| checkout request, median | %.1f ms | %.1f ms | %.3f | %+.1f ms |\n| checkout request, p90 | %.1f ms | %.1f ms | %.3f | %+.1f ms |\n"
      . "| work of the plugin in that request (its shutdown callback: noting the order and customer), median / p90 | – | %.2f ms / %.2f ms | %.4f of the checkout median | – |\n\n"
      . "Before (issue #13, measured in a real shop by the reporter of the issue): +22 ms and +37 ms median per checkout, "
      . "16-18 ms of it the shutdown work of the plugin (building the REST JSON of the order through an internal wc/v3 request). "
      . "Now the shutdown only notes the order (one SQLite upsert); the JSON is built by the background runner. "
      . "Runs of this benchmark on this machine (2 shared cores) differ by about 10 ms in the medians; the last row "
      . "is the plugin share measured inside PHP. Still in the request besides that row: loading the plugin and "
      . "configuring the extension on every request.\n",
      gmdate("Y-m-d H:i"), (int) $argv[3], $argv[4], $argv[5], php_uname("m"), (int) trim((string) shell_exec("nproc")), $n,
      $off, $on, $on / $off, $on - $off, $off90, $on90, $on90 / $off90, $on90 - $off90, $sm, $s90, $sm / $on);
    file_put_contents($argv[6], $md);
  ' "${times[on]}" "${times[off]}" "$BENCH_ROUNDS" "$(grep -o "wp_version = '[^']*'" "$STATE/www/wp-includes/version.php" | cut -d"'" -f2)" \
    "$(sed -n 's/^ \* Version: //p' "$STATE/www/wp-content/plugins/woocommerce/woocommerce.php" | head -1 | tr -d '\r\n')" "$REPO/benches/REALSHOP.md" "$STATE/logs/shutdown-ms.txt"
  rm -f "$STATE/www/wp-content/mu-plugins/realshop-timing.php"
  echo "written: benches/REALSHOP.md (BENCHMARKS.md includes it on the next benches/run.sh; see there)"
  exit 0
fi
RUN=$(date +%s)
R1=$(store_api_checkout "kari-$RUN@example.test" cod '[["BOK-1",1],["MAT-1",2],["KINO-1",1]]' true)
O1=$(json "$R1" order_id); C1=$(json "$R1" customer_id)
R2=$(store_api_checkout "ola-$RUN@example.test" bacs '[["AVIS-1",1],["BOK-1",2]]' false)
O2=$(json "$R2" order_id)
R15=$(BROWSER=1 store_api_checkout "nettleser-$RUN@example.test" cod '[["MAT-1",1],["AVIS-1",1]]' false)
O15=$(json "$R15" order_id)
log "block checkout as a browser sends it (session cookie + nonce, no Cart-Token): order ${O15:-failed: $R15}"
log "block checkouts: order $O1 (cash on delivery, new customer $C1), order $O2 (bank transfer, guest)"
[ -n "$O1" ] && [ "$O1" -gt 0 ] 2>/dev/null || die "block checkout failed: $R1"
# A quiet shop: no other request and no cron (DISABLE_WP_CRON); the checkout itself must start the sending.
QUIET_STATE=none; QUIET_S=0
for QUIET_S in $(seq 1 30); do
  QUIET_STATE=$(json "$(wp job "{\"kind\":\"order\",\"id\":$O1}")" state)
  [ "$QUIET_STATE" = done ] && break
  sleep 1
done
log "quiet shop: order $O1 is $QUIET_STATE after ${QUIET_S} s with no other request"
R4=$(store_api_checkout "kari-$RUN@example.test" cod '[["KINO-1",2],["MAT-1",1]]' false rabatt10)
O4=$(json "$R4" order_id)
R5=$(store_api_checkout "sven-$RUN@example.test" cod '[["BOK-1",1]]' false "" SE)
O5=$(json "$R5" order_id)
R6=$(classic_checkout "ola-klassisk-$RUN@example.test" cod MAT-1)
O6=$(php -r 'preg_match("#order-received/(\d+)#", (string) (json_decode($argv[1], true)["redirect"] ?? ""), $m); echo $m[1] ?? "";' "$R6")
log "block checkout with a coupon and a fee: order $O4; to Sweden: order $O5; classic checkout: order ${O6:-failed: $R6}"
# The merchant switches to prices excluding VAT, then sells in euro for one order (a shop currency switch).
wp options '{"woocommerce_prices_include_tax":"no","woocommerce_tax_display_shop":"excl","woocommerce_tax_display_cart":"excl"}' >/dev/null
R7=$(store_api_checkout "eks-$RUN@example.test" cod '[["BOK-1",3],["MAT-1",7],["KINO-1",1]]' false rabatt10)
O7=$(json "$R7" order_id)
wp options '{"woocommerce_currency":"EUR"}' >/dev/null
R8=$(store_api_checkout "euro-$RUN@example.test" bacs '[["BOK-1",1],["AVIS-1",2]]' false)
O8=$(json "$R8" order_id)
wp options '{"woocommerce_currency":"NOK","woocommerce_prices_include_tax":"yes","woocommerce_tax_display_shop":"incl","woocommerce_tax_display_cart":"incl"}' >/dev/null
log "prices excluding VAT: order $O7; in EUR: order $O8"
O3=$(json "$(wp admin-order '{"items":{"KINO-1":2,"MAT-1":1},"billing":{"first_name":"Per","last_name":"Hansen","email":"per@example.test","address_1":"Kirkegata 2","city":"Bergen","postcode":"5003","country":"NO"}}')" order_id)
log "admin order $O3"
O10=$(json "$(wp rest-order '{"items":{"BOK-1":1,"AVIS-1":1},"billing":{"first_name":"Ingrid","last_name":"Berg","email":"ingrid@example.test","address_1":"Storgata 9","city":"Tromsø","postcode":"9008","country":"NO"}}')" order_id)
log "order $O10 created through WooCommerce's REST API (POST /wc/v3/orders, paid)"
wp run-actions >/dev/null
wp mark-paid "{\"order_id\":$O2}" >/dev/null
F1=$(json "$(wp refund "{\"order_id\":$O1,\"amount\":\"119.00\"}")" refund_id)
F2=$(json "$(wp refund "{\"order_id\":$O4,\"amount\":\"$(json "$(wp order-total "{\"order_id\":$O4}")" total)\"}")" refund_id)
wp edit-customer "{\"customer_id\":$C1}" >/dev/null
log "order $O2 paid later, refund $F1 of order $O1, full refund $F2 of order $O4, customer $C1 edited"
wp run-actions >/dev/null
log "order $O1 delivered and paid (cash on delivery): $(wp complete "{\"order_id\":$O1}")"
wp run-actions >/dev/null

# The merchant points the same store at another Visma company (the simulator's default one): the same shopper
# buys again, and must become a customer of that company, never get the first company's customer number.
SIM2_PORT=${ML_REALSHOP_SIM2_PORT:-8493}
SIM2="http://127.0.0.1:$SIM2_PORT"
rm -f "$STATE/simulator2.json"
"$REPO/dist/ml-connector" simulate --listen "127.0.0.1:$SIM2_PORT" --state "$STATE/simulator2.json" \
  > "$STATE/logs/simulator2.log" 2>&1 &
echo $! > "$STATE/run/simulator2.pid"
for _ in $(seq 1 40); do (exec 3<>"/dev/tcp/127.0.0.1/$SIM2_PORT") 2>/dev/null && break; sleep 0.25; done
SWITCH=$(wp switch-company "{\"secret\":\"demo-secret\",\"rates\":$RATES,\"settings\":$(sed -e "s#@SIM@#$SIM2#g" "$HERE/settings-demo.json")}") \
  || die "switching to the second company failed"
R9=$(store_api_checkout "kari-$RUN@example.test" cod '[["BOK-1",1]]' false)
O9=$(json "$R9" order_id)
wp run-actions >/dev/null
SWITCHED=$(wp company-customer "{\"sim\":\"$SIM2\",\"email\":\"kari-$RUN@example.test\",\"order_id\":$O9}")
log "switched to company 1234567 ($(json "$SWITCH" connection.company)); the same shopper's order $O9: $SWITCHED"
# Back to Nordlys for the verdicts below.
wp switch-company "{\"secret\":\"nordlys-secret\",\"rates\":$RATES,\"settings\":$SETTINGS}" >/dev/null || die "switching back failed"

# Issue #17: the modes a merchant switches to, with the Nordlys company's own ids. Sales orders: a block checkout
# with quantities above one, paid by bank transfer; suppliers: a shopper who creates an account.
wp settings '{"document_type":"sales_order","sales_order_type":"NO","sales_order_shipping_item":"NL-FRAKT","sales_order_fee_item":"NL-GEBYR","sales_order_rounding_item":"NL-AVRUND","sales_order_fallback_item":"NL-VARE","sales_order_warehouse":"HOVED"}' >/dev/null \
  || die "sales-order settings failed"
R11=$(store_api_checkout "ordre-$RUN@example.test" bacs '[["BOK-1",2],["MAT-1",3],["KINO-1",1]]' false)
O11=$(json "$R11" order_id)
wp run-actions >/dev/null
wp mark-paid "{\"order_id\":$O11}" >/dev/null
wp run-actions >/dev/null
SO11=$(wp sales-order "{\"sim\":\"$SIM\",\"store_id\":\"woo:realshop\",\"order_id\":${O11:-0}}")
log "sales-order mode: order $O11: $SO11"
wp settings '{"document_type":"invoice","business_model":"suppliers","supplier_class":"LEVUTL","supplier_credit_terms":"10D","supplier_payment_method":"BANKOVF","supplier_number_prefix":"NLS"}' >/dev/null \
  || die "supplier settings failed"
R12=$(store_api_checkout "leverandor-$RUN@example.test" cod '[["BOK-1",1]]' true)
C12=$(json "$R12" customer_id)
wp run-actions >/dev/null
SUP12=$(wp supplier "{\"sim\":\"$SIM\",\"customer_id\":${C12:-0}}")
log "supplier mode: customer $C12: $SUP12"
wp settings '{"business_model":"customers"}' >/dev/null || die "settings back failed"
# Issue #13: hourly sending. A checkout is noted and queued but waits for the hourly batch, which sends it.
wp settings '{"sync_timing":"hourly"}' >/dev/null || die "hourly settings failed"
O16=$(json "$(store_api_checkout "time-$RUN@example.test" cod '[["BOK-1",1]]' false)" order_id)
wp run-actions >/dev/null
BEFORE16=$(json "$(wp job "{\"kind\":\"order\",\"id\":${O16:-0}}")" state)
BATCH16=$(json "$(wp run-batch)" batches)
AFTER16=$(json "$(wp job "{\"kind\":\"order\",\"id\":${O16:-0}}")" state)
wp settings '{"sync_timing":"per_order"}' >/dev/null || die "per-order settings failed"
wp run-actions >/dev/null
log "hourly sending: order $O16 is $BEFORE16 before the batch, $AFTER16 after it ($BATCH16 batch run)"

# 6. Verdicts.
# "elsewhere": O9 was booked in the second company; O11 is a sales order, whose VAT Visma computes itself (the
# screen names that cause; its gross is checked by the sales-order verdict above).
ARG="{\"elsewhere\":[${O9:-0},${O11:-0}],\"extra\":[[\"hourly sending: the order waits for the hourly batch, which sends it\",$(case "$BEFORE16" in pending|none) [ "$AFTER16" = done ] && echo true || echo false;; *) echo false;; esac),\"$BEFORE16 before, $AFTER16 after\"],[\"sales-order mode: a block checkout is one sales order of the chosen type, items, warehouse and quantities, its payment reserved for it\",$(json "$SO11" ok),\"$(json "$SO11" why)\"],[\"supplier mode: a new account is one Visma supplier with the supplier class, terms and payment method\",$(json "$SUP12" ok),\"$(json "$SUP12" why)\"],[\"a quiet shop sends the block-checkout order by itself (no cron, no other request)\",$([ "$QUIET_STATE" = done ] && echo true || echo false),\"$QUIET_STATE after $QUIET_S s\"],[\"after switching the Visma company, the same shopper is a customer of the new company (no number reused)\",$(json "$SWITCHED" ok),\"$(json "$SWITCHED" why)\"]],\"sim\":\"$SIM\",\"store_id\":\"woo:realshop\",\"orders\":{\"block checkout, cash on delivery\":$O1,\"block checkout, bank transfer paid later\":$O2,\"block checkout as a browser (session cookie and nonce)\":${O15:-0},\"hourly batch\":${O16:-0},\"wp-admin order\":$O3,\"wc/v3 REST API order, paid\":${O10:-0},\"block checkout, coupon and fee\":$O4,\"block checkout to Sweden\":$O5,\"classic checkout\":${O6:-0},\"prices excluding VAT, coupon, 3 rates\":${O7:-0},\"in EUR\":${O8:-0}},\"refunds\":[$F1,$F2],\"customers\":[$C1],\"paid\":{\"wc/v3 REST API order\":${O10:-0},\"cash on delivery, refunded in part, then completed\":$O1,\"bank transfer paid later\":$O2},\"accounts\":[\"3001\",\"3011\",\"3021\",\"3101\",\"3201\",\"3701\",\"3711\",\"3741\"]}"
VERDICTS=$(wp check "$ARG") || die "check failed: $VERDICTS"

# Issue #13: failures the merchant must see and fix on the screens below. E-mail is caught (pre_wp_mail in a
# must-use plugin of this throw-away shop, never sent); two orders in SEK, which the settings do not allow yet,
# fail for good; the hourly digest mails them.
MAIL_LOG="$STATE/logs/mail.jsonl"
: > "$MAIL_LOG" && chown www-data "$MAIL_LOG"
cat > "$STATE/www/wp-content/mu-plugins/realshop-mail.php" <<PHP
<?php
add_filter( 'pre_wp_mail', static function ( \$short, array \$atts ) { file_put_contents( '$MAIL_LOG', wp_json_encode( array( 'to' => \$atts['to'], 'subject' => \$atts['subject'], 'message' => \$atts['message'] ) ) . "\\n", FILE_APPEND ); return true; }, 5, 2 );
PHP
wp options '{"woocommerce_currency":"SEK"}' >/dev/null
O13=$(json "$(store_api_checkout "sek-1-$RUN@example.test" cod '[["BOK-1",1]]' false)" order_id)
O14=$(json "$(store_api_checkout "sek-2-$RUN@example.test" cod '[["MAT-1",2]]' false)" order_id)
wp options '{"woocommerce_currency":"NOK"}' >/dev/null
wp run-actions >/dev/null
wp failure-mail >/dev/null
log "orders $O13 and $O14 in SEK (not allowed yet): $(json "$(wp job "{\"kind\":\"order\",\"id\":$O13}")" state), $(json "$(wp job "{\"kind\":\"order\",\"id\":$O14}")" state)"

# 7. The screens in Chromium (tests/realshop/screens.test.mjs): settings, Test connection, orders list, queue,
# reconciliation. playwright-core comes from the stand-in suite's browser folder.
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v node >/dev/null && command -v npm >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ -d "$REPO/tests/wordpress/browser/node_modules/playwright-core" ] \
  || (cd "$REPO/tests/wordpress/browser" && npm install --no-audit --no-fund --silent)
(cd "$HERE" && ML_WP_URL="$URL" ML_FAILED_ORDERS="$O13,$O14" ML_MAIL_LOG="$MAIL_LOG" node --test --test-reporter=tap screens.test.mjs) > "$STATE/logs/screens.tap" 2>&1
SCREENS=$(php -r '$out = [];
  foreach (file($argv[1], FILE_IGNORE_NEW_LINES) as $l) {
    if (preg_match("/^(not )?ok \\d+ - (.*)$/", $l, $m)) { $out[] = ["screens: " . $m[2], "" === $m[1], "see logs/screens.tap"]; }
  }
  echo json_encode($out);' "$STATE/logs/screens.tap")
[ -n "$SCREENS" ] && [ "$SCREENS" != "[]" ] || SCREENS='[["screens: the browser tests ran", false, "see logs/screens.tap"]]'
php -r '
  $pass = 0; $fail = 0;
  foreach (array_merge(json_decode($argv[1], true), json_decode($argv[2], true)) as $i => [$name, $ok, $why]) {
    printf("%s %d - %s%s\n", $ok ? "ok" : "not ok", $i + 1, $name, $ok ? "" : " ($why)");
    $ok ? $pass++ : $fail++;
  }
  printf("%d passed, %d failed\n", $pass, $fail);
  exit($fail ? 1 : 0);
' "$VERDICTS" "$SCREENS"
