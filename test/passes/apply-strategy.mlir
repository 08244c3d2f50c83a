// ajpq-apply-strategy: hand-written strategies on small graphs, one per
// coupling kind; checks the erased shapes and ops after the rewrite
// (act-bits=32: float activations, no calibration data needed).
// RUN: split-file %s %t
// RUN: ajpq-opt %t/residual.mlir --ajpq-apply-strategy="strategy=%t/residual.json act-bits=32" | FileCheck %s --check-prefix=RES
// RUN: ajpq-opt %t/concat.mlir --ajpq-apply-strategy="strategy=%t/concat.json act-bits=32" | FileCheck %s --check-prefix=CAT
// RUN: ajpq-opt %t/dw.mlir --ajpq-apply-strategy="strategy=%t/dw.json act-bits=32" | FileCheck %s --check-prefix=DW
// RUN: ajpq-opt %t/pad.mlir --ajpq-apply-strategy="strategy=%t/pad.json act-bits=32" | FileCheck %s --check-prefix=PAD
// RUN: ajpq-opt %t/fc.mlir --ajpq-apply-strategy="strategy=%t/fc.json act-bits=32" | FileCheck %s --check-prefix=FC
// RUN: ajpq-opt %t/fcn.mlir --ajpq-apply-strategy="strategy=%t/fcn.json act-bits=32" | FileCheck %s --check-prefix=FCN
// RUN: ajpq-opt %t/out.mlir --ajpq-apply-strategy="strategy=%t/out.json act-bits=32" | FileCheck %s --check-prefix=OUT
// RUN: ajpq-opt %t/zcat.mlir --ajpq-apply-strategy="strategy=%t/zcat.json act-bits=32" | FileCheck %s --check-prefix=ZCAT
// RUN: ajpq-opt %t/zcat.mlir --ajpq-apply-strategy="strategy=%t/zcat2.json act-bits=32" | FileCheck %s --check-prefix=ZCAT2
// The rewritten modules pass the ajpq verifier and cost-report reads them.
// RUN: ajpq-opt %t/residual.mlir --ajpq-apply-strategy="strategy=%t/residual.json act-bits=32" --ajpq-cost-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=RESCOST

// Residual add: c1 and c2 lose channels 1 and 3 together; the add and c3's
// input shrink to 2 channels.
// RES: %[[C1:.*]] = "ajpq.conv2d"(%arg0) {{.*}}bits = array<i8: 8, 4>{{.*}}kept = array<i32: 0, 2>, kernel = array<i64: 1, 1, 3>, orig_channels = 4 : i64{{.*}} -> tensor<1x4x4x2xf32>
// RES: %[[R1:.*]] = tosa.clamp %[[C1]] {{.*}} -> tensor<1x4x4x2xf32>
// RES: %[[C2:.*]] = "ajpq.conv2d"(%[[R1]]) {{.*}}bits = array<i8: 2, 2>{{.*}}kept = array<i32: 0, 2>, kernel = array<i64: 1, 1, 2>{{.*}} -> tensor<1x4x4x2xf32>
// RES: %[[S:.*]] = tosa.add %[[C2]], %[[R1]] : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
// RES: "ajpq.conv2d"(%[[S]]) {{.*}}kept = array<i32: 0, 1>, kernel = array<i64: 1, 1, 2>{{.*}} -> tensor<1x4x4x2xf32>
// RESCOST: c1 conv 3 4 2 2
// RESCOST: c3 conv 2 2 2 0

// Concat: c1 keeps channel 1, c2 channels 0 and 2: the concat has 3 channels.
// CAT: %[[A:.*]] = "ajpq.conv2d"(%arg0) {{.*}}kept = array<i32: 1>{{.*}} -> tensor<1x4x4x1xf32>
// CAT: %[[B:.*]] = "ajpq.conv2d"(%arg0) {{.*}}kept = array<i32: 0, 2>{{.*}} -> tensor<1x4x4x2xf32>
// CAT: %[[K:.*]] = tosa.concat %[[A]], %[[B]] {axis = 3 : i32} : (tensor<1x4x4x1xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x3xf32>
// CAT: "ajpq.conv2d"(%[[K]]) {{.*}}kernel = array<i64: 1, 1, 3>

