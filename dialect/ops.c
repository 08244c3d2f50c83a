/* ops.c — builders (C struct → ajpq op) and readers (ajpq op → C struct).
 * Contract: docs/dialect.md; the API is documented in ajpq_dialect.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ajpq_dialect.h"
#include "ajpq_dialect_internal.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Diagnostics.h"

/* ------------------------------------------------------------ utilities */

MlirStringRef ajpq__sref(const char *s) {
  return mlirStringRefCreateFromCString(s);
}

MlirAttribute ajpq__attr(MlirOperation op, const char *name) {
  return mlirOperationGetAttributeByName(op, ajpq__sref(name));
}

bool ajpq__int_value(MlirAttribute a, int64_t *v) {
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAInteger(a))
    return false;
  MlirType t = mlirAttributeGetType(a);
  if (mlirTypeIsAIndex(t)) {
    *v = mlirIntegerAttrGetValueInt(a);
    return true;
  }
  if (!mlirTypeIsAInteger(t))
    return false;
  if (mlirIntegerTypeIsUnsigned(t)) {
    uint64_t u = mlirIntegerAttrGetValueUInt(a);
    *v = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
  } else if (mlirIntegerTypeIsSigned(t)) {
    *v = mlirIntegerAttrGetValueSInt(a);
  } else {
    *v = mlirIntegerAttrGetValueInt(a);
  }
  return true;
}

static void emit(MlirLocation loc, const char *opname, const char *fmt, const char *arg) {
  char buf[512];
  char msg[400];
  snprintf(msg, sizeof msg, fmt, arg);
  snprintf(buf, sizeof buf, "'%s' op %s", opname, msg);
  mlirEmitError(loc, buf);
}

static MlirNamedAttribute named(MlirContext ctx, const char *name, MlirAttribute a) {
  return mlirNamedAttributeGet(mlirIdentifierGet(ctx, ajpq__sref(name)), a);
}

static MlirAttribute i64_attr(MlirContext ctx, int64_t v) {
  return mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), v);
}

static void free_blob(void *user, const void *data, size_t size, size_t align) {
  (void)data;
  (void)size;
  (void)align;
  free(user);
}

/* Element type of a ranked tensor value; null type if not a ranked tensor. */
static MlirType ranked_elem(MlirValue v) {
  MlirType t = mlirValueGetType(v);
  if (!mlirTypeIsARankedTensor(t))
    return (MlirType){NULL};
  return mlirShapedTypeGetElementType(t);
}

static bool is_f32(MlirType t) {
  return !mlirTypeIsNull(t) && mlirTypeIsAF32(t);
}
static bool is_i8(MlirType t) {
  return !mlirTypeIsNull(t) && mlirTypeIsAInteger(t) && mlirIntegerTypeGetWidth(t) == 8 &&
         mlirIntegerTypeIsSignless(t);
}

/* ------------------------------------------------------------ compute ops */

int64_t ajpq_compute_k(const ajpq_compute_attrs_t *a) {
  if (a->kind == AJPQ_OP_MATMUL)
    return a->kernel[0];
  if (a->kernel[0] <= 0 || a->kernel[1] <= 0 || a->kernel[2] <= 0)
    return -1;
  const int64_t lim = INT64_C(1) << 20;
  if (a->kernel[0] > lim || a->kernel[1] > lim || a->kernel[2] > lim)
    return -1;
  return a->kernel[0] * a->kernel[1] * a->kernel[2];
}

