// Zero-padding concats before a residual add (BlazeFace pads the channels of
// the skip branch with zeros: add(conv, concat(a, zeros))) are absorbed into
// the GEMM epilogue: the kernel reads the 2 real channels of %a and adds the
// masked load's +0.0 pass-through to the padded channel (bit-identical to
// adding the concatenated zeros; test/kernels/jit.test "padded" cases check
// the values). The concat and its constant are erased when nothing else
// reads them; a concat with another user stays (its result is still needed)
// while the kernel reads %a; -0.0 padding is not absorbed (v + -0.0 keeps a
// -0.0 that +0.0 would not).
// RUN: ajpq-opt --ajpq-lower-to-kernels="target-features=+avx512f,+avx512bw,+avx512vnni" %s | FileCheck %s
// RUN: env AJPQ_NO_PAD_CONCAT=1 ajpq-opt --ajpq-lower-to-kernels="target-features=+avx512f,+avx512bw,+avx512vnni" %s | FileCheck %s --check-prefix=OFF

// CHECK-LABEL: func.func @padded
// CHECK-NOT: tosa.concat
// CHECK-NOT: tosa.const
// CHECK: call @{{.*}}) {ajpq.fused = "+add(padded)+clamp", ajpq.kernel = "gemm"{{.*}} : (memref<1x6x6x8xi8>, memref<1x6x6x2xf32>, memref<1x6x6x3xf32>) -> ()
// CHECK-NOT: tosa.concat
// CHECK-LABEL: func.func @padded_shared
// CHECK: tosa.concat
// CHECK: call @{{.*}}) {ajpq.fused = "+add(padded)+clamp", ajpq.kernel = "gemm"{{.*}} : (memref<1x6x6x8xi8>, memref<1x6x6x2xf32>, memref<1x6x6x3xf32>) -> ()
// CHECK-LABEL: func.func @negzero
// CHECK: tosa.concat
// CHECK: call @{{.*}}) {ajpq.fused = "+add+clamp", ajpq.kernel = "gemm"{{.*}} : (memref<1x6x6x8xi8>, memref<1x6x6x3xf32>, memref<1x6x6x3xf32>) -> ()
// OFF-LABEL: func.func @padded
// OFF: tosa.concat
// OFF: ajpq.fused = "+add+clamp"
func.func @padded(%x: tensor<1x6x6x8xi8>, %a: tensor<1x6x6x2xf32>) -> tensor<1x6x6x3xf32> {
  %z = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1x6x6x1xf32>}> : () -> tensor<1x6x6x1xf32>
  %p = tosa.concat %a, %z {axis = 3 : i32} : (tensor<1x6x6x2xf32>, tensor<1x6x6x1xf32>) -> tensor<1x6x6x3xf32>
  %c = "ajpq.conv2d"(%x) {weights = dense<[2, 55, -114, 110, -1, -102, -48, -71, 62, 112, -2, 66, -76, -1, -122, -18, 80, 15, -35, 71, -47, -92, -57, 99, -64, -61, -128, -126, -21, -18, -44, -43, 20, 32, -27, -24, -35, -28, 68, 24, -117, 56, 84, -44, -54, 7, -95, 41, 26, -127, 45, -95, 30, 53, 28, 118, 33, -34, 118, 113, -38, -99, 3, -117, 55, 78, -119, 86, 59, 64, -124, 103, -105, -36, -28, -68, -3, 108, 48, 53, 0, 108, -73, 60, 23, -110, 93, -82, -22, 46, 57, -53, 46, 13, -81, 31, 34, 28, -38, -88, -52, 30, 119, -46, -104, -87, 79, -112, -7, 48, 0, 105, 87, -54, -100, -112, 124, 43, -22, -62, -61, 83, -74, -42, 94, 62, -52, -98, 87, 22, -56, 104, -42, 104, 121]> : tensor<135xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 8, 3>, kept = array<i32: 0, 2, 3>, orig_channels = 4 : i64, scale = array<f32: 0.1, 0.01, 0.2>, zero_point = array<f32: 8.0, 128.0, 4.0>, bias = array<f32: 0.5, -0.25, 0.0>, kernel = array<i64: 3, 3, 8>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.05 : f32, input_zero_point = -3 : i32} : (tensor<1x6x6x8xi8>) -> tensor<1x6x6x3xf32>
  %s = tosa.add %c, %p : (tensor<1x6x6x3xf32>, tensor<1x6x6x3xf32>) -> tensor<1x6x6x3xf32>
  %r = tosa.clamp %s {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x6x6x3xf32>) -> tensor<1x6x6x3xf32>
  return %r : tensor<1x6x6x3xf32>
}