// Depthwise (multiplier 2) after c1: erasing c1's channel 0 erases dw's
// outputs 0 and 1; dw becomes one group with 2 outputs.
// DW: %[[A:.*]] = "ajpq.conv2d"(%arg0) {{.*}}kept = array<i32: 1>{{.*}} -> tensor<1x4x4x1xf32>
// DW: %[[D:.*]] = "ajpq.conv2d"(%[[A]]) {{.*}}groups = 1 : i64, kept = array<i32: 0, 1>, kernel = array<i64: 3, 3, 1>, orig_channels = 2 : i64{{.*}} -> tensor<1x4x4x2xf32>
// DW: "ajpq.conv2d"(%[[D]]) {{.*}}kernel = array<i64: 1, 1, 2>

// Channel pad: c1 keeps channel 0 (pad 1 -> 2 becomes 1 -> 2 with one zero
// channel kept, tied to c2's kept channel 3).
// PAD: %[[A:.*]] = "ajpq.conv2d"(%arg0) {{.*}}kept = array<i32: 0>{{.*}} -> tensor<1x4x4x1xf32>
// PAD: %[[P:.*]] = tosa.const_shape {values = dense<[0, 0, 0, 0, 0, 0, 0, 1]> : tensor<8xindex>}
// PAD: %[[Q:.*]] = tosa.pad %[[A]], %[[P]], %{{.*}} : (tensor<1x4x4x1xf32>, !tosa.shape<8>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
// PAD: %[[B:.*]] = "ajpq.conv2d"(%arg0) {{.*}}kept = array<i32: 0, 3>{{.*}} -> tensor<1x4x4x2xf32>
// PAD: tosa.add %[[Q]], %[[B]] : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
// PAD: kernel = array<i64: 1, 1, 2>

// FC after an NHWC flatten: erasing c1's channel 1 removes features 1, 3, 5, 7.
// FC: %[[A:.*]] = "ajpq.conv2d"(%arg0) {{.*}}kept = array<i32: 0>{{.*}} -> tensor<1x2x2x1xf32>
// FC: tosa.reshape %[[A]], %{{.*}} : (tensor<1x2x2x1xf32>, !tosa.shape<2>) -> tensor<1x4xf32>
// FC: tosa.reshape {{.*}} -> tensor<1x1x4xf32>
// FC: "ajpq.matmul"({{.*}}) {{.*}}kernel = array<i64: 4>{{.*}} : (tensor<1x1x4xf32>) -> tensor<1x1x3xf32>
// FC: tosa.add {{.*}} -> tensor<1x3xf32>

// FC after an NCHW transpose + flatten: features 4..7 go.
// FCN: %[[A:.*]] = "ajpq.conv2d"(%arg0) {{.*}}kept = array<i32: 0>{{.*}} -> tensor<1x2x2x1xf32>
// FCN: tosa.transpose %[[A]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x2x2x1xf32>) -> tensor<1x1x2x2xf32>
// FCN: tosa.reshape {{.*}} -> tensor<1x4xf32>
// FCN: "ajpq.matmul"({{.*}}) {{.*}}kernel = array<i64: 4>

// Channel padding by concat with zeros (BlazeFace style): c1 keeps channel
// 0, the zero segment keeps its channel 3 (tied to c2's kept channel 3);
// with both zero channels kept/erased the constant is sliced or dropped.
// ZCAT: %[[A:.*]] = "ajpq.conv2d"(%arg0) {{.*}}kept = array<i32: 0>{{.*}} -> tensor<1x4x4x1xf32>
// ZCAT: %[[Z:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1x4x4x1xf32>}>
// ZCAT: tosa.concat %[[A]], %[[Z]] {axis = 3 : i32} : (tensor<1x4x4x1xf32>, tensor<1x4x4x1xf32>) -> tensor<1x4x4x2xf32>
// ZCAT2: %[[A:.*]] = "ajpq.conv2d"(%arg0) {{.*}}kept = array<i32: 0, 1>{{.*}} -> tensor<1x4x4x2xf32>
// ZCAT2: tosa.concat %[[A]] {axis = 3 : i32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>

