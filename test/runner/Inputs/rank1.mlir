func.func @main(%x: tensor<7xf32>) -> tensor<7xf32> {
  return %x : tensor<7xf32>
}