MlirOperation ajpq_build_compute(MlirLocation loc, MlirValue input, const ajpq_compute_attrs_t *a,
                                 ajpq_weights_storage_t storage) {
  MlirOperation null_op = {NULL};
  MlirContext ctx = mlirLocationGetContext(loc);
  bool conv = a->kind == AJPQ_OP_CONV2D;
  const char *opname = conv ? "ajpq.conv2d" : "ajpq.matmul";
  if (a->kind != AJPQ_OP_CONV2D && a->kind != AJPQ_OP_MATMUL) {
    mlirEmitError(loc, "ajpq_build_compute: kind must be conv2d or matmul");
    return null_op;
  }
  MlirType elem = ranked_elem(input);
  if (!is_f32(elem) && !is_i8(elem)) {
    emit(loc, opname, "%s", "input must be a ranked tensor of f32 or i8");
    return null_op;
  }
  if (a->n_kept < 1 || a->n_kept > INT32_MAX) {
    emit(loc, opname, "%s", "needs at least one kept channel");
    return null_op;
  }
  if (is_i8(elem) != a->has_input_qparams) {
    emit(loc, opname, "%s",
         "input_scale/input_zero_point must be given iff the input element type is i8");
    return null_op;
  }
  MlirType in_t = mlirValueGetType(input);
  intptr_t rank = mlirShapedTypeGetRank(in_t);
  if ((conv && rank != 4) || (!conv && rank < 1) || rank > 16) {
    emit(loc, opname, "%s", conv ? "input must be NHWC (rank 4)" : "input must have rank >= 1");
    return null_op;
  }
  int64_t shape[16];
  for (intptr_t i = 0; i < rank; i++)
    shape[i] = mlirShapedTypeGetDimSize(in_t, i);
  int64_t dyn = mlirShapedTypeGetDynamicSize();
  if (conv) {
    for (int d = 0; d < 2; d++) {
      if (shape[1 + d] == dyn)
        continue;
      int64_t o = ajpq_conv_out_dim(shape[1 + d], a->kernel[d], a->stride[d], a->pad[2 * d],
                                    a->pad[2 * d + 1], a->dilation[d]);
      if (o < 1) {
        emit(loc, opname, "%s", "kernel/stride/pad/dilation give an empty output");
        return null_op;
      }
      shape[1 + d] = o;
    }
  }
  shape[rank - 1] = a->n_kept;
  MlirType f32 = mlirF32TypeGet(ctx);
  MlirType res_t = mlirRankedTensorTypeGet(rank, shape, f32, mlirAttributeGetNull());

  /* Weights. */
  MlirType i8 = mlirIntegerTypeGet(ctx, 8);
  int64_t wn = a->weights_size;
  MlirType w_t = mlirRankedTensorTypeGet(1, &wn, i8, mlirAttributeGetNull());
  MlirAttribute weights;
  if (storage == AJPQ_WEIGHTS_DENSE) {
    weights = mlirDenseElementsAttrInt8Get(w_t, (intptr_t)wn, (const int8_t *)a->weights);
  } else {
    void *copy = malloc(wn > 0 ? (size_t)wn : 1);
    if (!copy) {
      emit(loc, opname, "%s", "out of memory copying the packed weights");
      return null_op;
    }
    if (wn > 0)
      memcpy(copy, a->weights, (size_t)wn);
    weights = mlirUnmanagedDenseResourceElementsAttrGet(w_t, ajpq__sref("ajpq_weights"), copy,
                                                        (size_t)wn, 1, false, free_blob, copy);
  }

  MlirNamedAttribute attrs[20];
  int na = 0;
  intptr_t n = (intptr_t)a->n_kept;
  attrs[na++] = named(ctx, "weights", weights);
  attrs[na++] = named(ctx, "format", mlirStringAttrGet(ctx, ajpq__sref(AJPQ_PACK_FORMAT)));
  attrs[na++] = named(ctx, "bits", mlirDenseI8ArrayGet(ctx, n, a->bits));
  attrs[na++] = named(ctx, "kept", mlirDenseI32ArrayGet(ctx, n, a->kept));
  attrs[na++] = named(ctx, "orig_channels", i64_attr(ctx, a->orig_channels));
  attrs[na++] = named(ctx, "scale", mlirDenseF32ArrayGet(ctx, n, a->scale));
  attrs[na++] = named(ctx, "zero_point", mlirDenseF32ArrayGet(ctx, n, a->zero_point));
  attrs[na++] = named(ctx, "kernel", mlirDenseI64ArrayGet(ctx, conv ? 3 : 1, a->kernel));
  if (conv) {
    attrs[na++] = named(ctx, "stride", mlirDenseI64ArrayGet(ctx, 2, a->stride));
    attrs[na++] = named(ctx, "pad", mlirDenseI64ArrayGet(ctx, 4, a->pad));
    attrs[na++] = named(ctx, "dilation", mlirDenseI64ArrayGet(ctx, 2, a->dilation));
    attrs[na++] = named(ctx, "groups", i64_attr(ctx, a->groups));
  }
  if (a->bias)
    attrs[na++] = named(ctx, "bias", mlirDenseF32ArrayGet(ctx, n, a->bias));
  if (a->has_input_qparams) {
    attrs[na++] = named(ctx, "input_scale", mlirFloatAttrDoubleGet(ctx, f32, a->input_scale));
    attrs[na++] = named(ctx, "input_zero_point",
                        mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 32), a->input_zero_point));
  }
  MlirOperationState st = mlirOperationStateGet(ajpq__sref(opname), loc);
  mlirOperationStateAddOperands(&st, 1, &input);
  mlirOperationStateAddResults(&st, 1, &res_t);
  mlirOperationStateAddAttributes(&st, na, attrs);
  return mlirOperationCreate(&st);
}

