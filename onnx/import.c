/* import.c — ONNX ModelProto -> MLIR func.func in TOSA (NHWC inside).
 *
 * One pass over graph.node in topological order. Each ONNX tensor name maps
 * to a val_t holding its static shape and either host data (a constant, so
 * every node whose inputs are all constants is evaluated here: folding) or
 * MLIR values. A 4-D runtime value may exist in its logical (ONNX) layout
 * (`id`) and/or as NHWC (`nhwc` = transpose(id, [0,2,3,1])); ops that want
 * the other form get a cached tosa.transpose. Op handlers live in ops.c.
 * Contract of the emitted op set: docs/import.md. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_internal.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/Dialect/Arith.h"
#include "mlir-c/Dialect/Func.h"
#include "mlir-c/Dialect/Tensor.h"
#include "mlir-c/Dialect/Tosa.h"

/* ---- value table -------------------------------------------------------- */

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; ++s)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

val_t *imp_lookup(imp_t *im, const char *name) {
  if (!im->cap)
    return NULL;
  uint64_t h = hash_str(name) & (im->cap - 1);
  while (im->table[h]) {
    if (strcmp(im->table[h]->name, name) == 0)
      return im->table[h];
    h = (h + 1) & (im->cap - 1);
  }
  return NULL;
}

static int table_insert(imp_t *im, val_t *v) {
  if ((im->n + 1) * 2 > im->cap) {
    size_t ncap = im->cap ? im->cap * 2 : 256;
    val_t **nt = calloc(ncap, sizeof(*nt));
    if (!nt)
      return -1;
    for (size_t i = 0; i < im->cap; ++i) {
      if (!im->table[i])
        continue;
      uint64_t h = hash_str(im->table[i]->name) & (ncap - 1);
      while (nt[h])
        h = (h + 1) & (ncap - 1);
      nt[h] = im->table[i];
    }
    free(im->table);
    im->table = nt;
    im->cap = ncap;
  }
  uint64_t h = hash_str(v->name) & (im->cap - 1);
  while (im->table[h])
    h = (h + 1) & (im->cap - 1);
  im->table[h] = v;
  im->n++;
  return 0;
}

ajpq_status_t imp_define(imp_t *im, const char *name, val_t **out) {
  *out = NULL;
  if (imp_lookup(im, name))
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "tensor '%s' is defined twice", name);
  val_t *v = calloc(1, sizeof(*v));
  if (!v || !(v->name = strdup(name)) || table_insert(im, v)) {
    if (v)
      free(v->name);
    free(v);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  }
  *out = v;
  return NULL;
}

static void val_free(val_t *v) {
  if (!v)
    return;
  if (v->cst) {
    ajpq_onnx_tensor_clear(v->cst);
    free(v->cst);
  }
  free(v->name);
  free(v);
}

/* ---- shapes ------------------------------------------------------------- */

int64_t shape_numel(int rank, const int64_t *dims) {
  int64_t n = 1;
  for (int i = 0; i < rank; ++i)
    n *= dims[i];
  return n;
}

ajpq_status_t check_shape(int rank, const int64_t *dims, const char *what) {
  if (rank < 0 || rank > AJPQ_ONNX_MAX_RANK)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s has rank %d (supported: 0..%d)", what, rank,
                            AJPQ_ONNX_MAX_RANK);
  int64_t n = 1;
  for (int i = 0; i < rank; ++i) {
    if (dims[i] < 0 || dims[i] > AJPQ_ONNX_MAX_ELEMENTS)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s has an invalid dim %lld", what,
                              (long long)dims[i]);
    n *= dims[i];
    if (n > AJPQ_ONNX_MAX_ELEMENTS)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s has more than %lld elements (absurd dims)",
                              what, (long long)AJPQ_ONNX_MAX_ELEMENTS);
  }
  return NULL;
}

const char *shape_str(int rank, const int64_t *dims, char *buf, size_t n) {
  size_t o = 0;
  buf[0] = 0;
  o += (size_t)snprintf(buf + o, n - o, "[");
  for (int i = 0; i < rank && o < n; ++i)
    o += (size_t)snprintf(buf + o, n - o, "%s%lld", i ? "," : "", (long long)dims[i]);
  if (o < n)
    snprintf(buf + o, n - o, "]");
  return buf;
}

/* ---- MLIR helpers ------------------------------------------------------- */

MlirType tensor_type(imp_t *im, int rank, const int64_t *dims) {
  return mlirRankedTensorTypeGet(rank, dims, im->f32, mlirAttributeGetNull());
}

MlirAttribute attr_parse(imp_t *im, const char *fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  return mlirAttributeParseGet(im->ctx, mlirStringRefCreateFromCString(buf));
}

MlirAttribute attr_i64_array(imp_t *im, int n, const int64_t *v) {
  return mlirDenseI64ArrayGet(im->ctx, n, v);
}

MlirValue emit(imp_t *im, const char *opname, MlirType rt, int nops, const MlirValue *ops,
               int nattr, const nattr_t *attrs) {
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString(opname), im->loc);
  if (nops)
    mlirOperationStateAddOperands(&st, nops, ops);
  mlirOperationStateAddResults(&st, 1, &rt);
  MlirNamedAttribute na[8];
  for (int i = 0; i < nattr; ++i)
    na[i] = mlirNamedAttributeGet(
        mlirIdentifierGet(im->ctx, mlirStringRefCreateFromCString(attrs[i].name)), attrs[i].attr);
  if (nattr)
    mlirOperationStateAddAttributes(&st, nattr, na);
  MlirOperation op = mlirOperationCreate(&st);
  mlirBlockAppendOwnedOperation(im->block, op);
  return mlirOperationGetResult(op, 0);
}

static void free_blob(void *user, const void *data, size_t size, size_t align) {
  (void)user, (void)size, (void)align;
  free((void *)data);
}

