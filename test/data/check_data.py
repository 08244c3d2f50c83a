#!/usr/bin/python3
"""Checks of the data cache written by scripts/fetch-data.sh (run by the lit tests here).

    /usr/bin/python3 check_data.py SUBCOMMAND REPO_ROOT DATA_DIR [args]

Subcommands print one line per fact checked ("OK ..." or "FAIL ..."); the lit tests FileCheck
them and a FAIL makes the process exit 1.  The reference values are computed here
independently of scripts/convert-data.py: resize by the scalar half-pixel formula, IDX bytes
parsed with struct (not numpy), .npy headers parsed by hand.
"""
import ast
import gzip
import json
import math
import os
import struct
import sys

import numpy as np

failed = False


def report(ok, msg):
    global failed
    print(("OK " if ok else "FAIL ") + msg)
    failed |= not ok


def npy_header(path):
    """(descr, fortran, shape) parsed from the raw header bytes."""
    with open(path, "rb") as f:
        head = f.read(12)
        if head[:6] != b"\x93NUMPY":
            return None
        if head[6] == 1:
            hlen = struct.unpack("<H", head[8:10])[0]
            f.seek(10)
        else:
            hlen = struct.unpack("<I", head[8:12])[0]
            f.seek(12)
        d = ast.literal_eval(f.read(hlen).decode("latin1"))
        return d["descr"], d["fortran_order"], tuple(d["shape"])


def cmd_shapes(root, data):
    want = [
        ("lfw/lfw_subset.npy", "<f8", (200, 25, 25)),
        ("lfw/labels.npy", "<i8", (200,)),
        ("lfw/blazeface-front-128.npy", "<f4", (200, 128, 128, 3)),
        ("lfw/blazeface-back-256.npy", "<f4", (200, 256, 256, 3)),
    ]
    for ds in ("fashion-mnist", "mnist"):
        want += [
            (f"{ds}/train-images.npy", "<f4", (60000, 1, 28, 28)),
            (f"{ds}/train-labels.npy", "<i8", (60000,)),
            (f"{ds}/test-images.npy", "<f4", (10000, 1, 28, 28)),
            (f"{ds}/test-labels.npy", "<i8", (10000,)),
            (f"{ds}/zoo-images.npy", "<f4", (15000, 1, 28, 28)),
            (f"{ds}/zoo-labels.npy", "<i8", (15000,)),
        ]
    for rel, descr, shape in want:
        h = npy_header(os.path.join(data, rel))
        report(h == (descr, False, shape), f"{rel} {descr} {shape} (found {h})")
    # value ranges of the model inputs
    for rel, lo, hi in (("lfw/blazeface-front-128.npy", -1, 1), ("lfw/blazeface-back-256.npy", -1, 1),
                        ("fashion-mnist/test-images.npy", 0, 1), ("mnist/test-images.npy", 0, 1)):
        a = np.load(os.path.join(data, rel), mmap_mode="r")
        report(bool(np.all(np.isfinite(a))) and a.min() >= lo and a.max() <= hi,
               f"{rel} finite, in [{lo}, {hi}]")
    report(os.path.isdir(os.path.join(data, "onnx-testdata", "node", "test_conv_with_strides_padding")),
           "onnx-testdata/node/test_conv_with_strides_padding exists")