/* Reads a dense array attribute of the given kind into malloc'ed storage.
 * kind: 'b' i8, 'i' i32, 'l' i64, 'f' f32. Returns false (with error) if the
 * attribute is missing (and required) or of the wrong kind. */
static bool read_array(MlirOperation op, const char *opname, const char *name, char kind,
                       bool required, void **out, intptr_t *len) {
  *out = NULL;
  *len = 0;
  MlirAttribute a = ajpq__attr(op, name);
  MlirLocation loc = mlirOperationGetLocation(op);
  char what[64];
  if (mlirAttributeIsNull(a)) {
    if (!required)
      return true;
    snprintf(what, sizeof what, "requires attribute '%s'", name);
    emit(loc, opname, "%s", what);
    return false;
  }
  bool ok = kind == 'b'   ? mlirAttributeIsADenseI8Array(a)
            : kind == 'i' ? mlirAttributeIsADenseI32Array(a)
            : kind == 'l' ? mlirAttributeIsADenseI64Array(a)
                          : mlirAttributeIsADenseF32Array(a);
  if (!ok) {
    const char *t = kind == 'b' ? "i8" : kind == 'i' ? "i32" : kind == 'l' ? "i64" : "f32";
    snprintf(what, sizeof what, "attribute '%s': must be array<%s>", name, t);
    emit(loc, opname, "%s", what);
    return false;
  }
  intptr_t n = mlirDenseArrayGetNumElements(a);
  size_t es = kind == 'b' ? 1 : kind == 'l' ? 8 : 4;
  void *p = malloc(n > 0 ? (size_t)n * es : 1);
  if (!p) {
    emit(loc, opname, "%s", "out of memory reading attributes");
    return false;
  }
  for (intptr_t i = 0; i < n; i++) {
    switch (kind) {
    case 'b':
      ((int8_t *)p)[i] = mlirDenseI8ArrayGetElement(a, i);
      break;
    case 'i':
      ((int32_t *)p)[i] = mlirDenseI32ArrayGetElement(a, i);
      break;
    case 'l':
      ((int64_t *)p)[i] = mlirDenseI64ArrayGetElement(a, i);
      break;
    default:
      ((float *)p)[i] = mlirDenseF32ArrayGetElement(a, i);
      break;
    }
  }
  *out = p;
  *len = n;
  return true;
}

/* Owned storage of a reader: a list of malloc'ed blocks. */
typedef struct {
  void *blocks[12];
  int n;
} owned_t;

static void owned_free(owned_t *o) {
  if (!o)
    return;
  for (int i = 0; i < o->n; i++)
    free(o->blocks[i]);
  free(o);
}

static void *own(owned_t *o, void *p) {
  if (p)
    o->blocks[o->n++] = p;
  return p;
}

bool ajpq__read_weights(MlirOperation op, const char *opname, const uint8_t **data, int64_t *size,
                        void **owned_copy) {
  MlirLocation loc = mlirOperationGetLocation(op);
  MlirAttribute w = ajpq__attr(op, "weights");
  *owned_copy = NULL;
  if (mlirAttributeIsNull(w)) {
    emit(loc, opname, "%s", "requires attribute 'weights'");
    return false;
  }
  MlirType t = mlirAttributeGetType(w);
  if (!(mlirAttributeIsADenseElements(w) || mlirAttributeIsADenseResourceElements(w)) ||
      !mlirTypeIsARankedTensor(t) || mlirShapedTypeGetRank(t) != 1 ||
      !is_i8(mlirShapedTypeGetElementType(t))) {
    emit(loc, opname, "%s",
         "attribute 'weights': must be a 1-D tensor<Nxi8> dense or dense_resource");
    return false;
  }
  int64_t n = mlirShapedTypeGetDimSize(t, 0);
  *size = n;
  if (mlirAttributeIsADenseElements(w) && !mlirDenseElementsAttrIsSplat(w)) {
    *data = (const uint8_t *)mlirDenseElementsAttrGetRawData(w);
    return true;
  }
  uint8_t *copy = malloc(n > 0 ? (size_t)n : 1);
  if (!copy) {
    emit(loc, opname, "%s", "out of memory copying 'weights'");
    return false;
  }
  if (mlirAttributeIsADenseElements(w)) {
    int8_t v = n > 0 ? mlirDenseElementsAttrGetInt8SplatValue(w) : 0;
    memset(copy, (uint8_t)v, (size_t)n);
  } else {
    if (!ajpq__resource_has_data(w, n)) {
      free(copy);
      emit(loc, opname, "%s",
           "attribute 'weights': dense_resource blob is missing or has the wrong size");
      return false;
    }
    for (int64_t i = 0; i < n; i++)
      copy[i] = (uint8_t)mlirDenseInt8ResourceElementsAttrGetValue(w, (intptr_t)i);
  }
  *data = copy;
  *owned_copy = copy;
  return true;
}

