#!/bin/sh
# Prints the option list of one ajpq pass as `ajpq-opt --list-passes` shows it (the driver's
# typed option table, passes/ajpq_passes.h): the source of the "Options" section of
# docs/passes/<pass>.md.   sh scripts/demo/pass-options.sh build/bin/ajpq-opt joint-compress
set -eu
[ $# -eq 2 ] || { echo "usage: pass-options.sh AJPQ_OPT PASS" >&2; exit 1; }
"$1" --list-passes | awk -v p="  --$2 " '
  index($0, p) == 1 { on = 1; print; next }
  on && /^  --/ { exit }
  on && /^$/ { exit }
  on { print }'
