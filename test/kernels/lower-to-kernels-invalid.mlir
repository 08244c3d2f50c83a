// Errors of ajpq-lower-to-kernels are diagnostics at the op, never crashes.
// RUN: ajpq-opt --ajpq-lower-to-kernels --verify-diagnostics --split-input-file %s

func.func @dynamic_batch(%x: tensor<?x16xi8>) -> tensor<?x2xf32> {
  // expected-error@+1 {{ajpq-lower-to-kernels: needs a statically shaped ranked tensor (rank <= 16) as the op's input}}
  %y = "ajpq.matmul"(%x) {weights = dense<1> : tensor<16xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 1.0, 1.0>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 16>, input_scale = 1.0 : f32, input_zero_point = 0 : i32} : (tensor<?x16xi8>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

func.func @dynamic_result(%x: tensor<1x16xi8>) -> tensor<1x2xf32> {
  // expected-error@+1 {{ajpq-lower-to-kernels: needs a statically shaped ranked tensor (rank <= 16) as the op's result}}
  %y = "ajpq.matmul"(%x) {weights = dense<1> : tensor<16xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 1.0, 1.0>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 16>, input_scale = 1.0 : f32, input_zero_point = 0 : i32} : (tensor<1x16xi8>) -> tensor<?x2xf32>
  %c = tensor.cast %y : tensor<?x2xf32> to tensor<1x2xf32>
  return %c : tensor<1x2xf32>
}