bool ajpq_compute_read(MlirOperation op, ajpq_compute_attrs_t *out) {
  memset(out, 0, sizeof *out);
  ajpq_op_kind_t kind = ajpq_op_kind(op);
  MlirLocation loc = mlirOperationGetLocation(op);
  if (kind != AJPQ_OP_CONV2D && kind != AJPQ_OP_MATMUL) {
    mlirEmitError(loc, "ajpq_compute_read: not an ajpq.conv2d or ajpq.matmul op");
    return false;
  }
  const char *opname = ajpq_op_kind_name(kind);
  bool conv = kind == AJPQ_OP_CONV2D;
  owned_t *o = calloc(1, sizeof *o);
  if (!o) {
    emit(loc, opname, "%s", "out of memory");
    return false;
  }
  ajpq_compute_attrs_t a = {0};
  a.kind = kind;
  MlirAttribute fmt = ajpq__attr(op, "format");
  MlirStringRef fs = mlirAttributeIsNull(fmt) || !mlirAttributeIsAString(fmt)
                         ? ajpq__sref("")
                         : mlirStringAttrGetValue(fmt);
  if (fs.length != strlen(AJPQ_PACK_FORMAT) || memcmp(fs.data, AJPQ_PACK_FORMAT, fs.length) != 0) {
    emit(loc, opname, "%s", "attribute 'format': must be \"" AJPQ_PACK_FORMAT "\"");
    free(o);
    return false;
  }
  void *p[9];
  intptr_t len[9];
  static const char *names[] = {"bits",   "kept",   "scale", "zero_point", "bias",
                                "kernel", "stride", "pad",   "dilation"};
  static const char kinds[] = {'b', 'i', 'f', 'f', 'f', 'l', 'l', 'l', 'l'};
  static const intptr_t fixed_conv[] = {-1, -1, -1, -1, -1, 3, 2, 4, 2};
  int narr = conv ? 9 : 6;
  bool ok = true;
  for (int i = 0; i < narr && ok; i++) {
    ok = read_array(op, opname, names[i], kinds[i], i != 4, &p[i], &len[i]);
    own(o, p[i]);
    if (!ok)
      break;
    intptr_t want = i < 5 ? len[0] : conv ? fixed_conv[i] : 1;
    if (i == 4 && !p[i])
      continue;
    if (len[i] != want) {
      char what[128];
      snprintf(what, sizeof what, "attribute '%s': has %ld elements, expected %ld", names[i],
               (long)len[i], (long)want);
      emit(loc, opname, "%s", what);
      ok = false;
    }
  }
  if (ok) {
    a.n_kept = len[0];
    a.bits = p[0];
    a.kept = p[1];
    a.scale = p[2];
    a.zero_point = p[3];
    a.bias = p[4];
    memcpy(a.kernel, p[5], (size_t)len[5] * 8);
    if (conv) {
      memcpy(a.stride, p[6], 16);
      memcpy(a.pad, p[7], 32);
      memcpy(a.dilation, p[8], 16);
    }
    if (!ajpq__int_value(ajpq__attr(op, "orig_channels"), &a.orig_channels)) {
      emit(loc, opname, "%s", "requires integer attribute 'orig_channels'");
      ok = false;
    }
    a.groups = 1;
    if (ok && conv && !ajpq__int_value(ajpq__attr(op, "groups"), &a.groups)) {
      emit(loc, opname, "%s", "requires integer attribute 'groups'");
      ok = false;
    }
  }
  if (ok) {
    MlirAttribute is = ajpq__attr(op, "input_scale"), iz = ajpq__attr(op, "input_zero_point");
    int64_t z = 0;
    if (!mlirAttributeIsNull(is) || !mlirAttributeIsNull(iz)) {
      if (mlirAttributeIsNull(is) || !mlirAttributeIsAFloat(is) || !ajpq__int_value(iz, &z) ||
          z < INT32_MIN || z > INT32_MAX) {
        emit(loc, opname, "%s",
             "attributes 'input_scale' (f32) and 'input_zero_point' (i32) must come together");
        ok = false;
      } else {
        a.has_input_qparams = true;
        a.input_scale = (float)mlirFloatAttrGetValueDouble(is);
        a.input_zero_point = (int32_t)z;
      }
    }
  }
  if (ok) {
    void *copy = NULL;
    ok = ajpq__read_weights(op, opname, &a.weights, &a.weights_size, &copy);
    own(o, copy);
  }
  if (!ok) {
    owned_free(o);
    return false;
  }
  a.owned_ = o;
  *out = a;
  return true;
}

