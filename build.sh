#!/usr/bin/env bash
# Build, install and test ml-connector (a PHP 8.2 extension, a CLI and a WordPress plugin).
#
#   ./build.sh         install missing apt packages, build the release extension and CLI, install the
#                      extension when run as root, write dist/ (ml_connector.so, ml-connector, ml-connector.zip)
#   ./build.sh test    the above, then every test suite: cargo test (the store on SQLite, MariaDB and PostgreSQL,
#                      which tests/databases.sh installs and starts when missing), the PHP tests (.phpt), the
#                      PHP-FPM test, the WordPress suite (nginx + PHP-FPM + MariaDB + WordPress, PHPUnit and Chromium)
#   ./build.sh demo    the above, then `dist/ml-connector demo`
#   ./build.sh bench   the above, then the benchmarks (benches/run.sh), written to BENCHMARKS.md
#
# Idempotent: rerunning only redoes what changed. Set ML_CONNECTOR_SKIP_INSTALL=1 to build without touching
# the system PHP even as root.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT="$PWD"
DIST="$ROOT/dist"
PHP_VERSION=8.2
PHP_API_DIR=/usr/lib/php/20220829
APT_PACKAGES=(php8.2-cli php8.2-dev libclang-dev php8.2-fpm libfcgi-bin)

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

