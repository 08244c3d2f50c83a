#!/usr/bin/python3
"""Assemble the demo's before/after table and out/demo/report.json.

Called by scripts/demo.sh (python3 standard library only; no numpy).

    report.py OUT_DIR LABELS.npy THRESHOLD TARGET_SIZE_RATIO EPISODES SEED SEARCH_SECONDS

Reads from OUT_DIR (all written by scripts/demo.sh):
  fp32-runner.json, compressed-runner.json   ajpq-runner --json on the evaluation split
  fp32-cost.json, compressed-cost.json       ajpq-opt --ajpq-cost-report="json=..."
  fp32-object.txt, model-object.txt          scripts/demo/run_object.c output ("score <i> <p>"
                                             lines, "latency_ms_per_sample <ms>"); optional
  strategy.json                              --joint-compress strategy-out
Writes OUT_DIR/report.json (keys: docs/tutorial.md, "report.json") through a temporary file,
prints the table on stdout. Exit status 1 if a number is missing or not finite, or the
compressed model's weight bytes exceed TARGET_SIZE_RATIO x fp32's (the budget).
"""
import ast
import datetime
import json
import math
import os
import platform
import struct
import sys


def die(msg):
    print("demo: error: " + msg, file=sys.stderr)
    sys.exit(1)


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        die("%s: %s" % (path, e))


def load_labels(path):
    """Reads a 1-D int64/uint8 .npy (C order) with the standard library."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        die("%s: not a .npy file" % path)
    if data[6] == 1:
        hlen = struct.unpack("<H", data[8:10])[0]
        off = 10
    else:
        hlen = struct.unpack("<I", data[8:12])[0]
        off = 12
    hdr = ast.literal_eval(data[off:off + hlen].decode("latin1"))
    off += hlen
    shape = hdr["shape"]
    if len(shape) != 1 or hdr.get("fortran_order"):
        die("%s: want a 1-D C-order array, got %r" % (path, hdr))
    fmt = {"<i8": "q", "|u1": "B", "<i4": "i"}.get(hdr["descr"])
    if fmt is None:
        die("%s: unsupported dtype %s" % (path, hdr["descr"]))
    n = shape[0]
    size = struct.calcsize(fmt)
    if len(data) < off + n * size:
        die("%s: truncated" % path)
    return list(struct.unpack("<%d%s" % (n, fmt), data[off:off + n * size]))


def auc_of(scores, labels):
    """Mann-Whitney AUC, ties count 1/2 (same definition as ajpq-runner, docs/manifest.md)."""
    pos = [s for s, y in zip(scores, labels) if y == 1]
    neg = [s for s, y in zip(scores, labels) if y != 1]
    if not pos or not neg:
        return None
    wins = 0.0
    for p in pos:
        for q in neg:
            wins += 1.0 if p > q else 0.5 if p == q else 0.0
    return wins / (len(pos) * len(neg))


def object_metrics(path, labels, threshold):
    """Accuracy, AUC and latency of a compiled model from run_object's output (None if absent)."""
    if not os.path.exists(path):
        return None
    scores, ys, lat = [], [], None
    with open(path) as f:
        for line in f:
            p = line.split()
            if p and p[0] == "score":
                i, s = int(p[1]), float(p[2])
                if i >= len(labels):
                    die("%s: sample %d has no label" % (path, i))
                scores.append(s)
                ys.append(labels[i])
            elif p and p[0] == "latency_ms_per_sample":
                lat = float(p[1])
    if not scores or lat is None:
        die("%s: no scores or no latency line" % path)
    acc = sum(1 for s, y in zip(scores, ys) if (1 if s >= threshold else 0) == y) / len(scores)
    return {"accuracy": acc, "auc": auc_of(scores, ys), "n": len(scores),
            "latency_ms_per_sample": lat}


def finite(x):
    return isinstance(x, (int, float)) and math.isfinite(x)


