// A single top-level op that is not a module is wrapped too; an explicit
// module keeps its attributes; an empty input gives an empty module.
// RUN: ajpq-opt %s | FileCheck %s
// RUN: ajpq-opt %S/Inputs/module-attrs.mlir | FileCheck %s --check-prefix=ATTRS
// RUN: printf '' | ajpq-opt | FileCheck %s --check-prefix=EMPTY
// RUN: printf '// only a comment\n' | ajpq-opt - | FileCheck %s --check-prefix=EMPTY
// CHECK: module {
// CHECK-NEXT: func.func @only()
// ATTRS: module attributes {ajpq.test = 7 : i64} {
// ATTRS-NEXT: func.func @inner()
// ATTRS-NOT: module
// EMPTY: module {
// EMPTY-NEXT: }
func.func @only() {
  return
}
