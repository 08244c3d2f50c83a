// Every ajpq verifier message (C verifier, via --ajpq-verify) and the IRDL
// structural errors, one case each. The verifier stops at the first broken
// rule of an op, so each case breaks exactly one.
// RUN: ajpq-opt --split-input-file --verify-diagnostics --ajpq-verify %s

// IRDL: missing attribute
func.func @irdl_missing_attribute(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute "format" is expected but not provided}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// IRDL: wrong attribute kind
func.func @irdl_wrong_attribute_kind(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{expected base attribute 'builtin.dense_array' but got 'builtin.dense_int_or_fp_elements'}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = dense<[0, 2]> : tensor<2xi32>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// IRDL: operand is not a tensor
func.func @irdl_operand_is_not_a_tensor(%x: memref<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{expected base type 'builtin.tensor' but got 'builtin.memref'}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (memref<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// IRDL: weights of the wrong kind
func.func @irdl_weights_of_the_wrong_kind(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'"bytes"' does not satisfy the constraint}}
  %y = "ajpq.conv2d"(%x) {weights = "bytes", format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// input element type
func.func @input_element_type(%x: tensor<2x4xf16>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op operand 'input': must be a ranked tensor of f32 or i8, got tensor<2x4xf16>}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf16>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// result element type
func.func @result_element_type(%x: tensor<2x4xf32>) -> tensor<2x2xi8> {
  // expected-error@+1 {{'ajpq.matmul' op result: must be a ranked tensor of f32, got tensor<2x2xi8>}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xi8>
  return %y : tensor<2x2xi8>
}

// -----

// conv input rank
func.func @conv_input_rank(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op operand 'input': must be NHWC (rank 4), got rank 2}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// matmul input rank 0
func.func @matmul_input_rank_0(%x: tensor<f32>) -> tensor<f32> {
  // expected-error@+1 {{'ajpq.matmul' op operand 'input': must have rank >= 1}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<f32>) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

// result rank
func.func @result_rank(%x: tensor<2x4xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op result: rank 1 differs from the input's rank 2}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// format
func.func @format(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'format': unknown packing format 'ajpq.colpacked', expected 'ajpq.rowpacked-lsb'}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.colpacked", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// bits type
func.func @bits_type(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'bits': must be array<i8>}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i32: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// kept type
func.func @kept_type(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'kept': must be array<i32>}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i64: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// scale type
func.func @scale_type(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'scale': must be array<f32>}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f64: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// zero_point type
func.func @zero_point_type(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'zero_point': must be array<f32>}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<i8: 8, 8>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// bias type
func.func @bias_type(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'bias': must be array<f32>}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>, bias = 1.0 : f32} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// kernel type
func.func @kernel_type(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'kernel': must be array<i64>}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i32: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// stride type
func.func @stride_type(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'stride': must be array<i64>}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i32: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// pad type
func.func @pad_type(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'pad': must be array<i64>}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 1>, pad = array<i8: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// dilation type
func.func @dilation_type(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'dilation': must be array<i64>}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<f32: 1.0, 1.0>, groups = 1 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// orig_channels type
func.func @orig_channels_type(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'orig_channels': must be an i64 integer}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i32, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// groups type
func.func @groups_type(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'groups': must be an i64 integer}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : index} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// bits empty
func.func @bits_empty(%x: tensor<2x4xf32>) -> tensor<2x0xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'bits': must not be empty (an op whose channels are all erased must be removed)}}
  %y = "ajpq.matmul"(%x) {weights = dense<> : tensor<0xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8>, kept = array<i32>, orig_channels = 3 : i64, scale = array<f32>, zero_point = array<f32>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x0xf32>
  return %y : tensor<2x0xf32>
}

// -----

// kept length
func.func @kept_length(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'kept': has 1 elements, expected 2 (one per kept channel, as 'bits')}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// scale length
func.func @scale_length(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'scale': has 3 elements, expected 2 (one per kept channel, as 'bits')}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25, 1.0>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// zero_point length
func.func @zero_point_length(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'zero_point': has 1 elements, expected 2 (one per kept channel, as 'bits')}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// bias length
func.func @bias_length(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'bias': has 1 elements, expected 2 (one per kept channel, as 'bits')}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>, bias = array<f32: 1.0>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// conv kernel length
func.func @conv_kernel_length(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'kernel': has 2 elements, expected 3 (KH, KW, CinPerGroup)}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// matmul kernel length
func.func @matmul_kernel_length(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'kernel': has 2 elements, expected 1 (K)}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// stride length
func.func @stride_length(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'stride': has 1 elements, expected 2 (sh, sw)}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// pad length
func.func @pad_length(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'pad': has 2 elements, expected 4 (top, bottom, left, right)}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// dilation length
func.func @dilation_length(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'dilation': has 3 elements, expected 2 (dh, dw)}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1, 1>, groups = 1 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// result channels
func.func @result_channels(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{'ajpq.matmul' op result: channel dimension is 3, expected N_kept = 2 (length of 'bits')}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// orig_channels value
func.func @orig_channels_value(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'orig_channels': 0 must be >= 1}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 0 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// bits zero
func.func @bits_zero(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'bits': bits[1]=0 is not in 1..8 (0-bit channels must be erased)}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2]> : tensor<2xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 0>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// bits nine
func.func @bits_nine(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'bits': bits[0]=9 is not in 1..8 (0-bit channels must be erased)}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 9, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// kept range
func.func @kept_range(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'kept': kept[1]=3 is outside [0, orig_channels=3)}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 3>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// kept negative
func.func @kept_negative(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'kept': kept[0]=-1 is outside [0, orig_channels=3)}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: -1, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// kept order
func.func @kept_order(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'kept': indices must be strictly increasing (kept[1]=1 after kept[0]=2)}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 2, 1>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// kept duplicate
func.func @kept_duplicate(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'kept': indices must be strictly increasing (kept[1]=2 after kept[0]=2)}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 2, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// scale zero
func.func @scale_zero(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'scale': scale[1]=0 must be finite and > 0}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.0>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// scale negative
func.func @scale_negative(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'scale': scale[0]=-0.5 must be finite and > 0}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: -0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// scale inf
func.func @scale_inf(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'scale': scale[0]=inf must be finite and > 0}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0x7F800000, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// zero_point fraction
func.func @zero_point_fraction(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'zero_point': zero_point[1]=7.25 must be a multiple of 0.5 in [0, 2^bits - 1 = 15]}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 7.25>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// zero_point range
func.func @zero_point_range(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'zero_point': zero_point[0]=16 must be a multiple of 0.5 in [0, 2^bits - 1 = 15]}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 16.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// bias nan
func.func @bias_nan(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'bias': bias[1]=nan must be finite}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>, bias = array<f32: 0.0, 0x7FC00000>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// kernel value
func.func @kernel_value(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'kernel': kernel[0]=0 must be in [1, 2^20]}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 0>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// stride value
func.func @stride_value(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'stride': stride[1]=0 must be >= 1}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 0>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// pad value
func.func @pad_value(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'pad': pad[1]=-1 must be in [0, 2^20]}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, -1, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// dilation value
func.func @dilation_value(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'dilation': dilation[0]=0 must be in [1, 2^20]}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 0, 1>, groups = 1 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// groups value
func.func @groups_value(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'groups': 0 must be >= 1}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 0 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// groups N_kept
func.func @groups_n_kept(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x3xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'groups': N_kept=3 is not a multiple of groups=2}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4, 4>, kept = array<i32: 0, 1, 2>, orig_channels = 4 : i64, scale = array<f32: 1.0, 1.0, 1.0>, zero_point = array<f32: 8.0, 8.0, 8.0>, kernel = array<i64: 2, 2, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 2 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x3xf32>
  return %y : tensor<1x3x3x3xf32>
}

