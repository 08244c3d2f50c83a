/* verify_op.c — the rules of docs/dialect.md that IRDL cannot express: array
 * element types and lengths, bit-width and index ranges, packed sizes, scale
 * and zero-point domains, conv/matmul shape arithmetic, activation
 * parameters, gather/scatter index rules. Each rule has its own message
 * "'ajpq.<op>' op attribute '<name>': …" at the op's location. Checking stops
 * at the first broken rule of an op (later rules may depend on it). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ajpq_dialect.h"
#include "ajpq_dialect_internal.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Diagnostics.h"

typedef struct {
  MlirOperation op;
  const char *name; /* "ajpq.conv2d" */
} vctx_t;

__attribute__((format(printf, 2, 3))) static bool fail(const vctx_t *v, const char *fmt, ...) {
  char msg[480], buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(buf, sizeof buf, "'%s' op %s", v->name, msg);
  mlirEmitError(mlirOperationGetLocation(v->op), buf);
  return false;
}

/* ---------------------------------------------------------------- types */

static bool type_is_int(MlirType t, unsigned w) {
  return mlirTypeIsAInteger(t) && mlirIntegerTypeGetWidth(t) == w && mlirIntegerTypeIsSignless(t);
}

/* 'f' f32, 'b' i8, 'a' f32 or i8; checks a ranked tensor type. */
static bool tensor_of(MlirType t, char elem) {
  if (!mlirTypeIsARankedTensor(t))
    return false;
  MlirType e = mlirShapedTypeGetElementType(t);
  bool f = mlirTypeIsAF32(e), b = type_is_int(e, 8);
  return elem == 'f' ? f : elem == 'b' ? b : (f || b);
}

static void type_str_cb(MlirStringRef s, void *user) {
  char *buf = user;
  size_t have = strlen(buf);
  size_t room = 95 - have;
  size_t n = s.length < room ? s.length : room;
  memcpy(buf + have, s.data, n);
  buf[have + n] = 0;
}

/* Printed form of a type, truncated to 95 characters. */
static const char *type_str(MlirType t, char buf[96]) {
  buf[0] = 0;
  mlirTypePrint(t, type_str_cb, buf);
  return buf;
}

/* ------------------------------------------------------- attribute access */

typedef struct {
  MlirAttribute a;
  intptr_t n;
} arr_t;

/* Fetches a dense array attribute with the right element type. kind: 'b' i8,
 * 'i' i32, 'l' i64, 'f' f32. `required` false: absent is fine (a.a null). */
static bool get_array(const vctx_t *v, const char *name, char kind, bool required, arr_t *out) {
  out->a = ajpq__attr(v->op, name);
  out->n = 0;
  const char *tn = kind == 'b' ? "i8" : kind == 'i' ? "i32" : kind == 'l' ? "i64" : "f32";
  if (mlirAttributeIsNull(out->a)) {
    if (!required)
      return true;
    return fail(v, "requires attribute '%s' (array<%s>)", name, tn);
  }
  bool ok = kind == 'b'   ? mlirAttributeIsADenseI8Array(out->a)
            : kind == 'i' ? mlirAttributeIsADenseI32Array(out->a)
            : kind == 'l' ? mlirAttributeIsADenseI64Array(out->a)
                          : mlirAttributeIsADenseF32Array(out->a);
  if (!ok)
    return fail(v, "attribute '%s': must be array<%s>", name, tn);
  out->n = mlirDenseArrayGetNumElements(out->a);
  return true;
}

/* An integer attribute of exactly `width` bits (signless). */
static bool get_int(const vctx_t *v, const char *name, unsigned width, int64_t *val) {
  MlirAttribute a = ajpq__attr(v->op, name);
  if (mlirAttributeIsNull(a))
    return fail(v, "requires attribute '%s' (i%u)", name, width);
  if (!mlirAttributeIsAInteger(a) || !type_is_int(mlirAttributeGetType(a), width))
    return fail(v, "attribute '%s': must be an i%u integer", name, width);
  *val = mlirIntegerAttrGetValueInt(a);
  return true;
}

