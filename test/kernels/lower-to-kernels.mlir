// ajpq-lower-to-kernels: every ajpq op becomes a call of a generated kernel;
// the VNNI path calls vpdpbusd through an llvm.func helper, the portable path
// does not; the output runs through upstream mlir-opt/mlir-translate.
// RUN: ajpq-opt --ajpq-lower-to-kernels="target-features=+avx512f,+avx512bw,+avx512vnni" %s | FileCheck %s --check-prefixes=CHECK,VNNI
// RUN: ajpq-opt --ajpq-lower-to-kernels="target-features=+avx2,+fma" %s | FileCheck %s --check-prefixes=CHECK,PORT
// RUN: env AJPQ_FUSE_QUANT=1 ajpq-opt --ajpq-lower-to-kernels="target-features=+avx512f,+avx512bw,+avx512vnni" %s | FileCheck %s --check-prefix=FQ
// RUN: ajpq-opt --ajpq-lower-to-kernels="target-features=+avx512f,+avx512bw,+avx512vnni" %s \
// RUN:   | mlir-opt --pass-pipeline="builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor),one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},buffer-deallocation-pipeline,func.func(convert-linalg-to-loops),convert-vector-to-scf,convert-scf-to-cf,expand-strided-metadata,lower-affine,convert-vector-to-llvm,convert-math-to-llvm,convert-arith-to-llvm,convert-ub-to-llvm,convert-cf-to-llvm,finalize-memref-to-llvm,convert-func-to-llvm,convert-ub-to-llvm,reconcile-unrealized-casts)" \
// RUN:   | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM
// RUN: env AJPQ_FUSE_QUANT=1 ajpq-opt --ajpq-lower-to-kernels="target-features=+avx512f,+avx512bw,+avx512vnni" %s \
// RUN:   | mlir-opt --pass-pipeline="builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor),one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},buffer-deallocation-pipeline,func.func(convert-linalg-to-loops),convert-vector-to-scf,convert-scf-to-cf,expand-strided-metadata,lower-affine,convert-vector-to-llvm,convert-math-to-llvm,convert-arith-to-llvm,convert-ub-to-llvm,convert-cf-to-llvm,finalize-memref-to-llvm,convert-func-to-llvm,convert-ub-to-llvm,reconcile-unrealized-casts)" \
// RUN:   | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM

// RUN: ajpq-opt --ajpq-lower-to-kernels %s | not grep '"ajpq[.]'