// Graph output: c1 feeds the result, so all its channels stay (bits only);
// c2 (also a graph output) keeps both.
// OUT: "ajpq.conv2d"(%arg0) {{.*}}bits = array<i8: 3, 5>{{.*}}kept = array<i32: 0, 1>{{.*}} -> tensor<1x4x4x2xf32>

//--- residual.mlir
func.func @main(%x: tensor<1x4x4x3xf32>) -> (tensor<1x4x4x2xf32>) {
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1_w = "tosa.const"() {values = dense<1.0> : tensor<4x1x1x3xf32>} : () -> tensor<4x1x1x3xf32>
  %c1_b = "tosa.const"() {values = dense<0.5> : tensor<4xf32>} : () -> tensor<4xf32>
  %c1 = tosa.conv2d %x, %c1_w, %c1_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<4x1x1x3xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x4xf32> loc("c1")
  %r1 = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 3.4028235e38 : f32} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c2_w = "tosa.const"() {values = dense<1.0> : tensor<4x1x1x4xf32>} : () -> tensor<4x1x1x4xf32>
  %c2_b = "tosa.const"() {values = dense<0.5> : tensor<4xf32>} : () -> tensor<4xf32>
  %c2 = tosa.conv2d %r1, %c2_w, %c2_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<4x1x1x4xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x4xf32> loc("c2")
  %s = tosa.add %c2, %r1 : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c3_w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x4xf32>} : () -> tensor<2x1x1x4xf32>
  %c3_b = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %c3 = tosa.conv2d %s, %c3_w, %c3_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("c3")
  return %c3 : tensor<1x4x4x2xf32>
}
//--- residual.json
{"version": 1, "layers": [{"name": "c1", "bits": [8, 0, 4, 0]}, {"name": "c2", "bits": [2, 0, 2, 0]}, {"name": "c3", "bits": [8, 8]}]}

//--- concat.mlir
func.func @main(%x: tensor<1x4x4x3xf32>) -> (tensor<1x4x4x2xf32>) {
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1_w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x3xf32>} : () -> tensor<2x1x1x3xf32>
  %c1_b = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %c1 = tosa.conv2d %x, %c1_w, %c1_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("c1")
  %c2_w = "tosa.const"() {values = dense<1.0> : tensor<3x1x1x3xf32>} : () -> tensor<3x1x1x3xf32>
  %c2_b = "tosa.const"() {values = dense<0.5> : tensor<3xf32>} : () -> tensor<3xf32>
  %c2 = tosa.conv2d %x, %c2_w, %c2_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<3x1x1x3xf32>, tensor<3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x3xf32> loc("c2")
  %cat = tosa.concat %c1, %c2 {axis = 3 : i32} : (tensor<1x4x4x2xf32>, tensor<1x4x4x3xf32>) -> tensor<1x4x4x5xf32>
  %c3_w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x5xf32>} : () -> tensor<2x1x1x5xf32>
  %c3_b = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %c3 = tosa.conv2d %cat, %c3_w, %c3_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x5xf32>, tensor<2x1x1x5xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("c3")
  return %c3 : tensor<1x4x4x2xf32>
}
//--- concat.json
{"version": 1, "layers": [{"name": "c1", "bits": [0, 4]}, {"name": "c2", "bits": [4, 0, 4]}, {"name": "c3", "bits": [8, 8]}]}

