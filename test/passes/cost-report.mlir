// ajpq-cost-report on an fp32 TOSA model: every weight and activation is
// 32-bit float. Hand-computed: c1 is 3x3x3 -> 4 on 8x8: 4*64*27 = 6912 MACs,
// BitOPs 6912*32*32 = 7077888, bytes (108 weights + 4 biases)*4 = 448; c2 is
// 1x1x4 -> 2: 2*64*4 = 512 MACs, 524288 BitOPs, (8+2)*4 = 40 bytes.
// RUN: ajpq-opt %s --ajpq-cost-report="json=%t.json" -o %t.mlir 2>&1 | FileCheck %s --check-prefix=TABLE
// RUN: %python %S/Inputs/json_lines.py %t.json | FileCheck %s --check-prefix=JSON
// The IR is unchanged.
// RUN: ajpq-opt %s -o %t.orig.mlir
// RUN: diff %t.mlir %t.orig.mlir
// TABLE: layer kind cin cout kept erased avg-bits act MACs BitOPs weight-bytes
// TABLE-NEXT: c1 conv 3 4 4 0 32.000 32 6912 7077888 448
// TABLE-NEXT: c2 conv 4 2 2 0 32.000 32 512 524288 40
// TABLE-NEXT: total 6 0 32.000 7424 7602176 488
// JSON: "total": {"weight_bytes": 488, "macs": 7424, "bitops": 7602176, "kept_channels": 6, "erased_channels": 0, "avg_bits": 32, "layers": 2}
// JSON: {"name": "c1", "op": "tosa.conv2d", "kind": "conv", "cin": 3, "cout": 4, "kept": 4, "erased": 0, "avg_bits": 32, "act_bits": 32, "macs": 6912, "bitops": 7077888, "weight_bytes": 448}
// JSON-NEXT: {"name": "c2", "op": "tosa.conv2d", "kind": "conv", "cin": 4, "cout": 2, "kept": 2, "erased": 0, "avg_bits": 32, "act_bits": 32, "macs": 512, "bitops": 524288, "weight_bytes": 40}

func.func @main(%x: tensor<1x8x8x3xf32>) -> tensor<1x8x8x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]], [[[2.0, 2.0, 2.0], [2.0, 2.0, 2.0], [2.0, 2.0, 2.0]], [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0], [2.0, 2.0, 2.0]], [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]], [[[3.0, 3.0, 3.0], [3.0, 3.0, 3.0], [3.0, 3.0, 3.0]], [[3.0, 3.0, 3.0], [3.0, 3.0, 3.0], [3.0, 3.0, 3.0]], [[3.0, 3.0, 3.0], [3.0, 3.0, 3.0], [3.0, 3.0, 3.0]]], [[[-4.0, 4.0, 4.0], [4.0, 4.0, 4.0], [4.0, 4.0, 4.0]], [[4.0, 4.0, 4.0], [4.0, 4.0, 4.0], [4.0, 4.0, 4.0]], [[4.0, 4.0, 4.0], [4.0, 4.0, 4.0], [4.0, 4.0, 4.0]]]]> : tensor<4x3x3x3xf32>} : () -> tensor<4x3x3x3xf32>
  %b = "tosa.const"() {values = dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>} : () -> tensor<4xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x4xf32> loc("c1")
  %r = tosa.clamp %y {min_val = 0.0 : f32, max_val = 3.4028235e38 : f32} : (tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %w2 = "tosa.const"() {values = dense<[[[[1.0, 2.0, 3.0, 4.0]]], [[[-5.0, 6.0, 7.0, 8.0]]]]> : tensor<2x1x1x4xf32>} : () -> tensor<2x1x1x4xf32>
  %b2 = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %z = tosa.conv2d %r, %w2, %b2, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x2xf32> loc("c2")
  return %z : tensor<1x8x8x2xf32>
}

