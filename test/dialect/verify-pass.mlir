// The ajpq-verify pass through both driver syntaxes: a valid module passes
// unchanged; an invalid op fails with exit 1 and the verifier's message at
// the op's location (file:line:col), also when nested in a pipeline with
// upstream passes.
// RUN: ajpq-opt --split-input-file --ajpq-verify %s -o - 2>&1 | FileCheck %s --check-prefix=OK
// RUN: ajpq-opt --split-input-file --pass-pipeline='builtin.module(canonicalize,ajpq-verify)' %s 2>&1 | FileCheck %s --check-prefix=OK
// RUN: not ajpq-opt --ajpq-verify %S/Inputs/bad-kept.mlir 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not ajpq-opt --pass-pipeline='builtin.module(ajpq-verify,func.func(cse))' %S/Inputs/bad-kept.mlir 2>&1 | FileCheck %s --check-prefix=BAD

// OK-LABEL: func.func @valid
// OK: "ajpq.matmul"
// OK-NOT: error
func.func @valid(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %y = "ajpq.matmul"(%x) {weights = dense<[1, 2, 3, 4]> : tensor<4xi8>, format = "ajpq.rowpacked-lsb", bits = array<i8: 4, 4>, kept = array<i32: 0, 2>, orig_channels = 3 : i64, scale = array<f32: 0.5, 0.25>, zero_point = array<f32: 8.0, 8.0>, kernel = array<i64: 4>} : (tensor<2x4xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// BAD: bad-kept.mlir:4:8: error: 'ajpq.matmul' op attribute 'kept': indices must be strictly increasing (kept[1]=1 after kept[0]=2)
// BAD-NOT: see current operation