//--- dw.mlir
func.func @main(%x: tensor<1x4x4x3xf32>) -> (tensor<1x4x4x2xf32>) {
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1_w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x3xf32>} : () -> tensor<2x1x1x3xf32>
  %c1_b = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %c1 = tosa.conv2d %x, %c1_w, %c1_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("c1")
  %dw_w = "tosa.const"() {values = dense<1.0> : tensor<3x3x2x2xf32>} : () -> tensor<3x3x2x2xf32>
  %dw_b = "tosa.const"() {values = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %dw = tosa.depthwise_conv2d %c1, %dw_w, %dw_b, %zp, %zp {acc_type = f32, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<3x3x2x2xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x4xf32> loc("dw")
  %c2_w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x4xf32>} : () -> tensor<2x1x1x4xf32>
  %c2_b = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %c2 = tosa.conv2d %dw, %c2_w, %c2_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("c2")
  return %c2 : tensor<1x4x4x2xf32>
}
//--- dw.json
{"version": 1, "layers": [{"name": "c1", "bits": [0, 4]}, {"name": "dw", "bits": [0, 0, 8, 8]}, {"name": "c2", "bits": [8, 8]}]}

//--- pad.mlir
func.func @main(%x: tensor<1x4x4x3xf32>) -> (tensor<1x4x4x2xf32>) {
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1_w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x3xf32>} : () -> tensor<2x1x1x3xf32>
  %c1_b = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %c1 = tosa.conv2d %x, %c1_w, %c1_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("c1")
  %padding = tosa.const_shape {values = dense<[0, 0, 0, 0, 0, 0, 0, 2]> : tensor<8xindex>} : () -> !tosa.shape<8>
  %p = tosa.pad %c1, %padding, %zp : (tensor<1x4x4x2xf32>, !tosa.shape<8>, tensor<1xf32>) -> tensor<1x4x4x4xf32>
  %c2_w = "tosa.const"() {values = dense<1.0> : tensor<4x1x1x3xf32>} : () -> tensor<4x1x1x3xf32>
  %c2_b = "tosa.const"() {values = dense<0.5> : tensor<4xf32>} : () -> tensor<4xf32>
  %c2 = tosa.conv2d %x, %c2_w, %c2_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<4x1x1x3xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x4xf32> loc("c2")
  %s = tosa.add %p, %c2 : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c3_w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x4xf32>} : () -> tensor<2x1x1x4xf32>
  %c3_b = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %c3 = tosa.conv2d %s, %c3_w, %c3_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("c3")
  return %c3 : tensor<1x4x4x2xf32>
}
//--- pad.json
{"version": 1, "layers": [{"name": "c1", "bits": [4, 0]}, {"name": "c2", "bits": [4, 0, 0, 4]}, {"name": "c3", "bits": [8, 8]}]}