MlirValue emit_const(imp_t *im, int rank, const int64_t *dims, const float *data) {
  MlirType t = tensor_type(im, rank, dims);
  int64_t n = shape_numel(rank, dims);
  MlirAttribute a;
  int splat = n > 0;
  for (int64_t i = 1; i < n && splat; ++i)
    splat = memcmp(&data[i], &data[0], sizeof(float)) == 0;
  if (n <= 16 || splat) {
    a = splat ? mlirDenseElementsAttrFloatSplatGet(t, data[0])
              : mlirDenseElementsAttrFloatGet(t, n, data);
  } else {
    float *copy = malloc((size_t)n * sizeof(float));
    if (!copy) {
      a = mlirDenseElementsAttrFloatGet(t, n, data); /* degrade, still correct */
    } else {
      memcpy(copy, data, (size_t)n * sizeof(float));
      char name[96];
      snprintf(name, sizeof(name), "%s%d", im->blob_prefix[0] ? im->blob_prefix : "w",
               im->n_blobs++);
      a = mlirUnmanagedDenseResourceElementsAttrGet(t, mlirStringRefCreateFromCString(name), copy,
                                                    (size_t)n * sizeof(float), alignof(float),
                                                    false, free_blob, NULL);
    }
  }
  nattr_t at = {"values", a};
  return emit(im, "tosa.const", t, 0, NULL, 1, &at);
}

MlirValue emit_scalar_const(imp_t *im, int rank, float v) {
  int64_t dims[AJPQ_ONNX_MAX_RANK];
  for (int i = 0; i < rank; ++i)
    dims[i] = 1;
  return emit_const(im, rank, dims, &v);
}

MlirValue emit_zp(imp_t *im) {
  int64_t one = 1;
  float z = 0;
  if (mlirValueIsNull(im->zp))
    im->zp = emit_const(im, 1, &one, &z);
  return im->zp;
}

MlirValue emit_shift(imp_t *im) {
  int64_t one = 1;
  MlirType i8 = mlirIntegerTypeGet(im->ctx, 8);
  MlirType t = mlirRankedTensorTypeGet(1, &one, i8, mlirAttributeGetNull());
  int8_t z = 0;
  nattr_t at = {"values", mlirDenseElementsAttrInt8Get(t, 1, &z)};
  if (mlirValueIsNull(im->shift))
    im->shift = emit(im, "tosa.const", t, 0, NULL, 1, &at);
  return im->shift;
}

MlirValue emit_shape(imp_t *im, int n, const int64_t *v) {
  char buf[1024];
  size_t o = 0;
  o += (size_t)snprintf(buf, sizeof(buf), "dense<[");
  for (int i = 0; i < n && o < sizeof(buf); ++i)
    o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%lld", i ? "," : "", (long long)v[i]);
  if (o < sizeof(buf))
    snprintf(buf + o, sizeof(buf) - o, "]> : tensor<%dxindex>", n);
  if (n == 0)
    snprintf(buf, sizeof(buf), "dense<> : tensor<0xindex>");
  MlirType st = mlirTypeParseGet(
      im->ctx, mlirStringRefCreateFromCString(
                   n == 0 ? "!tosa.shape<0>"
                          : (snprintf(im->tmp, sizeof(im->tmp), "!tosa.shape<%d>", n), im->tmp)));
  nattr_t at = {"values", mlirAttributeParseGet(im->ctx, mlirStringRefCreateFromCString(buf))};
  return emit(im, "tosa.const_shape", st, 0, NULL, 1, &at);
}

MlirValue emit_reshape(imp_t *im, MlirValue x, int rank, const int64_t *dims) {
  MlirType xt = mlirValueGetType(x);
  if (mlirShapedTypeGetRank(xt) == rank) {
    int same = 1;
    for (int i = 0; i < rank; ++i)
      same &= mlirShapedTypeGetDimSize(xt, i) == dims[i];
    if (same)
      return x;
  }
  MlirValue ops[2] = {x, emit_shape(im, rank, dims)};
  /* keeps the element type: f32 values, and i1 masks of run-time comparisons */
  MlirType rt = mlirRankedTensorTypeGet(rank, dims, mlirShapedTypeGetElementType(xt),
                                        mlirAttributeGetNull());
  return emit(im, "tosa.reshape", rt, 2, ops, 0, NULL);
}

MlirValue emit_transpose(imp_t *im, MlirValue x, int rank, const int *perm) {
  MlirType xt = mlirValueGetType(x);
  int64_t dims[AJPQ_ONNX_MAX_RANK];
  int32_t p32[AJPQ_ONNX_MAX_RANK];
  int ident = 1;
  for (int i = 0; i < rank; ++i) {
    dims[i] = mlirShapedTypeGetDimSize(xt, perm[i]);
    p32[i] = perm[i];
    ident &= perm[i] == i;
  }
  if (ident)
    return x;
  nattr_t at = {"perms", mlirDenseI32ArrayGet(im->ctx, rank, p32)};
  MlirType rt = mlirRankedTensorTypeGet(rank, dims, mlirShapedTypeGetElementType(xt),
                                        mlirAttributeGetNull());
  return emit(im, "tosa.transpose", rt, 1, &x, 1, &at);
}

MlirValue emit_binary(imp_t *im, const char *op, MlirValue a, MlirValue b, int rank,
                      const int64_t *dims) {
  MlirValue ops[3] = {a, b, {NULL}};
  int n = 2;
  if (strcmp(op, "tosa.mul") == 0)
    ops[n++] = emit_shift(im);
  return emit(im, op, tensor_type(im, rank, dims), n, ops, 0, NULL);
}

MlirValue emit_unary(imp_t *im, const char *op, MlirValue a) {
  return emit(im, op, mlirValueGetType(a), 1, &a, 0, NULL);
}

MlirValue emit_clamp(imp_t *im, MlirValue a, float lo, float hi) {
  nattr_t at[2] = {{"min_val", mlirFloatAttrDoubleGet(im->ctx, im->f32, lo)},
                   {"max_val", mlirFloatAttrDoubleGet(im->ctx, im->f32, hi)}};
  return emit(im, "tosa.clamp", mlirValueGetType(a), 1, &a, 2, at);
}

MlirValue emit_slice(imp_t *im, MlirValue x, int rank, const int64_t *start, const int64_t *size) {
  MlirValue ops[3] = {x, emit_shape(im, rank, start), emit_shape(im, rank, size)};
  return emit(im, "tosa.slice", tensor_type(im, rank, size), 3, ops, 0, NULL);
}

MlirValue emit_reduce(imp_t *im, const char *op, MlirValue x, int axis) {
  MlirType xt = mlirValueGetType(x);
  int rank = (int)mlirShapedTypeGetRank(xt);
  int64_t dims[AJPQ_ONNX_MAX_RANK];
  for (int i = 0; i < rank; ++i)
    dims[i] = i == axis ? 1 : mlirShapedTypeGetDimSize(xt, i);
  nattr_t at = {"axis", mlirIntegerAttrGet(mlirIntegerTypeGet(im->ctx, 32), axis)};
  return emit(im, op, tensor_type(im, rank, dims), 1, &x, 1, &at);
}