// CHECK-LABEL: func.func @model
// CHECK: %[[Q:.*]] = bufferization.to_buffer %{{.*}} read_only
// CHECK: %[[QO:.*]] = memref.alloc()
// CHECK: call @__ajpq_k0(%[[Q]], %[[QO]])
// CHECK: bufferization.to_tensor %[[QO]] restrict writable
// Calls carry the kernel kind; by default nothing after the GEMM here fuses
// (a quantize joins only with AJPQ_FUSE_QUANT=1, prefix FQ).
// VNNI: call @__ajpq_k1({{.*}}) {ajpq.fused = "", ajpq.kernel = "gemm"{{.*}} : (memref<1x6x6x8xi8>, memref<1x6x6x3xf32>)
// PORT: call @__ajpq_k1({{.*}}ajpq.kernel = "reduction"{{.*}} : (memref<1x6x6x8xi8>, memref<1x6x6x3xf32>)
// CHECK: call @__ajpq_k2({{.*}}ajpq.kernel = "quantize"
// CHECK: call @__ajpq_k3({{.*}}ajpq.kernel = "depthwise"
// CHECK: call @__ajpq_k4({{.*}}ajpq.kernel = "f32-vector"
// CHECK: tosa.clamp
// CHECK: call @__ajpq_k5({{.*}}ajpq.kernel = "gather"
// CHECK: call @__ajpq_k6({{.*}}ajpq.kernel = "scatter"
// FQ: call @__ajpq_k1({{.*}}) {ajpq.fused = "+quantize", ajpq.kernel = "gemm"{{.*}} : (memref<1x6x6x8xi8>, memref<1x6x6x3xi8>)
// FQ-NOT: ajpq.kernel = "quantize"
// FQ: call @__ajpq_k2({{.*}}ajpq.kernel = "depthwise"
// CHECK: return
func.func @model(%x: tensor<1x6x6x8xf32>) -> tensor<1x5xf32> {
  %q = "ajpq.quantize"(%x) {scale = 0.05 : f32, zero_point = -3 : i32, bits = 8 : i32} : (tensor<1x6x6x8xf32>) -> tensor<1x6x6x8xi8>
  %c = "ajpq.conv2d"(%q) {weights = dense<[2, 55, -114, 110, -1, -102, -48, -71, 62, 112, -2, 66, -76, -1, -122, -18, 80, 15, -35, 71, -47, -92, -57, 99, -64, -61, -128, -126, -21, -18, -44, -43, 20, 32, -27, -24, -35, -28, 68, 24, -117, 56, 84, -44, -54, 7, -95, 41, 26, -127, 45, -95, 30, 53, 28, 118, 33, -34, 118, 113, -38, -99, 3, -117, 55, 78, -119, 86, 59, 64, -124, 103, -105, -36, -28, -68, -3, 108, 48, 53, 0, 108, -73, 60, 23, -110, 93, -82, -22, 46, 57, -53, 46, 13, -81, 31, 34, 28, -38, -88, -52, 30, 119, -46, -104, -87, 79, -112, -7, 48, 0, 105, 87, -54, -100, -112, 124, 43, -22, -62, -61, 83, -74, -42, 94, 62, -52, -98, 87, 22, -56, 104, -42, 104, 121]> : tensor<135xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 8, 3>, kept = array<i32: 0, 2, 3>, orig_channels = 4 : i64, scale = array<f32: 0.1, 0.01, 0.2>, zero_point = array<f32: 8.0, 128.0, 4.0>, bias = array<f32: 0.5, -0.25, 0.0>, kernel = array<i64: 3, 3, 8>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.05 : f32, input_zero_point = -3 : i32} : (tensor<1x6x6x8xi8>) -> tensor<1x6x6x3xf32>
  %q2 = "ajpq.quantize"(%c) {scale = 0.1 : f32, zero_point = 0 : i32, bits = 8 : i32} : (tensor<1x6x6x3xf32>) -> tensor<1x6x6x3xi8>
  %d = "ajpq.conv2d"(%q2) {weights = dense<[34, 117, 12, 21, 112, 78, -53, -71, 65, -37, 127, 45, -36, -83]> : tensor<14xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 2, 1, 8>, kept = array<i32: 0, 1, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25, 0.01>, zero_point = array<f32: 2.0, 0.5, 128.0>, kernel = array<i64: 3, 3, 1>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 3 : i64, input_scale = 0.1 : f32, input_zero_point = 0 : i32} : (tensor<1x6x6x3xi8>) -> tensor<1x3x3x3xf32>
  %shp = tosa.const_shape {values = dense<[1, 27]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r = tosa.reshape %d, %shp : (tensor<1x3x3x3xf32>, !tosa.shape<2>) -> tensor<1x27xf32>
  %m = "ajpq.matmul"(%r) {weights = dense<[123, 11, 56, -96, 54, -111, 28, 58, 15, 120, 7, 22, 46, -37, -123, 114, 0, 38, 12, 109, 19, 54, 50, 12, 48, 81, 51, -40, 102, 58, 43, -56, -43, -27, 57, 116, 16, -88, 85, -41, 87, 26, 10, -114, -28, -47, 97, -36, -16, -36, -107, 113, -13, -44, -101, -60, -72, 34, -36, 119, -29, -110, 84, 110, 51, 66, -92, -24, -7, 63, -128, 51, 79, 14, 81, -70, 63, -110, 26, -80, 23, 45, 22, 52, -62, 86, 81, 61, 111, -56, -48, 67, 116]> : tensor<93xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 5, 6, 7, 8, 1>, kept = array<i32: 0, 1, 2, 4, 5>, orig_channels = 6 : i64, scale = array<f32: 0.1, 0.1, 0.1, 0.1, 0.1>, zero_point = array<f32: 16.0, 32.0, 64.0, 128.0, 0.5>, kernel = array<i64: 27>} : (tensor<1x27xf32>) -> tensor<1x5xf32>
  %a = tosa.clamp %m {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x5xf32>) -> tensor<1x5xf32>
  %g = "ajpq.gather"(%a) {axis = 1 : i64, indices = array<i32: 0, 2, 4>} : (tensor<1x5xf32>) -> tensor<1x3xf32>
  %s = "ajpq.scatter"(%g) {axis = 1 : i64, indices = array<i32: 0, 2, 4>, size = 5 : i64, fill = array<f32: 0.0, 1.0, 0.0, 2.0, 0.0>} : (tensor<1x3xf32>) -> tensor<1x5xf32>
  return %s : tensor<1x5xf32>
}

// A conv (GEMM, VNNI) followed by a residual add, a ReLU6 clamp and a
// quantize whose input is also returned: one kernel call with the residual as
// an extra argument writes the clamped f32 value (the add and clamp are gone),
// then a quantize call; with AJPQ_FUSE_QUANT=1 the kernel also writes the int8
// quantization. With a second user of the add, nothing after the conv fuses.
// CHECK-LABEL: func.func @fused
// VNNI-NOT: tosa.add
// VNNI-NOT: tosa.clamp
// VNNI: call @{{.*}}) {ajpq.fused = "+add+clamp", ajpq.kernel = "gemm"{{.*}} : (memref<1x6x6x8xi8>, memref<1x6x6x3xf32>, memref<1x6x6x3xf32>) -> ()
// VNNI: ajpq.kernel = "quantize"
// FQ: call @{{.*}}) {ajpq.fused = "+add+clamp+quantize", ajpq.kernel = "gemm"{{.*}} : (memref<1x6x6x8xi8>, memref<1x6x6x3xf32>, memref<1x6x6x3xf32>, memref<1x6x6x3xi8>) -> ()
// FQ-NOT: ajpq.kernel = "quantize"
// PORT: tosa.add
// PORT: tosa.clamp
// CHECK-LABEL: func.func @unfusable
// VNNI: call @{{.*}}) {ajpq.fused = "", ajpq.kernel = "gemm"
// CHECK: tosa.add
// CHECK: tosa.clamp
// PORT-NOT: vpdpbusd
// VNNI-DAG: llvm.func internal @__ajpq_dpbusd({{.*}}"min-legal-vector-width", "512"
// VNNI-DAG: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI-DAG: func.func private @__ajpq_k1({{.*}}"min-legal-vector-width", "512"
// CHECK-DAG: memref.global "private" constant @__ajpq_k1_w0 : memref<{{[0-9]+}}xi8> = dense<
func.func @fused(%x: tensor<1x6x6x8xf32>, %res: tensor<1x6x6x3xf32>) -> (tensor<1x6x6x3xf32>, tensor<1x6x6x3xi8>) {
  %q = "ajpq.quantize"(%x) {scale = 0.05 : f32, zero_point = -3 : i32, bits = 8 : i32} : (tensor<1x6x6x8xf32>) -> tensor<1x6x6x8xi8>
  %c = "ajpq.conv2d"(%q) {weights = dense<[2, 55, -114, 110, -1, -102, -48, -71, 62, 112, -2, 66, -76, -1, -122, -18, 80, 15, -35, 71, -47, -92, -57, 99, -64, -61, -128, -126, -21, -18, -44, -43, 20, 32, -27, -24, -35, -28, 68, 24, -117, 56, 84, -44, -54, 7, -95, 41, 26, -127, 45, -95, 30, 53, 28, 118, 33, -34, 118, 113, -38, -99, 3, -117, 55, 78, -119, 86, 59, 64, -124, 103, -105, -36, -28, -68, -3, 108, 48, 53, 0, 108, -73, 60, 23, -110, 93, -82, -22, 46, 57, -53, 46, 13, -81, 31, 34, 28, -38, -88, -52, 30, 119, -46, -104, -87, 79, -112, -7, 48, 0, 105, 87, -54, -100, -112, 124, 43, -22, -62, -61, 83, -74, -42, 94, 62, -52, -98, 87, 22, -56, 104, -42, 104, 121]> : tensor<135xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 8, 3>, kept = array<i32: 0, 2, 3>, orig_channels = 4 : i64, scale = array<f32: 0.1, 0.01, 0.2>, zero_point = array<f32: 8.0, 128.0, 4.0>, bias = array<f32: 0.5, -0.25, 0.0>, kernel = array<i64: 3, 3, 8>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.05 : f32, input_zero_point = -3 : i32} : (tensor<1x6x6x8xi8>) -> tensor<1x6x6x3xf32>
  %a = tosa.add %res, %c : (tensor<1x6x6x3xf32>, tensor<1x6x6x3xf32>) -> tensor<1x6x6x3xf32>
  %r = tosa.clamp %a {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x6x6x3xf32>) -> tensor<1x6x6x3xf32>
  %q2 = "ajpq.quantize"(%r) {scale = 0.1 : f32, zero_point = 0 : i32, bits = 8 : i32} : (tensor<1x6x6x3xf32>) -> tensor<1x6x6x3xi8>
  return %r, %q2 : tensor<1x6x6x3xf32>, tensor<1x6x6x3xi8>
}

func.func @unfusable(%x: tensor<1x6x6x8xi8>) -> (tensor<1x6x6x3xf32>, tensor<1x6x6x3xf32>) {
  %c = "ajpq.conv2d"(%x) {weights = dense<[2, 55, -114, 110, -1, -102, -48, -71, 62, 112, -2, 66, -76, -1, -122, -18, 80, 15, -35, 71, -47, -92, -57, 99, -64, -61, -128, -126, -21, -18, -44, -43, 20, 32, -27, -24, -35, -28, 68, 24, -117, 56, 84, -44, -54, 7, -95, 41, 26, -127, 45, -95, 30, 53, 28, 118, 33, -34, 118, 113, -38, -99, 3, -117, 55, 78, -119, 86, 59, 64, -124, 103, -105, -36, -28, -68, -3, 108, 48, 53, 0, 108, -73, 60, 23, -110, 93, -82, -22, 46, 57, -53, 46, 13, -81, 31, 34, 28, -38, -88, -52, 30, 119, -46, -104, -87, 79, -112, -7, 48, 0, 105, 87, -54, -100, -112, 124, 43, -22, -62, -61, 83, -74, -42, 94, 62, -52, -98, 87, 22, -56, 104, -42, 104, 121]> : tensor<135xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 8, 3>, kept = array<i32: 0, 2, 3>, orig_channels = 4 : i64, scale = array<f32: 0.1, 0.01, 0.2>, zero_point = array<f32: 8.0, 128.0, 4.0>, kernel = array<i64: 3, 3, 8>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, input_scale = 0.05 : f32, input_zero_point = -3 : i32} : (tensor<1x6x6x8xi8>) -> tensor<1x6x6x3xf32>
  %a = tosa.add %c, %c : (tensor<1x6x6x3xf32>, tensor<1x6x6x3xf32>) -> tensor<1x6x6x3xf32>
  %r = tosa.clamp %a {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x6x6x3xf32>) -> tensor<1x6x6x3xf32>
  return %r, %a : tensor<1x6x6x3xf32>, tensor<1x6x6x3xf32>
}

// LLVM: define {{.*}} @model(
// LLVM: call <16 x i32> @llvm.x86.avx512.vpdpbusd.512(<16 x i32>
// LLVM: attributes #{{[0-9]+}} = { {{.*}}"min-legal-vector-width"="512"
