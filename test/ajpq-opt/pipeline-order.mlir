// Passes run in command-line order; ajpq-verify runs after every ajpq pass
// (not after upstream ones); func.func-anchored ajpq passes are nested under
// func.func, also inside --pass-pipeline, and keep their options when cloned
// for worker threads.
// RUN: ajpq-opt %s --ajpq-test-options=count=1 --canonicalize --ajpq-test-options="count=2" --mlir-print-ir-after-all -o /dev/null 2>&1 | FileCheck %s
// CHECK: ajpq-test-options: count=1
// CHECK-NEXT: IR Dump After AjpqTestOptions (ajpq-test-options)
// CHECK: IR Dump After AjpqVerify (ajpq-verify)
// CHECK: IR Dump After Canonicalizer (canonicalize)
// CHECK-NOT: AjpqVerify
// CHECK: ajpq-test-options: count=2
// CHECK-NEXT: IR Dump After AjpqTestOptions (ajpq-test-options)
// CHECK: IR Dump After AjpqVerify (ajpq-verify)
// CHECK-NOT: IR Dump

// RUN: ajpq-opt %s --ajpq-test-func="tag=flag" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FUNC
// RUN: ajpq-opt %s --mlir-disable-threading --ajpq-test-func="tag=flag" -o /dev/null 2>&1 | FileCheck %s --check-prefix=FUNC
// RUN: ajpq-opt %s --pass-pipeline='builtin.module(ajpq-test-func{tag=flag})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=FUNC
// RUN: ajpq-opt %s --pass-pipeline='builtin.module(func.func(cse,ajpq-test-func{tag=flag}))' -o /dev/null 2>&1 | FileCheck %s --check-prefix=FUNC
// FUNC-DAG: ajpq-test-func: flag @one
// FUNC-DAG: ajpq-test-func: flag @two
// FUNC-DAG: ajpq-test-func: flag @three
// FUNC-NOT: error

// A func.func pipeline cannot hold a module pass: clear error, exit 1.
// RUN: not ajpq-opt %s --pass-pipeline='builtin.module(func.func(ajpq-test-options))' 2>&1 | FileCheck %s --check-prefix=ANCHOR
// ANCHOR: ajpq-opt: error: pass 'ajpq-test-options' runs on 'builtin.module' and cannot be scheduled in a 'func.func' pipeline
func.func @one() {
  return
}
func.func @two() {
  return
}
func.func @three() {
  return
}
