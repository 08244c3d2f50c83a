// --split-input-file: each chunk is parsed and run on its own, outputs are
// joined by the marker, a failing chunk does not stop the others, and
// diagnostics keep the line numbers of the original file.
// RUN: not ajpq-opt --split-input-file %s 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=ERR < %t.err
// Without the flag the file is one module and the first error stops it.
// RUN: not ajpq-opt %s 2>&1 | FileCheck %s --check-prefix=WHOLE
// WHOLE-NOT: module
// A custom marker.
// RUN: ajpq-opt --split-input-file='// =====' %S/Inputs/custom-marker.mlir | FileCheck %s --check-prefix=CUSTOM

// CHECK: module {
// CHECK-NEXT: func.func @chunk_one()
// CHECK: {{^}}}
// CHECK-EMPTY:
// CHECK-NEXT: // -----
// CHECK-NEXT: // -----
// CHECK-NEXT: module {
// CHECK-NEXT: func.func @chunk_one()
// CHECK: func.func @chunk_three()
// CHECK: // -----
// CHECK-NEXT: module {
// CHECK-NEXT: }
// CHECK-NOT: module
func.func @chunk_one() {
  return
}

// -----

func.func @chunk_two() {
  %0 = arith.constant 1 : i32
  // WHOLE: split-input-file.mlir:[[@LINE+2]]:3: error: 'func.return' op has 1 operands
  // ERR: split-input-file.mlir:[[@LINE+1]]:3: error: 'func.return' op has 1 operands, but enclosing function (@chunk_two) returns 0
  return %0 : i32
}
// ERR-NOT: see current operation
// ERR-NOT: error

// -----
func.func @chunk_one() {
  return
}
func.func @chunk_three() {
  return
}

// -----
// CUSTOM: func.func @a()
// CUSTOM: // =====
// CUSTOM-NEXT: module {
// CUSTOM-NEXT: func.func @b()
