// Where the GEMM microkernel reads its activations (docs/kernels.md,
// "Kernels"): a conv with groups = 1, no dilation and window rows of at most
// 64 bytes reads them in place from a padded copy of its input (z_x borders,
// 64 bytes of slack: 8x8x8 + 64 = 576 bytes here) — no im2col row buffer;
// AJPQ_NO_WINDOWS=1 restores the implicit im2col into an 8-row stack buffer
// (8 x 128 = 1024 bytes). Values: test/kernels/jit.test ("windowed" shapes and
// every other non-1x1 GEMM conv).
// RUN: ajpq-opt --ajpq-lower-to-kernels="target-features=+avx512f,+avx512bw,+avx512vnni" %s | FileCheck %s --check-prefix=WIN
// RUN: env AJPQ_NO_WINDOWS=1 ajpq-opt --ajpq-lower-to-kernels="target-features=+avx512f,+avx512bw,+avx512vnni" %s | FileCheck %s --check-prefix=ROW

// WIN: func.func private @__ajpq_k{{[0-9]+}}(%{{.*}}: memref<1x6x6x8xi8>
// WIN-NOT: memref.alloca() {alignment = 64 : i64} : memref<1024xi8>
// WIN: memref.alloc() {alignment = 64 : i64} : memref<576xi8>
// WIN-NOT: memref.alloca() {alignment = 64 : i64} : memref<1024xi8>
// WIN: return
// ROW: func.func private @__ajpq_k{{[0-9]+}}(%{{.*}}: memref<1x6x6x8xi8>
// ROW-NOT: memref<576xi8>
// ROW: memref.alloca() {alignment = 64 : i64} : memref<1024xi8>
func.func @conv(%x: tensor<1x6x6x8xi8>) -> tensor<1x6x6x3xf32> {
  %c = "ajpq.conv2d"(%x) {weights = dense<[2, 55, -114, 110, -1, -102, -48, -71, 62, 112, -2, 66, -76, -1, -122, -18, 80, 15, -35, 71, -47, -92, -57, 99, -64, -61, -128, -126, -21, -18, -44, -43, 20, 32, -27, -24, -35, -28, 68, 24, -117, 56, 84, -44, -54, 7, -95, 41, 26, -127, 45, -95, 30, 53, 28, 118, 33, -34, 118, 113, -38, -99, 3, -117, 55, 78, -119, 86, 59, 64, -124, 103, -105, -36, -28, -68, -3, 108, 48, 53, 0, 108, -73, 60, 23, -110, 93, -82, -22, 46, 57, -53, 46, 13, -81, 31, 34, 28, -38, -88, -52, 30, 119, -46, -104, -87, 79, -112, -7, 48, 0, 105, 87, -54, -100, -112, 124, 43, -22, -62, -61, 83, -74, -42, 94, 62, -52, -98, 87, 22, -56, 104, -42, 104, 121]> : tensor<135xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 8, 3>, kept = array<i32: 0, 2, 3>, orig_channels = 4 : i64, scale = array<f32: 0.1, 0.01, 0.2>, zero_point = array<f32: 8.0, 128.0, 4.0>, bias = array<f32: 0.5, -0.25, 0.0>, kernel = array<i64: 3, 3, 8>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.05 : f32, input_zero_point = -3 : i32} : (tensor<1x6x6x8xi8>) -> tensor<1x6x6x3xf32>
  return %c : tensor<1x6x6x3xf32>
}
