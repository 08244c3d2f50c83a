func.func @unknown_loc() {
  %0 = arith.constant 1 : i32
  return %0 : i32 loc(unknown)
}