static bool get_f32(const vctx_t *v, const char *name, float *val) {
  MlirAttribute a = ajpq__attr(v->op, name);
  if (mlirAttributeIsNull(a))
    return fail(v, "requires attribute '%s' (f32)", name);
  if (!mlirAttributeIsAFloat(a) || !mlirTypeIsAF32(mlirAttributeGetType(a)))
    return fail(v, "attribute '%s': must be an f32 float", name);
  *val = (float)mlirFloatAttrGetValueDouble(a);
  return true;
}

static bool check_len(const vctx_t *v, const char *name, const arr_t *a, intptr_t want,
                      const char *why) {
  if (a->n != want)
    return fail(v, "attribute '%s': has %ld elements, expected %ld (%s)", name, (long)a->n,
                (long)want, why);
  return true;
}

/* Activation quantization parameters: scale f32 finite > 0, zero point i32
 * in [qmin, qmax]. */
static bool check_act_params(const vctx_t *v, const char *sname, const char *zname, int bits) {
  float s = 0.0f;
  int64_t z = 0;
  if (!get_f32(v, sname, &s))
    return false;
  if (!isfinite(s) || !(s > 0.0f))
    return fail(v, "attribute '%s': %g must be finite and > 0", sname, (double)s);
  if (!get_int(v, zname, 32, &z))
    return false;
  int64_t qmin = -(INT64_C(1) << (bits - 1)), qmax = (INT64_C(1) << (bits - 1)) - 1;
  if (z < qmin || z > qmax)
    return fail(v, "attribute '%s': %lld is outside the %d-bit range [%lld, %lld]", zname,
                (long long)z, bits, (long long)qmin, (long long)qmax);
  return true;
}

/* ------------------------------------------------------------ compute ops */

