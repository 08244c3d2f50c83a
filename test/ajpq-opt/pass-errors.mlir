// Errors from ajpq passes: located at the op, exit 1, no output file, and the
// run fails even when the pass emits an error but does not signal failure.
// RUN: rm -rf %t.d && mkdir %t.d
// RUN: not ajpq-opt %s --ajpq-test-func="error-on=second" -o %t.d/out.mlir 2>&1 | FileCheck %s
// RUN: not ajpq-opt %s --ajpq-test-func="error-on=second signal-failure=false" -o %t.d/out.mlir 2>&1 | FileCheck %s
// RUN: ls %t.d | count 0
// Error-free runs of the same pass succeed.
// RUN: ajpq-opt %s --ajpq-test-func="error-on=absent" -o %t.d/out.mlir
// RUN: ls %t.d | count 1
// CHECK: pass-errors.mlir:[[@LINE+5]]:1: error: ajpq-test-func: error requested on @second
// CHECK-NOT: see current operation
func.func @first() {
  return
}
func.func @second() {
  return
}
