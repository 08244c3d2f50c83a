// Pipelines mixing ajpq and upstream passes, in both spellings.
// RUN: ajpq-opt %s --pass-pipeline='builtin.module(canonicalize,ajpq-verify,func.func(cse))' | FileCheck %s
// RUN: ajpq-opt %s --canonicalize --ajpq-verify --cse | FileCheck %s
// Upstream options go to upstream passes unchanged.
// RUN: ajpq-opt %s --canonicalize="max-iterations=5 region-simplify=aggressive" --cse | FileCheck %s
// RUN: ajpq-opt %s --pass-pipeline='builtin.module(func.func(canonicalize{max-iterations=5},cse),ajpq-verify)' | FileCheck %s
// With no pass the IR is unchanged.
// RUN: ajpq-opt %s | FileCheck %s --check-prefix=NOPASS

// canonicalize folds 2 + 3; cse merges the two identical muli.
// CHECK-LABEL: func.func @fold_and_cse(
// CHECK-SAME: %[[X:.*]]: i32)
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : i32
// CHECK-DAG: %[[M:.*]] = arith.muli %[[X]], %[[X]] : i32
// CHECK-NOT: arith.muli
// CHECK: %[[S:.*]] = arith.addi %[[M]], %[[M]] : i32
// CHECK: %[[R:.*]] = arith.addi %[[S]], %[[C5]] : i32
// CHECK: return %[[R]] : i32
// NOPASS-COUNT-2: arith.muli
// NOPASS: arith.addi
func.func @fold_and_cse(%x: i32) -> i32 {
  %a = arith.constant 2 : i32
  %b = arith.constant 3 : i32
  %c = arith.addi %a, %b : i32
  %m1 = arith.muli %x, %x : i32
  %m2 = arith.muli %x, %x : i32
  %s = arith.addi %m1, %m2 : i32
  %r = arith.addi %s, %c : i32
  return %r : i32
}

// ajpq ops (generic form) pass through upstream passes and ajpq-verify.
// CHECK-LABEL: func.func @with_ajpq(
// CHECK: "ajpq.gather"(%{{.*}}) {axis = 1 : i64, indices = array<i32: 0, 2>} : (tensor<1x3xf32>) -> tensor<1x2xf32>
func.func @with_ajpq(%x: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %y = "ajpq.gather"(%x) {axis = 1 : i64, indices = array<i32: 0, 2>} : (tensor<1x3xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