void ajpq_compute_attrs_release(ajpq_compute_attrs_t *a) {
  if (!a)
    return;
  owned_free(a->owned_);
  memset(a, 0, sizeof *a);
}

/* ------------------------------------------------------- quantize / dequantize */

MlirOperation ajpq_build_quantize(MlirLocation loc, MlirValue input, const ajpq_act_qparams_t *p) {
  MlirContext ctx = mlirLocationGetContext(loc);
  MlirType elem = ranked_elem(input);
  if (!is_f32(elem)) {
    emit(loc, "ajpq.quantize", "%s", "input must be a ranked tensor of f32");
    return (MlirOperation){NULL};
  }
  MlirType in_t = mlirValueGetType(input);
  intptr_t rank = mlirShapedTypeGetRank(in_t);
  int64_t shape[16];
  if (rank > 16) {
    emit(loc, "ajpq.quantize", "%s", "rank above 16 is not supported");
    return (MlirOperation){NULL};
  }
  for (intptr_t i = 0; i < rank; i++)
    shape[i] = mlirShapedTypeGetDimSize(in_t, i);
  MlirType res =
      mlirRankedTensorTypeGet(rank, shape, mlirIntegerTypeGet(ctx, 8), mlirAttributeGetNull());
  MlirType i32 = mlirIntegerTypeGet(ctx, 32);
  MlirNamedAttribute attrs[3] = {
      named(ctx, "scale", mlirFloatAttrDoubleGet(ctx, mlirF32TypeGet(ctx), p->scale)),
      named(ctx, "zero_point", mlirIntegerAttrGet(i32, p->zero_point)),
      named(ctx, "bits", mlirIntegerAttrGet(i32, p->bits)),
  };
  MlirOperationState st = mlirOperationStateGet(ajpq__sref("ajpq.quantize"), loc);
  mlirOperationStateAddOperands(&st, 1, &input);
  mlirOperationStateAddResults(&st, 1, &res);
  mlirOperationStateAddAttributes(&st, 3, attrs);
  return mlirOperationCreate(&st);
}

MlirOperation ajpq_build_dequantize(MlirLocation loc, MlirValue input, float scale,
                                    int32_t zero_point) {
  MlirContext ctx = mlirLocationGetContext(loc);
  MlirType elem = ranked_elem(input);
  if (!is_i8(elem)) {
    emit(loc, "ajpq.dequantize", "%s", "input must be a ranked tensor of i8");
    return (MlirOperation){NULL};
  }
  MlirType in_t = mlirValueGetType(input);
  intptr_t rank = mlirShapedTypeGetRank(in_t);
  int64_t shape[16];
  if (rank > 16) {
    emit(loc, "ajpq.dequantize", "%s", "rank above 16 is not supported");
    return (MlirOperation){NULL};
  }
  for (intptr_t i = 0; i < rank; i++)
    shape[i] = mlirShapedTypeGetDimSize(in_t, i);
  MlirType res = mlirRankedTensorTypeGet(rank, shape, mlirF32TypeGet(ctx), mlirAttributeGetNull());
  MlirNamedAttribute attrs[2] = {
      named(ctx, "scale", mlirFloatAttrDoubleGet(ctx, mlirF32TypeGet(ctx), scale)),
      named(ctx, "zero_point", mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 32), zero_point)),
  };
  MlirOperationState st = mlirOperationStateGet(ajpq__sref("ajpq.dequantize"), loc);
  mlirOperationStateAddOperands(&st, 1, &input);
  mlirOperationStateAddResults(&st, 1, &res);
  mlirOperationStateAddAttributes(&st, 2, attrs);
  return mlirOperationCreate(&st);
}

