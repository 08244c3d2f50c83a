// Float TOSA "glue" of a residual CNN (what stays outside the ajpq kernels):
// ReLU, residual add (fused with the ReLU), a per-channel broadcast add (not
// flattened: broadcast operand), a zero channel padding by concat, a 2x2 max
// pool, and an add on a non-multiple-of-16 size. Used by
// test/kernels/cgen-glue.test and cgen-upstream-pipeline.test.
module {
  func.func @main(%x: tensor<1x8x8x6xf32>) -> tensor<1x4x4x8xf32> {
    %bias = "tosa.const"() <{values = dense<[[[[0.5, -0.25, 1.0, 0.0, -2.0, 0.125]]]]> : tensor<1x1x1x6xf32>}> : () -> tensor<1x1x1x6xf32>
    %zeros = "tosa.const"() <{values = dense<0.0> : tensor<1x8x8x2xf32>}> : () -> tensor<1x8x8x2xf32>
    %r = tosa.clamp %x {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x8x8x6xf32>) -> tensor<1x8x8x6xf32>
    %s = tosa.add %r, %x : (tensor<1x8x8x6xf32>, tensor<1x8x8x6xf32>) -> tensor<1x8x8x6xf32>
    %s2 = tosa.clamp %s {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x8x8x6xf32>) -> tensor<1x8x8x6xf32>
    %b = tosa.add %s2, %bias : (tensor<1x8x8x6xf32>, tensor<1x1x1x6xf32>) -> tensor<1x8x8x6xf32>
    %c = tosa.concat %b, %zeros {axis = 3 : i32} : (tensor<1x8x8x6xf32>, tensor<1x8x8x2xf32>) -> tensor<1x8x8x8xf32>
    %p = tosa.max_pool2d %c {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x8x8x8xf32>) -> tensor<1x4x4x8xf32>
    %o = tosa.add %p, %p : (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
    return %o : tensor<1x4x4x8xf32>
  }
}
