// Input and output: file, stdin ('-' and nothing), -o FILE, implicit module.
// RUN: ajpq-opt %s | FileCheck %s
// RUN: ajpq-opt < %s | FileCheck %s
// RUN: ajpq-opt - < %s | FileCheck %s
// RUN: rm -f %t && ajpq-opt %s -o %t && FileCheck %s < %t
// RUN: ajpq-opt %s -o=%t.2 && FileCheck %s < %t.2
// Output written through a pipe equals the -o file.
// RUN: ajpq-opt %s | diff - %t
// Several top-level ops are wrapped in one module, as mlir-opt does.
// CHECK: module {
// CHECK-NEXT: func.func @first() {
// CHECK: func.func @second(%[[A:.*]]: i32) -> i32 {
// CHECK-NEXT: return %[[A]] : i32
// CHECK-NOT: module
func.func @first() {
  return
}
func.func @second(%a: i32) -> i32 {
  return %a : i32
}
// Several top-level ops and an error: the module wrapper added by ajpq-opt
// does not move line numbers (the first op is on line 1 of that file), with
// and without --split-input-file, and in --verify-diagnostics mode.
// RUN: not ajpq-opt %S/Inputs/two-funcs-bad.mlir 2>&1 | FileCheck %s --check-prefix=LINES
// RUN: not ajpq-opt --split-input-file %S/Inputs/two-funcs-bad.mlir 2>&1 | FileCheck %s --check-prefix=LINES
// LINES: two-funcs-bad.mlir:6:3: error: 'func.return' op has 1 operands, but enclosing function (@bad) returns 0
// LINES-NEXT: {{^}}  return %0 : i32
// LINES-NEXT: {{^}}  ^
// RUN: not ajpq-opt --verify-diagnostics %S/Inputs/two-funcs-bad.mlir 2>&1 | FileCheck %s --check-prefix=LINES-VERIFY
// LINES-VERIFY: two-funcs-bad.mlir:6:3: error: unexpected error: 'func.return' op has 1 operands
