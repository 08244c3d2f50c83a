// ajpq.irdl.mlir — structure of the `ajpq` dialect (semantics: docs/dialect.md).
//
// Embedded into the ajpq_dialect library at build time and loaded with
// mlirLoadIRDLDialects. IRDL checks structure only: attribute kinds (dense
// array, integer, float, string, dense / dense_resource elements), one tensor
// operand and one tensor result. It cannot check dense-array element types,
// optional attributes (bias, input_scale, input_zero_point are therefore not
// declared here) or any value rule: those are in dialect/verify_op.c
// (`ajpq-verify`). One constraint op per use: an IRDL SSA value used twice
// would force both attributes to be equal.
irdl.dialect @ajpq {
  // 2-D convolution (NHWC) over packed per-channel weights; optional bias, input_scale, input_zero_point.
  irdl.operation @conv2d {
    %weights_dense = irdl.base "#builtin.dense_int_or_fp_elements"
    %weights_resource = irdl.base "#builtin.dense_resource_elements"
    %weights = irdl.any_of(%weights_dense, %weights_resource)
    %format = irdl.base "#builtin.string"
    %bits = irdl.base "#builtin.dense_array"
    %kept = irdl.base "#builtin.dense_array"
    %orig_channels = irdl.base "#builtin.integer"
    %scale = irdl.base "#builtin.dense_array"
    %zero_point = irdl.base "#builtin.dense_array"
    %kernel = irdl.base "#builtin.dense_array"
    %stride = irdl.base "#builtin.dense_array"
    %pad = irdl.base "#builtin.dense_array"
    %dilation = irdl.base "#builtin.dense_array"
    %groups = irdl.base "#builtin.integer"
    irdl.attributes {"weights" = %weights, "format" = %format, "bits" = %bits, "kept" = %kept, "orig_channels" = %orig_channels, "scale" = %scale, "zero_point" = %zero_point, "kernel" = %kernel, "stride" = %stride, "pad" = %pad, "dilation" = %dilation, "groups" = %groups}
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }

  // Fully-connected [..., K] x packed [N_kept, K]; optional bias, input_scale, input_zero_point.
  irdl.operation @matmul {
    %weights_dense = irdl.base "#builtin.dense_int_or_fp_elements"
    %weights_resource = irdl.base "#builtin.dense_resource_elements"
    %weights = irdl.any_of(%weights_dense, %weights_resource)
    %format = irdl.base "#builtin.string"
    %bits = irdl.base "#builtin.dense_array"
    %kept = irdl.base "#builtin.dense_array"
    %orig_channels = irdl.base "#builtin.integer"
    %scale = irdl.base "#builtin.dense_array"
    %zero_point = irdl.base "#builtin.dense_array"
    %kernel = irdl.base "#builtin.dense_array"
    irdl.attributes {"weights" = %weights, "format" = %format, "bits" = %bits, "kept" = %kept, "orig_channels" = %orig_channels, "scale" = %scale, "zero_point" = %zero_point, "kernel" = %kernel}
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }

  // Per-tensor f32 -> i8 activation quantization.
  irdl.operation @quantize {
    %scale = irdl.base "#builtin.float"
    %zero_point = irdl.base "#builtin.integer"
    %bits = irdl.base "#builtin.integer"
    irdl.attributes {"scale" = %scale, "zero_point" = %zero_point, "bits" = %bits}
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }

  // Per-tensor i8 -> f32 activation dequantization.
  irdl.operation @dequantize {
    %scale = irdl.base "#builtin.float"
    %zero_point = irdl.base "#builtin.integer"
    irdl.attributes {"scale" = %scale, "zero_point" = %zero_point}
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }

  // y[..., j, ...] = x[..., indices[j], ...].
  irdl.operation @gather {
    %axis = irdl.base "#builtin.integer"
    %indices = irdl.base "#builtin.dense_array"
    irdl.attributes {"axis" = %axis, "indices" = %indices}
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }

  // Inverse of gather: erased channels take fill[c] (or 0).
  irdl.operation @scatter {
    %axis = irdl.base "#builtin.integer"
    %indices = irdl.base "#builtin.dense_array"
    %size = irdl.base "#builtin.integer"
    %fill = irdl.base "#builtin.dense_array"
    irdl.attributes {"axis" = %axis, "indices" = %indices, "size" = %size, "fill" = %fill}
    %in = irdl.base "!builtin.tensor"
    %out = irdl.base "!builtin.tensor"
    irdl.operands(input: %in)
    irdl.results(output: %out)
  }
}