def idx_labels(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    magic, n = struct.unpack(">II", raw[:8])
    assert magic == 0x801 and len(raw) == 8 + n, path
    return list(raw[8:])


def counts(values, k):
    c = [0] * k
    for v in values:
        c[int(v)] += 1
    return c


def cmd_labels(root, data):
    y = np.load(os.path.join(data, "lfw/labels.npy"))
    report(list(y[:100]) == [1] * 100 and list(y[100:]) == [0] * 100,
           "lfw labels: 0-99 faces (1), 100-199 non-faces (0)")
    for ds, suffix in (("fashion-mnist", ".gz"), ("mnist", "")):
        for split, tag in (("t10k", "test"), ("train", "train")):
            ref = idx_labels(os.path.join(data, ds, f"{split}-labels-idx1-ubyte{suffix}"))
            got = np.load(os.path.join(data, ds, f"{tag}-labels.npy"))
            report(got.tolist() == ref, f"{ds}/{tag}-labels.npy equals the IDX labels")
            print(f"COUNTS {ds} {tag} {' '.join(map(str, counts(ref, 10)))}")
        zoo = np.load(os.path.join(data, ds, "zoo-labels.npy")).tolist()
        tr = idx_labels(os.path.join(data, ds, f"train-labels-idx1-ubyte{suffix}"))
        te = idx_labels(os.path.join(data, ds, f"t10k-labels-idx1-ubyte{suffix}"))
        report(zoo == tr[:5000] + te, f"{ds}/zoo-labels.npy = train labels [0,5000) + all test labels")


def resize_ref(src, size, y, x):
    """Bilinear, half-pixel centres, clamped: the textbook scalar formula."""
    n = len(src)

    def coord(o):
        s = (o + 0.5) * n / size - 0.5
        s = min(max(s, 0.0), n - 1.0)
        i0 = int(math.floor(s))
        return i0, min(i0 + 1, n - 1), s - i0

    y0, y1, fy = coord(y)
    x0, x1, fx = coord(x)
    top = src[y0][x0] * (1 - fx) + src[y0][x1] * fx
    bot = src[y1][x0] * (1 - fx) + src[y1][x1] * fx
    return top * (1 - fy) + bot * fy


def cmd_resize(root, data):
    lfw = np.load(os.path.join(data, "lfw/lfw_subset.npy"))
    pts = [(0, 0), (0, 127), (127, 127), (5, 3), (64, 64), (100, 17), (31, 90)]
    for size, rel in ((128, "lfw/blazeface-front-128.npy"), (256, "lfw/blazeface-back-256.npy")):
        a = np.load(os.path.join(data, rel), mmap_mode="r")
        worst = 0.0
        for img in (0, 57, 123, 199):
            src = lfw[img].tolist()
            for (y, x) in pts + [(size - 1, 0), (size // 2 + 1, size - 2)]:
                want = 2.0 * resize_ref(src, size, y, x) - 1.0
                for c in range(3):
                    worst = max(worst, abs(float(a[img, y, x, c]) - want))
        report(worst <= 1e-6, f"{rel}: hand-computed bilinear pixels, R=G=B, 2x-1 (max err {worst:.2e})")
    # one pixel spelled out: image 0, pixel (5,3) of the 128x128 image.
    # src y = (5.5)*25/128 - 0.5 = 0.57421875 -> rows 0,1 w 0.57421875; x = 3.5*25/128-0.5 = 0.18359375
    s = lfw[0]
    fy, fx = 0.57421875, 0.18359375
    v = (s[0, 0] * (1 - fx) + s[0, 1] * fx) * (1 - fy) + (s[1, 0] * (1 - fx) + s[1, 1] * fx) * fy
    got = float(np.load(os.path.join(data, "lfw/blazeface-front-128.npy"), mmap_mode="r")[0, 5, 3, 1])
    report(abs(got - (2 * v - 1)) <= 1e-6, f"front[0,5,3,G] = {got:.6f}, by hand {2 * v - 1:.6f}")
    # IDX bytes -> float32 / 255, NCHW: image pixels parsed with struct, not numpy
    for ds, name in (("fashion-mnist", "t10k-images-idx3-ubyte.gz"), ("mnist", "t10k-images-idx3-ubyte")):
        path = os.path.join(data, ds, name)
        with (gzip.open if name.endswith(".gz") else open)(path, "rb") as f:
            raw = f.read()
        magic, n, h, w = struct.unpack(">IIII", raw[:16])
        a = np.load(os.path.join(data, ds, "test-images.npy"), mmap_mode="r")
        z = np.load(os.path.join(data, ds, "zoo-images.npy"), mmap_mode="r")
        worst = 0.0
        for img, y, x in ((0, 14, 14), (9999, 0, 27), (4321, 20, 7), (17, 13, 12)):
            want = raw[16 + img * h * w + y * w + x] / 255.0
            worst = max(worst, abs(float(a[img, 0, y, x]) - want), abs(float(z[5000 + img, 0, y, x]) - want))
        report(magic == 0x803 and n == 10000 and worst <= 1e-7,
               f"{ds}/test-images.npy and zoo-images.npy[5000:] = IDX bytes / 255 (max err {worst:.1e})")


def ranges_to_set(ranges, n, where):
    s = []
    for r in ranges:
        ok = isinstance(r, list) and len(r) == 2 and 0 <= r[0] <= r[1] <= n
        report(ok, f"{where}: range {r} within [0, {n}]")
        if ok:
            s.extend(range(r[0], r[1]))
    report(len(s) == len(set(s)) and len(s) > 0, f"{where}: {len(s)} distinct samples")
    return set(s)


def resolve(root, data, p):
    if p.startswith("/"):
        return p
    if p.startswith("./"):
        return os.path.join(root, p)
    return os.path.join(data, p)


def cmd_manifests(root, data):
    import hashlib
    zoo = os.path.join(root, "zoo")
    for name in sorted(os.listdir(zoo)):
        if not name.endswith(".json"):
            continue
        m = json.load(open(os.path.join(zoo, name)))
        report(m["name"] + ".json" == name, f"{name}: name field")
        model = resolve(root, data, m["model"]["onnx"])
        digest = hashlib.sha256(open(model, "rb").read()).hexdigest()
        report(digest == m["model"]["sha256"], f"{name}: model sha256")
        x = npy_header(resolve(root, data, m["data"]["inputs"]))
        y = npy_header(resolve(root, data, m["data"]["labels"]))
        report(x is not None and y is not None and x[2][0] == y[2][0] and len(y[2]) == 1,
               f"{name}: inputs {x and x[2]} and labels {y and y[2]} agree")
        n = x[2][0]
        cal = ranges_to_set(m["splits"]["calibration"], n, f"{name} calibration")
        ev = ranges_to_set(m["splits"]["evaluation"], n, f"{name} evaluation")
        report(not (cal & ev), f"{name}: calibration and evaluation do not overlap")
        for split in m.get("expected_splits", {}):
            report(split in m["splits"], f"{name}: expected_splits.{split} names a split")
        tr = m["data"].get("train_samples")
        if tr is not None:
            # calibration only from training images, evaluation only from test images
            report(max(cal) < tr and min(ev) >= tr,
                   f"{name}: calibration within training images [0,{tr}), evaluation within test images")


def cmd_compare(root, data, manifest, split, result_json):
    """Compare an ort-eval.mjs --json result with the manifest's expected numbers."""
    m = json.load(open(manifest))
    got = json.loads(open(result_json).read())
    exp = m["expected"] if split == "evaluation" else m["expected_splits"][split]
    for k, v in sorted(exp.items()):
        ok = got.get(k) is not None and abs(got[k] - v) <= 5e-5
        report(ok, f"{m['name']} {split} {k}: ort {got.get(k)} expected {v}")


def main():
    cmd, root, data = sys.argv[1], sys.argv[2], sys.argv[3]
    {"shapes": cmd_shapes, "labels": cmd_labels, "resize": cmd_resize,
     "manifests": cmd_manifests, "compare": cmd_compare}[cmd](root, data, *sys.argv[4:])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