bool ajpq_act_read(MlirOperation op, ajpq_act_qparams_t *out) {
  ajpq_op_kind_t kind = ajpq_op_kind(op);
  MlirLocation loc = mlirOperationGetLocation(op);
  if (kind != AJPQ_OP_QUANTIZE && kind != AJPQ_OP_DEQUANTIZE) {
    mlirEmitError(loc, "ajpq_act_read: not an ajpq.quantize or ajpq.dequantize op");
    return false;
  }
  const char *opname = ajpq_op_kind_name(kind);
  MlirAttribute s = ajpq__attr(op, "scale");
  int64_t z = 0, b = 8;
  if (mlirAttributeIsNull(s) || !mlirAttributeIsAFloat(s)) {
    emit(loc, opname, "%s", "requires float attribute 'scale'");
    return false;
  }
  if (!ajpq__int_value(ajpq__attr(op, "zero_point"), &z) || z < INT32_MIN || z > INT32_MAX) {
    emit(loc, opname, "%s", "requires i32 attribute 'zero_point'");
    return false;
  }
  if (kind == AJPQ_OP_QUANTIZE && !ajpq__int_value(ajpq__attr(op, "bits"), &b)) {
    emit(loc, opname, "%s", "requires integer attribute 'bits'");
    return false;
  }
  if (b < 2 || b > 8) {
    emit(loc, opname, "%s", "attribute 'bits': must be in 2..8");
    return false;
  }
  out->scale = (float)mlirFloatAttrGetValueDouble(s);
  out->zero_point = (int32_t)z;
  out->bits = (int32_t)b;
  return true;
}

/* ---------------------------------------------------------- gather / scatter */

static MlirOperation build_map(MlirLocation loc, MlirValue input, const ajpq_channel_map_t *m,
                               bool scatter) {
  const char *opname = scatter ? "ajpq.scatter" : "ajpq.gather";
  MlirContext ctx = mlirLocationGetContext(loc);
  MlirType in_t = mlirValueGetType(input);
  if (!mlirTypeIsARankedTensor(in_t)) {
    emit(loc, opname, "%s", "input must be a ranked tensor");
    return (MlirOperation){NULL};
  }
  intptr_t rank = mlirShapedTypeGetRank(in_t);
  if (m->axis < 0 || m->axis >= rank || rank > 16 || m->n_indices < 0 || m->n_indices > INT32_MAX ||
      (scatter && m->size < 0)) {
    emit(loc, opname, "%s", "axis must be in [0, rank) and sizes non-negative");
    return (MlirOperation){NULL};
  }
  int64_t shape[16];
  for (intptr_t i = 0; i < rank; i++)
    shape[i] = mlirShapedTypeGetDimSize(in_t, i);
  shape[m->axis] = scatter ? m->size : m->n_indices;
  MlirType res = mlirRankedTensorTypeGet(rank, shape, mlirShapedTypeGetElementType(in_t),
                                         mlirAttributeGetNull());
  MlirNamedAttribute attrs[4];
  int na = 0;
  attrs[na++] = named(ctx, "axis", i64_attr(ctx, m->axis));
  attrs[na++] =
      named(ctx, "indices", mlirDenseI32ArrayGet(ctx, (intptr_t)m->n_indices, m->indices));
  if (scatter) {
    attrs[na++] = named(ctx, "size", i64_attr(ctx, m->size));
    intptr_t nf = m->fill ? (intptr_t)m->n_fill : 0;
    attrs[na++] = named(ctx, "fill", mlirDenseF32ArrayGet(ctx, nf, m->fill));
  }
  MlirOperationState st = mlirOperationStateGet(ajpq__sref(opname), loc);
  mlirOperationStateAddOperands(&st, 1, &input);
  mlirOperationStateAddResults(&st, 1, &res);
  mlirOperationStateAddAttributes(&st, na, attrs);
  return mlirOperationCreate(&st);
}

MlirOperation ajpq_build_gather(MlirLocation loc, MlirValue input, const ajpq_channel_map_t *m) {
  return build_map(loc, input, m, false);
}

