// --allow-unregistered-dialect: unregistered ops are an error unless allowed.
// RUN: not ajpq-opt %s 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: ajpq-opt %s --allow-unregistered-dialect | FileCheck %s
// RUN: ajpq-opt %s --allow-unregistered-dialect=true --cse | FileCheck %s
// ERR: unregistered.mlir:[[@LINE+3]]:12: error: operation being parsed with an unregistered dialect
// CHECK: "foo.bar"() : () -> ()
func.func @f() {
  "foo.bar"() : () -> ()
  return
}
