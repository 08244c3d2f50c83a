func.func @f() {
  %0 = arith.constant 1 : i32 loc("myname")
  return %0 : i32 loc("retname")
}
