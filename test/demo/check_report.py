"""Checks the demo's out/demo/report.json against the files it was made from.

    python3 check_report.py OUT_DIR TARGET_SIZE_RATIO

Independent of scripts/demo/report.py: re-reads the raw outputs of ajpq-opt
--ajpq-cost-report and ajpq-runner, recomputes the size ratio, and checks the report
repeats them. Prints one "CHECK: <what> ok" line per check; exit 1 on the first failure.
"""
import json
import math
import os
import sys


def load(out, name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)


def check(what, cond, detail=""):
    if not cond:
        print("CHECK: %s FAILED %s" % (what, detail))
        sys.exit(1)
    print("CHECK: %s ok" % what)


out, target = sys.argv[1], float(sys.argv[2])
r = load(out, "report.json")
fc, cc = load(out, "fp32-cost.json")["total"], load(out, "compressed-cost.json")["total"]
fr, cr = load(out, "fp32-runner.json"), load(out, "compressed-runner.json")
ratio = cc["weight_bytes"] / fc["weight_bytes"]
check("budget met (cost report)", 0 < ratio <= target, "%r > %r" % (ratio, target))
check("report says budget met", r["budget_met"] is True)
check("report weight bytes", r["fp32"]["weight_bytes"] == fc["weight_bytes"] and
      r["compressed"]["weight_bytes"] == cc["weight_bytes"])
check("report ratio", abs(r["ratios"]["weight_bytes"] - ratio) < 1e-12)
check("MACs and BitOPs shrink", 0 < cc["macs"] <= fc["macs"] and 0 < cc["bitops"] < fc["bitops"])
check("report accuracy = runner", r["fp32"]["accuracy"] == fr["accuracy"] and
      r["compressed"]["accuracy"] == cr["accuracy"])
acc = r["compressed"]["accuracy"]
check("compressed accuracy is a real number", isinstance(acc, float) and 0.0 <= acc <= 1.0)
n = r["compressed"]["n"]
check("evaluation split size", n == 100 and r["fp32"]["n"] == 100)
oacc = r["compressed"]["compiled_accuracy"]
check("model.o accuracy present", isinstance(oacc, float) and math.isfinite(oacc))
check("model.o agrees with the executor", abs(oacc - acc) * n <= 1.0 + 1e-9, "%r vs %r" % (oacc, acc))
lat = r["compressed"]["latency_ms_per_image_compiled"]
check("model.o latency measured", isinstance(lat, float) and lat > 0)
for f in ("imported.mlir", "compressed.mlir", "strategy.json", "bits-per-channel.svg", "model.o", "model.h"):
    check("output " + f, os.path.getsize(os.path.join(out, f)) > 0)
