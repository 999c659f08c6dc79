#!/usr/bin/env bash
# HAProxy in front of a fleet of Sluice ad servers (README "Running an ad server fleet").
#
#   scripts/haproxy.sh install
#       Installs Debian's haproxy unless it is already there. Needs root (CI runs as root).
#       Concurrent installs wait for each other (one apt lock for the project's scripts).
#       The package's own service is not used: tests start throwaway instances
#       (test/helpers/haproxy.ts) with their own config.
set -euo pipefail

find_haproxy() {
  local c
  for c in haproxy /usr/sbin/haproxy; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}

install() {
  if find_haproxy >/dev/null; then find_haproxy; return 0; fi
  if [ "$(id -u)" != 0 ]; then
    echo "haproxy.sh: HAProxy is not installed and installing it needs root: apt-get install haproxy" >&2
    exit 1
  fi
  (
    flock -w 900 9 || { echo "haproxy.sh: timed out waiting for another install" >&2; exit 1; }
    if find_haproxy >/dev/null; then exit 0; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq -o DPkg::Lock::Timeout=600 haproxy >&2
  ) 9>/tmp/sluice-apt.lock
  find_haproxy || { echo "haproxy.sh: haproxy installed but not found" >&2; exit 1; }
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
