// One tosa.clamp (ReLU6) with the importer's `ajpq.name` argument/result
// attributes (ajpq-translate --import-onnx of a one-node Clip model): the
// smallest model whose JIT/object code allocates a buffer per call (the
// model function's result, copied into the caller's output by the C entry).
// Used by test/kernels/cgen-jit-dealloc.test.
module {
  func.func @main(%arg0: tensor<1x4xf32> {ajpq.name = "x"}) -> (tensor<1x4xf32> {ajpq.name = "y"}) {
    %0 = tosa.clamp %arg0 {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32>
    return %0 : tensor<1x4xf32>
  }
}