static bool verify_compute(const vctx_t *v, bool conv) {
  MlirOperation op = v->op;
  char tb[96];
  if (mlirOperationGetNumOperands(op) != 1 || mlirOperationGetNumResults(op) != 1)
    return fail(v, "must have one operand and one result");
  MlirType in_t = mlirValueGetType(mlirOperationGetOperand(op, 0));
  MlirType out_t = mlirValueGetType(mlirOperationGetResult(op, 0));
  if (!tensor_of(in_t, 'a'))
    return fail(v, "operand 'input': must be a ranked tensor of f32 or i8, got %s",
                type_str(in_t, tb));
  if (!tensor_of(out_t, 'f'))
    return fail(v, "result: must be a ranked tensor of f32, got %s", type_str(out_t, tb));
  bool int8_in = tensor_of(in_t, 'b');
  intptr_t rank = mlirShapedTypeGetRank(in_t);
  if (conv && rank != 4)
    return fail(v, "operand 'input': must be NHWC (rank 4), got rank %ld", (long)rank);
  if (!conv && rank < 1)
    return fail(v, "operand 'input': must have rank >= 1");
  if (mlirShapedTypeGetRank(out_t) != rank)
    return fail(v, "result: rank %ld differs from the input's rank %ld",
                (long)mlirShapedTypeGetRank(out_t), (long)rank);

  /* format */
  MlirAttribute fmt = ajpq__attr(op, "format");
  if (mlirAttributeIsNull(fmt) || !mlirAttributeIsAString(fmt))
    return fail(v, "attribute 'format': must be a string");
  MlirStringRef fs = mlirStringAttrGetValue(fmt);
  if (fs.length != strlen(AJPQ_PACK_FORMAT) || memcmp(fs.data, AJPQ_PACK_FORMAT, fs.length) != 0)
    return fail(v, "attribute 'format': unknown packing format '%.*s', expected '%s'",
                (int)(fs.length > 64 ? 64 : fs.length), fs.data, AJPQ_PACK_FORMAT);

  /* element types of every array */
  arr_t bits, kept, scale, zp, bias, kernel, stride = {0}, pad = {0}, dil = {0};
  if (!get_array(v, "bits", 'b', true, &bits) || !get_array(v, "kept", 'i', true, &kept) ||
      !get_array(v, "scale", 'f', true, &scale) || !get_array(v, "zero_point", 'f', true, &zp) ||
      !get_array(v, "bias", 'f', false, &bias) || !get_array(v, "kernel", 'l', true, &kernel))
    return false;
  if (conv && (!get_array(v, "stride", 'l', true, &stride) ||
               !get_array(v, "pad", 'l', true, &pad) || !get_array(v, "dilation", 'l', true, &dil)))
    return false;
  int64_t orig, groups = 1;
  if (!get_int(v, "orig_channels", 64, &orig))
    return false;
  if (conv && !get_int(v, "groups", 64, &groups))
    return false;

  /* lengths */
  intptr_t n = bits.n;
  if (n < 1)
    return fail(v, "attribute 'bits': must not be empty (an op whose channels are all erased "
                   "must be removed)");
  const char *per = "one per kept channel, as 'bits'";
  if (!check_len(v, "kept", &kept, n, per) || !check_len(v, "scale", &scale, n, per) ||
      !check_len(v, "zero_point", &zp, n, per) ||
      (!mlirAttributeIsNull(bias.a) && !check_len(v, "bias", &bias, n, per)))
    return false;
  if (conv) {
    if (!check_len(v, "kernel", &kernel, 3, "KH, KW, CinPerGroup") ||
        !check_len(v, "stride", &stride, 2, "sh, sw") ||
        !check_len(v, "pad", &pad, 4, "top, bottom, left, right") ||
        !check_len(v, "dilation", &dil, 2, "dh, dw"))
      return false;
  } else if (!check_len(v, "kernel", &kernel, 1, "K")) {
    return false;
  }
  int64_t out_c = mlirShapedTypeGetDimSize(out_t, rank - 1);
  if (!mlirShapedTypeIsDynamicDim(out_t, rank - 1) && out_c != n)
    return fail(v, "result: channel dimension is %lld, expected N_kept = %ld (length of 'bits')",
                (long long)out_c, (long)n);

  /* per-channel values */
  if (orig < 1)
    return fail(v, "attribute 'orig_channels': %lld must be >= 1", (long long)orig);
  for (intptr_t j = 0; j < n; j++) {
    int b = mlirDenseI8ArrayGetElement(bits.a, j);
    if (b < AJPQ_MIN_BITS || b > AJPQ_MAX_BITS)
      return fail(v,
                  "attribute 'bits': bits[%ld]=%d is not in 1..8 (0-bit channels must be erased)",
                  (long)j, b);
  }
  for (intptr_t j = 0; j < n; j++) {
    int32_t k = mlirDenseI32ArrayGetElement(kept.a, j);
    if (k < 0 || k >= orig)
      return fail(v, "attribute 'kept': kept[%ld]=%d is outside [0, orig_channels=%lld)", (long)j,
                  k, (long long)orig);
    if (j > 0) {
      int32_t prev = mlirDenseI32ArrayGetElement(kept.a, j - 1);
      if (k <= prev)
        return fail(v,
                    "attribute 'kept': indices must be strictly increasing (kept[%ld]=%d after "
                    "kept[%ld]=%d)",
                    (long)j, k, (long)(j - 1), prev);
    }
  }
  for (intptr_t j = 0; j < n; j++) {
    float s = mlirDenseF32ArrayGetElement(scale.a, j);
    if (!isfinite(s) || !(s > 0.0f))
      return fail(v, "attribute 'scale': scale[%ld]=%g must be finite and > 0", (long)j, (double)s);
  }
  for (intptr_t j = 0; j < n; j++) {
    float z = mlirDenseF32ArrayGetElement(zp.a, j);
    int b = mlirDenseI8ArrayGetElement(bits.a, j);
    float qmax = (float)((1 << b) - 1);
    if (!isfinite(z) || 2.0f * z != floorf(2.0f * z) || z < 0.0f || z > qmax)
      return fail(v,
                  "attribute 'zero_point': zero_point[%ld]=%g must be a multiple of 0.5 in "
                  "[0, 2^bits - 1 = %d]",
                  (long)j, (double)z, (1 << b) - 1);
  }
  if (!mlirAttributeIsNull(bias.a))
    for (intptr_t j = 0; j < n; j++) {
      float b = mlirDenseF32ArrayGetElement(bias.a, j);
      if (!isfinite(b))
        return fail(v, "attribute 'bias': bias[%ld]=%g must be finite", (long)j, (double)b);
    }

  /* kernel / stride / pad / dilation / groups values */
  int64_t kv[3] = {1, 1, 1}, sv[2] = {1, 1}, pv[4] = {0, 0, 0, 0}, dv[2] = {1, 1};
  for (intptr_t i = 0; i < kernel.n; i++) {
    kv[i] = mlirDenseI64ArrayGetElement(kernel.a, i);
    if (kv[i] < 1 || kv[i] > (INT64_C(1) << 20))
      return fail(v, "attribute 'kernel': kernel[%ld]=%lld must be in [1, 2^20]", (long)i,
                  (long long)kv[i]);
  }
  if (conv) {
    for (int i = 0; i < 2; i++) {
      sv[i] = mlirDenseI64ArrayGetElement(stride.a, i);
      if (sv[i] < 1)
        return fail(v, "attribute 'stride': stride[%d]=%lld must be >= 1", i, (long long)sv[i]);
    }
    for (int i = 0; i < 4; i++) {
      pv[i] = mlirDenseI64ArrayGetElement(pad.a, i);
      if (pv[i] < 0 || pv[i] > (INT64_C(1) << 20))
        return fail(v, "attribute 'pad': pad[%d]=%lld must be in [0, 2^20]", i, (long long)pv[i]);
    }
    for (int i = 0; i < 2; i++) {
      dv[i] = mlirDenseI64ArrayGetElement(dil.a, i);
      if (dv[i] < 1 || dv[i] > (INT64_C(1) << 20))
        return fail(v, "attribute 'dilation': dilation[%d]=%lld must be in [1, 2^20]", i,
                    (long long)dv[i]);
    }
    if (groups < 1)
      return fail(v, "attribute 'groups': %lld must be >= 1", (long long)groups);
    if (n % groups != 0)
      return fail(v, "attribute 'groups': N_kept=%ld is not a multiple of groups=%lld", (long)n,
                  (long long)groups);
    if (orig % groups != 0)
      return fail(v, "attribute 'groups': orig_channels=%lld is not a multiple of groups=%lld",
                  (long long)orig, (long long)groups);
    int64_t per_new = n / groups, per_orig = orig / groups;
    for (intptr_t j = 0; j < n; j++) {
      int32_t k = mlirDenseI32ArrayGetElement(kept.a, j);
      if (k / per_orig != j / per_new)
        return fail(v,
                    "attribute 'kept': kept[%ld]=%d lies in original group %lld but result "
                    "channel %ld is in group %lld",
                    (long)j, k, (long long)(k / per_orig), (long)j, (long long)(j / per_new));
    }
  }
  int64_t K = conv ? kv[0] * kv[1] * kv[2] : kv[0];

  /* shapes */
  if (conv) {
    int64_t ci = mlirShapedTypeGetDimSize(in_t, 3);
    if (!mlirShapedTypeIsDynamicDim(in_t, 3) && ci != groups * kv[2])
      return fail(v,
                  "operand 'input': channel dimension Ci=%lld != groups (%lld) * CinPerGroup "
                  "(%lld)",
                  (long long)ci, (long long)groups, (long long)kv[2]);
    for (int d = 0; d < 2; d++) {
      const char *dn = d == 0 ? "OH" : "OW";
      if (mlirShapedTypeIsDynamicDim(in_t, 1 + d))
        continue;
      int64_t h = mlirShapedTypeGetDimSize(in_t, 1 + d);
      int64_t o = ajpq_conv_out_dim(h, kv[d], sv[d], pv[2 * d], pv[2 * d + 1], dv[d]);
      if (o < 1)
        return fail(v,
                    "attribute 'kernel': the dilated window (%lld) does not fit the padded input "
                    "(%lld)",
                    (long long)(dv[d] * (kv[d] - 1) + 1),
                    (long long)(h + pv[2 * d] + pv[2 * d + 1]));
      if (!mlirShapedTypeIsDynamicDim(out_t, 1 + d) && mlirShapedTypeGetDimSize(out_t, 1 + d) != o)
        return fail(v,
                    "result: %s is %lld, expected %lld from input, kernel, stride, pad and "
                    "dilation",
                    dn, (long long)mlirShapedTypeGetDimSize(out_t, 1 + d), (long long)o);
    }
    if (!mlirShapedTypeIsDynamicDim(in_t, 0) && !mlirShapedTypeIsDynamicDim(out_t, 0) &&
        mlirShapedTypeGetDimSize(in_t, 0) != mlirShapedTypeGetDimSize(out_t, 0))
      return fail(v, "result: batch dimension differs from the input's");
  } else {
    int64_t kin = mlirShapedTypeGetDimSize(in_t, rank - 1);
    if (!mlirShapedTypeIsDynamicDim(in_t, rank - 1) && kin != K)
      return fail(v,
                  "operand 'input': last dimension is %lld, expected K=%lld (attribute "
                  "'kernel')",
                  (long long)kin, (long long)K);
    for (intptr_t d = 0; d + 1 < rank; d++)
      if (!mlirShapedTypeIsDynamicDim(in_t, d) && !mlirShapedTypeIsDynamicDim(out_t, d) &&
          mlirShapedTypeGetDimSize(in_t, d) != mlirShapedTypeGetDimSize(out_t, d))
        return fail(v, "result: dimension %ld differs from the input's", (long)d);
  }

  /* activation parameters */
  bool has_s = !mlirAttributeIsNull(ajpq__attr(op, "input_scale"));
  bool has_z = !mlirAttributeIsNull(ajpq__attr(op, "input_zero_point"));
  if (int8_in) {
    if (!check_act_params(v, "input_scale", "input_zero_point", 8))
      return false;
  } else if (has_s || has_z) {
    return fail(v, "attribute '%s': only allowed when the input is i8",
                has_s ? "input_scale" : "input_zero_point");
  }

  /* weights */
  MlirAttribute w = ajpq__attr(op, "weights");
  if (mlirAttributeIsNull(w))
    return fail(v, "requires attribute 'weights'");
  MlirType wt = mlirAttributeGetType(w);
  if (!mlirTypeIsARankedTensor(wt) || mlirShapedTypeGetRank(wt) != 1 ||
      !type_is_int(mlirShapedTypeGetElementType(wt), 8) || mlirShapedTypeIsDynamicDim(wt, 0))
    return fail(v, "attribute 'weights': must be a tensor<Nxi8>, got %s", type_str(wt, tb));
  int64_t have = mlirShapedTypeGetDimSize(wt, 0);
  int64_t need = 0;
  for (intptr_t j = 0; j < n; j++) {
    int64_t row = ajpq_packed_row_bytes(K, mlirDenseI8ArrayGetElement(bits.a, j));
    if (row < 0 || need > INT64_MAX - row)
      return fail(v, "attribute 'kernel': K=%lld is too large (packed size overflows)",
                  (long long)K);
    need += row;
  }
  if (have != need)
    return fail(v,
                "attribute 'weights': holds %lld bytes, but bits and K=%lld need %lld (sum of "
                "ceil(K*bits/8))",
                (long long)have, (long long)K, (long long)need);
  if (mlirAttributeIsADenseResourceElements(w) && !ajpq__resource_has_data(w, have))
    return fail(v, "attribute 'weights': dense_resource blob is missing or not %lld bytes",
                (long long)have);
  return true;
}