// -----

// groups orig
func.func @groups_orig(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'groups': orig_channels=3 is not a multiple of groups=2}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 2 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// groups kept
func.func @groups_kept(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'kept': kept[1]=1 lies in original group 0 but result channel 1 is in group 1}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 4 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 2 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// conv Ci
func.func @conv_ci(%x: tensor<1x4x4x3xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op operand 'input': channel dimension Ci=3 != groups (1) * CinPerGroup (2)}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x4x3xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// conv window
func.func @conv_window(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'kernel': the dilated window (5) does not fit the padded input (4)}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 4, 1>, groups = 1 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// conv OH
func.func @conv_oh(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op result: OH is 4, expected 3 from input, kernel, stride, pad and dilation}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x4x3x2xf32>
  return %y : tensor<1x4x3x2xf32>
}

// -----

// conv OW
func.func @conv_ow(%x: tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op result: OW is 3, expected 2 from input, kernel, stride, pad and dilation}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 2>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x4x2xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// conv batch
func.func @conv_batch(%x: tensor<1x4x4x2xf32>) -> tensor<2x3x3x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op result: batch dimension differs from the input's}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 2, 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x4x4x2xf32>) -> tensor<2x3x3x2xf32>
  return %y : tensor<2x3x3x2xf32>
}

// -----

