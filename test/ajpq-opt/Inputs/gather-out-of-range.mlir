func.func @g(%x: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %y = "ajpq.gather"(%x) {axis = 1 : i64, indices = array<i32: 0, 3>} : (tensor<1x3xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
