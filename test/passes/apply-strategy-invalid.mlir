// Bad strategies for ajpq-apply-strategy: each a diagnostic naming the file,
// layer and channel, and exit 1.
// RUN: split-file %s %t
// RUN: not ajpq-opt %t/res.mlir --ajpq-apply-strategy="strategy=%t/untied.json act-bits=32" 2>&1 | FileCheck %s --check-prefix=UNTIED
// UNTIED: error: {{.*}}ajpq-apply-strategy: '{{.*}}untied.json': channel 1 of layer 'c1' and channel 1 of layer 'c2' are tied (erased together or not at all), but only one is erased
// RUN: not ajpq-opt %t/out.mlir --ajpq-apply-strategy="strategy=%t/output.json act-bits=32" 2>&1 | FileCheck %s --check-prefix=OUTPUT
// OUTPUT: error: {{.*}}ajpq-apply-strategy: '{{.*}}output.json': channel 1 of layer 'c1' cannot be erased (a graph output keeps its width)
// RUN: not ajpq-opt %t/res.mlir --ajpq-apply-strategy="strategy=%t/allzero.json act-bits=32" 2>&1 | FileCheck %s --check-prefix=ALLZERO
// ALLZERO: error: {{.*}}ajpq-apply-strategy: '{{.*}}allzero.json': layer 'c1' keeps 0 channels, min-keep is 1
// RUN: not ajpq-opt %t/res.mlir --ajpq-apply-strategy="strategy=%t/badbits.json act-bits=32" 2>&1 | FileCheck %s --check-prefix=BADBITS
// BADBITS: error: {{.*}}ajpq-apply-strategy: strategy '{{.*}}badbits.json': layer 'c2' channel 2: bit-width must be an integer in 0..8
// RUN: not ajpq-opt %t/res.mlir --ajpq-apply-strategy="strategy=%t/notinset.json act-bits=32 bits=0,4,8" 2>&1 | FileCheck %s --check-prefix=NOTINSET
// NOTINSET: error: {{.*}}ajpq-apply-strategy: '{{.*}}notinset.json': layer 'c1' channel 0 has 3 bits, not in bits=
// RUN: not ajpq-opt %t/res.mlir --ajpq-apply-strategy="strategy=%t/rename.json act-bits=32" 2>&1 | FileCheck %s --check-prefix=RENAME
// RENAME: error: {{.*}}ajpq-apply-strategy: strategy '{{.*}}rename.json': layer 1 is 'conv2', the model's layer 1 is 'c2'
// RUN: not ajpq-opt %t/res.mlir --ajpq-apply-strategy="strategy=%t/short.json act-bits=32" 2>&1 | FileCheck %s --check-prefix=SHORT
// SHORT: error: {{.*}}ajpq-apply-strategy: strategy '{{.*}}short.json' has 2 layers, the model has 3 compressible layers
// RUN: not ajpq-opt %t/res.mlir --ajpq-apply-strategy="strategy=%t/nojson.json act-bits=32" 2>&1 | FileCheck %s --check-prefix=NOJSON
// NOJSON: error: {{.*}}ajpq-apply-strategy: strategy '{{.*}}nojson.json': not valid JSON
// RUN: not ajpq-opt %t/res.mlir --ajpq-apply-strategy="strategy=%t/missing.json act-bits=32" 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: {{.*}}ajpq-apply-strategy: cannot open strategy '{{.*}}missing.json': No such file or directory
// RUN: not ajpq-opt %t/res.mlir --ajpq-apply-strategy="act-bits=32" 2>&1 | FileCheck %s --check-prefix=NOSTRAT
// NOSTRAT: error: {{.*}}ajpq-apply-strategy: strategy=FILE.json is required
// RUN: not ajpq-opt %t/res.mlir --ajpq-apply-strategy="strategy=%t/ok.json" 2>&1 | FileCheck %s --check-prefix=NOCAL
// NOCAL: error: {{.*}}ajpq-apply-strategy: act-bits < 32 needs calibration=
// RUN: not ajpq-opt %t/res.mlir --ajpq-cost-report --ajpq-apply-strategy="strategy=%t/ok.json act-bits=7" 2>&1 | FileCheck %s --check-prefix=NOCAL

//--- res.mlir
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
//--- untied.json
{"version": 1, "layers": [{"name": "c1", "bits": [8, 0, 4, 4]}, {"name": "c2", "bits": [2, 2, 2, 2]}, {"name": "c3", "bits": [8, 8]}]}
//--- output.json
{"version": 1, "layers": [{"name": "c1", "bits": [8, 0]}, {"name": "c2", "bits": [8, 8]}]}
//--- allzero.json
{"version": 1, "layers": [{"name": "c1", "bits": [0, 0, 0, 0]}, {"name": "c2", "bits": [0, 0, 0, 0]}, {"name": "c3", "bits": [8, 8]}]}
//--- badbits.json
{"version": 1, "layers": [{"name": "c1", "bits": [8, 8, 8, 8]}, {"name": "c2", "bits": [8, 8, 9, 8]}, {"name": "c3", "bits": [8, 8]}]}
//--- notinset.json
{"version": 1, "layers": [{"name": "c1", "bits": [3, 8, 8, 8]}, {"name": "c2", "bits": [8, 8, 8, 8]}, {"name": "c3", "bits": [8, 8]}]}
//--- rename.json
{"version": 1, "layers": [{"name": "c1", "bits": [8, 8, 8, 8]}, {"name": "conv2", "bits": [8, 8, 8, 8]}, {"name": "c3", "bits": [8, 8]}]}
//--- short.json
{"version": 1, "layers": [{"name": "c1", "bits": [8, 8, 8, 8]}, {"name": "c2", "bits": [8, 8, 8, 8]}]}
//--- ok.json
{"version": 1, "layers": [{"name": "c1", "bits": [8, 8, 8, 8]}, {"name": "c2", "bits": [8, 8, 8, 8]}, {"name": "c3", "bits": [8, 8]}]}
//--- nojson.json
{"layers": [