/* ---- layouts ------------------------------------------------------------ */

static const int k_to_nhwc[4] = {0, 2, 3, 1};
static const int k_to_nchw[4] = {0, 3, 1, 2};

/* Permutes host data of a rank-`rank` tensor: out dim i = in dim perm[i]. */
void host_transpose(const ajpq_onnx_tensor_t *in, const int *perm, ajpq_onnx_tensor_t *out) {
  int r = in->rank;
  int64_t istride[AJPQ_ONNX_MAX_RANK], odims[AJPQ_ONNX_MAX_RANK], idx[AJPQ_ONNX_MAX_RANK] = {0};
  int64_t s = 1;
  for (int i = r - 1; i >= 0; --i) {
    istride[i] = s;
    s *= in->dims[i];
  }
  for (int i = 0; i < r; ++i)
    odims[i] = in->dims[perm[i]];
  for (int64_t o = 0; o < in->numel; ++o) {
    int64_t src = 0;
    for (int i = 0; i < r; ++i)
      src += idx[i] * istride[perm[i]];
    if (in->f32)
      out->f32[o] = in->f32[src];
    else
      out->i64[o] = in->i64[src];
    for (int i = r - 1; i >= 0; --i) {
      if (++idx[i] < odims[i])
        break;
      idx[i] = 0;
    }
  }
  out->rank = r;
  for (int i = 0; i < r; ++i)
    out->dims[i] = odims[i];
  out->numel = in->numel;
  out->dtype = in->dtype;
}

ajpq_status_t const_f32(imp_t *im, val_t *v, const char *what) {
  (void)im;
  if (!v->cst || !v->cst->f32)
    return ajpq_status_make(AJPQ_UNIMPLEMENTED,
                            "%s '%s' must be a float constant (initializer or Constant)", what,
                            v->name);
  return NULL;
}

MlirValue get_id(imp_t *im, val_t *v) {
  if (!mlirValueIsNull(v->id))
    return v->id;
  if (v->cst) {
    float *tmp = NULL;
    const float *d = v->cst->f32;
    if (!d) { /* integer constant used as f32 data */
      tmp = malloc((size_t)(v->cst->numel ? v->cst->numel : 1) * sizeof(float));
      if (!tmp)
        return v->id;
      for (int64_t i = 0; i < v->cst->numel; ++i)
        tmp[i] = (float)v->cst->i64[i];
      d = tmp;
    }
    v->id = emit_const(im, v->rank, v->dims, d);
    free(tmp);
    return v->id;
  }
  v->id = emit_transpose(im, v->nhwc, 4, k_to_nchw);
  return v->id;
}

MlirValue get_nhwc(imp_t *im, val_t *v) {
  if (!mlirValueIsNull(v->nhwc))
    return v->nhwc;
  if (v->cst && v->cst->f32) {
    ajpq_onnx_tensor_t t = {0};
    t.f32 = malloc((size_t)(v->cst->numel ? v->cst->numel : 1) * sizeof(float));
    if (t.f32) {
      host_transpose(v->cst, k_to_nhwc, &t);
      v->nhwc = emit_const(im, 4, t.dims, t.f32);
      free(t.f32);
      return v->nhwc;
    }
  }
  v->nhwc = emit_transpose(im, get_id(im, v), 4, k_to_nhwc);
  return v->nhwc;
}

/* ---- attributes --------------------------------------------------------- */

const Onnx__AttributeProto *node_attr(const Onnx__NodeProto *n, const char *name) {
  for (size_t i = 0; i < n->n_attribute; ++i)
    if (n->attribute[i]->name && strcmp(n->attribute[i]->name, name) == 0)
      return n->attribute[i];
  return NULL;
}

int64_t attr_int(const Onnx__NodeProto *n, const char *name, int64_t dflt) {
  const Onnx__AttributeProto *a = node_attr(n, name);
  return a && a->has_i ? a->i : dflt;
}

float attr_float(const Onnx__NodeProto *n, const char *name, float dflt) {
  const Onnx__AttributeProto *a = node_attr(n, name);
  return a && a->has_f ? a->f : dflt;
}

const char *attr_str(const Onnx__NodeProto *n, const char *name, const char *dflt, char *buf,
                     size_t bufsize) {
  const Onnx__AttributeProto *a = node_attr(n, name);
  if (!a || !a->has_s)
    return dflt;
  size_t l = a->s.len < bufsize - 1 ? a->s.len : bufsize - 1;
  if (l)
    memcpy(buf, a->s.data, l);
  buf[l] = 0;
  return buf;
}

/* Returns the number of ints (-1 when absent), copying at most `max`. */
int attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max) {
  const Onnx__AttributeProto *a = node_attr(n, name);
  if (!a)
    return -1;
  int k = (int)(a->n_ints < (size_t)max ? a->n_ints : (size_t)max);
  for (int i = 0; i < k; ++i)
    out[i] = a->ints[i];
  return a->n_ints > (size_t)max ? max + 1 : k;
}

/* ---- import driver ------------------------------------------------------ */

static const char *node_label(const Onnx__NodeProto *n, size_t idx, char *buf, size_t size) {
  if (n->name && n->name[0])
    return n->name;
  snprintf(buf, size, "%s_%zu", n->op_type ? n->op_type : "node", idx);
  return buf;
}

void ajpq_onnx_options_init(ajpq_onnx_options_t *opts) {
  memset(opts, 0, sizeof(*opts));
  opts->func_name = "main";
  opts->source_name = "<stdin>";
}

