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