MlirOperation ajpq_build_scatter(MlirLocation loc, MlirValue input, const ajpq_channel_map_t *m) {
  return build_map(loc, input, m, true);
}

bool ajpq_channel_map_read(MlirOperation op, ajpq_channel_map_t *out) {
  memset(out, 0, sizeof *out);
  ajpq_op_kind_t kind = ajpq_op_kind(op);
  MlirLocation loc = mlirOperationGetLocation(op);
  if (kind != AJPQ_OP_GATHER && kind != AJPQ_OP_SCATTER) {
    mlirEmitError(loc, "ajpq_channel_map_read: not an ajpq.gather or ajpq.scatter op");
    return false;
  }
  const char *opname = ajpq_op_kind_name(kind);
  ajpq_channel_map_t m = {0};
  if (!ajpq__int_value(ajpq__attr(op, "axis"), &m.axis)) {
    emit(loc, opname, "%s", "requires integer attribute 'axis'");
    return false;
  }
  owned_t *o = calloc(1, sizeof *o);
  if (!o) {
    emit(loc, opname, "%s", "out of memory");
    return false;
  }
  void *idx = NULL, *fill = NULL;
  intptr_t nidx = 0, nfill = 0;
  bool ok = read_array(op, opname, "indices", 'i', true, &idx, &nidx);
  own(o, idx);
  if (ok && kind == AJPQ_OP_SCATTER) {
    if (!ajpq__int_value(ajpq__attr(op, "size"), &m.size)) {
      emit(loc, opname, "%s", "requires integer attribute 'size'");
      ok = false;
    }
    if (ok) {
      ok = read_array(op, opname, "fill", 'f', true, &fill, &nfill);
      own(o, fill);
    }
  }
  if (!ok) {
    owned_free(o);
    return false;
  }
  m.indices = idx;
  m.n_indices = nidx;
  m.fill = nfill > 0 ? fill : NULL;
  m.n_fill = nfill;
  m.owned_ = o;
  *out = m;
  return true;
}

void ajpq_channel_map_release(ajpq_channel_map_t *m) {
  if (!m)
    return;
  owned_free(m->owned_);
  memset(m, 0, sizeof *m);
}

/* ------------------------------------------------- dense_resource presence */

/* Streaming scan of a printed module for the hex string of its only blob:
 * `"0x` + 8 hex digits of alignment + 2 per data byte + `"`. */
typedef struct {
  int state; /* 0 scanning, 1 saw '"', 2 saw '"0', 3 in hex */
  int64_t digits, last;
  bool found;
} hexscan_t;

static void hexscan_cb(MlirStringRef s, void *user) {
  hexscan_t *h = user;
  for (size_t i = 0; i < s.length; i++) {
    char c = s.data[i];
    switch (h->state) {
    case 0:
      h->state = c == '"' ? 1 : 0;
      break;
    case 1:
      h->state = c == '0' ? 2 : c == '"' ? 1 : 0;
      break;
    case 2:
      h->state = c == 'x' ? 3 : c == '"' ? 1 : 0;
      h->digits = 0;
      break;
    default:
      if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f')) {
        h->digits++;
      } else if (c == '"') {
        h->found = true; /* keep the last one: the resource section is printed last */
        h->last = h->digits;
        h->state = 1;
      } else {
        h->state = 0;
      }
      break;
    }
  }
}

bool ajpq__resource_has_data(MlirAttribute a, int64_t n) {
  /* The C API has no way to ask whether a dense_resource handle has a blob,
   * and reading a missing one is undefined behaviour. A detached module
   * printed at top level lists the blobs it references in its
   * `dialect_resources` section, and only those that exist. */
  MlirContext ctx = mlirAttributeGetContext(a);
  MlirModule m = mlirModuleCreateEmpty(mlirLocationUnknownGet(ctx));
  MlirOperation mop = mlirModuleGetOperation(m);
  mlirOperationSetAttributeByName(mop, ajpq__sref("ajpq.probe"), a);
  MlirOpPrintingFlags flags = mlirOpPrintingFlagsCreate();
  mlirOpPrintingFlagsAssumeVerified(flags);
  hexscan_t h = {0};
  mlirOperationPrintWithFlags(mop, flags, hexscan_cb, &h);
  mlirOpPrintingFlagsDestroy(flags);
  mlirModuleDestroy(m);
  return h.found && h.last >= 8 && (h.last - 8) == 2 * n;
}