ajpq_status_t ajpq_onnx_parse_input_shape(const char *text, char *name_buf, size_t name_buf_size,
                                          ajpq_onnx_input_shape_t *out) {
  const char *colon = strrchr(text, ':');
  if (!colon || colon == text)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "--input-shape='%s': expected NAME:D0xD1x... (e.g. x:1x3x224x224)",
                            text);
  size_t nl = (size_t)(colon - text);
  if (nl + 1 > name_buf_size)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "--input-shape: name too long");
  memcpy(name_buf, text, nl);
  name_buf[nl] = 0;
  out->name = name_buf;
  out->rank = 0;
  const char *p = colon + 1;
  if (!*p)
    return NULL; /* scalar */
  while (*p) {
    if (out->rank == AJPQ_ONNX_MAX_RANK)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "--input-shape='%s': rank above %d", text,
                              AJPQ_ONNX_MAX_RANK);
    char *end;
    long long d = strtoll(p, &end, 10);
    if (end == p || d <= 0 || d >= ((long long)1 << 31) || (*end && *end != 'x'))
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "--input-shape='%s': dims must be positive integers below 2^31 "
                              "separated by 'x'",
                              text);
    out->dims[out->rank++] = d;
    p = *end ? end + 1 : end;
    if (*end == 'x' && !*p)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "--input-shape='%s': trailing 'x'", text);
  }
  return NULL;
}

void ajpq_onnx_load_dialects(MlirContext ctx) {
  MlirDialectHandle hs[4] = {mlirGetDialectHandle__func__(), mlirGetDialectHandle__tosa__(),
                             mlirGetDialectHandle__arith__(), mlirGetDialectHandle__tensor__()};
  for (int i = 0; i < 4; ++i) {
    mlirDialectHandleRegisterDialect(hs[i], ctx);
    mlirDialectHandleLoadDialect(hs[i], ctx);
  }
}

/* Type of a graph input/output from its ValueInfo, with shape overrides. */
static ajpq_status_t value_info_shape(const ajpq_onnx_options_t *opts,
                                      const Onnx__ValueInfoProto *vi, int is_input, int *rank,
                                      int64_t *dims, int32_t *dtype) {
  const char *nm = vi->name ? vi->name : "";
  const Onnx__TypeProto *tp = vi->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
    return ajpq_status_make(AJPQ_UNIMPLEMENTED, "graph %s '%s' is not a tensor",
                            is_input ? "input" : "output", nm);
  *dtype = tp->tensor_type->has_elem_type ? tp->tensor_type->elem_type : 0;
  const Onnx__TensorShapeProto *sp = tp->tensor_type->shape;
  const ajpq_onnx_input_shape_t *ov = NULL;
  for (int i = 0; is_input && i < opts->n_input_shapes; ++i)
    if (strcmp(opts->input_shapes[i].name, nm) == 0)
      ov = &opts->input_shapes[i];
  if (ov) {
    if (sp && sp->n_dim != (size_t)ov->rank)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "--input-shape for '%s' has rank %d but the model says rank %zu", nm,
                              ov->rank, sp->n_dim);
    for (int i = 0; sp && i < ov->rank; ++i) {
      const Onnx__TensorShapeProto__Dimension *d = sp->dim[i];
      if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
          d->dim_value > 0 && d->dim_value != ov->dims[i])
        return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                                "--input-shape for '%s': dim %d is %lld but the model fixes it to "
                                "%lld",
                                nm, i, (long long)ov->dims[i], (long long)d->dim_value);
    }
    *rank = ov->rank;
    memcpy(dims, ov->dims, sizeof(int64_t) * (size_t)ov->rank);
    char what[300];
    snprintf(what, sizeof(what), "graph input '%.256s'", nm);
    return check_shape(*rank, dims, what);
  }
  if (!sp) {
    if (!is_input) {
      *rank = -1;
      return NULL;
    }
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "graph input '%s' has no shape: give it with --input-shape=%s:...", nm,
                            nm);
  }
  if (sp->n_dim > AJPQ_ONNX_MAX_RANK)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "graph %s '%s' has rank %zu (max %d)",
                            is_input ? "input" : "output", nm, sp->n_dim, AJPQ_ONNX_MAX_RANK);
  *rank = (int)sp->n_dim;
  for (size_t i = 0; i < sp->n_dim; ++i) {
    const Onnx__TensorShapeProto__Dimension *d = sp->dim[i];
    if (d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
        d->dim_value <= 0) {
      if (!is_input) {
        dims[i] = -1;
        continue;
      }
      return ajpq_status_make(
          AJPQ_INVALID_ARGUMENT,
          "graph input '%s' has a dynamic or invalid dim %zu ('%s'): fix it with "
          "--input-shape=%s:...",
          nm, i,
          d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param
              ? d->dim_param
              : "?",
          nm);
    }
    dims[i] = d->dim_value;
  }
  char what[300];
  snprintf(what, sizeof(what), "graph input '%.256s'", nm);
  return is_input ? check_shape(*rank, dims, what) : NULL;
}

static ajpq_status_t check_unsupported(imp_t *im, const Onnx__GraphProto *g) {
  char *list = NULL;
  size_t len = 0;
  int count = 0;
  const Onnx__NodeProto *first = NULL;
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *n = g->node[i];
    const char *dom = n->domain ? n->domain : "";
    int ok = (dom[0] == 0 || strcmp(dom, "ai.onnx") == 0) && n->op_type &&
             ajpq_onnx_op_supported(n->op_type);
    if (ok)
      continue;
    char lb[64], item[512];
    snprintf(item, sizeof(item), "%s  node '%s' (%s%s%s, opset %d)", count ? "\n" : "",
             node_label(n, i, lb, sizeof(lb)), dom[0] ? dom : "", dom[0] ? "::" : "",
             n->op_type ? n->op_type : "?", im->opset);
    if (!first)
      first = n;
    ++count;
    if (count > 50)
      continue;
    size_t il = strlen(item);
    char *nl = realloc(list, len + il + 1);
    if (!nl)
      break;
    list = nl;
    memcpy(list + len, item, il + 1);
    len += il;
  }
  if (!count)
    return NULL;
  char lb[64];
  ajpq_status_t st = ajpq_status_make(
      AJPQ_UNIMPLEMENTED,
      "%s: unsupported operator %s in node '%s' (opset %d); all %d unsupported node(s):\n%s%s",
      im->src, first->op_type ? first->op_type : "?", node_label(first, 0, lb, sizeof(lb)),
      im->opset, count, list ? list : "", count > 50 ? "\n  ..." : "");
  free(list);
  return st;
}

static void imp_cleanup(imp_t *im) {
  for (size_t i = 0; i < im->cap; ++i)
    val_free(im->table[i]);
  free(im->table);
  im->table = NULL;
  im->cap = im->n = 0;
}