//--- fc.mlir
func.func @main(%x: tensor<1x2x2x3xf32>) -> (tensor<1x3xf32>) {
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1_w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x3xf32>} : () -> tensor<2x1x1x3xf32>
  %c1_b = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %c1 = tosa.conv2d %x, %c1_w, %c1_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x2x2x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32> loc("c1")
  %sh8 = tosa.const_shape {values = dense<[1, 8]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %sh118 = tosa.const_shape {values = dense<[1, 1, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %sh13 = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %f = tosa.reshape %c1, %sh8 : (tensor<1x2x2x2xf32>, !tosa.shape<2>) -> tensor<1x8xf32>
  %a = tosa.reshape %f, %sh118 : (tensor<1x8xf32>, !tosa.shape<3>) -> tensor<1x1x8xf32>
  %fc_w = "tosa.const"() {values = dense<1.0> : tensor<1x8x3xf32>} : () -> tensor<1x8x3xf32>
  %mm = tosa.matmul %a, %fc_w, %zp, %zp : (tensor<1x1x8xf32>, tensor<1x8x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3xf32> loc("fc")
  %o = tosa.reshape %mm, %sh13 : (tensor<1x1x3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
  %fc_b = "tosa.const"() {values = dense<[[0.1, 0.2, 0.3]]> : tensor<1x3xf32>} : () -> tensor<1x3xf32>
  %y = tosa.add %o, %fc_b : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
//--- fc.json
{"version": 1, "layers": [{"name": "c1", "bits": [4, 0]}, {"name": "fc", "bits": [8, 8, 8]}]}

//--- fcn.mlir
func.func @main(%x: tensor<1x2x2x3xf32>) -> (tensor<1x3xf32>) {
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1_w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x3xf32>} : () -> tensor<2x1x1x3xf32>
  %c1_b = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %c1 = tosa.conv2d %x, %c1_w, %c1_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x2x2x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32> loc("c1")
  %sh8 = tosa.const_shape {values = dense<[1, 8]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %sh118 = tosa.const_shape {values = dense<[1, 1, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %sh13 = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %t = tosa.transpose %c1 {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %f = tosa.reshape %t, %sh8 : (tensor<1x2x2x2xf32>, !tosa.shape<2>) -> tensor<1x8xf32>
  %a = tosa.reshape %f, %sh118 : (tensor<1x8xf32>, !tosa.shape<3>) -> tensor<1x1x8xf32>
  %fc_w = "tosa.const"() {values = dense<1.0> : tensor<1x8x3xf32>} : () -> tensor<1x8x3xf32>
  %mm = tosa.matmul %a, %fc_w, %zp, %zp : (tensor<1x1x8xf32>, tensor<1x8x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3xf32> loc("fc")
  %o = tosa.reshape %mm, %sh13 : (tensor<1x1x3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
  %fc_b = "tosa.const"() {values = dense<[[0.1, 0.2, 0.3]]> : tensor<1x3xf32>} : () -> tensor<1x3xf32>
  %y = tosa.add %o, %fc_b : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}
//--- fcn.json
{"version": 1, "layers": [{"name": "c1", "bits": [4, 0]}, {"name": "fc", "bits": [8, 8, 8]}]}

//--- out.mlir
func.func @main(%x: tensor<1x4x4x3xf32>) -> (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) {
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1_w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x3xf32>} : () -> tensor<2x1x1x3xf32>
  %c1_b = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %c1 = tosa.conv2d %x, %c1_w, %c1_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("c1")
  %c2_w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x2xf32>} : () -> tensor<2x1x1x2xf32>
  %c2_b = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %c2 = tosa.conv2d %c1, %c2_w, %c2_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("c2")
  return %c1, %c2 : tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>
}
//--- out.json
{"version": 1, "layers": [{"name": "c1", "bits": [3, 5]}, {"name": "c2", "bits": [8, 8]}]}
//--- zcat.mlir
func.func @main(%x: tensor<1x4x4x3xf32>) -> (tensor<1x4x4x2xf32>) {
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1_w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x3xf32>} : () -> tensor<2x1x1x3xf32>
  %c1_b = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %c1 = tosa.conv2d %x, %c1_w, %c1_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("c1")
  %z = "tosa.const"() {values = dense<0.0> : tensor<1x4x4x2xf32>} : () -> tensor<1x4x4x2xf32>
  %cat = tosa.concat %c1, %z {axis = 3 : i32} : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x4xf32>
  %c2_w = "tosa.const"() {values = dense<1.0> : tensor<4x1x1x3xf32>} : () -> tensor<4x1x1x3xf32>
  %c2_b = "tosa.const"() {values = dense<0.5> : tensor<4xf32>} : () -> tensor<4xf32>
  %c2 = tosa.conv2d %x, %c2_w, %c2_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<4x1x1x3xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x4xf32> loc("c2")
  %s = tosa.add %cat, %c2 : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c3_w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x4xf32>} : () -> tensor<2x1x1x4xf32>
  %c3_b = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %c3 = tosa.conv2d %s, %c3_w, %c3_b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("c3")
  return %c3 : tensor<1x4x4x2xf32>
}
//--- zcat.json
{"version": 1, "layers": [{"name": "c1", "bits": [4, 0]}, {"name": "c2", "bits": [4, 0, 0, 4]}, {"name": "c3", "bits": [8, 8]}]}
//--- zcat2.json
{"version": 1, "layers": [{"name": "c1", "bits": [4, 4]}, {"name": "c2", "bits": [4, 4, 0, 0]}, {"name": "c3", "bits": [8, 8]}]}
