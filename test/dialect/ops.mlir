// Round trip of every ajpq op and attribute form: parse → print (generic
// form, IRDL has no custom syntax) → re-parse → print, and the C verifier
// accepts all of it.
// RUN: ajpq-opt %s | FileCheck %s
// RUN: ajpq-opt %s | ajpq-opt | FileCheck %s
// RUN: ajpq-opt --ajpq-verify %s | FileCheck %s
// Upstream mlir-opt reads the same IRDL file and prints the same IR.
// RUN: mlir-opt --irdl-file=%ajpq_src/dialect/ajpq.irdl.mlir %s | FileCheck %s

// One explicit module: the resource section must follow a single top-level op.
module {

// Standard conv, f32 input, bias, 4-bit and 2-bit symmetric channels; 2 of 4 kept.
// CHECK-LABEL: func.func @conv_f32
// CHECK: "ajpq.conv2d"(%{{.*}}) {bias = array<f32: 5.000000e-01, -2.500000e-01>, bits = array<i8: 4, 2>, dilation = array<i64: 1, 1>, format = "ajpq.rowpacked-lsb", groups = 1 : i64, kept = array<i32: 0, 3>, kernel = array<i64: 3, 3, 2>, orig_channels = 4 : i64, pad = array<i64: 1, 1, 1, 1>, scale = array<f32: 1.250000e-01, 2.000000e+00>, stride = array<i64: 1, 1>, weights = dense<{{\[}}-77, 21, -1, 81, 59, -99, 119, -39, -77, -11, -11, -11, -11, 5{{\]}}> : tensor<14xi8>, zero_point = array<f32: 8.000000e+00, 2.000000e+00>} : (tensor<1x5x5x2xf32>) -> tensor<1x5x5x2xf32>
func.func @conv_f32(%x: tensor<1x5x5x2xf32>) -> tensor<1x5x5x2xf32> {
  %y = "ajpq.conv2d"(%x) {weights = dense<[-77, 21, -1, 81, 59, -99, 119, -39, -77, -11, -11, -11, -11, 5]> : tensor<14xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 2>, kept = array<i32: 0, 3>, orig_channels = 4 : i64, scale = array<f32: 0.125, 2.0>, zero_point = array<f32: 8.0, 2.0>, bias = array<f32: 0.5, -0.25>, kernel = array<i64: 3, 3, 2>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x5x5x2xf32>) -> tensor<1x5x5x2xf32>
  return %y : tensor<1x5x5x2xf32>
}

// Depthwise conv, int8 input (input_scale / input_zero_point), stride 2,
// asymmetric padding; 1-bit (z = 0.5), 3-bit and asymmetric 8-bit channels.
// CHECK-LABEL: func.func @conv_depthwise_i8
// CHECK: "ajpq.conv2d"(%{{.*}}) {bits = array<i8: 1, 3, 8>, dilation = array<i64: 1, 1>, format = "ajpq.rowpacked-lsb", groups = 3 : i64, input_scale = 3.125000e-02 : f32, input_zero_point = -5 : i32, kept = array<i32: 0, 1, 2>, kernel = array<i64: 3, 3, 1>, orig_channels = 3 : i64, pad = array<i64: 0, 1, 0, 1>, scale = array<f32: 1.000000e+00, 5.000000e-01, 3.906250e-03>, stride = array<i64: 2, 2>, weights = dense<{{\[}}-1, 1, 38, 45, 64, 6, -125, -103, -79, -53, -25, 5, 37, 71, 107{{\]}}> : tensor<15xi8>, zero_point = array<f32: 5.000000e-01, 4.000000e+00, 1.000000e+02>} : (tensor<1x6x6x3xi8>) -> tensor<1x3x3x3xf32>
func.func @conv_depthwise_i8(%x: tensor<1x6x6x3xi8>) -> tensor<1x3x3x3xf32> {
  %y = "ajpq.conv2d"(%x) {weights = dense<[-1, 1, 38, 45, 64, 6, -125, -103, -79, -53, -25, 5, 37, 71, 107]> : tensor<15xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 1, 3, 8>, kept = array<i32: 0, 1, 2>, orig_channels = 3 : i64, scale = array<f32: 1.0, 0.5, 0.00390625>, zero_point = array<f32: 0.5, 4.0, 100.0>, kernel = array<i64: 3, 3, 1>, stride = array<i64: 2, 2>, pad = array<i64: 0, 1, 0, 1>, dilation = array<i64: 1, 1>, groups = 3 : i64, input_scale = 0.03125 : f32, input_zero_point = -5 : i32} : (tensor<1x6x6x3xi8>) -> tensor<1x3x3x3xf32>
  return %y : tensor<1x3x3x3xf32>
}

// Grouped conv (2 groups, one kept channel each), dilation 2, weights as a
// dense_resource blob; dynamic batch.
// CHECK-LABEL: func.func @conv_grouped_resource
// CHECK: "ajpq.conv2d"(%{{.*}}) {bits = array<i8: 3, 5>, dilation = array<i64: 2, 2>, format = "ajpq.rowpacked-lsb", groups = 2 : i64, kept = array<i32: 1, 3>, kernel = array<i64: 3, 3, 2>, orig_channels = 4 : i64, pad = array<i64: 0, 0, 0, 0>, scale = array<f32: 2.500000e-01, 7.500000e-01>, stride = array<i64: 1, 1>, weights = dense_resource<w_grouped> : tensor<19xi8>, zero_point = array<f32: 4.000000e+00, 1.600000e+01>} : (tensor<?x7x7x4xf32>) -> tensor<?x3x3x2xf32>
func.func @conv_grouped_resource(%x: tensor<?x7x7x4xf32>) -> tensor<?x3x3x2xf32> {
  %y = "ajpq.conv2d"(%x) {weights = dense_resource<w_grouped> : tensor<19xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 3, 5>, kept = array<i32: 1, 3>, orig_channels = 4 : i64, scale = array<f32: 0.25, 0.75>, zero_point = array<f32: 4.0, 16.0>, kernel = array<i64: 3, 3, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 2, 2>, groups = 2 : i64} : (tensor<?x7x7x4xf32>) -> tensor<?x3x3x2xf32>
  return %y : tensor<?x3x3x2xf32>
}

// Fully-connected, f32, bias; a 1-bit and an 8-bit channel; 2 of 10 kept.
// CHECK-LABEL: func.func @matmul_f32
// CHECK: "ajpq.matmul"(%{{.*}}) {bias = array<f32: 1.000000e+00, 0.000000e+00>, bits = array<i8: 1, 8>, format = "ajpq.rowpacked-lsb", kept = array<i32: 2, 7>, kernel = array<i64: 16>, orig_channels = 10 : i64, scale = array<f32: 5.000000e-01, 1.000000e-01>, weights = dense<{{\[}}-1, -1, 37, 87, -117, -63, -7, 51, 111, -83, -19, 47, 115, -71, 1, 75, -105, -27{{\]}}> : tensor<18xi8>, zero_point = array<f32: 5.000000e-01, 1.280000e+02>} : (tensor<4x16xf32>) -> tensor<4x2xf32>
func.func @matmul_f32(%x: tensor<4x16xf32>) -> tensor<4x2xf32> {
  %y = "ajpq.matmul"(%x) {weights = dense<[-1, -1, 37, 87, -117, -63, -7, 51, 111, -83, -19, 47, 115, -71, 1, 75, -105, -27]> : tensor<18xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 1, 8>, kept = array<i32: 2, 7>, orig_channels = 10 : i64, scale = array<f32: 0.5, 0.1>, zero_point = array<f32: 0.5, 128.0>, bias = array<f32: 1.0, 0.0>, kernel = array<i64: 16>} : (tensor<4x16xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// Fully-connected over a rank-3 int8 input, no bias, 2/6/7-bit channels.
// CHECK-LABEL: func.func @matmul_i8
// CHECK: "ajpq.matmul"(%{{.*}}) {bits = array<i8: 2, 6, 7>, format = "ajpq.rowpacked-lsb", input_scale = 1.000000e+00 : f32, input_zero_point = 0 : i32, kept = array<i32: 0, 1, 2>, kernel = array<i64: 12>, orig_channels = 3 : i64, scale = array<f32: 1.000000e+00, 2.000000e+00, 3.000000e+00>, weights = dense<{{\[}}95, 95, 95, -49, 19, 85, -37, -40, -26, -57, -107, -10, -125, 97, 33, -7, -72, -122, -38, -69, 69, 55, 6{{\]}}> : tensor<23xi8>, zero_point = array<f32: 2.000000e+00, 3.200000e+01, 6.400000e+01>} : (tensor<2x3x12xi8>) -> tensor<2x3x3xf32>
func.func @matmul_i8(%x: tensor<2x3x12xi8>) -> tensor<2x3x3xf32> {
  %y = "ajpq.matmul"(%x) {weights = dense<[95, 95, 95, -49, 19, 85, -37, -40, -26, -57, -107, -10, -125, 97, 33, -7, -72, -122, -38, -69, 69, 55, 6]> : tensor<23xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 2, 6, 7>, kept = array<i32: 0, 1, 2>, orig_channels = 3 : i64, scale = array<f32: 1.0, 2.0, 3.0>, zero_point = array<f32: 2.0, 32.0, 64.0>, kernel = array<i64: 12>, input_scale = 1.0 : f32, input_zero_point = 0 : i32} : (tensor<2x3x12xi8>) -> tensor<2x3x3xf32>
  return %y : tensor<2x3x3xf32>
}

// Splat weights (all codes 0: every weight is -z*s) are a valid dense form.
// CHECK-LABEL: func.func @matmul_splat
// CHECK: "ajpq.matmul"(%{{.*}}) {bits = array<i8: 4, 4>, format = "ajpq.rowpacked-lsb", kept = array<i32: 0, 1>, kernel = array<i64: 4>, orig_channels = 2 : i64, scale = array<f32: 1.000000e+00, 1.000000e+00>, weights = dense<0> : tensor<4xi8>, zero_point = array<f32: 8.000000e+00, 8.000000e+00>} : (tensor<1x4xf32>) -> tensor<1x2xf32>
func.func @matmul_splat(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %y = "ajpq.matmul"(%x) {weights = dense<0> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 1.0, 1.0>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<1x4xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// Activation quantize (8-bit and 4-bit) and dequantize.
// CHECK-LABEL: func.func @act
// CHECK: "ajpq.quantize"(%{{.*}}) {bits = 8 : i32, scale = 5.000000e-01 : f32, zero_point = -3 : i32} : (tensor<2x8xf32>) -> tensor<2x8xi8>
// CHECK: "ajpq.quantize"(%{{.*}}) {bits = 4 : i32, scale = 2.500000e-01 : f32, zero_point = 7 : i32} : (tensor<2x8xf32>) -> tensor<2x8xi8>
// CHECK: "ajpq.dequantize"(%{{.*}}) {scale = 5.000000e-01 : f32, zero_point = -3 : i32} : (tensor<2x8xi8>) -> tensor<2x8xf32>
func.func @act(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %q = "ajpq.quantize"(%x) {scale = 0.5 : f32, zero_point = -3 : i32, bits = 8 : i32} : (tensor<2x8xf32>) -> tensor<2x8xi8>
  %q4 = "ajpq.quantize"(%x) {scale = 0.25 : f32, zero_point = 7 : i32, bits = 4 : i32} : (tensor<2x8xf32>) -> tensor<2x8xi8>
  %y = "ajpq.dequantize"(%q) {scale = 0.5 : f32, zero_point = -3 : i32} : (tensor<2x8xi8>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// Channel gather (f32 NHWC and i8 on axis 1) and scatter (with and without fill).
// CHECK-LABEL: func.func @maps
// CHECK: "ajpq.gather"(%{{.*}}) {axis = 3 : i64, indices = array<i32: 0, 2, 3>} : (tensor<1x4x4x5xf32>) -> tensor<1x4x4x3xf32>
// CHECK: "ajpq.scatter"(%{{.*}}) {axis = 3 : i64, fill = array<f32: 0.000000e+00, 1.500000e+00, 0.000000e+00, 0.000000e+00, 2.500000e-01>, indices = array<i32: 0, 2, 3>, size = 5 : i64} : (tensor<1x4x4x3xf32>) -> tensor<1x4x4x5xf32>
// CHECK: "ajpq.scatter"(%{{.*}}) {axis = 3 : i64, fill = array<f32>, indices = array<i32: 1, 4>, size = 6 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x6xf32>
// CHECK: "ajpq.gather"(%{{.*}}) {axis = 1 : i64, indices = array<i32: 1>} : (tensor<2x3xi8>) -> tensor<2x1xi8>
func.func @maps(%x: tensor<1x4x4x5xf32>, %z: tensor<1x4x4x2xf32>, %i: tensor<2x3xi8>) -> (tensor<1x4x4x5xf32>, tensor<1x4x4x6xf32>, tensor<2x1xi8>) {
  %g = "ajpq.gather"(%x) {axis = 3 : i64, indices = array<i32: 0, 2, 3>} : (tensor<1x4x4x5xf32>) -> tensor<1x4x4x3xf32>
  %s = "ajpq.scatter"(%g) {axis = 3 : i64, indices = array<i32: 0, 2, 3>, size = 5 : i64, fill = array<f32: 0.0, 1.5, 0.0, 0.0, 0.25>} : (tensor<1x4x4x3xf32>) -> tensor<1x4x4x5xf32>
  %s2 = "ajpq.scatter"(%z) {axis = 3 : i64, indices = array<i32: 1, 4>, size = 6 : i64, fill = array<f32>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x6xf32>
  %gi = "ajpq.gather"(%i) {axis = 1 : i64, indices = array<i32: 1>} : (tensor<2x3xi8>) -> tensor<2x1xi8>
  return %s, %s2, %gi : tensor<1x4x4x5xf32>, tensor<1x4x4x6xf32>, tensor<2x1xi8>
}

}

// The blob survives the round trip byte for byte.
// CHECK: dialect_resources
// CHECK: w_grouped: "0x010000005FB2B75FB2B71F25BD1BDA5E3D9E9FEB9C3503"
{-#
  dialect_resources: {
    builtin: {
      w_grouped: "0x010000005FB2B75FB2B71F25BD1BDA5E3D9E9FEB9C3503"
    }
  }
#-}
