module attributes {ajpq.test = 7 : i64} {
  func.func @inner() {
    return
  }
}
