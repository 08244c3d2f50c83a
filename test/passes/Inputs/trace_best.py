#!/usr/bin/env python3
"""trace_best.py LOG: LOG is --joint-compress's stderr with AJPQ_JC_TRACE=1 and refine=0. The
result's reward (the last progress line's "best reward") must be the largest reward of all
traced evaluations — agent episodes and heuristic strategies alike. Prints where it came from;
exit 1 otherwise."""
import re
import sys

log = open(sys.argv[1]).read()
tr = [(float(m.group(3)), m.group(2) is not None) for m in
      re.finditer(r"^trace: \S+ ep (\d+)( \(heuristic\))? reward (\S+)", log, re.M)]
best = [float(x) for x in re.findall(r"best reward (\S+)", log)]
if not tr or not best:
    print("no trace or progress lines")
    sys.exit(1)
top = max(r for r, _ in tr)
src = "heuristic" if any(h for r, h in tr if r == top) else "agent"
ok = abs(best[-1] - round(top, 4)) < 5e-5
print("%d evaluations traced (%d heuristic); result reward %.4f %s the best traced %.4f (%s)" % (
    len(tr), sum(h for _, h in tr), best[-1], "==" if ok else "!=", top, src))
sys.exit(0 if ok else 1)
