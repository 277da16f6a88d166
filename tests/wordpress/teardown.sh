#!/usr/bin/env bash
# Stops what setup.sh and run.sh started, by the pids they recorded (nginx with both vhosts, the php-fpm master
# with both nodes' pools, our own MariaDB if any, the two simulators).
# Leaves the files in $STATE so the next setup.sh is fast; pass --purge to delete them and the database.
set -uo pipefail
source "$(dirname "$0")/env.sh"
stop() {
  local name=$1 file="$STATE/$1.pid"
  [ -f "$file" ] || return 0
  local pid; pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    printf 'teardown: stopped %s (%s)\n' "$name" "$pid"
  fi
  rm -f "$file"
}
stop simulator
stop simulator-faulty
stop nginx
stop php-fpm
stop mariadb
if [ "${1:-}" = "--purge" ]; then
  mysql -u root -e "DROP DATABASE IF EXISTS \`$DB_NAME\`" 2>/dev/null || true
  rm -rf "$STATE"
  echo "teardown: purged $STATE"
fi
