// --verify-diagnostics, passing cases: every designator, -re, notes, parse
// errors, the tool's own "parse failed" line for IRDL custom syntax, and
// ajpq-verify errors. Exit status 0 although every chunk has errors.
// RUN: ajpq-opt --split-input-file --verify-diagnostics --ajpq-verify %s

func.func @same_line() {
  %0 = arith.constant 1 : i32
  return %0 : i32 // expected-error {{has 1 operands, but enclosing function (@same_line) returns 0}}
}

// -----

func.func @plus() {
  %0 = arith.constant 1 : i32
  // expected-error@+2 {{'func.return' op has 1 operands}}

  return %0 : i32
}

// -----

func.func @minus() {
  %0 = arith.constant 1 : i32
  return %0 : i32
  // expected-error@-1 {{'func.return' op has 1 operands}}
}

// -----

func.func @above() {
  %0 = arith.constant 1 : i32
  return %0 : i32
  // expected-error@above {{'func.return' op has 1 operands}}
}

// -----

func.func @below() {
  %0 = arith.constant 1 : i32
  // @below names the next line that holds no directive.
  // expected-error@below {{'func.return' op has 1 operands}}
  return %0 : i32
}

// -----

func.func @below_re() {
  %0 = arith.constant 1 : i32
  // expected-error-re@below {{enclosing function (@{{[a-z_]+}}) returns {{[0-9]}}}}
  return %0 : i32
}

// -----

func.func @regex() {
  %0 = arith.constant 1 : i32
  // expected-error-re@+1 {{{{^}}'func.return' op has {{[0-9]+}} operands, but{{.*}}(@regex)}}
  return %0 : i32
}

// -----

func.func @regex_literal_parts() {
  %0 = arith.constant 1 : i32
  // The literal parts of a -re message are not regexes: '(' and '.' match themselves.
  // expected-error-re@+1 {{function (@{{regex_literal_parts}}) returns}}
  return %0 : i32
}

// -----

// expected-note@+1 {{see existing symbol definition here}}
func.func @dup() {
  return
}
// expected-error@+1 {{redefinition of symbol named 'dup'}}
func.func @dup() {
  return
}

// -----

func.func @syntax() {
  // expected-error@+1 {{expected SSA operand}}
  %0 = arith.addi , : i32
  return
}

// -----

// The IRDL parser fails on custom syntax without any diagnostic; ajpq-opt
// reports it at the first line of the chunk that is not a comment.
// expected-error@+1 {{failed to parse the input, and MLIR gave no diagnostic}}
func.func @custom_syntax(%x: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %y = ajpq.gather %x
  return %y : tensor<1x2xf32>
}

// -----

func.func @verifier(%x: tensor<1x3xf32>) -> tensor<1x2xf32> {
  // expected-error@+1 {{'ajpq.gather' op attribute 'indices': indices[1]=3 is outside [0, 3)}}
  %y = "ajpq.gather"(%x) {axis = 1 : i64, indices = array<i32: 0, 3>} : (tensor<1x3xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// A chunk without diagnostics and without directives passes.
func.func @clean() {
  return
}

// -----

func.func @unknown_loc() {
  %0 = arith.constant 1 : i32
  // expected-error@unknown {{'func.return' op has 1 operands}}
  return %0 : i32 loc(unknown)
}
