#!/usr/bin/python3
"""Writes docs/passes/example-tiny.mlir (stdout) and calib.npy (64 random NHWC 8x8x3 samples,
float32) in the current folder: the inputs of the examples in docs/passes/*.md.
Standard library only; seeded, so the output is reproducible.

    python3 scripts/demo/gen-pass-example.py > docs/passes/example-tiny.mlir
"""
import random, struct
random.seed(7)
def hexarr(n):
    return '"0x' + b"".join(struct.pack("<f", round(random.uniform(-1, 1), 3)) for _ in range(n)).hex().upper() + '"'
w1 = hexarr(8*3*3*3); b1 = hexarr(8); w2 = hexarr(4*1*1*8); b2 = hexarr(4)
print('''// A tiny two-layer conv model in the TOSA form ajpq-translate --import-onnx emits (NHWC, OHWI
// weights), used by the examples of docs/passes/*.md. Regenerate: python3 scripts/demo/gen-pass-example.py > docs/passes/example-tiny.mlir
func.func @main(%%x: tensor<1x8x8x3xf32>) -> tensor<1x8x8x4xf32> {
  %%zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %%w1 = "tosa.const"() <{values = dense<%s> : tensor<8x3x3x3xf32>}> : () -> tensor<8x3x3x3xf32>
  %%b1 = "tosa.const"() <{values = dense<%s> : tensor<8xf32>}> : () -> tensor<8xf32>
  %%c1 = tosa.conv2d %%x, %%w1, %%b1, %%zp, %%zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x8x8x3xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x8xf32> loc("conv1")
  %%r1 = tosa.clamp %%c1 {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> loc("relu1")
  %%w2 = "tosa.const"() <{values = dense<%s> : tensor<4x1x1x8xf32>}> : () -> tensor<4x1x1x8xf32>
  %%b2 = "tosa.const"() <{values = dense<%s> : tensor<4xf32>}> : () -> tensor<4xf32>
  %%c2 = tosa.conv2d %%r1, %%w2, %%b2, %%zp, %%zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x8xf32>, tensor<4x1x1x8xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x4xf32> loc("conv2")
  return %%c2 : tensor<1x8x8x4xf32>
}''' % (w1, b1, w2, b2))
# 64 calibration samples, NHWC 8x8x3, float32, .npy v1
n = 64
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, 8, 8, 3), }" % n
pad = 64 - (10 + len(hdr) + 1) % 64
hdr = hdr + " " * pad + "\n"
with open("calib.npy", "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
    f.write(b"".join(struct.pack("<f", random.uniform(-1, 1)) for _ in range(n * 8 * 8 * 3)))