/* --------------------------------------------------- quantize / dequantize */

static bool same_shape(MlirType a, MlirType b) {
  intptr_t r = mlirShapedTypeGetRank(a);
  if (mlirShapedTypeGetRank(b) != r)
    return false;
  for (intptr_t i = 0; i < r; i++)
    if (mlirShapedTypeGetDimSize(a, i) != mlirShapedTypeGetDimSize(b, i))
      return false;
  return true;
}

static bool verify_act(const vctx_t *v, bool quant) {
  char tb[96];
  MlirOperation op = v->op;
  if (mlirOperationGetNumOperands(op) != 1 || mlirOperationGetNumResults(op) != 1)
    return fail(v, "must have one operand and one result");
  MlirType in_t = mlirValueGetType(mlirOperationGetOperand(op, 0));
  MlirType out_t = mlirValueGetType(mlirOperationGetResult(op, 0));
  if (!tensor_of(in_t, quant ? 'f' : 'b'))
    return fail(v, "operand 'input': must be a ranked tensor of %s, got %s", quant ? "f32" : "i8",
                type_str(in_t, tb));
  if (!tensor_of(out_t, quant ? 'b' : 'f'))
    return fail(v, "result: must be a ranked tensor of %s, got %s", quant ? "i8" : "f32",
                type_str(out_t, tb));
  if (!same_shape(in_t, out_t))
    return fail(v, "result: shape must equal the input's");
  int64_t bits = 8;
  if (quant) {
    if (!get_int(v, "bits", 32, &bits))
      return false;
    if (bits < 2 || bits > 8)
      return fail(v, "attribute 'bits': %lld is not in 2..8", (long long)bits);
  }
  return check_act_params(v, "scale", "zero_point", (int)bits);
}

