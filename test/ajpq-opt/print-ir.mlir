// --mlir-print-ir-before-all / -after-all (to stderr), elision of large
// elements attributes, generic form, debug info, timing, no threading.
// RUN: ajpq-opt %s --canonicalize --mlir-print-ir-before-all -o /dev/null 2>&1 | FileCheck %s --check-prefix=BEFORE
// BEFORE: // -----// IR Dump Before Canonicalizer (canonicalize) //----- //
// BEFORE: arith.addi
// BEFORE-NOT: IR Dump After
// RUN: ajpq-opt %s --canonicalize --ajpq-verify --mlir-print-ir-after-all -o /dev/null 2>&1 | FileCheck %s --check-prefix=AFTER
// AFTER: // -----// IR Dump After Canonicalizer (canonicalize) //----- //
// AFTER-NOT: arith.addi
// AFTER: // -----// IR Dump After AjpqVerify (ajpq-verify) //----- //
// AFTER-NOT: IR Dump Before
// RUN: ajpq-opt %s --mlir-elide-elementsattrs-if-larger=3 | FileCheck %s --check-prefix=ELIDE
// ELIDE: arith.constant dense_resource<__elided__> : tensor<4xi32>
// ELIDE: arith.constant dense<[1, 2, 3]> : tensor<3xi32>
// The elision applies to IR dumps as well.
// RUN: ajpq-opt %s --cse --mlir-elide-elementsattrs-if-larger=3 --mlir-print-ir-after-all -o /dev/null 2>&1 | FileCheck %s --check-prefix=ELIDE
// RUN: ajpq-opt %s | FileCheck %s --check-prefix=FULL
// FULL: arith.constant dense<[1, 2, 3, 4]> : tensor<4xi32>
// RUN: ajpq-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC
// GENERIC: "func.func"() <{function_type = () -> (tensor<4xi32>, tensor<3xi32>, i32), sym_name = "consts"}>
// RUN: ajpq-opt %s --mlir-print-debuginfo | FileCheck %s --check-prefix=DEBUGINFO
// DEBUGINFO: loc("{{.*}}print-ir.mlir":[[@LINE+12]]:
// RUN: ajpq-opt %s --canonicalize --mlir-timing --mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=TIMING
// TIMING: Execution time report
// TIMING: Canonicalizer
// TIMING: Total
// RUN: ajpq-opt %s --canonicalize --mlir-disable-threading | FileCheck %s --check-prefix=FOLDED
// FOLDED: arith.constant 3 : i32
func.func @consts() -> (tensor<4xi32>, tensor<3xi32>, i32) {
  %big = arith.constant dense<[1, 2, 3, 4]> : tensor<4xi32>
  %small = arith.constant dense<[1, 2, 3]> : tensor<3xi32>
  %one = arith.constant 1 : i32
  %two = arith.constant 2 : i32
  %sum = arith.addi %one, %two : i32
  return %big, %small, %sum : tensor<4xi32>, tensor<3xi32>, i32
}
