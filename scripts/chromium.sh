#!/usr/bin/env bash
# Debian's Chromium for the reporting UI's browser tests (driven by playwright-core).
#
#   scripts/chromium.sh install
#       Installs the chromium package unless /usr/bin/chromium is already there. Needs root
#       (CI runs as root). Installs of this project wait for each other (one apt at a time).
#       Prints the browser's path.
set -euo pipefail

find_browser() {
  local c
  for c in chromium chromium-browser /usr/bin/chromium; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}

case "${1:-install}" in
  install)
    if ! find_browser >/dev/null; then
      if [ "$(id -u)" != 0 ]; then
        echo "chromium.sh: Chromium is not installed and installing it needs root: apt-get install chromium" >&2
        exit 1
      fi
      (
        flock -w 900 9 || { echo "chromium.sh: timed out waiting for another install" >&2; exit 1; }
        if find_browser >/dev/null; then exit 0; fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends chromium fonts-dejavu-core >&2
      ) 9>/tmp/sluice-apt.lock
    fi
    find_browser
    ;;
  *)
    echo "usage: scripts/chromium.sh install" >&2
    exit 2
    ;;
esac