static void sanitize(const char *in, char *out, size_t n) {
  size_t o = 0;
  for (; *in && o + 1 < n; ++in)
    out[o++] = ((*in >= 'a' && *in <= 'z') || (*in >= 'A' && *in <= 'Z') ||
                (*in >= '0' && *in <= '9') || *in == '_')
                   ? *in
                   : '_';
  out[o] = 0;
}

static ajpq_status_t import_graph(imp_t *im, const Onnx__GraphProto *g,
                                  const ajpq_onnx_options_t *opts, MlirModule module) {
  im->graph = g;
  /* Initializers: constants. */
  for (size_t i = 0; i < g->n_initializer; ++i) {
    const Onnx__TensorProto *tp = g->initializer[i];
    if (!tp->name || !tp->name[0])
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: initializer %zu has no name", im->src, i);
    val_t *v;
    AJPQ_RETURN_IF_ERROR(imp_define(im, tp->name ? tp->name : "", &v));
    v->cst = calloc(1, sizeof(*v->cst));
    if (!v->cst)
      return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    AJPQ_RETURN_IF_ERROR(
        ajpq_status_annotate(ajpq_onnx_tensor_from_proto(tp, v->cst), "%s: initializer", im->src));
    v->dtype = v->cst->dtype;
    v->rank = v->cst->rank;
    memcpy(v->dims, v->cst->dims, sizeof(v->dims));
  }
  if (g->n_sparse_initializer)
    return ajpq_status_make(AJPQ_UNIMPLEMENTED, "%s: sparse initializers are not supported",
                            im->src);
  /* Every --input-shape must name a run-time graph input: a misspelt name used to be ignored. */
  for (int k = 0; k < opts->n_input_shapes; ++k) {
    const char *want = opts->input_shapes[k].name;
    int found = 0;
    for (size_t i = 0; i < g->n_input && !found; ++i)
      found = g->input[i]->name && strcmp(g->input[i]->name, want) == 0 && !imp_lookup(im, want);
    if (found)
      continue;
    char list[512] = "";
    size_t len = 0;
    for (size_t i = 0; i < g->n_input && len + 8 < sizeof list; ++i) {
      const char *nm = g->input[i]->name ? g->input[i]->name : "";
      if (!nm[0] || imp_lookup(im, nm))
        continue;
      int w = snprintf(list + len, sizeof list - len, "%s'%s'", len ? ", " : "", nm);
      len = w < 0 ? len : len + (size_t)w >= sizeof list ? sizeof list - 1 : len + (size_t)w;
    }
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "%s: --input-shape (or a manifest's mlir_input_shapes) names '%s', which is not a "
                            "run-time graph input "
                            "(inputs: %s)",
                            im->src, want, list[0] ? list : "none");
  }
  /* Graph inputs that are not initializers become function arguments. */
  int nargs = 0;
  MlirType argt[256];
  MlirLocation argl[256];
  const char *argn[256];
  for (size_t i = 0; i < g->n_input; ++i) {
    const Onnx__ValueInfoProto *vi = g->input[i];
    const char *nm = vi->name ? vi->name : "";
    if (!nm[0])
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: graph input %zu has no name", im->src, i);
    if (imp_lookup(im, nm))
      continue; /* initializer listed as input (IR < 4): a constant */
    const ajpq_onnx_tensor_t *bound = NULL;
    for (int k = 0; k < opts->n_const_inputs; ++k)
      if (opts->const_inputs[k].name && strcmp(opts->const_inputs[k].name, nm) == 0)
        bound = &opts->const_inputs[k];
    if (bound) {
      const Onnx__TypeProto *tp = vi->type;
      int32_t decl = tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
                             tp->tensor_type && tp->tensor_type->has_elem_type
                         ? tp->tensor_type->elem_type
                         : bound->dtype;
      if (decl != bound->dtype)
        return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                                "%s: tensor bound to graph input '%s' has element type %s, the "
                                "graph declares %s",
                                im->src, nm, ajpq_onnx_dtype_name(bound->dtype),
                                ajpq_onnx_dtype_name(decl));
      val_t *v;
      AJPQ_RETURN_IF_ERROR(imp_define(im, nm, &v));
      v->cst = calloc(1, sizeof(*v->cst));
      if (!v->cst)
        return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      *v->cst = *bound;
      v->cst->name = strdup(nm);
      size_t n = (size_t)(bound->numel ? bound->numel : 1);
      v->cst->f32 = NULL;
      v->cst->i64 = NULL;
      if (bound->f32 && (v->cst->f32 = malloc(n * sizeof(float))))
        memcpy(v->cst->f32, bound->f32, n * sizeof(float));
      if (bound->i64 && (v->cst->i64 = malloc(n * sizeof(int64_t))))
        memcpy(v->cst->i64, bound->i64, n * sizeof(int64_t));
      if (!v->cst->name || (!v->cst->f32 && !v->cst->i64))
        return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      v->dtype = bound->dtype;
      v->rank = bound->rank;
      memcpy(v->dims, bound->dims, sizeof(v->dims));
      continue;
    }
    if (nargs == 256)
      return ajpq_status_make(AJPQ_UNIMPLEMENTED, "%s: more than 256 graph inputs", im->src);
    int rank;
    int64_t dims[AJPQ_ONNX_MAX_RANK];
    int32_t dt;
    AJPQ_RETURN_IF_ERROR(
        ajpq_status_annotate(value_info_shape(opts, vi, 1, &rank, dims, &dt), "%s", im->src));
    if (shape_numel(rank, dims) == 0)
      return ajpq_status_make(AJPQ_UNIMPLEMENTED, "%s: graph input '%s' is empty (a zero dim)",
                              im->src, nm);
    if (dt != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
      return ajpq_status_make(AJPQ_UNIMPLEMENTED,
                              "%s: graph input '%s' has element type %s (only FLOAT is supported)",
                              im->src, nm, ajpq_onnx_dtype_name(dt));
    val_t *v;
    AJPQ_RETURN_IF_ERROR(imp_define(im, nm, &v));
    v->dtype = dt;
    v->rank = rank;
    memcpy(v->dims, dims, sizeof(int64_t) * (size_t)rank);
    argt[nargs] = tensor_type(im, rank, dims);
    argl[nargs] = mlirLocationNameGet(im->ctx, mlirStringRefCreateFromCString(nm), im->file_loc);
    argn[nargs] = nm;
    v->arg_index = nargs++;
  }
  im->block = mlirBlockCreate(nargs, argt, argl);
  for (size_t i = 0; i < im->cap; ++i) {
    val_t *v = im->table[i];
    if (v && !v->cst)
      v->id = mlirBlockGetArgument(im->block, v->arg_index);
  }
  /* Use counts, for BatchNormalization folding. */
  AJPQ_RETURN_IF_ERROR(ajpq_onnx_prepare_nodes(im, g));
  /* Nodes. */
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *n = g->node[i];
    char lb[64];
    const char *label = node_label(n, i, lb, sizeof(lb));
    MlirLocation fl = mlirLocationFileLineColGet(im->ctx, mlirStringRefCreateFromCString(im->src),
                                                 (unsigned)(i + 1), 0);
    im->loc = mlirLocationNameGet(im->ctx, mlirStringRefCreateFromCString(label), fl);
    sanitize(label, im->blob_prefix, sizeof(im->blob_prefix) - 8);
    if (im->blob_prefix[0])
      strcat(im->blob_prefix, "_");
    im->node = n;
    im->node_index = i;
    ajpq_status_t st = ajpq_onnx_convert_node(im, n);
    if (st)
      return ajpq_status_annotate(st, "%s: node '%s' (%s, opset %d)", im->src, label, n->op_type,
                                  im->opset);
  }
  /* Results. */
  int nres = 0;
  MlirValue res[256];
  MlirType rest[256];
  if (g->n_output == 0 || g->n_output > 256)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: graph has %zu outputs (1..256 supported)",
                            im->src, g->n_output);
  for (size_t i = 0; i < g->n_output; ++i) {
    const char *nm = g->output[i]->name ? g->output[i]->name : "";
    if (!nm[0])
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: graph output %zu has no name", im->src,
                              i);
    val_t *v = imp_lookup(im, nm);
    if (!v)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "%s: graph output '%s' is not produced by any node (dangling name)",
                              im->src, nm);
    int rank;
    int64_t dims[AJPQ_ONNX_MAX_RANK];
    int32_t dt;
    AJPQ_RETURN_IF_ERROR(ajpq_status_annotate(
        value_info_shape(opts, g->output[i], 0, &rank, dims, &dt), "%s", im->src));
    if (rank >= 0) {
      int ok = rank == v->rank;
      for (int k = 0; ok && k < rank; ++k)
        ok = dims[k] < 0 || dims[k] == v->dims[k];
      if (!ok) {
        char a[128], b[128];
        return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                                "%s: graph output '%s' is declared %s but computes to %s", im->src,
                                nm, shape_str(rank, dims, a, sizeof(a)),
                                shape_str(v->rank, v->dims, b, sizeof(b)));
      }
    }
    if (v->dtype != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT &&
        v->dtype != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE)
      return ajpq_status_make(AJPQ_UNIMPLEMENTED,
                              "%s: graph output '%s' has element type %s (only FLOAT is supported)",
                              im->src, nm, ajpq_onnx_dtype_name(v->dtype));
    im->loc = mlirLocationNameGet(im->ctx, mlirStringRefCreateFromCString(nm), im->file_loc);
    res[nres] = get_id(im, v);
    rest[nres] = mlirValueGetType(res[nres]);
    ++nres;
  }
  im->loc = im->file_loc;
  MlirOperationState rs =
      mlirOperationStateGet(mlirStringRefCreateFromCString("func.return"), im->loc);
  mlirOperationStateAddOperands(&rs, nres, res);
  mlirBlockAppendOwnedOperation(im->block, mlirOperationCreate(&rs));
  /* The function. */
  MlirType ft = mlirFunctionTypeGet(im->ctx, nargs, argt, nres, rest);
  MlirRegion region = mlirRegionCreate();
  mlirRegionAppendOwnedBlock(region, im->block);
  im->block = (MlirBlock){NULL};
  MlirAttribute aattrs[256], rattrs[256];
  MlirIdentifier key = mlirIdentifierGet(im->ctx, mlirStringRefCreateFromCString("ajpq.name"));
  for (int i = 0; i < nargs; ++i) {
    MlirNamedAttribute na = mlirNamedAttributeGet(
        key, mlirStringAttrGet(im->ctx, mlirStringRefCreateFromCString(argn[i])));
    aattrs[i] = mlirDictionaryAttrGet(im->ctx, 1, &na);
  }
  for (int i = 0; i < nres; ++i) {
    MlirNamedAttribute na = mlirNamedAttributeGet(
        key, mlirStringAttrGet(im->ctx, mlirStringRefCreateFromCString(
                                            g->output[i]->name ? g->output[i]->name : "")));
    rattrs[i] = mlirDictionaryAttrGet(im->ctx, 1, &na);
  }
  MlirNamedAttribute fa[4] = {
      mlirNamedAttributeGet(
          mlirIdentifierGet(im->ctx, mlirStringRefCreateFromCString("sym_name")),
          mlirStringAttrGet(im->ctx, mlirStringRefCreateFromCString(opts->func_name))),
      mlirNamedAttributeGet(
          mlirIdentifierGet(im->ctx, mlirStringRefCreateFromCString("function_type")),
          mlirTypeAttrGet(ft)),
      mlirNamedAttributeGet(mlirIdentifierGet(im->ctx, mlirStringRefCreateFromCString("arg_attrs")),
                            mlirArrayAttrGet(im->ctx, nargs, aattrs)),
      mlirNamedAttributeGet(mlirIdentifierGet(im->ctx, mlirStringRefCreateFromCString("res_attrs")),
                            mlirArrayAttrGet(im->ctx, nres, rattrs)),
  };
  MlirOperationState fs =
      mlirOperationStateGet(mlirStringRefCreateFromCString("func.func"), im->file_loc);
  if (!nargs) /* no arguments: keep res_attrs, drop the empty arg_attrs */
    fa[2] = fa[3];
  mlirOperationStateAddAttributes(&fs, nargs ? 4 : 3, fa);
  mlirOperationStateAddOwnedRegions(&fs, 1, &region);
  MlirOperation func = mlirOperationCreate(&fs);
  mlirBlockAppendOwnedOperation(mlirModuleGetBody(module), func);
  return NULL;
}

