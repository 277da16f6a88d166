#!/usr/bin/env bash
# Issue #16: the store's exactly-once suite runs on MariaDB and PostgreSQL too. This makes sure both answer on
# 127.0.0.1 the way the tests connect (MariaDB root without a password on 3306, PostgreSQL user postgres with
# trust on 5432): used when they already do, else installed (apt, as root), started and opened to loopback.
# Idempotent; prints one line per server.
set -euo pipefail

log() { printf 'databases: %s\n' "$*"; }

mariadb_up() { mysql -h 127.0.0.1 -P 3306 -u root -e 'SELECT 1' >/dev/null 2>&1; }
postgres_up() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atc 'SELECT 1' >/dev/null 2>&1; }

need=()
command -v mysql >/dev/null || need+=(mariadb-server mariadb-client)
command -v psql >/dev/null || need+=(postgresql postgresql-client)
if [ "${#need[@]}" -gt 0 ] && ! { mariadb_up && postgres_up; }; then
  [ "$(id -u)" -eq 0 ] || { log "missing ${need[*]}; run as root"; exit 1; }
  log "apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! mariadb_up; then
  log "starting MariaDB"
  (service mariadb start || service mysql start) >/dev/null 2>&1 || true
  for _ in $(seq 1 40); do mariadb_up && break; mysql -u root -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.5; done
  # Debian's root logs in through the socket only; the tests connect over TCP without a password.
  mysql -u root -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(''); \
    CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; \
    CREATE DATABASE IF NOT EXISTS test; FLUSH PRIVILEGES;" 2>/dev/null || true
  mariadb_up || { log "MariaDB does not answer on 127.0.0.1:3306 as root"; exit 1; }
fi
mysql -h 127.0.0.1 -u root -e 'CREATE DATABASE IF NOT EXISTS test' >/dev/null
log "MariaDB $(mysql -h 127.0.0.1 -u root -Nse 'SELECT VERSION()') on 127.0.0.1:3306"

if ! postgres_up; then
  log "starting PostgreSQL"
  version="$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)"
  [ -n "$version" ] || { log "no PostgreSQL cluster in /etc/postgresql"; exit 1; }
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  # Loopback only, for the tests' throwaway databases.
  if ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
  fi
  pg_ctlcluster "$version" main start 2>/dev/null || pg_ctlcluster "$version" main reload
  for _ in $(seq 1 40); do postgres_up && break; sleep 0.5; done
  postgres_up || { log "PostgreSQL does not answer on 127.0.0.1:5432 as postgres"; exit 1; }
fi
log "PostgreSQL $(psql -h 127.0.0.1 -U postgres -d postgres -Atc 'SHOW server_version') on 127.0.0.1:5432"