is_installed() {
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

ensure_packages() {
    step "Checking apt packages: ${APT_PACKAGES[*]}"
    local missing=() pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        is_installed "$pkg" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        echo "all present"
        return
    fi
    [ "$(id -u)" -eq 0 ] || die "missing packages ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}"
    step "Installing ${missing[*]}"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

ensure_tools() {
    command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs), then rerun"
    command -v php >/dev/null || die "php not found on PATH"
    command -v php-config >/dev/null || die "php-config not found on PATH (package php${PHP_VERSION}-dev)"
}

build() {
    step "cargo build --release --locked (extension + CLI)"
    cargo build --release --locked
    step "Copying artifacts to dist/"
    mkdir -p "$DIST"
    install -m 0755 target/release/libml_connector.so "$DIST/ml_connector.so"
    install -m 0755 target/release/ml-connector "$DIST/ml-connector"
    php -n -d "extension=$DIST/ml_connector.so" -r 'echo "extension loads, version ", ml_connector_version(), "\n";'
}

install_extension() {
    if [ "${ML_CONNECTOR_SKIP_INSTALL:-0}" = "1" ]; then
        step "Skipping the system install (ML_CONNECTOR_SKIP_INSTALL=1)"
        return
    fi
    if [ "$(id -u)" -ne 0 ]; then
        step "Skipping the system install (not root); load it with -d extension=$DIST/ml_connector.so"
        return
    fi
    local ext_dir ini=/etc/php/$PHP_VERSION/mods-available/ml_connector.ini
    ext_dir="$(php-config --extension-dir)"
    step "Installing the extension into $ext_dir and enabling it (phpenmod -v $PHP_VERSION ml_connector)"
    install -m 0644 "$DIST/ml_connector.so" "$ext_dir/ml_connector.so"
    cat >"$ini" <<'INI'
; ml-connector: WooCommerce -> Visma.net ERP connector (written by build.sh)
; priority=50
extension=ml_connector.so
; Where the SQLite store lives; empty = the plugin's default (wp-content/uploads/ml-connector).
;ml_connector.data_dir = /var/lib/ml-connector
INI
    phpenmod -v "$PHP_VERSION" ml_connector
    echo "installed; restart PHP-FPM (systemctl restart php$PHP_VERSION-fpm) for running workers to load it"
}

package_plugin() {
    step "Writing dist/ml-connector.zip (plugin.php, uninstall.php, php/, readme)"
    local stage="$DIST/stage/ml-connector"
    rm -rf "$DIST/stage" "$DIST/ml-connector.zip"
    mkdir -p "$stage"
    cp plugin.php uninstall.php README.md "$stage/"
    [ -f readme.txt ] && cp readme.txt "$stage/"
    cp -R php "$stage/php"
    if command -v zip >/dev/null; then
        (cd "$DIST/stage" && zip -qrX "$DIST/ml-connector.zip" ml-connector)
    else
        python3 - "$DIST/stage" "$DIST/ml-connector.zip" <<'PY'
import os, sys, zipfile
stage, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
    for base, dirs, files in os.walk(stage):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(base, name)
            zf.write(path, os.path.relpath(path, stage))
PY
    fi
    rm -rf "$DIST/stage"
    echo "$(unzip -l "$DIST/ml-connector.zip" 2>/dev/null | tail -1 || true)"
}

build_all() {
    ensure_packages
    ensure_tools
    build
    install_extension
    package_plugin
}

# ---- test suites: each prints its own output; the runner counts suites ----

suite_cargo() {
    # Issue #16: the exactly-once suite also runs on MariaDB and PostgreSQL (installed and started if missing).
    # (Called from an `if`, so errexit is off here: every step returns its failure itself.)
    "$ROOT/tests/databases.sh" || return 1
    cargo test --locked || return 1
    # The store's contract and the engine scenarios once more on each server backend (engine_kill,
    # engine_processes, store_move and store_drain_lease name theirs).
    local backend
    for backend in mysql postgres; do
        step "Store and engine scenarios on $backend"
        ML_TEST_BACKEND=$backend cargo test --locked --test store_queue --test store_lease --test store_payloads \
            --test engine_customers --test engine_sales_order_mode \
            --test engine_paid_later --test engine_credit_notes_left_open --test engine_supplier_mode \
            --test engine_outages || return 1
    done
    # The connector service at scale (issue #16): 4 instances on PostgreSQL, 100 stores, 10,000 orders, instances
    # killed and restarted. In release: the debug build needs several times the CPU for the same run.
    step "Service simulation: 4 instances, 100 stores, 10,000 orders (tests/service_scale.rs)"
    cargo test --release --locked --test service_scale -- --ignored --nocapture || return 1
}

suite_php() {
    # The shipped extension has no test hook (issue #15); the PHP tests use one built with it
    # (ml_connector_debug_panic, to prove a panic never crosses into PHP).
    if php -n -d "extension=$DIST/ml_connector.so" -r 'exit(function_exists("ml_connector_debug_panic") ? 0 : 1);'; then
        echo "dist/ml_connector.so exports the test hook ml_connector_debug_panic" >&2
        return 1
    fi
    cargo build --release --locked --lib --features test-hooks
    mkdir -p "$ROOT/target/test-hooks"
    install -m 0755 target/release/libml_connector.so "$ROOT/target/test-hooks/ml_connector.so"
    # -n: ignore php.ini and conf.d, so the freshly built .so is tested even when an older one is installed.
    NO_INTERACTION=1 TEST_PHP_EXECUTABLE="$(command -v php)" \
        php -n "$PHP_API_DIR/build/run-tests.php" -n -q --show-diff \
        -d "extension=$ROOT/target/test-hooks/ml_connector.so" -d zend.assertions=1 -d assert.exception=1 \
        "$ROOT/tests/php"
}

suite_fpm() {
    "$ROOT/tests/fpm/run.sh" "$DIST/ml_connector.so"
}

suite_wordpress() {
    # The real extension and simulator only (tests/wordpress/README.md "Real parts only").
    "$ROOT/tests/wordpress/run.sh"
}

run_tests() {
    local passed=0 failed=0 failures=() name
    for name in cargo php fpm wordpress; do
        step "Test suite: $name"
        if "suite_$name"; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            failures+=("$name")
        fi
    done
    echo
    [ "$failed" -eq 0 ] || echo "failed suites: ${failures[*]}"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

case "${1:-}" in
    "")
        build_all
        ;;
    test)
        build_all
        run_tests
        ;;
    demo)
        build_all
        step "dist/ml-connector demo"
        "$DIST/ml-connector" demo
        ;;
    bench)
        build_all
        step "benches/run.sh"
        "$ROOT/benches/run.sh"
        ;;
    test-woo)
        # The real-shop suite against the WordPress + WooCommerce tree the caller gives (tests/realshop/run.sh).
        [ -n "${2:-}" ] || die "usage: ./build.sh test-woo DIR (WordPress core with wp-content/plugins/woocommerce)"
        build_all
        step "tests/realshop/run.sh $2"
        "$ROOT/tests/realshop/run.sh" "$2"
        ;;
    bench-woo)
        # A real checkout's time with the plugin active and deactivated, in the real shop (tests/realshop/run.sh).
        [ -n "${2:-}" ] || die "usage: ./build.sh bench-woo DIR (WordPress core with wp-content/plugins/woocommerce)"
        build_all
        step "tests/realshop/run.sh $2 (benchmark)"
        BENCH_ROUNDS="${BENCH_ROUNDS:-10}" "$ROOT/tests/realshop/run.sh" "$2"
        ;;
    *)
        die "unknown command '$1' (use: ./build.sh [test|demo|bench|test-woo DIR|bench-woo DIR])"
        ;;
esac
