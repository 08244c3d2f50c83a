// More IR printing flags, --dump-pass-pipeline and -p.
// -after-change: canonicalize folds (printed); cse then changes nothing (not printed).
// RUN: ajpq-opt %s --canonicalize --cse --mlir-print-ir-after-all --mlir-print-ir-after-change -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHANGE
// CHANGE: IR Dump After Canonicalizer (canonicalize)
// CHANGE-NOT: IR Dump After CSE
// -after-failure: only the failing pass's IR, marked Failed.
// RUN: not ajpq-opt %S/Inputs/gather-out-of-range.mlir --canonicalize --ajpq-verify --mlir-print-ir-after-failure -o /dev/null 2>&1 | FileCheck %s --check-prefix=FAILURE
// FAILURE-NOT: IR Dump After Canonicalizer
// FAILURE: // -----// IR Dump After AjpqVerify Failed (ajpq-verify) //----- //
// FAILURE-NEXT: module {
// Module scope prints the whole module after a func.func pass; it needs
// threading off (MLIR would abort otherwise: ajpq-opt refuses first).
// RUN: ajpq-opt %s --pass-pipeline='builtin.module(func.func(cse))' --mlir-print-ir-after-all --mlir-print-ir-module-scope --mlir-disable-threading -o /dev/null 2>&1 | FileCheck %s --check-prefix=SCOPE
// SCOPE: IR Dump After CSE (cse) ('func.func' operation: @fold)
// SCOPE-NEXT: module {
// RUN: not ajpq-opt %s --mlir-print-ir-after-all --mlir-print-ir-module-scope 2>&1 | FileCheck %s --check-prefix=SCOPE-THREADS
// SCOPE-THREADS: ajpq-opt: error: IR print for module scope can't be setup on a pass-manager without disabling multi-threading first
// The pipeline as built: ajpq passes with their automatic ajpq-verify, upstream
// passes with their options filled in by upstream.
// RUN: ajpq-opt %s -p 'builtin.module(canonicalize{max-iterations=5},ajpq-test-func{tag=x},func.func(cse))' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=DUMP
// DUMP: Pass pipeline:
// DUMP-NEXT: builtin.module(canonicalize{{{.*}}max-iterations=5{{.*}}},func.func(ajpq-test-func,ajpq-verify),func.func(cse))
// RUN: ajpq-opt %s --mlir-pass-statistics --mlir-pass-statistics-display=pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=STATS
// STATS: Pass statistics report
// RUN: not ajpq-opt %s --mlir-pass-statistics-display=tree 2>&1 | FileCheck %s --check-prefix=STATS-BAD
// STATS-BAD: ajpq-opt: for the --mlir-pass-statistics-display option: 'tree' is not one of list|pipeline
func.func @fold() -> i32 {
  %one = arith.constant 1 : i32
  %two = arith.constant 2 : i32
  %sum = arith.addi %one, %two : i32
  return %sum : i32
}
