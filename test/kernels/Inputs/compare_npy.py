"""Compares two float32 .npy files element-wise (no numpy needed).
usage: compare_npy.py A.npy B.npy RTOL ATOL [flat] -> prints 'match N' or exits 1.
With 'flat', only the element counts must agree (examples/run_npy.c writes
(calls, numel) where ajpq-runner writes the model's output shape)."""
import struct, sys


def load(path):
    data = open(path, "rb").read()
    if data[:6] != b"\x93NUMPY":
        sys.exit("%s: not a .npy file" % path)
    hlen = struct.unpack("<H", data[8:10])[0]
    header = data[10:10 + hlen].decode()
    if "'<f4'" not in header:
        sys.exit("%s: not float32: %s" % (path, header))
    body = data[10 + hlen:]
    return header, struct.unpack("<%df" % (len(body) // 4), body)


ha, a = load(sys.argv[1])
hb, b = load(sys.argv[2])
rtol, atol = float(sys.argv[3]), float(sys.argv[4])
flat = len(sys.argv) > 5 and sys.argv[5] == "flat"
if (not flat and ha.split("'shape'")[1] != hb.split("'shape'")[1]) or len(a) != len(b) or not a:
    sys.exit("shape mismatch: %s vs %s" % (ha, hb))
bad = [i for i, (x, y) in enumerate(zip(a, b)) if not abs(x - y) <= atol + rtol * abs(y)]
if bad:
    i = bad[0]
    sys.exit("%d of %d differ; first at %d: %r vs %r" % (len(bad), len(a), i, a[i], b[i]))
print("match %d" % len(a))
