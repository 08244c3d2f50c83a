// linalg named convolutions / matmuls are not compressible yet (docs/search.md
// "Known limits"): with no TOSA layer the pass says so at the first linalg
// op's location, naming it (not "no compressible layer"), exit 1; next to
// TOSA layers each one gets a warning at its location and stays in float.
// RUN: split-file %s %t
// RUN: not ajpq-opt %t/only.mlir --joint-compress="target-size-ratio=0.5 calibration=data=%t/none.npy" 2>&1 | FileCheck %s --check-prefix=ONLY
// ONLY: error: loc("conv_a"): joint-compress: 'linalg.conv_2d_nhwc_hwcf' is not supported yet: only the TOSA layer forms are compressible (tosa.conv2d, tosa.depthwise_conv2d, tosa.matmul with constant weights, as ajpq-translate --import-onnx emits them); the function has 3 linalg convolution/matmul op(s) and no compressible layer
// RUN: not ajpq-opt %t/only.mlir --ajpq-apply-strategy="strategy=%t/none.json act-bits=32" 2>&1 | FileCheck %s --check-prefix=APPLY
// APPLY: error: loc("conv_a"): ajpq-apply-strategy: 'linalg.conv_2d_nhwc_hwcf' is not supported yet
// RUN: ajpq-opt %t/mixed.mlir --ajpq-apply-strategy="strategy=%t/mixed.json act-bits=32" -o %t/mixed.out.mlir 2>&1 | FileCheck %s --check-prefix=MIXED
// MIXED: loc("fc_linalg"): warning: ajpq-apply-strategy: 'linalg.matmul' is not compressed (linalg named convolutions and matmuls are not supported yet; it stays in float)
// RUN: FileCheck %s --check-prefix=MIXEDIR < %t/mixed.out.mlir
// MIXEDIR: "ajpq.conv2d"
// MIXEDIR: linalg.matmul

//--- only.mlir
func.func @main(%x: tensor<1x6x6x3xf32>) -> tensor<1x4x4x4xf32> {
  %w = arith.constant dense<1.0> : tensor<3x3x3x4xf32>
  %init = tensor.empty() : tensor<1x4x4x4xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x6x6x3xf32>, tensor<3x3x3x4xf32>) outs(%init : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> loc("conv_a")
  %wd = arith.constant dense<0.5> : tensor<3x3x4xf32>
  %i2 = tensor.empty() : tensor<1x2x2x4xf32>
  %d = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%y, %wd : tensor<1x4x4x4xf32>, tensor<3x3x4xf32>) outs(%i2 : tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32> loc("dw_b")
  %a = arith.constant dense<1.0> : tensor<4x4xf32>
  %b = arith.constant dense<1.0> : tensor<4x4xf32>
  %i3 = tensor.empty() : tensor<4x4xf32>
  %m = linalg.matmul ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%i3 : tensor<4x4xf32>) -> tensor<4x4xf32> loc("mm_c")
  return %y : tensor<1x4x4x4xf32>
}
//--- none.json
{"version": 1, "layers": []}
//--- mixed.mlir
func.func @main(%x: tensor<1x4x4x3xf32>) -> (tensor<1x4x4x2xf32>, tensor<4x4xf32>) {
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1_w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x3xf32>} : () -> tensor<2x1x1x3xf32>
  %c1_b = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %c1 = tosa.conv2d %x, %c1_w, %c1_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("c1")
  %a = arith.constant dense<1.0> : tensor<4x4xf32>
  %b = arith.constant dense<1.0> : tensor<4x4xf32>
  %i3 = tensor.empty() : tensor<4x4xf32>
  %m = linalg.matmul ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%i3 : tensor<4x4xf32>) -> tensor<4x4xf32> loc("fc_linalg")
  return %c1, %m : tensor<1x4x4x2xf32>, tensor<4x4xf32>
}
//--- mixed.json
{"version": 1, "layers": [{"name": "c1", "bits": [8, 4]}]}
