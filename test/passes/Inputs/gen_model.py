#!/usr/bin/env python3
"""Writes the small test model (TOSA) and its calibration data for the
joint-compress lit tests. Pure python (no numpy): weights from a fixed LCG.

  gen_model.py OUT_DIR [WIDTH]  -> OUT_DIR/model.mlir, data.npy (32x4x4x3 f32),
                            labels.npy (32 int64), bad-shape.npy (32x5x4x3)
  WIDTH (default 8): channels of c1, c2, dw, c3 (the FC reads 16*WIDTH).

Model (WIDTH 8): conv c1 3->8 (3x3, pad 1) -> relu -> conv c2 8->8 (1x1) -> add with
the relu (residual) -> relu -> depthwise dw (3x3, pad 1) -> conv c3 8->8
(1x1) -> relu -> NHWC flatten -> fc 128->10 (+ bias) -> logits.
"""
import os
import struct
import sys

state = [12345]


def rnd():
    state[0] = (state[0] * 1103515245 + 12345) % (1 << 31)
    return state[0] / float(1 << 31) * 2.0 - 1.0


def const(name, shape, scale=1.0):
    n = 1
    for d in shape:
        n *= d
    vals = [rnd() * scale for _ in range(n)]
    # channel-dependent magnitude so importance differs across channels
    t = "x".join(str(d) for d in shape)
    body = ", ".join("%.6e" % v for v in vals)
    if len(shape) > 1:
        body = "[" + body + "]"
        # flat dense literal needs the nested form only for rank>1: use
        # an explicit reshape-free trick: MLIR accepts a flat list? no ->
    return '  %%%s = "tosa.const"() {values = dense<%s> : tensor<%sxf32>} : () -> tensor<%sxf32>\n' % (
        name, nest(vals, shape), t, t)


def nest(vals, shape):
    if len(shape) == 1:
        return "[" + ", ".join("%.6e" % v for v in vals) + "]"
    step = len(vals) // shape[0]
    return "[" + ", ".join(nest(vals[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])) + "]"


def conv(name, x, cin, cout, k, pad, h=4):
    s = const(name + "_w", [cout, k, k, cin], 0.5)
    s += const(name + "_b", [cout], 0.1)
    s += ('  %%%s = tosa.conv2d %%%s, %%%s_w, %%%s_b, %%zp, %%zp {acc_type = f32, pad = array<i64: %d, %d, %d, %d>, '
          'stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x%dx%dx%dxf32>, tensor<%dx%dx%dx%dxf32>, '
          'tensor<%dxf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x%dx%dx%dxf32> loc("%s")\n') % (
        name, x, name, name, pad, pad, pad, pad, h, h, cin, cout, k, k, cin, cout, h, h, cout, name)
    return s


def relu(n, x, shape):
    return '  %%%s = tosa.clamp %%%s {min_val = 0.0 : f32, max_val = 3.4028235e38 : f32} : (tensor<%sxf32>) -> tensor<%sxf32>\n' % (n, x, shape, shape)


def model(w=8):
    c = "1x4x4x%d" % w
    s = "func.func @main(%x: tensor<1x4x4x3xf32> {ajpq.name = \"input\"}) -> (tensor<1x10xf32> {ajpq.name = \"logits\"}) {\n"
    s += '  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>\n'
    s += conv("c1", "x", 3, w, 3, 1) + relu("r1", "c1", c)
    s += conv("c2", "r1", w, w, 1, 0)
    s += "  %%s = tosa.add %%c2, %%r1 : (tensor<%sxf32>, tensor<%sxf32>) -> tensor<%sxf32>\n" % (c, c, c)
    s += relu("r2", "s", c)
    s += const("dw_w", [3, 3, w, 1], 0.5) + const("dw_b", [w], 0.1)
    s += ('  %%dw = tosa.depthwise_conv2d %%r2, %%dw_w, %%dw_b, %%zp, %%zp {acc_type = f32, pad = array<i64: 1, 1, 1, 1>, '
          'stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<%sxf32>, tensor<3x3x%dx1xf32>, '
          'tensor<%dxf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<%sxf32> loc("dw")\n') % (c, w, w, c)
    s += conv("c3", "dw", w, w, 1, 0) + relu("r3", "c3", c)
    s += '  %%sh1 = tosa.const_shape {values = dense<[1, 1, %d]> : tensor<3xindex>} : () -> !tosa.shape<3>\n' % (16 * w)
    s += "  %%f = tosa.reshape %%r3, %%sh1 : (tensor<%sxf32>, !tosa.shape<3>) -> tensor<1x1x%dxf32>\n" % (c, 16 * w)
    s += const("fc_w", [1, 16 * w, 10], 0.3)
    s += ('  %%mm = tosa.matmul %%f, %%fc_w, %%zp, %%zp : (tensor<1x1x%dxf32>, tensor<1x%dx10xf32>, tensor<1xf32>, '
          'tensor<1xf32>) -> tensor<1x1x10xf32> loc("fc")\n') % (16 * w, 16 * w)
    s += '  %sh2 = tosa.const_shape {values = dense<[1, 10]> : tensor<2xindex>} : () -> !tosa.shape<2>\n'
    s += "  %o = tosa.reshape %mm, %sh2 : (tensor<1x1x10xf32>, !tosa.shape<2>) -> tensor<1x10xf32>\n"
    s += const("fc_b", [1, 10], 0.1)
    s += "  %y = tosa.add %o, %fc_b : (tensor<1x10xf32>, tensor<1x10xf32>) -> tensor<1x10xf32>\n"
    s += "  return %y : tensor<1x10xf32>\n}\n"
    return s


def npy(path, descr, shape, data, fmt):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else ""))
    pad = 64 - (10 + len(header) + 1) % 64
    header += " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%d%s" % (len(data), fmt), *data))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.mlir"), "w") as f:
        f.write(model(int(sys.argv[2]) if len(sys.argv) > 2 else 8))
    n = 32
    data = [rnd() for _ in range(n * 4 * 4 * 3)]
    npy(os.path.join(out, "data.npy"), "<f4", (n, 4, 4, 3), data, "f")
    npy(os.path.join(out, "labels.npy"), "<i8", (n,), [i % 10 for i in range(n)], "q")
    npy(os.path.join(out, "bad-shape.npy"), "<f4", (n, 5, 4, 3), [0.0] * (n * 5 * 4 * 3), "f")


main()
