// Remarks from an upstream pass (the transform interpreter's
// transform.debug.emit_remark_at) are printed and verified like errors.
// RUN: ajpq-opt %s --transform-interpreter --verify-diagnostics
// RUN: ajpq-opt %s --transform-interpreter 2>&1 >/dev/null | FileCheck %s
// CHECK: verify-diagnostics-remark.mlir:[[@LINE+3]]:3: remark: found func.func
// CHECK-NOT: see current operation
module attributes {transform.with_named_sequence} {
  func.func @f() { // expected-remark {{found func.func}}
    return
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %f = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.debug.emit_remark_at %f, "found func.func" : !transform.any_op
    transform.yield
  }
}
