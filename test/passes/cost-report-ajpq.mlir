// ajpq-cost-report on ajpq-dialect layers: bits, kept channels and the
// input type as stored. Hand-computed:
//  conv_f32: 3x3x2 kernel (K = 18), 2 of 4 kept at 4 and 2 bits, f32 input,
//    5x5 output: MACs 25*18*2 = 900, BitOPs 25*18*(4+2)*32 = 86400, bytes
//    ceil(72/8) + ceil(36/8) = 14 packed + 2*5 metadata (scale + bit code;
//    zero points 8 and 2 are the symmetric 2^(b-1), implied) + 2*4 bias +
//    ceil(4/8) = 1 bitmask = 33,
//    average bits 18*6 / (4*18) = 1.5.
//  dw_i8: depthwise 3x3, 3 channels at 1, 3, 8 bits, int8 input, 3x3
//    output: MACs 9*9*3 = 243, BitOPs 9*9*(1+3+8)*8 = 7776, bytes
//    2 + 4 + 9 = 15 packed + 3*(5 + 4) = 27 metadata (zero point 100 at 8 bits
//    is not 128: asymmetric, zero points stored) + ceil(3/8) = 1 bitmask = 43.
// RUN: ajpq-opt %s --ajpq-cost-report="json=%t.json" -o /dev/null 2>&1 | FileCheck %s
// RUN: %python %S/Inputs/json_lines.py %t.json | FileCheck %s --check-prefix=JSON
// CHECK: conv_f32 conv 2 4 2 2 1.500 32 900 86400 33
// CHECK-NEXT: dw_i8 depthwise 3 3 3 0 4.000 8 243 7776 43
// CHECK-NEXT: total 5 2 {{[0-9.]+}} 1143 94176 76
// JSON: "total": {"weight_bytes": 76, "macs": 1143, "bitops": 94176, "kept_channels": 5, "erased_channels": 2,
module {
func.func @main(%x: tensor<1x5x5x2xf32>, %x8: tensor<1x6x6x3xi8>) -> (tensor<1x5x5x2xf32>, tensor<1x3x3x3xf32>) {
  %y = "ajpq.conv2d"(%x) {weights = dense<[-127, -90, -53, -16, 21, 58, 95, -124, -87, -50, -13, 24, 61, 98]> : tensor<14xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 2>, kept = array<i32: 0, 3>, orig_channels = 4 : i64, scale = array<f32: 0.125, 2.0>, zero_point = array<f32: 8.0, 2.0>, bias = array<f32: 0.5, -0.25>, kernel = array<i64: 3, 3, 2>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x5x5x2xf32>) -> tensor<1x5x5x2xf32> loc("conv_f32")
  %z = "ajpq.conv2d"(%x8) {weights = dense<[-123, -86, -49, -12, 25, 62, 99, -120, -83, -46, -9, 28, 65, 102, -117]> : tensor<15xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 1, 3, 8>, kept = array<i32: 0, 1, 2>, orig_channels = 3 : i64, scale = array<f32: 1.0, 0.5, 0.00390625>, zero_point = array<f32: 0.5, 4.0, 100.0>, kernel = array<i64: 3, 3, 1>, stride = array<i64: 2, 2>, pad = array<i64: 0, 1, 0, 1>, dilation = array<i64: 1, 1>, groups = 3 : i64, input_scale = 0.03125 : f32, input_zero_point = -5 : i32} : (tensor<1x6x6x3xi8>) -> tensor<1x3x3x3xf32> loc("dw_i8")
  return %y, %z : tensor<1x5x5x2xf32>, tensor<1x3x3x3xf32>
}
}
