#!/usr/bin/env bash
# A real MariaDB server for Sluice's MySQL report store.
#
#   scripts/mariadb.sh install
#       Installs Debian's mariadb-server unless mariadbd (or mysqld) is already there.
#       Needs root (CI runs as root). Concurrent installs wait for each other. The package's
#       own service is not used: tests start throwaway servers (test/helpers/mariadb.ts).
#
#   scripts/mariadb.sh start [DIR] [PORT]          (npm run db:mariadb)
#       Installs if needed, initialises DIR (default ./data/mariadb) on first use, starts
#       mariadbd in the foreground on 127.0.0.1:PORT (default 3306), creates the database
#       `sluice` and the user `sluice` (password generated once, kept in DIR/password, mode
#       600), and prints the SLUICE_MYSQL_URL to give the tiers. Ctrl-C stops it.
set -euo pipefail

find_server() {
  local c
  for c in mariadbd mysqld /usr/sbin/mariadbd /usr/sbin/mysqld; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}

install() {
  if find_server >/dev/null; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    echo "mariadb.sh: MariaDB is not installed and installing it needs root: apt-get install mariadb-server" >&2
    exit 1
  fi
  (
    # One install at a time (two test processes may both find MariaDB missing).
    flock -w 900 9 || { echo "mariadb.sh: timed out waiting for another install" >&2; exit 1; }
    if find_server >/dev/null; then exit 0; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq -o DPkg::Lock::Timeout=600 mariadb-server >&2
  ) 9>/tmp/sluice-apt.lock
  find_server >/dev/null || { echo "mariadb.sh: mariadb-server installed but no mariadbd found" >&2; exit 1; }
}

start() {
  install
  local dir port server sock user_opt=() pid password
  dir=$(realpath -m "${1:-./data/mariadb}")
  port=${2:-3306}
  server=$(find_server)
  sock="$dir/mysqld.sock"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && user_opt=(--user=root)
  if [ ! -d "$dir/data/mysql" ]; then
    local init
    init=$(command -v mariadb-install-db || command -v mysql_install_db)
    "$init" --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal --skip-test-db "${user_opt[@]}" >"$dir/install.log" 2>&1 \
      || { cat "$dir/install.log" >&2; exit 1; }
  fi
  "$server" --no-defaults --datadir="$dir/data" --socket="$sock" --port="$port" --bind-address=127.0.0.1 \
    --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" --skip-name-resolve "${user_opt[@]}" &
  pid=$!
  trap 'kill "$pid" 2>/dev/null; wait "$pid"' INT TERM
  local deadline=$((SECONDS + 60))
  until mariadb --no-defaults --socket="$sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "mariadb.sh: mariadbd exited; see $dir/error.log" >&2; tail -20 "$dir/error.log" >&2; exit 1; fi
    if [ $SECONDS -ge $deadline ]; then echo "mariadb.sh: mariadbd not ready after 60 s; see $dir/error.log" >&2; kill "$pid"; exit 1; fi
    sleep 0.2
  done
  if [ ! -s "$dir/password" ]; then (umask 077; head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/password"); fi
  password=$(cat "$dir/password")
  mariadb --no-defaults --socket="$sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS sluice CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS 'sluice'@'%' IDENTIFIED BY '$password';
ALTER USER 'sluice'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON sluice.* TO 'sluice'@'%';
SQL
  echo "MariaDB is up (pid $pid, data in $dir). Use it with:"
  echo "  SLUICE_STORE=mysql SLUICE_MYSQL_URL=mysql://sluice:\$(cat $dir/password)@127.0.0.1:$port/sluice"
  wait "$pid"
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  *) echo "usage: $0 install | start [DIR] [PORT]" >&2; exit 2 ;;
esac
