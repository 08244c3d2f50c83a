#!/usr/bin/env python3
"""check_budget.py FP32.json OUT.json KEY RATIO: the ajpq-cost-report of the
compressed model (OUT.json) must have total[KEY] <= RATIO * total[KEY] of the
fp32 model (FP32.json). Prints the comparison; exit 1 when the budget is
exceeded."""
import json
import sys

fp32 = json.load(open(sys.argv[1]))["total"]
out = json.load(open(sys.argv[2]))["total"]
key, ratio = sys.argv[3], float(sys.argv[4])
limit = ratio * fp32[key]
ok = out[key] <= limit
print("%s: %d %s %.1f (%.4f of fp32)" % (key, out[key], "<=" if ok else ">", limit, out[key] / fp32[key]))
print("budget met" if ok else "budget EXCEEDED")
sys.exit(0 if ok else 1)
