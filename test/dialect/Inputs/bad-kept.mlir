// An ajpq.matmul whose kept indices are out of order (used by verify-pass.mlir).
func.func @bad(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // The op below is structurally valid (IRDL) but breaks a C verifier rule.
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 2, 1>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
