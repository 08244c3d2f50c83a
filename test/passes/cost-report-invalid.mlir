// ajpq-cost-report errors: an unwritable json=FILE and a module without a
// function; each a diagnostic and exit 1, no partial file left behind.
// RUN: split-file %s %t
// RUN: not ajpq-opt %t/model.mlir --ajpq-cost-report="json=%t/no/such/dir/r.json" 2>&1 | FileCheck %s --check-prefix=NODIR
// NODIR: error: ajpq-cost-report: json: cannot create output file '{{.*}}/no/such/dir/r.json': No such file or directory
// RUN: not ajpq-opt %t/empty.mlir --ajpq-cost-report 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: ajpq-cost-report: no func.func in the module
// A function without compressible layers is not an error: an empty report.
// RUN: ajpq-opt %t/nolayer.mlir --ajpq-cost-report -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOLAYER
// NOLAYER: total 0 0 0.000 0 0 0

//--- model.mlir
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  return %x : tensor<1x4xf32>
}
//--- empty.mlir
module {
}
//--- nolayer.mlir
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %y = tosa.add %x, %x : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