static void append_str(MlirStringRef s, void *user) {
  char *buf = user;
  size_t l = strlen(buf);
  size_t k = s.length < 1023 - l ? s.length : 1023 - l;
  memcpy(buf + l, s.data, k);
  buf[l + k] = 0;
}

static MlirLogicalResult print_diag(MlirDiagnostic d, void *user) {
  char *buf = user;
  if (buf[0])
    return mlirLogicalResultSuccess();
  mlirDiagnosticPrint(d, append_str, user);
  return mlirLogicalResultSuccess();
}

/* Depth of the deepest message nesting in the protobuf wire data `data`
 * of message type `desc`, found with an explicit stack (no recursion: this
 * runs before protobuf-c's recursive unpacker precisely to refuse inputs
 * that would overflow the stack). Returns true when the nesting is at most
 * `limit` (or the data is malformed: the unpacker then reports it); false
 * with *offset = the byte offset of the first message beyond the limit. */
static bool pb_nesting_ok(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size,
                          int limit, size_t *offset) {
  typedef struct {
    const ProtobufCMessageDescriptor *desc;
    size_t end;
  } frame_t;
  frame_t *stack = malloc(sizeof(frame_t) * (size_t)(limit + 1));
  if (!stack)
    return true; /* the unpacker's own allocation check will fail cleanly */
  int depth = 0;
  stack[0] = (frame_t){desc, size};
  size_t pos = 0;
  bool ok = true;
  while (ok) {
    while (depth > 0 && pos >= stack[depth].end)
      --depth;
    if (pos >= stack[depth].end)
      break;
    uint64_t key = 0;
    int shift = 0;
    while (pos < size && shift < 64) {
      uint8_t b = data[pos++];
      key |= (uint64_t)(b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80))
        break;
    }
    unsigned wire = (unsigned)(key & 7);
    uint64_t field = key >> 3;
    uint64_t len = 0;
    switch (wire) {
    case 0: /* varint */
      while (pos < size && (data[pos++] & 0x80))
        ;
      continue;
    case 1: /* 64-bit */
      pos += 8;
      continue;
    case 5: /* 32-bit */
      pos += 4;
      continue;
    case 2: /* length-delimited */
      shift = 0;
      while (pos < size && shift < 64) {
        uint8_t b = data[pos++];
        len |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
          break;
      }
      break;
    default: /* groups or garbage: leave it to the unpacker */
      free(stack);
      return true;
    }
    if (len > stack[depth].end - (pos < stack[depth].end ? pos : stack[depth].end)) {
      free(stack);
      return true; /* truncated: the unpacker reports it */
    }
    const ProtobufCFieldDescriptor *fd =
        field <= UINT_MAX ? protobuf_c_message_descriptor_get_field(stack[depth].desc,
                                                                     (unsigned)field)
                          : NULL;
    if (fd && fd->type == PROTOBUF_C_TYPE_MESSAGE) {
      if (depth + 1 >= limit) {
        *offset = pos;
        ok = false;
        break;
      }
      ++depth;
      stack[depth] = (frame_t){fd->descriptor, pos + (size_t)len};
      continue; /* scan inside the submessage */
    }
    pos += (size_t)len;
  }
  free(stack);
  return ok;
}

