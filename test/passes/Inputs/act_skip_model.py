#!/usr/bin/env python3
"""Model, data and scalar reference for test/passes/act-skip.test (pure python, no numpy).

  act_skip_model.py gen OUT              -> OUT/model.mlir, OUT/data.npy (16x2x2x2 f32)
  act_skip_model.py check OUT MODE DIR   -> compares DIR/output_{0,1}.npy (ajpq-runner
                                            --save-outputs of the compressed module) with the
                                            scalar reference of MODE (head | none)

Model (a detector head in miniature, like BlazeFace): conv c1 2->4 (1x1) -> relu -> two head
convs on the same feature: hc 4->1 (classificator, LARGE weights, up to 63.5) and hr 4->2
(regressor) -> reshapes -> two graph outputs (cls 1x4x1, reg 1x4x2).

Every weight is exactly representable at 8 bits (c1, hr: k/128 with max |w| = 127/128 per
output channel; hc: k/2 with max |w| = 63.5), so per-channel weight quantization is lossless
and the reference only models activation quantization:
- c1's input is always quantized: the data spans exactly [-2, 2 - 1/64], so min/max calibration
  gives scale 1/64, zero point 0: xq = clamp(round_half_even(64 x), -128, 127) / 64.
- MODE head (act-skip=head, the default): hc and hr read the float relu output.
- MODE none (act-skip=none): hc and hr read it quantized per tensor, asymmetric, range
  [0, max over the calibration set of the fp32 relu output]: scale = f32(max / 255), zero
  point -128.
"""
import os
import struct
import sys

state = [2024]


def rnd():
    state[0] = (state[0] * 1103515245 + 12345) % (1 << 31)
    return state[0] / float(1 << 31) * 2.0 - 1.0


def f32(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


def weights(cout, cin, unit):
    """cout rows of cin weights k*unit, k integer in [-127, 127], row max |k| = 127."""
    w = []
    for o in range(cout):
        row = [float(int(round(rnd() * 120))) * unit for _ in range(cin)]
        row[o % cin] = (127.0 if o % 2 == 0 else -127.0) * unit
        w.append(row)
    return w


W1 = weights(4, 2, 1.0 / 128)
B1 = [0.25, -0.125, 0.5, 0.0625]
WC = weights(1, 4, 0.5)
BC = [-3.5]
WR = weights(2, 4, 1.0 / 128)
BR = [0.75, -0.25]
N = 16


def data():
    d = [f32(rnd() * 1.9) for _ in range(N * 8)]
    d[0] = -2.0
    d[1] = 2.0 - 1.0 / 64
    return d


def dense(name, vals, shape):
    t = "x".join(str(s) for s in shape)
    return '  %%%s = "tosa.const"() {values = dense<[%s]> : tensor<%sxf32>} : () -> tensor<%sxf32>\n' % (
        name, ", ".join("%.9e" % v for v in vals), t, t)


def conv(name, x, cin, cout, w, b):
    s = '  %%%s_w = "tosa.const"() {values = dense<[%s]> : tensor<%dx1x1x%dxf32>} : () -> tensor<%dx1x1x%dxf32>\n' % (
        name, ", ".join("[[[%s]]]" % ", ".join("%.9e" % v for v in row) for row in w), cout, cin, cout, cin)
    s += dense(name + "_b", b, [cout])
    s += ('  %%%s = tosa.conv2d %%%s, %%%s_w, %%%s_b, %%zp, %%zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, '
          'stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x2x2x%dxf32>, tensor<%dx1x1x%dxf32>, '
          'tensor<%dxf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x%dxf32> loc("%s")\n') % (
        name, x, name, name, cin, cout, cin, cout, cout, name)
    return s


def model():
    s = ('func.func @main(%x: tensor<1x2x2x2xf32> {ajpq.name = "input"}) -> '
         '(tensor<1x4x1xf32> {ajpq.name = "cls"}, tensor<1x4x2xf32> {ajpq.name = "reg"}) {\n')
    s += '  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>\n'
    s += conv("c1", "x", 2, 4, W1, B1)
    s += ('  %r1 = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 3.4028235e38 : f32} : '
          '(tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>\n')
    s += conv("hc", "r1", 4, 1, WC, BC)
    s += conv("hr", "r1", 4, 2, WR, BR)
    s += '  %s1 = tosa.const_shape {values = dense<[1, 4, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>\n'
    s += '  %cls = tosa.reshape %hc, %s1 : (tensor<1x2x2x1xf32>, !tosa.shape<3>) -> tensor<1x4x1xf32>\n'
    s += '  %s2 = tosa.const_shape {values = dense<[1, 4, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>\n'
    s += '  %reg = tosa.reshape %hr, %s2 : (tensor<1x2x2x2xf32>, !tosa.shape<3>) -> tensor<1x4x2xf32>\n'
    s += "  return %cls, %reg : tensor<1x4x1xf32>, tensor<1x4x2xf32>\n}\n"
    return s


def npy_write(path, shape, vals):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % ", ".join(str(d) for d in shape)
    header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%df" % len(vals), *vals))


def npy_read(path):
    with open(path, "rb") as f:
        b = f.read()
    hl = struct.unpack("<H", b[8:10])[0]
    hdr = b[10:10 + hl].decode()
    assert "'<f4'" in hdr, hdr
    body = b[10 + hl:]
    return list(struct.unpack("<%df" % (len(body) // 4), body))


def mv(w, b, x):
    return [sum(wi * xi for wi, xi in zip(row, x)) + bo for row, bo in zip(w, b)]


def relu_feat(x):
    return [max(0.0, v) for v in mv(W1, B1, x)]


def reference(mode):
    d = data()
    feats_fp32 = [relu_feat(d[i * 2:(i + 1) * 2]) for i in range(N * 4)]
    hmax = max(max(f) for f in feats_fp32)
    sh = f32(hmax / 255.0)
    cls, reg = [], []
    for i in range(N * 4):  # every pixel of every sample
        x = [min(127, max(-128, round(v * 64))) / 64.0 for v in d[i * 2:(i + 1) * 2]]
        r = relu_feat(x)
        if mode == "none":
            r = [sh * (min(127, max(-128, round(f32(v / sh)) - 128)) + 128) for v in r]
        cls += mv(WC, BC, r)
        reg += mv(WR, BR, r)
    return cls, reg


def main():
    if sys.argv[1] == "gen":
        out = sys.argv[2]
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "model.mlir"), "w") as f:
            f.write(model())
        npy_write(os.path.join(out, "data.npy"), (N, 2, 2, 2), data())
        return
    mode, got_dir = sys.argv[3], sys.argv[4]
    ref = reference(mode)
    other = reference("none" if mode == "head" else "head")
    for o, name in ((0, "cls"), (1, "reg")):
        got = npy_read(os.path.join(got_dir, "output_%d.npy" % o))
        assert len(got) == len(ref[o]), (len(got), len(ref[o]))
        d = max(abs(g - r) / (1.0 + abs(r)) for g, r in zip(got, ref[o]))
        d_other = max(abs(g - r) for g, r in zip(got, other[o]))
        print("%s: %s reference %s (max rel diff %.2e); other mode max |diff| %s" % (
            name, mode, "matches" if d <= 1e-4 else "DIFFERS", d,
            "> 0.05" if d_other > 0.05 else "%.3g" % d_other))


main()
