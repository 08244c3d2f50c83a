// Channel-dependency graph for each coupling kind (testing-only pass).
// RUN: ajpq-opt %s --split-input-file --ajpq-test-channel-graph -o /dev/null 2>&1 | FileCheck %s
// L2 importance: sqrt(27·w²) for the first conv's rows of 1, 2, 3, 4.
// RUN: ajpq-opt %s --split-input-file --ajpq-test-channel-graph="importance=l2" -o /dev/null 2>&1 | FileCheck %s --check-prefix=L2
// L2: importance 0: 5.196 10.39 15.59 20.78
// L2: importance 1: 5.477 13.19

// Plain chain: conv -> relu -> conv; the second conv's input is tracked and
// the first conv's channels are erasable; the last conv feeds the graph
// output, so its channels are fixed.
// CHECK-LABEL: layer 0 'c1' tosa.conv2d cin=3 cout=4 k=27 bias=1 input=tracked groups=[0,1,2,3]
// CHECK-NEXT: layer 1 'c2' tosa.conv2d cin=4 cout=2 k=4 bias=1 input=tracked groups=[4,5]
// CHECK-NEXT: group 0 leader=0 members=0:0 erasable
// CHECK: group 3 leader=0 members=0:3 erasable
// CHECK-NEXT: group 4 leader=1 members=1:0 fixed (a graph output keeps its width)
// CHECK: importance 0: 27 54 81 108
// CHECK-NEXT: importance 1: 10 26
func.func @main(%x: tensor<1x8x8x3xf32>) -> tensor<1x8x8x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]], [[[2.0, 2.0, 2.0], [2.0, 2.0, 2.0], [2.0, 2.0, 2.0]], [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0], [2.0, 2.0, 2.0]], [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]], [[[3.0, 3.0, 3.0], [3.0, 3.0, 3.0], [3.0, 3.0, 3.0]], [[3.0, 3.0, 3.0], [3.0, 3.0, 3.0], [3.0, 3.0, 3.0]], [[3.0, 3.0, 3.0], [3.0, 3.0, 3.0], [3.0, 3.0, 3.0]]], [[[-4.0, 4.0, 4.0], [4.0, 4.0, 4.0], [4.0, 4.0, 4.0]], [[4.0, 4.0, 4.0], [4.0, 4.0, 4.0], [4.0, 4.0, 4.0]], [[4.0, 4.0, 4.0], [4.0, 4.0, 4.0], [4.0, 4.0, 4.0]]]]> : tensor<4x3x3x3xf32>} : () -> tensor<4x3x3x3xf32>
  %b = "tosa.const"() {values = dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>} : () -> tensor<4xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x4xf32> loc("c1")
  %r = tosa.clamp %y {min_val = 0.0 : f32, max_val = 3.4028235e38 : f32} : (tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %w2 = "tosa.const"() {values = dense<[[[[1.0, 2.0, 3.0, 4.0]]], [[[-5.0, 6.0, 7.0, 8.0]]]]> : tensor<2x1x1x4xf32>} : () -> tensor<2x1x1x4xf32>
  %b2 = "tosa.const"() {values = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %z = tosa.conv2d %r, %w2, %b2, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x8x8x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x8x2xf32> loc("c2")
  return %z : tensor<1x8x8x2xf32>
}

// -----

// Residual add: c1 and c2 channels are tied pairwise (one group each pair);
// c3 reads the sum, so its inputs are those groups.
// CHECK-LABEL: layer 0 'c1' tosa.conv2d cin=3 cout=4 k=3 bias=1 input=tracked groups=[0,1,2,3]
// CHECK-NEXT: layer 1 'c2' tosa.conv2d cin=4 cout=4 k=4 bias=1 input=tracked groups=[0,1,2,3] in=[0,1,2,3]
// CHECK-NEXT: layer 2 'c3' tosa.conv2d cin=4 cout=2 k=4 bias=1 input=tracked groups=[4,5] in=[0,1,2,3]
// CHECK-NEXT: group 0 leader=0 members=0:0,1:0 erasable
// CHECK: group 3 leader=0 members=0:3,1:3 erasable
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

// -----

// Concat along channels: c3's inputs are c1's groups then c2's (offset 2).
// CHECK-LABEL: layer 0 'c1' tosa.conv2d cin=3 cout=2
// CHECK-NEXT: layer 1 'c2' tosa.conv2d cin=3 cout=3 {{.*}} groups=[2,3,4]
// CHECK-NEXT: layer 2 'c3' tosa.conv2d cin=5 cout=2 {{.*}} groups=[5,6] in=[0,1,2,3,4]
// CHECK-NEXT: group 0 leader=0 members=0:0 erasable
// CHECK: group 4 leader=1 members=1:2 erasable
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

// -----

// Depthwise chain: dw output c is tied to its input c (c1's channel c);
// with multiplier 2, outputs 2c and 2c+1 share input c's group.
// CHECK-LABEL: layer 0 'c1' tosa.conv2d cin=3 cout=2
// CHECK-NEXT: layer 1 'dw' tosa.depthwise_conv2d cin=2 cout=4 k=9 bias=1 input=tracked groups=[0,0,1,1] in=[0,1]
// CHECK-NEXT: layer 2 'c2' tosa.conv2d cin=4 cout=2 {{.*}} in=[0,0,1,1]
// CHECK-NEXT: group 0 leader=0 members=0:0,1:0,1:1 erasable
// CHECK-NEXT: group 1 leader=0 members=0:1,1:2,1:3 erasable
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

// -----

// Channel pad + residual add: c1's 2 channels padded to 4 with zeros are
// tied to c2's first 2; c2's channels 2 and 3 meet only zero padding and
// stay erasable on their own.
// CHECK-LABEL: layer 0 'c1' tosa.conv2d cin=3 cout=2 {{.*}} groups=[0,1]
// CHECK-NEXT: layer 1 'c2' tosa.conv2d cin=3 cout=4 {{.*}} groups=[0,1,2,3]
// CHECK-NEXT: layer 2 'c3' tosa.conv2d cin=4 cout=2 {{.*}} in=[0,1,2,3]
// CHECK-NEXT: group 0 leader=0 members=0:0,1:0 erasable
// CHECK-NEXT: group 1 leader=0 members=0:1,1:1 erasable
// CHECK-NEXT: group 2 leader=1 members=1:2 erasable
// CHECK-NEXT: group 3 leader=1 members=1:3 erasable
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

// -----

// FC after an NHWC flatten: feature f reads channel f % 2; the bias is the
// constant of the tosa.add after the matmul.
// CHECK-LABEL: layer 0 'c1' tosa.conv2d cin=3 cout=2 {{.*}} groups=[0,1]
// CHECK-NEXT: layer 1 'fc' tosa.matmul cin=8 cout=3 k=8 bias=1 input=tracked groups=[2,3,4] in=[0,1,0,1,0,1,0,1]
// CHECK-NEXT: group 0 leader=0 members=0:0 erasable
// CHECK: group 2 leader=1 members=1:0 fixed (a graph output keeps its width)
// CHECK: importance 1: 8 8 8
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

// -----

// FC after an NCHW transpose + flatten: feature f reads channel f / 4.
// CHECK-LABEL: layer 0 'c1' tosa.conv2d cin=3 cout=2 {{.*}} groups=[0,1]
// CHECK-NEXT: layer 1 'fc' tosa.matmul cin=8 cout=3 {{.*}} in=[0,0,0,0,1,1,1,1]
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

// -----

// A conv whose output is also a graph output keeps its width, even though
// another conv consumes it.
// CHECK-LABEL: layer 0 'c1' tosa.conv2d cin=3 cout=2 {{.*}} groups=[0,1]
// CHECK-NEXT: layer 1 'c2' tosa.conv2d cin=2 cout=2
// CHECK-NEXT: group 0 leader=0 members=0:0 fixed (a graph output keeps its width)
// CHECK-NEXT: group 1 leader=0 members=0:1 fixed (a graph output keeps its width)
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

// -----

// Reshape that splits the channel axis (4 -> 2x2) mixes channels, and a
// tosa.reverse along C re-orders them: the channels they read are fixed.
// CHECK-LABEL: layer 0 'c1' tosa.conv2d cin=3 cout=4 k=3 bias=1 input=tracked groups=[0,1,2,3]
// CHECK-NEXT: layer 1 'c2' tosa.conv2d cin=3 cout=4 k=3 bias=1 input=tracked groups=[4,5,6,7]
// CHECK-NEXT: group 0 leader=0 members=0:0 fixed (reshaped so that channels are mixed)
// CHECK: group 3 leader=0 members=0:3 fixed (reshaped so that channels are mixed)
// CHECK-NEXT: group 4 leader=1 members=1:0 fixed (consumed by an op the channel graph does not model)
// CHECK: group 7 leader=1 members=1:3 fixed (consumed by an op the channel graph does not model)
func.func @main(%x: tensor<1x4x4x3xf32>) -> (tensor<1x4x4x2x2xf32>, tensor<1x4x4x4xf32>) {
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %w = "tosa.const"() {values = dense<[[[[1.0, 0.5, -1.0]]], [[[2.0, -0.5, 1.0]]], [[[-1.5, 1.0, 0.25]]], [[[0.75, 0.5, 2.0]]]]> : tensor<4x1x1x3xf32>} : () -> tensor<4x1x1x3xf32>
  %b = "tosa.const"() {values = dense<0.1> : tensor<4xf32>} : () -> tensor<4xf32>
  %c1 = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<4x1x1x3xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x4xf32> loc("c1")
  %r1 = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 3.4028235e38 : f32} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %sh = tosa.const_shape {values = dense<[1, 4, 4, 2, 2]> : tensor<5xindex>} : () -> !tosa.shape<5>
  %m = tosa.reshape %r1, %sh : (tensor<1x4x4x4xf32>, !tosa.shape<5>) -> tensor<1x4x4x2x2xf32>
  %c2 = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x3xf32>, tensor<4x1x1x3xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x4xf32> loc("c2")
  %r2 = tosa.clamp %c2 {min_val = 0.0 : f32, max_val = 3.4028235e38 : f32} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %rev = tosa.reverse %r2 {axis = 3 : i32} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  return %m, %rev : tensor<1x4x4x2x2xf32>, tensor<1x4x4x4xf32>
}