// matmul K
func.func @matmul_k(%x: tensor<2x5xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op operand 'input': last dimension is 5, expected K=4 (attribute 'kernel')}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x5xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// matmul leading dim
func.func @matmul_leading_dim(%x: tensor<2x4xf32>) -> tensor<3x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op result: dimension 0 differs from the input's}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// packed size overflow
func.func @packed_size_overflow(%x: tensor<?x?x?x?xf32>) -> tensor<?x?x?x2xf32> {
  // expected-error@+1 {{'ajpq.conv2d' op attribute 'kernel': K=1152921504606846976 is too large (packed size overflows)}}
  %y = "ajpq.conv2d"(%x) {weights = dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 8, 8>, kept = array<i32: 0, 1>, orig_channels = 2 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 1048576, 1048576, 1048576>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x?x?x?xf32>) -> tensor<?x?x?x2xf32>
  return %y : tensor<?x?x?x2xf32>
}

// -----

// input_scale missing
func.func @input_scale_missing(%x: tensor<2x4xi8>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op requires attribute 'input_scale' (f32)}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>, input_zero_point = 0 : i32} : (tensor<2x4xi8>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// input_scale type
func.func @input_scale_type(%x: tensor<2x4xi8>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'input_scale': must be an f32 float}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>, input_scale = 0.5 : f64, input_zero_point = 0 : i32} : (tensor<2x4xi8>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// input_scale value
func.func @input_scale_value(%x: tensor<2x4xi8>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'input_scale': 0 must be finite and > 0}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>, input_scale = 0.0 : f32, input_zero_point = 0 : i32} : (tensor<2x4xi8>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// input_zero_point missing
func.func @input_zero_point_missing(%x: tensor<2x4xi8>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op requires attribute 'input_zero_point' (i32)}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>, input_scale = 0.5 : f32} : (tensor<2x4xi8>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// input_zero_point type
func.func @input_zero_point_type(%x: tensor<2x4xi8>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'input_zero_point': must be an i32 integer}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>, input_scale = 0.5 : f32, input_zero_point = 0 : i8} : (tensor<2x4xi8>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// input_zero_point range
func.func @input_zero_point_range(%x: tensor<2x4xi8>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'input_zero_point': 200 is outside the 8-bit range [-128, 127]}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>, input_scale = 0.5 : f32, input_zero_point = 200 : i32} : (tensor<2x4xi8>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// input_scale with f32 input
func.func @input_scale_with_f32_input(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'input_scale': only allowed when the input is i8}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>, input_scale = 0.5 : f32, input_zero_point = 0 : i32} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// input_zero_point with f32 input
func.func @input_zero_point_with_f32_input(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'input_zero_point': only allowed when the input is i8}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>, input_zero_point = 0 : i32} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// weights type
func.func @weights_type(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'weights': must be a tensor<Nxi8>, got tensor<4xi32>}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi32>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// weights rank
func.func @weights_rank(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'weights': must be a tensor<Nxi8>, got tensor<2x2xi8>}}
  %y = "ajpq.matmul"(%x) {weights = dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// weights size
func.func @weights_size(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'weights': holds 3 bytes, but bits and K=4 need 4 (sum of ceil(K*bits/8))}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3]> : tensor<3xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// weights size odd K
func.func @weights_size_odd_k(%x: tensor<2x5xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'weights': holds 4 bytes, but bits and K=5 need 3 (sum of ceil(K*bits/8))}}
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 3, 1>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 4.0, 0.5>, kernel = array<i64: 5>} : (tensor<2x5xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// weights missing blob
func.func @weights_missing_blob(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.matmul' op attribute 'weights': dense_resource blob is missing or not 4 bytes}}
  %y = "ajpq.matmul"(%x) {weights = dense_resource<absent> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// IRDL: quantize scale kind
func.func @irdl_quantize_scale_kind(%x: tensor<2x3xf32>) -> tensor<2x3xi8> {
  // expected-error@+1 {{expected base attribute 'builtin.float' but got 'builtin.dense_array'}}
  %y = "ajpq.quantize"(%x) {scale = array<f32: 0.5>, zero_point = 0 : i32, bits = 8 : i32} : (tensor<2x3xf32>) -> tensor<2x3xi8>
  return %y : tensor<2x3xi8>
}

// -----

// quantize input
func.func @quantize_input(%x: tensor<2x3xi8>) -> tensor<2x3xi8> {
  // expected-error@+1 {{'ajpq.quantize' op operand 'input': must be a ranked tensor of f32, got tensor<2x3xi8>}}
  %y = "ajpq.quantize"(%x) {scale = 0.5 : f32, zero_point = 0 : i32, bits = 8 : i32} : (tensor<2x3xi8>) -> tensor<2x3xi8>
  return %y : tensor<2x3xi8>
}

// -----

// quantize result
func.func @quantize_result(%x: tensor<2x3xf32>) -> tensor<2x3xi32> {
  // expected-error@+1 {{'ajpq.quantize' op result: must be a ranked tensor of i8, got tensor<2x3xi32>}}
  %y = "ajpq.quantize"(%x) {scale = 0.5 : f32, zero_point = 0 : i32, bits = 8 : i32} : (tensor<2x3xf32>) -> tensor<2x3xi32>
  return %y : tensor<2x3xi32>
}

// -----

// quantize shape
func.func @quantize_shape(%x: tensor<2x3xf32>) -> tensor<3x2xi8> {
  // expected-error@+1 {{'ajpq.quantize' op result: shape must equal the input's}}
  %y = "ajpq.quantize"(%x) {scale = 0.5 : f32, zero_point = 0 : i32, bits = 8 : i32} : (tensor<2x3xf32>) -> tensor<3x2xi8>
  return %y : tensor<3x2xi8>
}

// -----

// quantize bits type
func.func @quantize_bits_type(%x: tensor<2x3xf32>) -> tensor<2x3xi8> {
  // expected-error@+1 {{'ajpq.quantize' op attribute 'bits': must be an i32 integer}}
  %y = "ajpq.quantize"(%x) {scale = 0.5 : f32, zero_point = 0 : i32, bits = 8 : i64} : (tensor<2x3xf32>) -> tensor<2x3xi8>
  return %y : tensor<2x3xi8>
}

// -----

// quantize bits range
func.func @quantize_bits_range(%x: tensor<2x3xf32>) -> tensor<2x3xi8> {
  // expected-error@+1 {{'ajpq.quantize' op attribute 'bits': 1 is not in 2..8}}
  %y = "ajpq.quantize"(%x) {scale = 0.5 : f32, zero_point = 0 : i32, bits = 1 : i32} : (tensor<2x3xf32>) -> tensor<2x3xi8>
  return %y : tensor<2x3xi8>
}

// -----

// quantize scale type
func.func @quantize_scale_type(%x: tensor<2x3xf32>) -> tensor<2x3xi8> {
  // expected-error@+1 {{'ajpq.quantize' op attribute 'scale': must be an f32 float}}
  %y = "ajpq.quantize"(%x) {scale = 0.5 : f16, zero_point = 0 : i32, bits = 8 : i32} : (tensor<2x3xf32>) -> tensor<2x3xi8>
  return %y : tensor<2x3xi8>
}

// -----

// quantize scale value
func.func @quantize_scale_value(%x: tensor<2x3xf32>) -> tensor<2x3xi8> {
  // expected-error@+1 {{'ajpq.quantize' op attribute 'scale': -1 must be finite and > 0}}
  %y = "ajpq.quantize"(%x) {scale = -1.0 : f32, zero_point = 0 : i32, bits = 8 : i32} : (tensor<2x3xf32>) -> tensor<2x3xi8>
  return %y : tensor<2x3xi8>
}

// -----

// quantize zero_point type
func.func @quantize_zero_point_type(%x: tensor<2x3xf32>) -> tensor<2x3xi8> {
  // expected-error@+1 {{'ajpq.quantize' op attribute 'zero_point': must be an i32 integer}}
  %y = "ajpq.quantize"(%x) {scale = 0.5 : f32, zero_point = 0 : i64, bits = 8 : i32} : (tensor<2x3xf32>) -> tensor<2x3xi8>
  return %y : tensor<2x3xi8>
}

// -----

// quantize zero_point range
func.func @quantize_zero_point_range(%x: tensor<2x3xf32>) -> tensor<2x3xi8> {
  // expected-error@+1 {{'ajpq.quantize' op attribute 'zero_point': 8 is outside the 4-bit range [-8, 7]}}
  %y = "ajpq.quantize"(%x) {scale = 0.5 : f32, zero_point = 8 : i32, bits = 4 : i32} : (tensor<2x3xf32>) -> tensor<2x3xi8>
  return %y : tensor<2x3xi8>
}

// -----

// dequantize input
func.func @dequantize_input(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{'ajpq.dequantize' op operand 'input': must be a ranked tensor of i8, got tensor<2x3xf32>}}
  %y = "ajpq.dequantize"(%x) {scale = 0.5 : f32, zero_point = 0 : i32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// dequantize result
func.func @dequantize_result(%x: tensor<2x3xi8>) -> tensor<2x3xf16> {
  // expected-error@+1 {{'ajpq.dequantize' op result: must be a ranked tensor of f32, got tensor<2x3xf16>}}
  %y = "ajpq.dequantize"(%x) {scale = 0.5 : f32, zero_point = 0 : i32} : (tensor<2x3xi8>) -> tensor<2x3xf16>
  return %y : tensor<2x3xf16>
}

// -----

// dequantize zero_point range
func.func @dequantize_zero_point_range(%x: tensor<2x3xi8>) -> tensor<2x3xf32> {
  // expected-error@+1 {{'ajpq.dequantize' op attribute 'zero_point': -129 is outside the 8-bit range [-128, 127]}}
  %y = "ajpq.dequantize"(%x) {scale = 0.5 : f32, zero_point = -129 : i32} : (tensor<2x3xi8>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// IRDL: gather missing indices
func.func @irdl_gather_missing_indices(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.gather' op attribute "indices" is expected but not provided}}
  %y = "ajpq.gather"(%x) {axis = 1 : i64} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// gather input
func.func @gather_input(%x: tensor<2x3xi32>) -> tensor<2x2xi32> {
  // expected-error@+1 {{'ajpq.gather' op operand 'input': must be a ranked tensor of f32 or i8, got tensor<2x3xi32>}}
  %y = "ajpq.gather"(%x) {axis = 1 : i64, indices = array<i32: 0, 2>} : (tensor<2x3xi32>) -> tensor<2x2xi32>
  return %y : tensor<2x2xi32>
}

// -----

// gather result element
func.func @gather_result_element(%x: tensor<2x3xf32>) -> tensor<2x2xi8> {
  // expected-error@+1 {{'ajpq.gather' op result: must be a ranked tensor with the input's element type, got tensor<2x2xi8>}}
  %y = "ajpq.gather"(%x) {axis = 1 : i64, indices = array<i32: 0, 2>} : (tensor<2x3xf32>) -> tensor<2x2xi8>
  return %y : tensor<2x2xi8>
}

// -----

// gather result rank
func.func @gather_result_rank(%x: tensor<2x3xf32>) -> tensor<4xf32> {
  // expected-error@+1 {{'ajpq.gather' op result: rank must equal the input's}}
  %y = "ajpq.gather"(%x) {axis = 1 : i64, indices = array<i32: 0, 2>} : (tensor<2x3xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// gather axis type
func.func @gather_axis_type(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.gather' op attribute 'axis': must be an i64 integer}}
  %y = "ajpq.gather"(%x) {axis = 1 : i32, indices = array<i32: 0, 2>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// gather axis range
func.func @gather_axis_range(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.gather' op attribute 'axis': 2 is outside [0, rank=2)}}
  %y = "ajpq.gather"(%x) {axis = 2 : i64, indices = array<i32: 0, 2>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// gather indices type
func.func @gather_indices_type(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.gather' op attribute 'indices': must be array<i32>}}
  %y = "ajpq.gather"(%x) {axis = 1 : i64, indices = array<i64: 0, 2>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// gather indices range
func.func @gather_indices_range(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  // expected-error@+1 {{'ajpq.gather' op attribute 'indices': indices[1]=3 is outside [0, 3)}}
  %y = "ajpq.gather"(%x) {axis = 1 : i64, indices = array<i32: 0, 3>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// gather result dim
func.func @gather_result_dim(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{'ajpq.gather' op result: dimension 1 is 3, expected 2 (number of indices)}}
  %y = "ajpq.gather"(%x) {axis = 1 : i64, indices = array<i32: 0, 2>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// gather other dim
func.func @gather_other_dim(%x: tensor<2x3xf32>) -> tensor<5x2xf32> {
  // expected-error@+1 {{'ajpq.gather' op result: dimension 0 differs from the input's}}
  %y = "ajpq.gather"(%x) {axis = 1 : i64, indices = array<i32: 0, 2>} : (tensor<2x3xf32>) -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}

// -----

// scatter size type
func.func @scatter_size_type(%x: tensor<2x2xf32>) -> tensor<2x4xf32> {
  // expected-error@+1 {{'ajpq.scatter' op attribute 'size': must be an i64 integer}}
  %y = "ajpq.scatter"(%x) {axis = 1 : i64, indices = array<i32: 0, 2>, size = 4 : i32, fill = array<f32>} : (tensor<2x2xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// scatter fill type
func.func @scatter_fill_type(%x: tensor<2x2xf32>) -> tensor<2x4xf32> {
  // expected-error@+1 {{'ajpq.scatter' op attribute 'fill': must be array<f32>}}
  %y = "ajpq.scatter"(%x) {axis = 1 : i64, indices = array<i32: 0, 2>, size = 4 : i64, fill = array<f64>} : (tensor<2x2xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// scatter size value
func.func @scatter_size_value(%x: tensor<2x2xf32>) -> tensor<2x1xf32> {
  // expected-error@+1 {{'ajpq.scatter' op attribute 'size': 1 must be in [number of indices = 2, 2^31)}}
  %y = "ajpq.scatter"(%x) {axis = 1 : i64, indices = array<i32: 0, 2>, size = 1 : i64, fill = array<f32>} : (tensor<2x2xf32>) -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

// scatter fill length
func.func @scatter_fill_length(%x: tensor<2x2xf32>) -> tensor<2x4xf32> {
  // expected-error@+1 {{'ajpq.scatter' op attribute 'fill': has 2 elements, expected 0 or size=4}}
  %y = "ajpq.scatter"(%x) {axis = 1 : i64, indices = array<i32: 0, 2>, size = 4 : i64, fill = array<f32: 1.0, 2.0>} : (tensor<2x2xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// scatter indices range
func.func @scatter_indices_range(%x: tensor<2x2xf32>) -> tensor<2x4xf32> {
  // expected-error@+1 {{'ajpq.scatter' op attribute 'indices': indices[1]=4 is outside [0, 4)}}
  %y = "ajpq.scatter"(%x) {axis = 1 : i64, indices = array<i32: 0, 4>, size = 4 : i64, fill = array<f32>} : (tensor<2x2xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// scatter indices order
func.func @scatter_indices_order(%x: tensor<2x2xf32>) -> tensor<2x4xf32> {
  // expected-error@+1 {{'ajpq.scatter' op attribute 'indices': must be strictly increasing (indices[1]=0 after indices[0]=2)}}
  %y = "ajpq.scatter"(%x) {axis = 1 : i64, indices = array<i32: 2, 0>, size = 4 : i64, fill = array<f32>} : (tensor<2x2xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// scatter fill nan
func.func @scatter_fill_nan(%x: tensor<2x2xf32>) -> tensor<2x4xf32> {
  // expected-error@+1 {{'ajpq.scatter' op attribute 'fill': fill[1]=nan must be finite}}
  %y = "ajpq.scatter"(%x) {axis = 1 : i64, indices = array<i32: 0, 2>, size = 4 : i64, fill = array<f32: 0.0, 0x7FC00000, 0.0, 0.0>} : (tensor<2x2xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// scatter fill i8
func.func @scatter_fill_i8(%x: tensor<2x2xi8>) -> tensor<2x4xi8> {
  // expected-error@+1 {{'ajpq.scatter' op attribute 'fill': fill[1]=0.5 must be finite and an integer in [-128, 127] for i8 tensors}}
  %y = "ajpq.scatter"(%x) {axis = 1 : i64, indices = array<i32: 0, 2>, size = 4 : i64, fill = array<f32: 0.0, 0.5, 0.0, 0.0>} : (tensor<2x2xi8>) -> tensor<2x4xi8>
  return %y : tensor<2x4xi8>
}

// -----

// scatter input dim
func.func @scatter_input_dim(%x: tensor<2x3xf32>) -> tensor<2x4xf32> {
  // expected-error@+1 {{'ajpq.scatter' op operand 'input': dimension 1 is 3, expected 2 (number of indices)}}
  %y = "ajpq.scatter"(%x) {axis = 1 : i64, indices = array<i32: 0, 2>, size = 4 : i64, fill = array<f32>} : (tensor<2x3xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// scatter result dim
func.func @scatter_result_dim(%x: tensor<2x2xf32>) -> tensor<2x5xf32> {
  // expected-error@+1 {{'ajpq.scatter' op result: dimension 1 is 5, expected 4 (attribute 'size')}}
  %y = "ajpq.scatter"(%x) {axis = 1 : i64, indices = array<i32: 0, 2>, size = 4 : i64, fill = array<f32>} : (tensor<2x2xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}
