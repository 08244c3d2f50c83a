#!/usr/bin/env python3
"""json_lines.py FILE.json: prints a JSON report compactly and independent of
its whitespace, for FileCheck: `"total": {...}` then one line per element of
"layers" (cost reports) — or, for a strategy file, the top-level scalars
then one line per layer, after a `"layers": N` line. Key order is the
file's own."""
import json
import sys

d = json.load(open(sys.argv[1]))
for k, v in d.items():
    if k == "layers":
        continue
    print("%s: %s" % (json.dumps(k), json.dumps(v)))
print('"layers": %d' % len(d.get("layers", [])))
for layer in d.get("layers", []):
    print(json.dumps(layer))
