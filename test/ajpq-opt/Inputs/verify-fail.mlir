// Each chunk breaks --verify-diagnostics in one way.
func.func @missing() {
  // expected-error@+1 {{this message is never produced}}
  return
}

// -----

func.func @unexpected() {
  %0 = arith.constant 1 : i32
  return %0 : i32
}

// -----

func.func @wrong_line() {
  %0 = arith.constant 1 : i32
  // expected-error@+2 {{'func.return' op has 1 operands}}
  return %0 : i32
}

// -----

func.func @wrong_kind() {
  %0 = arith.constant 1 : i32
  // expected-warning@+1 {{'func.return' op has 1 operands}}
  return %0 : i32
}

// -----

func.func @wrong_text() {
  %0 = arith.constant 1 : i32
  // expected-error@+1 {{op has 2 operands}}
  return %0 : i32
}

// -----

func.func @bad_regex() {
  // expected-error-re@+1 {{op {{[unclosed}} bracket}}
  return
}

// -----

func.func @unterminated_regex() {
  // expected-error-re@+1 {{op {{ never closed}}
  return
}

// -----

// expected-remark@+1 {{a remark that is not produced}}
func.func @ok() {
  return
}
