#!/usr/bin/env python3
"""cost_agree.py LOG COST.json: the --joint-compress final table (LOG, the
pass's stderr) and ajpq-cost-report's JSON of the pass's output (COST.json)
must give the same weight bytes, MACs and BitOPs, and the table's "of them
stored" erased count must be the report's erased_channels. Prints one line
per quantity; exit 1 on any difference."""
import json
import re
import sys

log = open(sys.argv[1]).read()
tot = json.load(open(sys.argv[2]))["total"]


def row(label):
    m = re.search(r"^\s+" + re.escape(label) + r"\s+(\d+)\s+(\d+)", log, re.M)
    if not m:
        print("no '%s' row in %s" % (label, sys.argv[1]))
        sys.exit(1)
    return int(m.group(2))


ok = True
for label, key in (("weight bytes", "weight_bytes"), ("MACs", "macs"), ("BitOPs", "bitops"),
                   ("of them stored", "erased_channels")):
    a, b = row(label), tot[key]
    same = a == b
    ok &= same
    print("%s: pass %d %s cost report %d" % (key, a, "==" if same else "!=", b))
print("pass and cost report agree" if ok else "pass and cost report DIFFER")
sys.exit(0 if ok else 1)