def main():
    if len(sys.argv) != 8:
        die("usage: report.py OUT_DIR LABELS THRESHOLD RATIO EPISODES SEED SEARCH_SECONDS")
    out, labels_path = sys.argv[1], sys.argv[2]
    threshold, ratio = float(sys.argv[3]), float(sys.argv[4])
    episodes, seed, search_s = int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
    labels = load_labels(labels_path)
    fr = load_json(os.path.join(out, "fp32-runner.json"))
    cr = load_json(os.path.join(out, "compressed-runner.json"))
    fc = load_json(os.path.join(out, "fp32-cost.json"))["total"]
    cc = load_json(os.path.join(out, "compressed-cost.json"))["total"]
    strategy = load_json(os.path.join(out, "strategy.json"))
    fo = object_metrics(os.path.join(out, "fp32-object.txt"), labels, threshold)
    co = object_metrics(os.path.join(out, "model-object.txt"), labels, threshold)

    def side(runner, cost, obj):
        d = {
            "accuracy": runner.get("accuracy"),
            "auc": runner.get("auc"),
            "n": runner.get("n"),
            "weight_bytes": cost["weight_bytes"],
            "macs": cost["macs"],
            "bitops": cost["bitops"],
            "avg_bits": cost.get("avg_bits"),
            "erased_channels": cost.get("erased_channels"),
            "kept_channels": cost.get("kept_channels"),
            "latency_ms_per_image_executor": runner.get("latency_ms_per_sample"),
            "latency_ms_per_image_compiled": obj["latency_ms_per_sample"] if obj else None,
            "compiled_accuracy": obj["accuracy"] if obj else None,
            "compiled_auc": obj["auc"] if obj else None,
        }
        return d

    f = side(fr, fc, fo)
    c = side(cr, cc, co)
    size_ratio = c["weight_bytes"] / f["weight_bytes"]
    report = {
        "version": 1,
        "model": "blazeface-front",
        "manifest": "zoo/blazeface-front.json",
        "evaluation_split": fr.get("split"),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": "%s, %s, %d CPUs" % (platform.node(), cpu_model(), os.cpu_count() or 0),
        "search": {
            "policy": strategy.get("policy"),
            "budget": strategy.get("budget"),
            "target_size_ratio": ratio,
            "episodes": episodes,
            "seed": seed,
            "seconds": search_s,
            "calibration_metric": strategy.get("metric_result"),
        },
        "fp32": f,
        "compressed": c,
        "ratios": {
            "weight_bytes": size_ratio,
            "compression": f["weight_bytes"] / c["weight_bytes"],
            "macs": c["macs"] / f["macs"],
            "bitops": c["bitops"] / f["bitops"],
        },
        "budget_met": size_ratio <= ratio,
    }
    must = [f["accuracy"], c["accuracy"], f["weight_bytes"], c["weight_bytes"], f["macs"],
            c["macs"], f["bitops"], c["bitops"]]
    if not all(finite(x) for x in must):
        die("a number of the report is missing or not finite: %r" % must)
    tmp = os.path.join(out, ".report.json.tmp")
    with open(tmp, "w") as fh:
        json.dump(report, fh, indent=2, sort_keys=False)
        fh.write("\n")
    os.replace(tmp, os.path.join(out, "report.json"))
    print_table(report)
    if not report["budget_met"]:
        die("budget NOT met: weight bytes ratio %.4f > target %.4f" % (size_ratio, ratio))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def fmt(v, kind):
    if v is None:
        return "n/a"
    if kind == "p":
        return "%.4f" % v
    if kind == "i":
        return "{:,}".format(int(v))
    if kind == "ms":
        return "%.3f ms" % v
    return str(v)


def print_table(r):
    f, c, q = r["fp32"], r["compressed"], r["ratios"]
    rows = [
        ("accuracy (executor)", fmt(f["accuracy"], "p"), fmt(c["accuracy"], "p"), ""),
        ("AUC (executor)", fmt(f["auc"], "p"), fmt(c["auc"], "p"), ""),
        ("accuracy (model.o)", fmt(f["compiled_accuracy"], "p"), fmt(c["compiled_accuracy"], "p"), ""),
        ("AUC (model.o)", fmt(f["compiled_auc"], "p"), fmt(c["compiled_auc"], "p"), ""),
        ("weight bytes", fmt(f["weight_bytes"], "i"), fmt(c["weight_bytes"], "i"),
         "%.4f (%.2fx smaller)" % (q["weight_bytes"], q["compression"])),
        ("MACs", fmt(f["macs"], "i"), fmt(c["macs"], "i"), "%.4f" % q["macs"]),
        ("BitOPs", fmt(f["bitops"], "i"), fmt(c["bitops"], "i"), "%.4f" % q["bitops"]),
        ("average weight bits", "%.2f" % f["avg_bits"], "%.2f" % c["avg_bits"], ""),
        ("latency/image, executor", fmt(f["latency_ms_per_image_executor"], "ms"),
         fmt(c["latency_ms_per_image_executor"], "ms"),
         speedup(f["latency_ms_per_image_executor"], c["latency_ms_per_image_executor"])),
        ("latency/image, compiled", fmt(f["latency_ms_per_image_compiled"], "ms"),
         fmt(c["latency_ms_per_image_compiled"], "ms"),
         speedup(f["latency_ms_per_image_compiled"], c["latency_ms_per_image_compiled"])),
        ("model.o vs fp32 executor", "", "",
         speedup(f["latency_ms_per_image_executor"], c["latency_ms_per_image_compiled"])),
    ]
    s = r["search"]
    print()
    print("ajpq demo: BlazeFace front on LFW (%s split, n=%s), %s" %
          (r["evaluation_split"], f["n"], r["date_utc"]))
    print("%-26s %16s %16s   %s" % ("", "fp32", "compressed", "ratio"))
    for name, a, b, ratio in rows:
        print("%-26s %16s %16s   %s" % (name, a, b, ratio))
    print("(executor: ajpq-runner's reference executor, OpenBLAS for fp32; compiled: "
          "ajpq-translate --mlir-to-obj, fp32 through upstream MLIR's lowering; batch 1, 1 thread)")
    print("search: policy %s, target-size-ratio=%g, %d episodes, seed %d, %.1f s; budget %s" %
          (s["policy"], s["target_size_ratio"], s["episodes"], s["seed"], s["seconds"],
           "met" if r["budget_met"] else "NOT MET"))


def speedup(a, b):
    if a is None or b is None or b <= 0:
        return ""
    return "%.2fx faster" % (a / b) if a >= b else "%.2fx slower" % (b / a)


if __name__ == "__main__":
    main()