/* ------------------------------------------------------- gather / scatter */

static bool verify_map(const vctx_t *v, bool scatter) {
  char tb[96];
  MlirOperation op = v->op;
  if (mlirOperationGetNumOperands(op) != 1 || mlirOperationGetNumResults(op) != 1)
    return fail(v, "must have one operand and one result");
  MlirType in_t = mlirValueGetType(mlirOperationGetOperand(op, 0));
  MlirType out_t = mlirValueGetType(mlirOperationGetResult(op, 0));
  if (!tensor_of(in_t, 'a'))
    return fail(v, "operand 'input': must be a ranked tensor of f32 or i8, got %s",
                type_str(in_t, tb));
  if (!mlirTypeIsARankedTensor(out_t) ||
      !mlirTypeEqual(mlirShapedTypeGetElementType(out_t), mlirShapedTypeGetElementType(in_t)))
    return fail(v, "result: must be a ranked tensor with the input's element type, got %s",
                type_str(out_t, tb));
  intptr_t rank = mlirShapedTypeGetRank(in_t);
  if (mlirShapedTypeGetRank(out_t) != rank)
    return fail(v, "result: rank must equal the input's");
  int64_t axis, size = 0;
  arr_t idx, fill = {0};
  if (!get_int(v, "axis", 64, &axis))
    return false;
  if (axis < 0 || axis >= rank)
    return fail(v, "attribute 'axis': %lld is outside [0, rank=%ld)", (long long)axis, (long)rank);
  if (!get_array(v, "indices", 'i', true, &idx))
    return false;
  if (scatter) {
    if (!get_int(v, "size", 64, &size) || !get_array(v, "fill", 'f', true, &fill))
      return false;
    if (size < idx.n || size > INT32_MAX)
      return fail(v, "attribute 'size': %lld must be in [number of indices = %ld, 2^31)",
                  (long long)size, (long)idx.n);
    if (fill.n != 0 && fill.n != size)
      return fail(v, "attribute 'fill': has %ld elements, expected 0 or size=%lld", (long)fill.n,
                  (long long)size);
  }
  int64_t src = scatter ? size : mlirShapedTypeGetDimSize(in_t, axis);
  bool src_known = scatter || !mlirShapedTypeIsDynamicDim(in_t, axis);
  for (intptr_t j = 0; j < idx.n; j++) {
    int32_t k = mlirDenseI32ArrayGetElement(idx.a, j);
    if (k < 0 || (src_known && k >= src))
      return fail(v, "attribute 'indices': indices[%ld]=%d is outside [0, %lld)", (long)j, k,
                  (long long)(src_known ? src : INT32_MAX));
    if (scatter && j > 0) {
      int32_t prev = mlirDenseI32ArrayGetElement(idx.a, j - 1);
      if (k <= prev)
        return fail(v,
                    "attribute 'indices': must be strictly increasing (indices[%ld]=%d after "
                    "indices[%ld]=%d)",
                    (long)j, k, (long)(j - 1), prev);
    }
  }
  if (scatter && fill.n > 0) {
    bool i8 = tensor_of(in_t, 'b');
    for (intptr_t c = 0; c < fill.n; c++) {
      float f = mlirDenseF32ArrayGetElement(fill.a, c);
      if (!isfinite(f) || (i8 && (f != floorf(f) || f < -128.0f || f > 127.0f)))
        return fail(v, "attribute 'fill': fill[%ld]=%g must be finite%s", (long)c, (double)f,
                    i8 ? " and an integer in [-128, 127] for i8 tensors" : "");
    }
  }
  int64_t in_axis = scatter ? idx.n : -1, out_axis = scatter ? size : idx.n;
  if (scatter && !mlirShapedTypeIsDynamicDim(in_t, axis) &&
      mlirShapedTypeGetDimSize(in_t, axis) != in_axis)
    return fail(v, "operand 'input': dimension %lld is %lld, expected %lld (number of indices)",
                (long long)axis, (long long)mlirShapedTypeGetDimSize(in_t, axis),
                (long long)in_axis);
  if (!mlirShapedTypeIsDynamicDim(out_t, axis) && mlirShapedTypeGetDimSize(out_t, axis) != out_axis)
    return fail(v, "result: dimension %lld is %lld, expected %lld (%s)", (long long)axis,
                (long long)mlirShapedTypeGetDimSize(out_t, axis), (long long)out_axis,
                scatter ? "attribute 'size'" : "number of indices");
  for (intptr_t d = 0; d < rank; d++)
    if (d != axis && !mlirShapedTypeIsDynamicDim(in_t, d) &&
        !mlirShapedTypeIsDynamicDim(out_t, d) &&
        mlirShapedTypeGetDimSize(in_t, d) != mlirShapedTypeGetDimSize(out_t, d))
      return fail(v, "result: dimension %ld differs from the input's", (long)d);
  return true;
}

/* ------------------------------------------------------------------ entry */

bool ajpq_dialect_verify_op(MlirOperation op) {
  ajpq_op_kind_t kind = ajpq_op_kind(op);
  vctx_t v = {op, ajpq_op_kind_name(kind)};
  switch (kind) {
  case AJPQ_OP_CONV2D:
    return verify_compute(&v, true);
  case AJPQ_OP_MATMUL:
    return verify_compute(&v, false);
  case AJPQ_OP_QUANTIZE:
    return verify_act(&v, true);
  case AJPQ_OP_DEQUANTIZE:
    return verify_act(&v, false);
  case AJPQ_OP_GATHER:
    return verify_map(&v, false);
  case AJPQ_OP_SCATTER:
    return verify_map(&v, true);
  default:
    return true;
  }
}

static MlirWalkResult walk_cb(MlirOperation op, void *user) {
  bool *ok = user;
  if (!ajpq_dialect_verify_op(op))
    *ok = false;
  return MlirWalkResultAdvance;
}

bool ajpq_dialect_verify_all(MlirOperation root) {
  bool ok = true;
  mlirOperationWalk(root, walk_cb, &ok, MlirWalkPreOrder);
  return ok;
}
