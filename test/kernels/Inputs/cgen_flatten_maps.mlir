// Input of cgen-upstream-pipeline.test, case 3: linalg ops on buffers that
// phase 3 (flatten_elementwise) must leave alone (a transpose, a generic with
// a permuted input map, a generic with one transposed map on every operand)
// next to ones it must flatten (an identity-map generic, linalg.add).
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#tr = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1, d2)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#tr2 = affine_map<(d0, d1) -> (d1, d0)>
func.func @f(%a: memref<1x4x4x8xf32>, %o: memref<1x8x4x4xf32>, %b: memref<1x4x4x8xf32>, %c: memref<1x4x4x8xf32>, %d: memref<1x4x4x8xf32>, %e: memref<4x4xf32>, %g: memref<4x4xf32>) {
  linalg.transpose ins(%a : memref<1x4x4x8xf32>) outs(%o : memref<1x8x4x4xf32>) permutation = [0, 3, 1, 2]
  linalg.generic {indexing_maps = [#tr, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%o : memref<1x8x4x4xf32>) outs(%b : memref<1x4x4x8xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#tr2, #tr2], iterator_types = ["parallel", "parallel"]} ins(%e : memref<4x4xf32>) outs(%g : memref<4x4xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%e : memref<4x4xf32>) outs(%g : memref<4x4xf32>) {
  ^bb0(%x: f32, %y: f32):
    %s = arith.mulf %x, %x : f32
    linalg.yield %s : f32
  }
  linalg.add ins(%b, %c : memref<1x4x4x8xf32>, memref<1x4x4x8xf32>) outs(%d : memref<1x4x4x8xf32>)
  return
}