ajpq_status_t ajpq_onnx_import(MlirContext ctx, const uint8_t *data, size_t size,
                               const ajpq_onnx_options_t *opts_in, MlirModule *out_module) {
  *out_module = (MlirModule){NULL};
  ajpq_onnx_options_t dflt;
  ajpq_onnx_options_init(&dflt);
  const ajpq_onnx_options_t *opts = opts_in ? opts_in : &dflt;
  const char *src = opts->source_name ? opts->source_name : "<stdin>";
  if (size == 0)
    return ajpq_status_make(AJPQ_DATA_LOSS, "%s: empty file, not an ONNX model", src);
  size_t deep_at = 0;
  if (!pb_nesting_ok(&onnx__model_proto__descriptor, data, size, AJPQ_ONNX_MAX_NESTING, &deep_at))
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED,
                            "%s: protobuf messages nested deeper than %d levels (at byte %zu; "
                            "e.g. subgraphs inside subgraphs): refused",
                            src, AJPQ_ONNX_MAX_NESTING, deep_at);
  Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, size, data);
  if (!m)
    return ajpq_status_make(AJPQ_DATA_LOSS,
                            "%s: not an ONNX model (protobuf parsing failed: truncated or corrupt "
                            "file)",
                            src);
  ajpq_status_t st = NULL;
  if (!m->graph || !m->has_ir_version) {
    st = ajpq_status_make(AJPQ_DATA_LOSS, "%s: not an ONNX model (no %s)", src,
                          !m->graph ? "graph" : "ir_version");
    onnx__model_proto__free_unpacked(m, NULL);
    return st;
  }
  imp_t im;
  memset(&im, 0, sizeof(im));
  im.ctx = ctx;
  im.src = src;
  im.f32 = mlirF32TypeGet(ctx);
  im.file_loc = mlirLocationFileLineColGet(ctx, mlirStringRefCreateFromCString(src), 0, 0);
  im.loc = im.file_loc;
  im.opset = -1;
  for (size_t i = 0; i < m->n_opset_import; ++i) {
    const Onnx__OperatorSetIdProto *o = m->opset_import[i];
    const char *d = o->domain ? o->domain : "";
    if ((d[0] == 0 || strcmp(d, "ai.onnx") == 0) && o->has_version) {
      if (o->version < 1 || o->version > 21) { /* report the real int64 value */
        st = ajpq_status_make(AJPQ_UNIMPLEMENTED,
                              "%s: the model's default-domain opset is %lld; supported opsets "
                              "are 7..21",
                              src, (long long)o->version);
        onnx__model_proto__free_unpacked(m, NULL);
        return st;
      }
      im.opset = (int)o->version;
    }
  }
  if (im.opset < 0 && m->n_opset_import == 0)
    im.opset = 1; /* IR version 2 models without opset_import */
  if (im.opset >= 1 && im.opset < 7 && m->graph) {
    /* Opsets 1..6: accepted only when every node keeps its current
     * semantics: no consumed_inputs, BatchNormalization/Dropout in test mode,
     * legacy broadcast only in its NumPy-compatible form (no axis). */
    static const char *ok6[] = {"GlobalAveragePool",
                                "Elu", /* Elu-6, Selu-6, Abs-6, Floor-6, Ceil-6, Softplus-1 and
                                          Softsign-1 are the current forms (consumed_inputs,
                                          the only opset-1 difference, is rejected below) */
                                "Selu",
                                "Abs",
                                "Floor",
                                "Ceil",
                                "Softplus",
                                "Softsign",
                                "InstanceNormalization", /* -6 = current; -1 differs only by
                                                            consumed_inputs */
                                "DepthToSpace", /* -1 = DCR, the default of -11/-13 */
                                "SpaceToDepth",
                                "GlobalMaxPool",
                                "HardSigmoid",
                                "Relu",
                                "Sigmoid",
                                "Tanh",
                                "LeakyRelu",
                                "Identity",
                                "Flatten",
                                "Transpose",
                                "Softmax",
                                "LogSoftmax",
                                "Constant",
                                "Exp",
                                "Log",
                                "Conv",
                                "ConvTranspose",
                                "MaxPool",
                                "AveragePool",
                                "Gemm",
                                "Pad",
                                "Concat",
                                "Reshape",
                                "Squeeze",
                                "Unsqueeze",
                                "Split",
                                "Slice",
                                "Clip",
                                "Add",
                                "Sub",
                                "Mul",
                                "Div",
                                "BatchNormalization",
                                "Dropout",
                                "MatMul",
                                "PRelu",
                                "Neg",
                                "Reciprocal",
                                "Max",
                                "Min",
                                "Sum",
                                "Mean",
                                "ReduceMean",
                                "ReduceSum",
                                "ReduceMax"};
    int all = 1;
    for (size_t i = 0; all && i < m->graph->n_node; ++i) {
      const Onnx__NodeProto *nd = m->graph->node[i];
      int hit = 0;
      for (size_t k = 0; k < sizeof(ok6) / sizeof(ok6[0]); ++k)
        hit |= nd->op_type && strcmp(nd->op_type, ok6[k]) == 0;
      all = hit && !node_attr(nd, "consumed_inputs") && !node_attr(nd, "axis_w") &&
            !(node_attr(nd, "broadcast") && node_attr(nd, "axis") &&
              strcmp(nd->op_type, "Gemm") != 0);
      if (all && nd->op_type &&
          (strcmp(nd->op_type, "BatchNormalization") == 0 || strcmp(nd->op_type, "Dropout") == 0))
        all = attr_int(nd, "is_test", 0) != 0;
      if (all && nd->op_type && strcmp(nd->op_type, "PRelu") == 0)
        all = 0; /* PRelu-6 broadcasts the slope differently */
    }
    if (all)
      im.opset = 7;
  }
  if (im.opset < 7 || im.opset > 21) {
    st = ajpq_status_make(AJPQ_UNIMPLEMENTED,
                          "%s: the model's default-domain opset is %d; supported opsets are 7..21",
                          src, im.opset);
    onnx__model_proto__free_unpacked(m, NULL);
    return st;
  }
  st = check_unsupported(&im, m->graph);
  MlirModule module = mlirModuleCreateEmpty(im.file_loc);
  if (!st)
    st = import_graph(&im, m->graph, opts, module);
  if (!mlirBlockIsNull(im.block))
    mlirBlockDestroy(im.block);
  imp_cleanup(&im);
  free(im.uses);
  free(im.skip);
  onnx__model_proto__free_unpacked(m, NULL);
  if (!st) {
    char diag[1024] = {0};
    MlirDiagnosticHandlerID h = mlirContextAttachDiagnosticHandler(ctx, print_diag, diag, NULL);
    int ok = mlirOperationVerify(mlirModuleGetOperation(module));
    mlirContextDetachDiagnosticHandler(ctx, h);
    if (!ok)
      st = ajpq_status_make(AJPQ_INTERNAL,
                            "%s: the imported module does not verify (importer "
                            "bug): %s",
                            src, diag);
  }
  if (st) {
    mlirModuleDestroy(module);
    return st;
  }
  *out_module = module;
  return NULL;
}