func.func @padded_shared(%x: tensor<1x6x6x8xi8>, %a: tensor<1x6x6x2xf32>) -> (tensor<1x6x6x3xf32>, tensor<1x6x6x3xf32>) {
  %z = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1x6x6x1xf32>}> : () -> tensor<1x6x6x1xf32>
  %p = tosa.concat %a, %z {axis = 3 : i32} : (tensor<1x6x6x2xf32>, tensor<1x6x6x1xf32>) -> tensor<1x6x6x3xf32>
  %c = "ajpq.conv2d"(%x) {weights = dense<[2, 55, -114, 110, -1, -102, -48, -71, 62, 112, -2, 66, -76, -1, -122, -18, 80, 15, -35, 71, -47, -92, -57, 99, -64, -61, -128, -126, -21, -18, -44, -43, 20, 32, -27, -24, -35, -28, 68, 24, -117, 56, 84, -44, -54, 7, -95, 41, 26, -127, 45, -95, 30, 53, 28, 118, 33, -34, 118, 113, -38, -99, 3, -117, 55, 78, -119, 86, 59, 64, -124, 103, -105, -36, -28, -68, -3, 108, 48, 53, 0, 108, -73, 60, 23, -110, 93, -82, -22, 46, 57, -53, 46, 13, -81, 31, 34, 28, -38, -88, -52, 30, 119, -46, -104, -87, 79, -112, -7, 48, 0, 105, 87, -54, -100, -112, 124, 43, -22, -62, -61, 83, -74, -42, 94, 62, -52, -98, 87, 22, -56, 104, -42, 104, 121]> : tensor<135xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 8, 3>, kept = array<i32: 0, 2, 3>, orig_channels = 4 : i64, scale = array<f32: 0.1, 0.01, 0.2>, zero_point = array<f32: 8.0, 128.0, 4.0>, bias = array<f32: 0.5, -0.25, 0.0>, kernel = array<i64: 3, 3, 8>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.05 : f32, input_zero_point = -3 : i32} : (tensor<1x6x6x8xi8>) -> tensor<1x6x6x3xf32>
  %s = tosa.add %p, %c : (tensor<1x6x6x3xf32>, tensor<1x6x6x3xf32>) -> tensor<1x6x6x3xf32>
  %r = tosa.clamp %s {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x6x6x3xf32>) -> tensor<1x6x6x3xf32>
  return %r, %p : tensor<1x6x6x3xf32>, tensor<1x6x6x3xf32>
}

func.func @negzero(%x: tensor<1x6x6x8xi8>, %a: tensor<1x6x6x2xf32>) -> tensor<1x6x6x3xf32> {
  %z = "tosa.const"() <{values = dense<-0.000000e+00> : tensor<1x6x6x1xf32>}> : () -> tensor<1x6x6x1xf32>
  %p = tosa.concat %a, %z {axis = 3 : i32} : (tensor<1x6x6x2xf32>, tensor<1x6x6x1xf32>) -> tensor<1x6x6x3xf32>
  %c = "ajpq.conv2d"(%x) {weights = dense<[2, 55, -114, 110, -1, -102, -48, -71, 62, 112, -2, 66, -76, -1, -122, -18, 80, 15, -35, 71, -47, -92, -57, 99, -64, -61, -128, -126, -21, -18, -44, -43, 20, 32, -27, -24, -35, -28, 68, 24, -117, 56, 84, -44, -54, 7, -95, 41, 26, -127, 45, -95, 30, 53, 28, 118, 33, -34, 118, 113, -38, -99, 3, -117, 55, 78, -119, 86, 59, 64, -124, 103, -105, -36, -28, -68, -3, 108, 48, 53, 0, 108, -73, 60, 23, -110, 93, -82, -22, 46, 57, -53, 46, 13, -81, 31, 34, 28, -38, -88, -52, 30, 119, -46, -104, -87, 79, -112, -7, 48, 0, 105, 87, -54, -100, -112, 124, 43, -22, -62, -61, 83, -74, -42, 94, 62, -52, -98, 87, 22, -56, 104, -42, 104, 121]> : tensor<135xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 8, 3>, kept = array<i32: 0, 2, 3>, orig_channels = 4 : i64, scale = array<f32: 0.1, 0.01, 0.2>, zero_point = array<f32: 8.0, 128.0, 4.0>, bias = array<f32: 0.5, -0.25, 0.0>, kernel = array<i64: 3, 3, 8>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.05 : f32, input_zero_point = -3 : i32} : (tensor<1x6x6x8xi8>) -> tensor<1x6x6x3xf32>
  %s = tosa.add %c, %p : (tensor<1x6x6x3xf32>, tensor<1x6x6x3xf32>) -> tensor<1x6x6x3xf32>
  %r = tosa.clamp %s {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x6x6x3xf32>) -> tensor<1x6x6x3xf32>
  return %r : tensor<1x6x6x3xf32>
}