ajpq_status_t ajpq_onnx_import_file(MlirContext ctx, const char *path,
                                    const ajpq_onnx_options_t *opts, MlirModule *out_module) {
  *out_module = (MlirModule){NULL};
  uint8_t *data;
  size_t size;
  AJPQ_RETURN_IF_ERROR(ajpq_onnx_read_file(path, (size_t)1 << 31, &data, &size));
  ajpq_onnx_options_t o;
  if (opts)
    o = *opts;
  else
    ajpq_onnx_options_init(&o);
  if (!opts || !opts->source_name || strcmp(opts->source_name, "<stdin>") == 0)
    o.source_name = strcmp(path, "-") == 0 ? "<stdin>" : path;
  ajpq_status_t st = ajpq_onnx_import(ctx, data, size, &o, out_module);
  free(data);
  return st;
}

ajpq_status_t ajpq_onnx_testcase_import(MlirContext ctx, const ajpq_onnx_testcase_t *tc,
                                        const char *name, int *runtime, MlirModule *out) {
  ajpq_onnx_input_shape_t shapes[64];
  ajpq_onnx_tensor_t bound[64];
  int n_in = tc->n_inputs < 64 ? tc->n_inputs : 64;
  ajpq_status_t st = NULL;
  for (int mode = 0; mode < 2; ++mode) {
    int ns = 0, nb = 0;
    for (int i = 0; i < n_in; ++i) {
      const ajpq_onnx_tensor_t *t = &tc->inputs[i];
      int bind = t->dtype != 1 || (mode == 1 && i > 0); /* 1 = FLOAT */
      runtime[i] = !bind;
      if (bind) {
        bound[nb++] = *t;
      } else if (t->name && t->name[0]) { /* unnamed (pytorch-converted): the model's shape */
        shapes[ns].name = t->name;
        shapes[ns].rank = t->rank;
        memcpy(shapes[ns].dims, t->dims, sizeof(t->dims));
        ++ns;
      }
    }
    ajpq_onnx_options_t o;
    ajpq_onnx_options_init(&o);
    o.input_shapes = shapes;
    o.n_input_shapes = ns;
    o.const_inputs = bound;
    o.n_const_inputs = nb;
    o.source_name = name;
    st = ajpq_onnx_import_file(ctx, tc->model_path, &o, out);
    if (!st || ajpq_status_code(st) != AJPQ_UNIMPLEMENTED || mode == 1 || n_in <= 1)
      return st;
    ajpq_status_free(st);
  }
  return st;
}
