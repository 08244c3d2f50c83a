/* ops.c — one handler per ONNX operator: shape inference, constant folding
 * on the host, and TOSA emission (op set and conventions: docs/import.md).
 * Operator semantics follow the ONNX operator specification (Operators.md,
 * opsets 7..21); attribute->input moves are handled per opset. */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_internal.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"

#define T_FLOAT ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
#define T_INT64 ONNX__TENSOR_PROTO__DATA_TYPE__INT64
#define T_BOOL ONNX__TENSOR_PROTO__DATA_TYPE__BOOL

#define ERR(code, ...) ajpq_status_make(code, __VA_ARGS__)
#define EINVAL(...) ERR(AJPQ_INVALID_ARGUMENT, __VA_ARGS__)
#define EUNIMPL(...) ERR(AJPQ_UNIMPLEMENTED, __VA_ARGS__)

typedef ajpq_status_t (*handler_t)(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                   val_t **out, int nout);

/* ---- host tensors ------------------------------------------------------- */

/* Largest constant the importer computes itself (folding): 2^24 elements, so
 * a few bytes of ConstantOfShape/Range/Pad cannot make it allocate GBs. */
#define MAX_FOLDED_ELEMENTS ((int64_t)1 << 24)

static ajpq_status_t new_cst(val_t *v, int32_t dtype, int rank, const int64_t *dims) {
  AJPQ_RETURN_IF_ERROR(check_shape(rank, dims, v->name));
  if (shape_numel(rank, dims) > MAX_FOLDED_ELEMENTS)
    return EUNIMPL("folding '%s' would create a constant of %lld elements (limit %lld)", v->name,
                   (long long)shape_numel(rank, dims), (long long)MAX_FOLDED_ELEMENTS);
  ajpq_onnx_tensor_t *t = calloc(1, sizeof(*t));
  if (!t)
    return ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  t->dtype = dtype;
  t->rank = rank;
  if (rank > 0)
    memcpy(t->dims, dims, sizeof(int64_t) * (size_t)rank);
  t->numel = shape_numel(rank, dims);
  size_t n = t->numel ? (size_t)t->numel : 1;
  if (ajpq_onnx_dtype_is_float(dtype))
    t->f32 = calloc(n, sizeof(float));
  else
    t->i64 = calloc(n, sizeof(int64_t));
  if (!t->f32 && !t->i64) {
    free(t);
    return ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory for '%s'", v->name);
  }
  v->cst = t;
  v->dtype = dtype;
  v->rank = rank;
  if (rank > 0)
    memcpy(v->dims, dims, sizeof(int64_t) * (size_t)rank);
  return NULL;
}

/* double -> int64 without undefined behaviour: clamps, NaN -> 0. */
static int64_t to_i64(double v) {
  if (!(v == v))
    return 0;
  if (v >= 9223372036854775807.0)
    return INT64_MAX;
  if (v <= -9223372036854775808.0)
    return INT64_MIN;
  return (int64_t)v;
}

static double cget(const ajpq_onnx_tensor_t *t, int64_t i) {
  return t->f32 ? (double)t->f32[i] : (double)t->i64[i];
}

static void cset(ajpq_onnx_tensor_t *t, int64_t i, double v) {
  if (t->f32)
    t->f32[i] = (float)v;
  else
    t->i64[i] = to_i64(v);
}

static void set_shape(val_t *v, int32_t dtype, int rank, const int64_t *dims) {
  v->dtype = dtype;
  v->rank = rank;
  if (rank > 0)
    memcpy(v->dims, dims, sizeof(int64_t) * (size_t)rank);
}

static int all_const(val_t **in, int nin) {
  for (int i = 0; i < nin; ++i)
    if (in[i] && !in[i]->cst)
      return 0;
  return 1;
}

/* Reads a small integer constant input (axes, pads, shape, ...). */
static ajpq_status_t const_ints(val_t *v, const char *what, int64_t *out, int max, int *n) {
  if (!v->cst)
    return EUNIMPL("input '%s' (%s) must be a constant, but it is computed at run time", v->name,
                   what);
  if (v->cst->numel > max)
    return EINVAL("input '%s' (%s) has %lld values (max %d)", v->name, what,
                  (long long)v->cst->numel, max);
  for (int64_t i = 0; i < v->cst->numel; ++i)
    out[i] = to_i64(cget(v->cst, i));
  *n = (int)v->cst->numel;
  return NULL;
}

static ajpq_status_t norm_axis(int64_t axis, int rank, int *out) {
  if (axis < -rank || axis >= rank)
    return EINVAL("axis %lld is out of range for rank %d", (long long)axis, rank);
  *out = (int)(axis < 0 ? axis + rank : axis);
  return NULL;
}

static ajpq_status_t broadcast(const val_t *a, const val_t *b, int *rank, int64_t *dims) {
  int r = a->rank > b->rank ? a->rank : b->rank;
  for (int i = 0; i < r; ++i) {
    int ia = i - (r - a->rank), ib = i - (r - b->rank);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      char x[128], y[128];
      return EINVAL("shapes %s ('%s') and %s ('%s') do not broadcast",
                    shape_str(a->rank, a->dims, x, sizeof(x)), a->name,
                    shape_str(b->rank, b->dims, y, sizeof(y)), b->name);
    }
    dims[i] = da == 1 ? db : da;
  }
  *rank = r;
  return NULL;
}

/* Offset into a broadcast operand for output multi-index idx. */
static int64_t bcast_offset(const ajpq_onnx_tensor_t *t, int r, const int64_t *idx) {
  int64_t off = 0, s = 1;
  for (int i = t->rank - 1; i >= 0; --i) {
    int oi = i + (r - t->rank);
    if (t->dims[i] != 1)
      off += idx[oi] * s;
    s *= t->dims[i];
  }
  return off;
}

static void inc_index(int64_t *idx, int r, const int64_t *dims) {
  for (int i = r - 1; i >= 0; --i) {
    if (++idx[i] < dims[i])
      return;
    idx[i] = 0;
  }
}

/* ---- layout-aware operand access --------------------------------------- */

static void to_nhwc_dims(const int64_t *d, int64_t *o) {
  o[0] = d[0], o[1] = d[2], o[2] = d[3], o[3] = d[1];
}

/* Operand `v` broadcast to rank `r` (size-1 dims prepended), in NHWC (r==4)
 * or logical layout. */
static MlirValue operand(imp_t *im, val_t *v, int r, int nhwc) {
  int64_t d[AJPQ_ONNX_MAX_RANK];
  int k = r - v->rank;
  for (int i = 0; i < r; ++i)
    d[i] = i < k ? 1 : v->dims[i - k];
  if (v->cst && nhwc) {
    ajpq_onnx_tensor_t t = *v->cst, o = {0};
    t.rank = 4;
    memcpy(t.dims, d, sizeof(int64_t) * 4);
    size_t n = t.numel ? (size_t)t.numel : 1;
    float *tmp = NULL;
    if (!t.f32) {
      tmp = malloc(n * sizeof(float));
      if (!tmp)
        return (MlirValue){NULL};
      for (int64_t i = 0; i < t.numel; ++i)
        tmp[i] = (float)t.i64[i];
      t.f32 = tmp;
      t.i64 = NULL;
    }
    o.f32 = malloc(n * sizeof(float));
    MlirValue res = {NULL};
    if (o.f32) {
      static const int p[4] = {0, 2, 3, 1};
      host_transpose(&t, p, &o);
      res = emit_const(im, 4, o.dims, o.f32);
      free(o.f32);
    }
    free(tmp);
    return res;
  }
  if (nhwc && v->rank == 4)
    return get_nhwc(im, v);
  return emit_reshape(im, get_id(im, v), r, d);
}

/* Picks NHWC for an elementwise op when the output is 4-D and every runtime
 * operand already exists in NHWC. */
static int pick_nhwc(val_t **ops, int n, int out_rank) {
  if (out_rank != 4)
    return 0;
  int any = 0;
  for (int i = 0; i < n; ++i) {
    if (!ops[i] || ops[i]->cst)
      continue;
    if (ops[i]->rank != 4 || mlirValueIsNull(ops[i]->nhwc))
      return 0;
    any = 1;
  }
  return any;
}

static void set_result(val_t *out, MlirValue v, int nhwc) {
  if (nhwc)
    out->nhwc = v;
  else
    out->id = v;
}

static MlirType out_type(imp_t *im, const val_t *out, int nhwc) {
  int64_t d[4];
  if (nhwc) {
    to_nhwc_dims(out->dims, d);
    return tensor_type(im, 4, d);
  }
  return tensor_type(im, out->rank, out->dims);
}

static int need_float(val_t *v) {
  return v->dtype == T_FLOAT || v->dtype == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
}

static ajpq_status_t check_float(val_t **in, int nin) {
  for (int i = 0; i < nin; ++i)
    if (in[i] && !in[i]->cst && !need_float(in[i]))
      return EUNIMPL("input '%s' has element type %s at run time (only FLOAT is supported)",
                     in[i]->name, ajpq_onnx_dtype_name(in[i]->dtype));
  return NULL;
}

/* ---- elementwise -------------------------------------------------------- */

static ajpq_status_t h_identity(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                val_t **out, int nout);
static MlirValue emit_mul_scalar(imp_t *im, MlirValue x, float s);

static ajpq_status_t rt_binary(imp_t *im, const char *op, val_t *a, val_t *b, val_t *out) {
  val_t *ops[2] = {a, b};
  AJPQ_RETURN_IF_ERROR(check_float(ops, 2));
  int nh = pick_nhwc(ops, 2, out->rank);
  MlirValue x = operand(im, a, out->rank, nh), y = operand(im, b, out->rank, nh);
  if (mlirValueIsNull(x) || mlirValueIsNull(y))
    return ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  MlirType t = out_type(im, out, nh);
  MlirValue r;
  const char *top = strcmp(op, "Add") == 0   ? "tosa.add"
                    : strcmp(op, "Sub") == 0 ? "tosa.sub"
                    : strcmp(op, "Mul") == 0 ? "tosa.mul"
                    : strcmp(op, "Max") == 0 ? "tosa.maximum"
                    : strcmp(op, "Min") == 0 ? "tosa.minimum"
                    : strcmp(op, "Pow") == 0 ? "tosa.pow"
                                             : NULL;
  if (strcmp(op, "Div") == 0) {
    MlirValue rc = emit(im, "tosa.reciprocal", mlirValueGetType(y), 1, &y, 0, NULL);
    MlirValue ops3[3] = {x, rc, emit_shift(im)};
    r = emit(im, "tosa.mul", t, 3, ops3, 0, NULL);
  } else {
    MlirValue ops3[3] = {x, y, {NULL}};
    int k = 2;
    if (strcmp(top, "tosa.mul") == 0)
      ops3[k++] = emit_shift(im);
    r = emit(im, top, t, k, ops3, 0, NULL);
  }
  set_result(out, r, nh);
  return NULL;
}

static ajpq_status_t h_binary(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                              int nout);

/* Max, Min, Sum, Mean: left fold of the binary op over 1..n inputs. */
static ajpq_status_t h_variadic(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                val_t **out, int nout) {
  for (int i = 0; i < nin; ++i)
    if (!in[i])
      return EINVAL("missing input %d", i);
  int is_mean = strcmp(n->op_type, "Mean") == 0;
  const char *bop = strcmp(n->op_type, "Sum") == 0 || is_mean ? "Add" : n->op_type;
  Onnx__NodeProto fake = *n;
  fake.op_type = (char *)bop;
  val_t *acc = in[0];
  val_t tmp[2];
  memset(tmp, 0, sizeof(tmp));
  tmp[0].name = tmp[1].name = out[0]->name;
  if (nin == 1)
    return h_identity(im, n, in, nin, out, nout);
  for (int i = 1; i < nin; ++i) {
    val_t *pair[2] = {acc, in[i]};
    val_t *dst = &tmp[i % 2];
    if (dst->cst) {
      ajpq_onnx_tensor_clear(dst->cst);
      free(dst->cst);
    }
    char *nm = dst->name;
    memset(dst, 0, sizeof(*dst));
    dst->name = nm;
    val_t *o[1] = {dst};
    ajpq_status_t st = h_binary(im, &fake, pair, 2, o, 1);
    if (st) {
      for (int k = 0; k < 2; ++k)
        if (tmp[k].cst) {
          ajpq_onnx_tensor_clear(tmp[k].cst);
          free(tmp[k].cst);
        }
      return st;
    }
    acc = dst;
  }
  if (is_mean) {
    if (acc->cst) {
      for (int64_t i = 0; i < acc->cst->numel; ++i)
        cset(acc->cst, i, cget(acc->cst, i) / nin);
    } else {
      MlirValue v = mlirValueIsNull(acc->nhwc) ? acc->id : acc->nhwc;
      v = emit_mul_scalar(im, v, 1.0f / (float)nin);
      if (mlirValueIsNull(acc->nhwc))
        acc->id = v;
      else
        acc->nhwc = v;
    }
  }
  set_shape(out[0], acc->dtype, acc->rank, acc->dims);
  out[0]->cst = acc->cst;
  acc->cst = NULL;
  out[0]->id = acc->id;
  out[0]->nhwc = acc->nhwc;
  for (int i = 0; i < 2; ++i)
    if (tmp[i].cst) {
      ajpq_onnx_tensor_clear(tmp[i].cst);
      free(tmp[i].cst);
    }
  return NULL;
}

/* Pow(X, Y) at run time. A scalar constant exponent that exporters emit for LayerNorm, GELU and
 * L2-normalisation is expanded exactly: 1 -> X, 2 -> X*X, 3 -> X*X*X, -1 -> reciprocal(X),
 * 0.5 -> tosa.pow(X, 0.5) (= sqrt, NaN below 0 as in ONNX); any other Y is `tosa.pow` with
 * NumPy broadcasting (TOSA leaves X < 0 undefined: only integral exponents are exact there). */
static MlirValue pick_layout(imp_t *im, val_t *x, int *nhwc);

static ajpq_status_t rt_pow(imp_t *im, val_t *a, val_t *b, val_t *out) {
  val_t *ops[2] = {a, b};
  AJPQ_RETURN_IF_ERROR(check_float(ops, 1));
  if (!b->cst)
    AJPQ_RETURN_IF_ERROR(check_float(ops + 1, 1));
  if (b->cst && b->cst->numel == 1 && out->rank == a->rank) {
    double e = cget(b->cst, 0);
    int nh;
    MlirValue x = pick_layout(im, a, &nh), r;
    MlirType t = mlirValueGetType(x);
    if (e == 1.0) {
      r = x;
    } else if (e == 2.0 || e == 3.0) {
      MlirValue m[3] = {x, x, emit_shift(im)};
      r = emit(im, "tosa.mul", t, 3, m, 0, NULL);
      if (e == 3.0) {
        MlirValue m3[3] = {r, x, emit_shift(im)};
        r = emit(im, "tosa.mul", t, 3, m3, 0, NULL);
      }
    } else if (e == -1.0) {
      r = emit(im, "tosa.reciprocal", t, 1, &x, 0, NULL);
    } else {
      MlirValue p[2] = {x, emit_scalar_const(im, (int)mlirShapedTypeGetRank(t), (float)e)};
      r = emit(im, "tosa.pow", t, 2, p, 0, NULL);
    }
    if (e == 1.0) { /* a new SSA name is not needed: alias the input */
      if (nh)
        out->nhwc = r;
      else
        out->id = r;
      return NULL;
    }
    set_result(out, r, nh);
    return NULL;
  }
  return rt_binary(im, "Pow", a, b, out);
}

/* Equal / Less / Greater on run-time f32 tensors: `tosa.equal` / `tosa.greater` (Less swaps the
 * operands) giving an i1 mask of ONNX dtype BOOL. A run-time BOOL value can be reshaped,
 * transposed and Cast to FLOAT (`tosa.cast`, 1.0 / 0.0); every other op rejects it (check_float).
 * NaN compares unequal and unordered, as in ONNX. Typical use: keypoint / line-segment heads
 * keep the local maxima with `x * Cast(Equal(x, MaxPool(x)))` (MLSD, CenterNet). */
static ajpq_status_t rt_compare(imp_t *im, const char *op, val_t *a, val_t *b, val_t *out, int r,
                                const int64_t *d) {
  val_t *ops[2] = {a, b};
  AJPQ_RETURN_IF_ERROR(check_float(ops, 2));
  set_shape(out, T_BOOL, r, d);
  int nh = pick_nhwc(ops, 2, r);
  MlirValue x = operand(im, a, r, nh), y = operand(im, b, r, nh);
  if (mlirValueIsNull(x) || mlirValueIsNull(y))
    return ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  int64_t td[AJPQ_ONNX_MAX_RANK];
  if (nh)
    to_nhwc_dims(d, td);
  else
    memcpy(td, d, sizeof(int64_t) * (size_t)r);
  MlirType bt =
      mlirRankedTensorTypeGet(r, td, mlirIntegerTypeGet(im->ctx, 1), mlirAttributeGetNull());
  /* Less / LessOrEqual swap the operands of greater / greater_equal */
  int less = op[0] == 'L';
  MlirValue xy[2] = {less ? y : x, less ? x : y};
  const char *top = strcmp(op, "Equal") == 0 ? "tosa.equal"
                    : strstr(op, "OrEqual")  ? "tosa.greater_equal"
                                             : "tosa.greater";
  MlirValue v = emit(im, top, bt, 2, xy, 0, NULL);
  set_result(out, v, nh);
  return NULL;
}

static ajpq_status_t h_binary(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                              int nout) {
  if (nin != 2 || !in[0] || !in[1])
    return EINVAL("expects 2 inputs, got %d", nin);
  int r;
  int64_t d[AJPQ_ONNX_MAX_RANK];
  AJPQ_RETURN_IF_ERROR(broadcast(in[0], in[1], &r, d));
  int32_t dt = in[0]->dtype;
  if (all_const(in, nin)) {
    const char *op = n->op_type;
    int cmp = strcmp(op, "Equal") == 0 || strcmp(op, "Less") == 0 || strcmp(op, "Greater") == 0 ||
              strcmp(op, "GreaterOrEqual") == 0 || strcmp(op, "LessOrEqual") == 0;
    AJPQ_RETURN_IF_ERROR(new_cst(out[0], cmp ? T_BOOL : dt, r, d));
    int64_t idx[AJPQ_ONNX_MAX_RANK] = {0};
    ajpq_onnx_tensor_t *o = out[0]->cst;
    int isint = !ajpq_onnx_dtype_is_float(dt);
    for (int64_t i = 0; i < o->numel; ++i) {
      double x = cget(in[0]->cst, bcast_offset(in[0]->cst, r, idx));
      double y = cget(in[1]->cst, bcast_offset(in[1]->cst, r, idx));
      double z;
      switch (op[0]) {
      case 'A':
        z = x + y;
        break;
      case 'S':
        z = x - y;
        break;
      case 'M':
        z = strcmp(op, "Mul") == 0 ? x * y : strcmp(op, "Max") == 0 ? fmax(x, y) : fmin(x, y);
        break;
      case 'D':
        if (isint) {
          int64_t a = to_i64(x), b = to_i64(y);
          if (b == 0)
            return EINVAL("integer division by zero in a constant subgraph");
          z = b == -1 ? -(double)a : (double)(a / b);
        } else {
          z = (float)x / (float)y;
        }
        break;
      case 'E':
        z = x == y;
        break;
      case 'L':
        z = strcmp(op, "LessOrEqual") == 0 ? x <= y : x < y;
        break;
      case 'G':
        z = strcmp(op, "GreaterOrEqual") == 0 ? x >= y : x > y;
        break;
      case 'P': /* Pow: result has X's type */
        z = isint ? (double)to_i64(pow(x, y)) : (double)powf((float)x, (float)y);
        break;
      default:
        z = 0;
      }
      cset(o, i, z);
      inc_index(idx, r, d);
    }
    return NULL;
  }
  if (strcmp(n->op_type, "Equal") == 0 || strcmp(n->op_type, "Less") == 0 ||
      strcmp(n->op_type, "Greater") == 0 || strcmp(n->op_type, "GreaterOrEqual") == 0 ||
      strcmp(n->op_type, "LessOrEqual") == 0)
    return rt_compare(im, n->op_type, in[0], in[1], out[0], r, d);
  set_shape(out[0], T_FLOAT, r, d);
  if (strcmp(n->op_type, "Pow") == 0)
    return rt_pow(im, in[0], in[1], out[0]);
  return rt_binary(im, n->op_type, in[0], in[1], out[0]);
}

/* Unary ops keep the operand's layout. */
static MlirValue pick_layout(imp_t *im, val_t *x, int *nhwc) {
  if (!x->cst && !mlirValueIsNull(x->nhwc)) {
    *nhwc = 1;
    return x->nhwc;
  }
  *nhwc = 0;
  return get_id(im, x);
}

static MlirValue emit_select_neg(imp_t *im, MlirValue x, MlirValue neg, int rank) {
  /* select(x >= 0, x, neg) */
  MlirType xt = mlirValueGetType(x);
  int64_t d[AJPQ_ONNX_MAX_RANK];
  for (int i = 0; i < rank; ++i)
    d[i] = mlirShapedTypeGetDimSize(xt, i);
  MlirType bt =
      mlirRankedTensorTypeGet(rank, d, mlirIntegerTypeGet(im->ctx, 1), mlirAttributeGetNull());
  MlirValue zero = emit_scalar_const(im, rank, 0.0f);
  MlirValue ge_ops[2] = {x, zero};
  MlirValue ge = emit(im, "tosa.greater_equal", bt, 2, ge_ops, 0, NULL);
  MlirValue s_ops[3] = {ge, x, neg};
  return emit(im, "tosa.select", xt, 3, s_ops, 0, NULL);
}

static MlirValue emit_mul_scalar(imp_t *im, MlirValue x, float s) {
  MlirType xt = mlirValueGetType(x);
  int rank = (int)mlirShapedTypeGetRank(xt);
  MlirValue ops[3] = {x, emit_scalar_const(im, rank, s), emit_shift(im)};
  return emit(im, "tosa.mul", xt, 3, ops, 0, NULL);
}

static MlirValue emit_add_scalar(imp_t *im, MlirValue x, float s) {
  MlirType xt = mlirValueGetType(x);
  int rank = (int)mlirShapedTypeGetRank(xt);
  MlirValue ops[2] = {x, emit_scalar_const(im, rank, s)};
  return emit(im, "tosa.add", xt, 2, ops, 0, NULL);
}

/* Clip (11+) with a bound computed at run time, e.g. the log-mel floor
 * `Clip(x, ReduceMax(x) - 80)` of openWakeWord's melspectrogram model: ONNX
 * defines Clip as min(max(x, lo), hi), so a run-time bound is a broadcast
 * `tosa.maximum` / `tosa.minimum` (a constant one stays a clamp). Bounds must
 * hold one element (the spec says scalar) and not raise X's rank. */
static ajpq_status_t clip_runtime(imp_t *im, val_t **in, int nin, val_t *out) {
  val_t *x = in[0];
  for (int k = 1; k < 3 && k < nin; ++k)
    if (in[k] && (in[k]->rank > x->rank || (in[k]->cst ? in[k]->cst->numel : 1) != 1))
      return EUNIMPL("Clip bound '%s' must be a scalar (one element, rank <= %d)", in[k]->name,
                     x->rank);
  for (int k = 1; k < 3 && k < nin; ++k)
    if (in[k] && !in[k]->cst)
      for (int i = 0; i < in[k]->rank; ++i)
        if (in[k]->dims[i] != 1)
          return EUNIMPL("Clip bound '%s' must be a scalar (one element)", in[k]->name);
  val_t tmp[2];
  memset(tmp, 0, sizeof(tmp));
  val_t *acc = x;
  for (int k = 1; k < 3 && k < nin; ++k) {
    if (!in[k])
      continue;
    val_t *dst = &tmp[k - 1];
    dst->name = out->name;
    set_shape(dst, T_FLOAT, x->rank, x->dims);
    if (in[k]->cst) {
      int nh;
      MlirValue v = pick_layout(im, acc, &nh);
      float b = (float)cget(in[k]->cst, 0);
      set_result(dst, k == 1 ? emit_clamp(im, v, b, FLT_MAX) : emit_clamp(im, v, -FLT_MAX, b), nh);
    } else {
      AJPQ_RETURN_IF_ERROR(rt_binary(im, k == 1 ? "Max" : "Min", acc, in[k], dst));
    }
    acc = dst;
  }
  set_shape(out, T_FLOAT, x->rank, x->dims);
  out->id = acc->id;
  out->nhwc = acc->nhwc;
  return NULL;
}

/* Folds a unary activation of a constant (shape subgraphs of PyTorch exports compute sizes with
 * Floor/Ceil/Abs on constants and Cast the result to INT64: emitted as run-time ops, that Cast was
 * an error). Float tensors use the float formulas of the run-time forms; integer tensors only
 * the ops that are exact on integers. Returns 0 when the op is not folded here. */
static int fold_unary(const Onnx__NodeProto *n, val_t **in, int nin, val_t *out,
                      ajpq_status_t *st) {
  const char *op = n->op_type;
  val_t *x = in[0];
  int isf = ajpq_onnx_dtype_is_float(x->dtype);
  int exact_int = !strcmp(op, "Abs") || !strcmp(op, "Neg") || !strcmp(op, "Relu") ||
                  !strcmp(op, "Floor") || !strcmp(op, "Ceil");
  static const char *const k_float[] = {"Sigmoid", "Tanh",     "Exp",       "Log",  "Reciprocal",
                                        "Sqrt",    "Elu",      "Selu",      "Celu", "Softplus",
                                        "Softsign", "Mish",    "LeakyRelu", "HardSigmoid",
                                        "HardSwish"};
  int floatop = 0;
  for (size_t k = 0; k < sizeof k_float / sizeof k_float[0]; ++k)
    floatop |= !strcmp(op, k_float[k]);
  if (!(exact_int || (isf && floatop)))
    return 0;
  if ((*st = new_cst(out, x->dtype, x->rank, x->dims)))
    return 1;
  float alpha = attr_float(n, "alpha", !strcmp(op, "Selu")        ? 1.67326319217681884765625f
                                       : !strcmp(op, "LeakyRelu")   ? 0.01f
                                       : !strcmp(op, "HardSigmoid") ? 0.2f
                                                                    : 1.0f);
  float gamma = attr_float(n, "gamma", 1.05070102214813232421875f);
  float beta = attr_float(n, "beta", 0.5f);
  (void)nin;
  for (int64_t i = 0; i < x->cst->numel; ++i) {
    if (!isf) { /* exact on integers; -INT64_MIN stays INT64_MIN (no signed overflow) */
      int64_t a = x->cst->i64[i], y = a;
      if ((!strcmp(op, "Abs") && a < 0) || !strcmp(op, "Neg"))
        y = a == INT64_MIN ? a : -a;
      else if (!strcmp(op, "Relu") && a < 0)
        y = 0;
      out->cst->i64[i] = y;
      continue;
    }
    float f = x->cst->f32[i], y;
    if (!strcmp(op, "Abs")) y = fabsf(f);
    else if (!strcmp(op, "Neg")) y = -f;
    else if (!strcmp(op, "Relu")) y = f > 0 ? f : 0;
    else if (!strcmp(op, "Floor")) y = floorf(f);
    else if (!strcmp(op, "Ceil")) y = ceilf(f);
    else if (!strcmp(op, "Sigmoid")) y = 1.0f / (1.0f + expf(-f));
    else if (!strcmp(op, "Tanh")) y = tanhf(f);
    else if (!strcmp(op, "Exp")) y = expf(f);
    else if (!strcmp(op, "Log")) y = logf(f);
    else if (!strcmp(op, "Reciprocal")) y = 1.0f / f;
    else if (!strcmp(op, "Sqrt")) y = sqrtf(f);
    else if (!strcmp(op, "Elu")) y = f >= 0 ? f : alpha * (expf(f) - 1.0f);
    else if (!strcmp(op, "Selu")) y = gamma * (f >= 0 ? f : alpha * (expf(f) - 1.0f));
    else if (!strcmp(op, "Celu")) y = f >= 0 ? f : alpha * (expf(f / alpha) - 1.0f);
    else if (!strcmp(op, "Softplus") || !strcmp(op, "Mish")) {
      y = fmaxf(f, 0) + logf(1.0f + expf(-fabsf(f)));
      if (op[0] == 'M')
        y = f * tanhf(y);
    } else if (!strcmp(op, "Softsign")) y = f / (1.0f + fabsf(f));
    else if (!strcmp(op, "LeakyRelu")) y = f >= 0 ? f : alpha * f;
    else if (!strcmp(op, "HardSigmoid")) y = fminf(fmaxf(alpha * f + beta, 0), 1);
    else /* HardSwish */ y = f * fminf(fmaxf(f / 6.0f + 0.5f, 0), 1);
    out->cst->f32[i] = y;
  }
  return 1;
}

static ajpq_status_t h_unary(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                             int nout) {
  if (nin < 1 || !in[0])
    return EINVAL("missing input");
  if (in[0]->cst && nin == 1) {
    ajpq_status_t fst = NULL;
    if (fold_unary(n, in, nin, out[0], &fst))
      return fst;
  }
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  const char *op = n->op_type;
  if (strcmp(op, "Clip") == 0 && im->opset >= 11 && ((nin > 1 && in[1] && !in[1]->cst) ||
                                                     (nin > 2 && in[2] && !in[2]->cst))) {
    AJPQ_RETURN_IF_ERROR(check_float(in, nin));
    return clip_runtime(im, in, nin, out[0]);
  }
  set_shape(out[0], T_FLOAT, in[0]->rank, in[0]->dims);
  int nh;
  MlirValue x = pick_layout(im, in[0], &nh), r;
  int rank = in[0]->rank;
  if (strcmp(op, "Relu") == 0) {
    r = emit_clamp(im, x, 0.0f, FLT_MAX);
  } else if (strcmp(op, "Sigmoid") == 0) {
    r = emit_unary(im, "tosa.sigmoid", x);
  } else if (strcmp(op, "Tanh") == 0) {
    r = emit_unary(im, "tosa.tanh", x);
  } else if (strcmp(op, "Exp") == 0) {
    r = emit_unary(im, "tosa.exp", x);
  } else if (strcmp(op, "Log") == 0) {
    r = emit_unary(im, "tosa.log", x);
  } else if (strcmp(op, "Reciprocal") == 0) {
    r = emit_unary(im, "tosa.reciprocal", x);
  } else if (strcmp(op, "Sqrt") == 0) { /* tosa.pow(x, 0.5): sqrt, NaN below 0, as ONNX */
    MlirValue p[2] = {x, emit_scalar_const(im, rank, 0.5f)};
    r = emit(im, "tosa.pow", mlirValueGetType(x), 2, p, 0, NULL);
  } else if (strcmp(op, "Neg") == 0) {
    r = emit_mul_scalar(im, x, -1.0f);
  } else if (strcmp(op, "LeakyRelu") == 0) {
    float alpha = attr_float(n, "alpha", 0.01f);
    r = emit_select_neg(im, x, emit_mul_scalar(im, x, alpha), rank);
  } else if (strcmp(op, "HardSigmoid") == 0) {
    float alpha = attr_float(n, "alpha", 0.2f), beta = attr_float(n, "beta", 0.5f);
    r = emit_clamp(im, emit_add_scalar(im, emit_mul_scalar(im, x, alpha), beta), 0.0f, 1.0f);
  } else if (strcmp(op, "HardSwish") == 0) {
    MlirValue h =
        emit_clamp(im, emit_add_scalar(im, emit_mul_scalar(im, x, 1.0f / 6.0f), 0.5f), 0.0f, 1.0f);
    MlirValue ops[3] = {x, h, emit_shift(im)};
    r = emit(im, "tosa.mul", mlirValueGetType(x), 3, ops, 0, NULL);
  } else if (strcmp(op, "Clip") == 0) {
    float lo = -FLT_MAX, hi = FLT_MAX;
    if (im->opset < 11) {
      lo = attr_float(n, "min", -FLT_MAX);
      hi = attr_float(n, "max", FLT_MAX);
    } else {
      for (int k = 1; k < 3 && k < nin; ++k) {
        if (!in[k])
          continue;
        if (!in[k]->cst || in[k]->cst->numel != 1)
          return EUNIMPL("Clip bound '%s' must be a scalar constant", in[k]->name);
        float v = (float)cget(in[k]->cst, 0);
        if (k == 1)
          lo = v;
        else
          hi = v;
      }
    }
    if (lo > hi) { /* ONNX: all outputs become max when min > max */
      r = emit_clamp(im, x, hi, hi);
    } else {
      r = emit_clamp(im, x, lo, hi);
    }
  } else if (strcmp(op, "PRelu") == 0) {
    if (nin < 2 || !in[1])
      return EINVAL("PRelu needs a slope input");
    int orank;
    int64_t od[AJPQ_ONNX_MAX_RANK];
    AJPQ_RETURN_IF_ERROR(broadcast(in[0], in[1], &orank, od));
    if (orank != rank)
      return EINVAL("PRelu slope broadcasts to a higher rank than X");
    for (int i = 0; i < rank; ++i)
      if (od[i] != in[0]->dims[i])
        return EINVAL("PRelu slope does not broadcast to X's shape");
    val_t *ops2[2] = {in[0], in[1]};
    nh = pick_nhwc(ops2, 2, rank);
    x = operand(im, in[0], rank, nh);
    MlirValue s = operand(im, in[1], rank, nh);
    MlirValue m_ops[3] = {x, s, emit_shift(im)};
    MlirValue neg = emit(im, "tosa.mul", mlirValueGetType(x), 3, m_ops, 0, NULL);
    r = emit_select_neg(im, x, neg, rank);
  } else if (strcmp(op, "Abs") == 0) {
    r = emit_unary(im, "tosa.abs", x);
  } else if (strcmp(op, "Floor") == 0) {
    r = emit_unary(im, "tosa.floor", x);
  } else if (strcmp(op, "Ceil") == 0) {
    r = emit_unary(im, "tosa.ceil", x);
  } else if (strcmp(op, "Elu") == 0 || strcmp(op, "Selu") == 0 || strcmp(op, "Celu") == 0) {
    /* x >= 0 ? x : alpha * (exp(x / a) - 1), a = alpha for Celu, 1 otherwise; Selu scales both
     * sides by gamma (ONNX: gamma * (x > 0 ? x : alpha * exp(x) - alpha), equal at 0) */
    int selu = op[0] == 'S', celu = op[0] == 'C';
    float alpha = attr_float(n, "alpha", selu ? 1.67326319217681884765625f : 1.0f);
    if (celu && alpha == 0.0f)
      return EINVAL("Celu alpha = 0");
    MlirValue e = emit_unary(im, "tosa.exp", celu ? emit_mul_scalar(im, x, 1.0f / alpha) : x);
    MlirValue neg = emit_mul_scalar(im, emit_add_scalar(im, e, -1.0f), alpha);
    r = emit_select_neg(im, x, neg, rank);
    if (selu)
      r = emit_mul_scalar(im, r, attr_float(n, "gamma", 1.05070102214813232421875f));
  } else if (strcmp(op, "Softplus") == 0 || strcmp(op, "Mish") == 0) {
    /* log(1 + exp(x)) as max(x, 0) + log(1 + exp(-|x|)): the literal form overflows to inf
     * for x > 88 where ONNX Runtime returns x */
    MlirValue t = emit_unary(im, "tosa.exp", emit_mul_scalar(im, emit_unary(im, "tosa.abs", x), -1.0f));
    MlirValue l = emit_unary(im, "tosa.log", emit_add_scalar(im, t, 1.0f));
    MlirValue a_ops[2] = {emit_clamp(im, x, 0.0f, FLT_MAX), l};
    r = emit(im, "tosa.add", mlirValueGetType(x), 2, a_ops, 0, NULL);
    if (op[0] == 'M') { /* Mish: x * tanh(softplus(x)) */
      MlirValue m_ops[3] = {x, emit_unary(im, "tosa.tanh", r), emit_shift(im)};
      r = emit(im, "tosa.mul", mlirValueGetType(x), 3, m_ops, 0, NULL);
    }
  } else if (strcmp(op, "Softsign") == 0) { /* x / (1 + |x|) */
    MlirValue d = emit_unary(im, "tosa.reciprocal",
                             emit_add_scalar(im, emit_unary(im, "tosa.abs", x), 1.0f));
    MlirValue m_ops[3] = {x, d, emit_shift(im)};
    r = emit(im, "tosa.mul", mlirValueGetType(x), 3, m_ops, 0, NULL);
  } else {
    return EUNIMPL("unary op %s", op);
  }
  set_result(out[0], r, nh);
  return NULL;
}

static ajpq_status_t h_identity(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                val_t **out, int nout) {
  if (nin < 1 || !in[0])
    return EINVAL("missing input");
  val_t *x = in[0], *o = out[0];
  set_shape(o, x->dtype, x->rank, x->dims);
  if (x->cst) {
    AJPQ_RETURN_IF_ERROR(new_cst(o, x->dtype, x->rank, x->dims));
    for (int64_t i = 0; i < x->cst->numel; ++i)
      cset(o->cst, i, cget(x->cst, i));
  } else {
    o->id = x->id;
    o->nhwc = x->nhwc;
  }
  if (strcmp(n->op_type, "Dropout") == 0) {
    if (nout > 1 && out[1])
      out[1]->missing = "Dropout mask";
    if (nin > 2 && in[2] && (!in[2]->cst || cget(in[2]->cst, 0) != 0))
      return EUNIMPL("Dropout in training mode");
    if (attr_int(n, "is_test", 1) == 0 && im->opset < 7)
      return EUNIMPL("Dropout in training mode");
  }
  return NULL;
}

static ajpq_status_t h_cast(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                            int nout) {
  int64_t to = attr_int(n, "to", 0);
  val_t *x = in[0], *o = out[0];
  if (!x)
    return EINVAL("missing input");
  if (x->cst) {
    if (to == ONNX__TENSOR_PROTO__DATA_TYPE__STRING || to == 10 || to == 16 || to == 14 ||
        to == 15 || to <= 0 || to > 16)
      return EUNIMPL("Cast to %s", ajpq_onnx_dtype_name((int32_t)to));
    AJPQ_RETURN_IF_ERROR(new_cst(o, (int32_t)to, x->rank, x->dims));
    for (int64_t i = 0; i < x->cst->numel; ++i) {
      double v = cget(x->cst, i);
      if (to == T_BOOL)
        v = v != 0;
      else if (!ajpq_onnx_dtype_is_float((int32_t)to))
        v = trunc(v);
      cset(o->cst, i, v);
    }
    return NULL;
  }
  if (x->dtype == T_BOOL && (to == T_FLOAT || to == T_BOOL)) {
    /* a run-time comparison mask (rt_compare): BOOL -> FLOAT is tosa.cast (true = 1.0) */
    if (to == T_BOOL)
      return h_identity(im, n, in, nin, out, nout);
    int nh = !mlirValueIsNull(x->nhwc);
    MlirValue v = nh ? x->nhwc : x->id;
    set_shape(o, T_FLOAT, x->rank, x->dims);
    MlirValue c = emit(im, "tosa.cast", out_type(im, o, nh), 1, &v, 0, NULL);
    set_result(o, c, nh);
    return NULL;
  }
  if (to != T_FLOAT || !need_float(x))
    return EUNIMPL("Cast to %s of a run-time %s tensor (only FLOAT->FLOAT and BOOL->FLOAT)",
                   ajpq_onnx_dtype_name((int32_t)to), ajpq_onnx_dtype_name(x->dtype));
  return h_identity(im, n, in, nin, out, nout);
}

/* ---- control flow ------------------------------------------------------- */

/* Imports the nodes of one If branch into the current function (ONNX scoping: a branch reads
 * outer values by name; its own initializers and node outputs are new names). BatchNormalization
 * folding works inside the branch with its own use counts. */
static ajpq_status_t import_branch(imp_t *im, const Onnx__NodeProto *ifn, const char *which,
                                   const Onnx__GraphProto *g) {
  for (size_t i = 0; i < g->n_initializer; ++i) {
    const Onnx__TensorProto *tp = g->initializer[i];
    if (!tp->name || !tp->name[0])
      return EINVAL("%s initializer %zu has no name", which, i);
    val_t *v;
    AJPQ_RETURN_IF_ERROR(imp_define(im, tp->name, &v));
    v->cst = calloc(1, sizeof(*v->cst));
    if (!v->cst)
      return ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    AJPQ_RETURN_IF_ERROR(ajpq_status_annotate(ajpq_onnx_tensor_from_proto(tp, v->cst),
                                              "%s initializer", which));
    v->dtype = v->cst->dtype;
    v->rank = v->cst->rank;
    memcpy(v->dims, v->cst->dims, sizeof(v->dims));
  }
  if (g->n_sparse_initializer)
    return EUNIMPL("%s: sparse initializers are not supported", which);
  const Onnx__GraphProto *sg = im->graph;
  const Onnx__NodeProto *sn = im->node;
  size_t si = im->node_index;
  int *su = im->uses;
  char *ss = im->skip;
  MlirLocation sl = im->loc;
  char sp[sizeof im->blob_prefix];
  memcpy(sp, im->blob_prefix, sizeof sp);
  im->uses = NULL;
  im->skip = NULL;
  ajpq_status_t st = ajpq_onnx_prepare_nodes(im, g);
  im->graph = g;
  for (size_t j = 0; !st && j < g->n_node; ++j) {
    const Onnx__NodeProto *m = g->node[j];
    char label[160];
    snprintf(label, sizeof label, "%s/%s/%s", ifn->name && ifn->name[0] ? ifn->name : "If",
             which, m->name && m->name[0] ? m->name : (m->op_type ? m->op_type : "node"));
    im->loc = mlirLocationNameGet(im->ctx, mlirStringRefCreateFromCString(label), sl);
    size_t k = 0;
    for (const char *c = label; *c && k + 9 < sizeof im->blob_prefix; ++c)
      im->blob_prefix[k++] = (isalnum((unsigned char)*c) || *c == '_') ? *c : '_';
    im->blob_prefix[k++] = '_';
    im->blob_prefix[k] = 0;
    im->node = m;
    im->node_index = j;
    if (!m->op_type || (m->domain && m->domain[0] && strcmp(m->domain, "ai.onnx") != 0))
      st = EUNIMPL("%s node '%s': unsupported operator %s%s%s", which, label,
                   m->domain ? m->domain : "", m->domain && m->domain[0] ? "::" : "",
                   m->op_type ? m->op_type : "?");
    else
      st = ajpq_status_annotate(ajpq_onnx_convert_node(im, m), "node '%s' (%s)", label,
                                m->op_type);
  }
  free(im->uses);
  free(im->skip);
  im->uses = su;
  im->skip = ss;
  im->graph = sg;
  im->node = sn;
  im->node_index = si;
  im->loc = sl;
  memcpy(im->blob_prefix, sp, sizeof sp);
  return st;
}

/* If. A constant condition imports only the branch taken (exporters emit such Ifs for
 * shape-dependent code). A run-time condition (a comparison mask, e.g. openWakeWord's
 * `If(p >= 0.5)` that runs a verifier model only on detections) imports both branches, which
 * are side-effect free, and picks per sample with `tosa.select(cond, then, else)`: the
 * untaken branch is computed and discarded. Both branches must give float outputs of equal
 * shapes; the condition holds one element. */
static ajpq_status_t h_if(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                          int nout) {
  const Onnx__AttributeProto *at = node_attr(n, "then_branch"), *ae = node_attr(n, "else_branch");
  if (!at || !at->g || !ae || !ae->g)
    return EINVAL("If needs then_branch and else_branch graphs");
  const Onnx__GraphProto *br[2] = {at->g, ae->g};
  static const char *const names[2] = {"then_branch", "else_branch"};
  for (int b = 0; b < 2; ++b)
    if ((int)br[b]->n_output != nout)
      return EINVAL("%s has %zu outputs, the If node %d", names[b], br[b]->n_output, nout);
  val_t *c = in[0];
  if (shape_numel(c->rank, c->dims) != 1)
    return EINVAL("If condition '%s' has %lld elements (must be 1)", c->name,
                  (long long)shape_numel(c->rank, c->dims));
  int taken = -1;
  if (c->cst)
    taken = cget(c->cst, 0) != 0 ? 0 : 1;
  else if (c->dtype != T_BOOL)
    return EUNIMPL("If condition '%s' is a run-time %s tensor (a comparison mask is supported)",
                   c->name, ajpq_onnx_dtype_name(c->dtype));
  for (int b = 0; b < 2; ++b)
    if (taken < 0 || taken == b)
      AJPQ_RETURN_IF_ERROR(import_branch(im, n, names[b], br[b]));
  for (int k = 0; k < nout; ++k) {
    if (!out[k])
      continue;
    val_t *v[2] = {NULL, NULL};
    for (int b = 0; b < 2; ++b) {
      if (taken >= 0 && taken != b)
        continue;
      const char *nm = br[b]->output[k]->name;
      v[b] = nm && nm[0] ? imp_lookup(im, nm) : NULL;
      if (!v[b])
        return EINVAL("%s output %d ('%s') is not produced", names[b], k, nm ? nm : "");
    }
    if (taken >= 0) { /* the value itself (a copy of a constant: out owns its data) */
      val_t *x[1] = {v[taken]};
      AJPQ_RETURN_IF_ERROR(h_identity(im, n, x, 1, &out[k], 1));
      continue;
    }
    for (int b = 0; b < 2; ++b)
      if (!need_float(v[b]))
        return EUNIMPL("If output %d: %s gives %s (only FLOAT at run time)", k, names[b],
                       ajpq_onnx_dtype_name(v[b]->dtype));
    int same = v[0]->rank == v[1]->rank;
    for (int i = 0; same && i < v[0]->rank; ++i)
      same = v[0]->dims[i] == v[1]->dims[i];
    if (!same || c->rank > v[0]->rank) {
      char a[128], b2[128];
      return EUNIMPL("If output %d: then_branch gives %s, else_branch %s (a run-time condition "
                     "needs equal shapes of rank >= the condition's)",
                     k, shape_str(v[0]->rank, v[0]->dims, a, sizeof a),
                     shape_str(v[1]->rank, v[1]->dims, b2, sizeof b2));
    }
    int r = v[0]->rank;
    int64_t ones[AJPQ_ONNX_MAX_RANK];
    for (int i = 0; i < r; ++i)
      ones[i] = 1;
    set_shape(out[k], T_FLOAT, r, v[0]->dims);
    MlirValue ops[3] = {emit_reshape(im, get_id(im, c), r, ones), get_id(im, v[0]),
                        get_id(im, v[1])};
    if (mlirValueIsNull(ops[1]) || mlirValueIsNull(ops[2]))
      return ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    out[k]->id = emit(im, "tosa.select", mlirValueGetType(ops[1]), 3, ops, 0, NULL);
  }
  return NULL;
}

/* ---- constants and shape subgraphs -------------------------------------- */

static ajpq_status_t h_constant(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                val_t **out, int nout) {
  val_t *o = out[0];
  const Onnx__AttributeProto *a;
  if ((a = node_attr(n, "value")) && a->t) {
    ajpq_onnx_tensor_t *t = calloc(1, sizeof(*t));
    if (!t)
      return ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    ajpq_status_t st = ajpq_onnx_tensor_from_proto(a->t, t);
    if (st) {
      free(t);
      return st;
    }
    o->cst = t;
    set_shape(o, t->dtype, t->rank, t->dims);
    return NULL;
  }
  if ((a = node_attr(n, "value_float"))) {
    AJPQ_RETURN_IF_ERROR(new_cst(o, T_FLOAT, 0, NULL));
    o->cst->f32[0] = a->f;
    return NULL;
  }
  if ((a = node_attr(n, "value_int"))) {
    AJPQ_RETURN_IF_ERROR(new_cst(o, T_INT64, 0, NULL));
    o->cst->i64[0] = a->i;
    return NULL;
  }
  if ((a = node_attr(n, "value_floats"))) {
    int64_t d = (int64_t)a->n_floats;
    AJPQ_RETURN_IF_ERROR(new_cst(o, T_FLOAT, 1, &d));
    if (a->n_floats)
      memcpy(o->cst->f32, a->floats, a->n_floats * sizeof(float));
    return NULL;
  }
  if ((a = node_attr(n, "value_ints"))) {
    int64_t d = (int64_t)a->n_ints;
    AJPQ_RETURN_IF_ERROR(new_cst(o, T_INT64, 1, &d));
    if (a->n_ints)
      memcpy(o->cst->i64, a->ints, a->n_ints * sizeof(int64_t));
    return NULL;
  }
  return EUNIMPL("Constant without a supported value attribute (sparse/string values unsupported)");
}

static ajpq_status_t h_constant_of_shape(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                         val_t **out, int nout) {
  int64_t d[AJPQ_ONNX_MAX_RANK + 1];
  int r;
  AJPQ_RETURN_IF_ERROR(const_ints(in[0], "shape", d, AJPQ_ONNX_MAX_RANK, &r));
  int32_t dt = T_FLOAT;
  double v = 0;
  const Onnx__AttributeProto *a = node_attr(n, "value");
  ajpq_onnx_tensor_t t = {0};
  if (a && a->t) {
    AJPQ_RETURN_IF_ERROR(ajpq_onnx_tensor_from_proto(a->t, &t));
    dt = t.dtype;
    v = t.numel ? cget(&t, 0) : 0;
    ajpq_onnx_tensor_clear(&t);
  }
  AJPQ_RETURN_IF_ERROR(new_cst(out[0], dt, r, d));
  for (int64_t i = 0; i < out[0]->cst->numel; ++i)
    cset(out[0]->cst, i, v);
  return NULL;
}

static ajpq_status_t h_shape(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                             int nout) {
  val_t *x = in[0];
  int r = x->rank;
  int64_t start = attr_int(n, "start", 0), end = attr_int(n, "end", r);
  if (start < 0)
    start += r;
  if (end < 0)
    end += r;
  start = start < 0 ? 0 : start > r ? r : start;
  end = end < 0 ? 0 : end > r ? r : end;
  int64_t len = end > start ? end - start : 0;
  AJPQ_RETURN_IF_ERROR(new_cst(out[0], T_INT64, 1, &len));
  for (int64_t i = 0; i < len; ++i)
    out[0]->cst->i64[i] = x->dims[start + i];
  return NULL;
}

static ajpq_status_t h_size(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                            int nout) {
  AJPQ_RETURN_IF_ERROR(new_cst(out[0], T_INT64, 0, NULL));
  out[0]->cst->i64[0] = shape_numel(in[0]->rank, in[0]->dims);
  return NULL;
}

static ajpq_status_t h_gather(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                              int nout) {
  if (nin < 2 || !in[1])
    return EINVAL("Gather needs data and indices");
  val_t *x = in[0], *ix = in[1];
  int axis = 0;
  AJPQ_RETURN_IF_ERROR(norm_axis(attr_int(n, "axis", 0), x->rank, &axis));
  if (!ix->cst)
    return EUNIMPL("Gather with run-time indices");
  int r = x->rank - 1 + ix->rank;
  if (r > AJPQ_ONNX_MAX_RANK)
    return EINVAL("Gather output rank %d too large", r);
  int64_t d[AJPQ_ONNX_MAX_RANK];
  int k = 0;
  for (int i = 0; i < axis; ++i)
    d[k++] = x->dims[i];
  for (int i = 0; i < ix->rank; ++i)
    d[k++] = ix->dims[i];
  for (int i = axis + 1; i < x->rank; ++i)
    d[k++] = x->dims[i];
  int64_t outer = shape_numel(axis, x->dims),
          inner = shape_numel(x->rank - axis - 1, x->dims + axis + 1);
  int64_t ax = x->dims[axis], ni = ix->cst->numel;
  for (int64_t j = 0; j < ni; ++j) {
    int64_t id = to_i64(cget(ix->cst, j));
    if (id < -ax || id >= ax)
      return EINVAL("Gather index %lld out of range for dim %lld", (long long)id, (long long)ax);
  }
  if (x->cst) {
    AJPQ_RETURN_IF_ERROR(new_cst(out[0], x->dtype, r, d));
    int64_t o = 0;
    for (int64_t a = 0; a < outer; ++a)
      for (int64_t j = 0; j < ni; ++j) {
        int64_t id = to_i64(cget(ix->cst, j));
        if (id < 0)
          id += ax;
        for (int64_t b = 0; b < inner; ++b)
          cset(out[0]->cst, o++, cget(x->cst, (a * ax + id) * inner + b));
      }
    return NULL;
  }
  /* Run-time data, constant indices: slices + concat + reshape. */
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  if (ni < 1 || ni > 64)
    return EUNIMPL("Gather on run-time data with %lld indices (1..64 supported)", (long long)ni);
  set_shape(out[0], T_FLOAT, r, d);
  MlirValue xv = get_id(im, x), parts[64];
  int64_t st[AJPQ_ONNX_MAX_RANK] = {0}, sz[AJPQ_ONNX_MAX_RANK];
  memcpy(sz, x->dims, sizeof(sz));
  sz[axis] = 1;
  for (int64_t j = 0; j < ni; ++j) {
    int64_t id = to_i64(cget(ix->cst, j));
    st[axis] = id < 0 ? id + ax : id;
    parts[j] = emit_slice(im, xv, x->rank, st, sz);
  }
  MlirValue cat = parts[0];
  if (ni > 1) {
    sz[axis] = ni;
    nattr_t at = {"axis", mlirIntegerAttrGet(mlirIntegerTypeGet(im->ctx, 32), axis)};
    cat = emit(im, "tosa.concat", tensor_type(im, x->rank, sz), (int)ni, parts, 1, &at);
  }
  out[0]->id = emit_reshape(im, cat, r, d);
  return NULL;
}

static ajpq_status_t h_range(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                             int nout) {
  if (nin != 3 || !all_const(in, 3))
    return EUNIMPL("Range needs 3 constant inputs");
  double s = cget(in[0]->cst, 0), l = cget(in[1]->cst, 0), dl = cget(in[2]->cst, 0);
  if (dl == 0)
    return EINVAL("Range delta is 0");
  double cnt = ceil((l - s) / dl);
  if (!(cnt >= 0))
    cnt = 0;
  if (cnt > AJPQ_ONNX_MAX_ELEMENTS)
    return EINVAL("Range of %g elements (absurd)", cnt);
  int64_t len = (int64_t)cnt;
  AJPQ_RETURN_IF_ERROR(new_cst(out[0], in[0]->dtype, 1, &len));
  for (int64_t i = 0; i < len; ++i)
    cset(out[0]->cst, i, s + (double)i * dl);
  return NULL;
}

static ajpq_status_t h_where(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                             int nout) {
  if (nin != 3 || !all_const(in, 3))
    return EUNIMPL("Where is only supported on constants (shape subgraphs)");
  int r1, r;
  int64_t d1[AJPQ_ONNX_MAX_RANK], d[AJPQ_ONNX_MAX_RANK];
  AJPQ_RETURN_IF_ERROR(broadcast(in[1], in[2], &r1, d1));
  val_t tmp = {0};
  tmp.rank = r1;
  memcpy(tmp.dims, d1, sizeof(d1));
  tmp.name = "(x,y)";
  AJPQ_RETURN_IF_ERROR(broadcast(in[0], &tmp, &r, d));
  AJPQ_RETURN_IF_ERROR(new_cst(out[0], in[1]->dtype, r, d));
  int64_t idx[AJPQ_ONNX_MAX_RANK] = {0};
  for (int64_t i = 0; i < out[0]->cst->numel; ++i) {
    double c = cget(in[0]->cst, bcast_offset(in[0]->cst, r, idx));
    val_t *src = c != 0 ? in[1] : in[2];
    cset(out[0]->cst, i, cget(src->cst, bcast_offset(src->cst, r, idx)));
    inc_index(idx, r, d);
  }
  return NULL;
}

/* Output gets x's data (constant) or a reshape of x (run time). */
static ajpq_status_t reshape_to(imp_t *im, val_t *x, val_t *o, int r, const int64_t *d) {
  AJPQ_RETURN_IF_ERROR(check_shape(r, d, o->name));
  if (shape_numel(r, d) != shape_numel(x->rank, x->dims)) {
    char a[128], b[128];
    return EINVAL("cannot reshape '%s' of shape %s to %s", x->name,
                  shape_str(x->rank, x->dims, a, sizeof(a)), shape_str(r, d, b, sizeof(b)));
  }
  if (x->cst) {
    AJPQ_RETURN_IF_ERROR(new_cst(o, x->dtype, r, d));
    for (int64_t i = 0; i < x->cst->numel; ++i)
      cset(o->cst, i, cget(x->cst, i));
    return NULL;
  }
  val_t *ops[1] = {x};
  AJPQ_RETURN_IF_ERROR(check_float(ops, 1));
  set_shape(o, x->dtype, r, d);
  o->id = emit_reshape(im, get_id(im, x), r, d);
  return NULL;
}

static ajpq_status_t h_reshape(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                               val_t **out, int nout) {
  if (nin < 2 || !in[1])
    return EINVAL("Reshape needs a shape input");
  int64_t d[AJPQ_ONNX_MAX_RANK + 1];
  int r;
  AJPQ_RETURN_IF_ERROR(const_ints(in[1], "shape", d, AJPQ_ONNX_MAX_RANK, &r));
  int allowzero = (int)attr_int(n, "allowzero", 0);
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < r; ++i) {
    if (d[i] == 0 && !allowzero) {
      if (i >= in[0]->rank)
        return EINVAL("Reshape: 0 at dim %d beyond the input rank", i);
      d[i] = in[0]->dims[i];
    }
    if (d[i] == -1) {
      if (infer >= 0)
        return EINVAL("Reshape: more than one -1");
      infer = i;
      continue;
    }
    if (d[i] < 0 || d[i] > AJPQ_ONNX_MAX_ELEMENTS)
      return EINVAL("Reshape: invalid dim %lld", (long long)d[i]);
    known *= d[i];
    if (known > AJPQ_ONNX_MAX_ELEMENTS)
      return EINVAL("Reshape: absurd shape");
  }
  if (infer >= 0) {
    int64_t tot = shape_numel(in[0]->rank, in[0]->dims);
    if (known == 0 || tot % known)
      return EINVAL("Reshape: cannot infer the -1 dim");
    d[infer] = tot / known;
  }
  return reshape_to(im, in[0], out[0], r, d);
}

static ajpq_status_t h_flatten(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                               val_t **out, int nout) {
  int r = in[0]->rank, axis = 0;
  int64_t a = attr_int(n, "axis", 1);
  if (a < -r || a > r)
    return EINVAL("Flatten axis %lld out of range", (long long)a);
  axis = (int)(a < 0 ? a + r : a);
  int64_t d[2] = {shape_numel(axis, in[0]->dims), shape_numel(r - axis, in[0]->dims + axis)};
  return reshape_to(im, in[0], out[0], 2, d);
}

static ajpq_status_t get_axes(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                              int opset_input, int64_t *axes, int *na) {
  *na = -1;
  if (im->opset >= opset_input) {
    if (nin >= 2 && in[1])
      return const_ints(in[1], "axes", axes, AJPQ_ONNX_MAX_RANK, na);
    return NULL;
  }
  *na = attr_ints(n, "axes", axes, AJPQ_ONNX_MAX_RANK);
  if (*na > AJPQ_ONNX_MAX_RANK)
    return EINVAL("too many axes");
  return NULL;
}

static ajpq_status_t h_squeeze(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                               val_t **out, int nout) {
  int64_t axes[AJPQ_ONNX_MAX_RANK + 1];
  int na;
  AJPQ_RETURN_IF_ERROR(get_axes(im, n, in, nin, 13, axes, &na));
  val_t *x = in[0];
  int drop[AJPQ_ONNX_MAX_RANK] = {0};
  if (na < 0) {
    for (int i = 0; i < x->rank; ++i)
      drop[i] = x->dims[i] == 1;
  } else {
    for (int i = 0; i < na; ++i) {
      int ax = 0;
      AJPQ_RETURN_IF_ERROR(norm_axis(axes[i], x->rank, &ax));
      if (x->dims[ax] != 1)
        return EINVAL("Squeeze axis %d has size %lld, not 1", ax, (long long)x->dims[ax]);
      drop[ax] = 1;
    }
  }
  int64_t d[AJPQ_ONNX_MAX_RANK];
  int r = 0;
  for (int i = 0; i < x->rank; ++i)
    if (!drop[i])
      d[r++] = x->dims[i];
  return reshape_to(im, x, out[0], r, d);
}

static ajpq_status_t h_unsqueeze(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                 val_t **out, int nout) {
  int64_t axes[AJPQ_ONNX_MAX_RANK + 1];
  int na;
  AJPQ_RETURN_IF_ERROR(get_axes(im, n, in, nin, 13, axes, &na));
  val_t *x = in[0];
  if (na < 0)
    return EINVAL("Unsqueeze needs axes");
  int r = x->rank + na;
  if (r > AJPQ_ONNX_MAX_RANK)
    return EINVAL("Unsqueeze to rank %d (max %d)", r, AJPQ_ONNX_MAX_RANK);
  int ins[AJPQ_ONNX_MAX_RANK] = {0};
  for (int i = 0; i < na; ++i) {
    int ax = 0;
    AJPQ_RETURN_IF_ERROR(norm_axis(axes[i], r, &ax));
    if (ins[ax])
      return EINVAL("Unsqueeze: repeated axis %d", ax);
    ins[ax] = 1;
  }
  int64_t d[AJPQ_ONNX_MAX_RANK];
  for (int i = 0, k = 0; i < r; ++i)
    d[i] = ins[i] ? 1 : x->dims[k++];
  return reshape_to(im, x, out[0], r, d);
}

static ajpq_status_t h_transpose(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                 val_t **out, int nout) {
  val_t *x = in[0], *o = out[0];
  int r = x->rank;
  int64_t p64[AJPQ_ONNX_MAX_RANK + 1];
  int np = attr_ints(n, "perm", p64, AJPQ_ONNX_MAX_RANK);
  int perm[AJPQ_ONNX_MAX_RANK], seen[AJPQ_ONNX_MAX_RANK] = {0};
  if (np < 0) {
    for (int i = 0; i < r; ++i)
      perm[i] = r - 1 - i;
  } else {
    if (np != r)
      return EINVAL("Transpose perm has %d entries for rank %d", np, r);
    for (int i = 0; i < r; ++i) {
      if (p64[i] < 0 || p64[i] >= r || seen[p64[i]]++)
        return EINVAL("Transpose perm is not a permutation");
      perm[i] = (int)p64[i];
    }
  }
  int64_t d[AJPQ_ONNX_MAX_RANK];
  for (int i = 0; i < r; ++i)
    d[i] = x->dims[perm[i]];
  if (x->cst) {
    AJPQ_RETURN_IF_ERROR(new_cst(o, x->dtype, r, d));
    int32_t dt = o->cst->dtype;
    host_transpose(x->cst, perm, o->cst);
    o->cst->dtype = dt;
    return NULL;
  }
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  set_shape(o, x->dtype, r, d);
  if (r == 4) {
    static const int to_nchw[4] = {0, 3, 1, 2}, to_nhwc[4] = {0, 2, 3, 1};
    if (!memcmp(perm, to_nchw, sizeof(to_nchw)) && !mlirValueIsNull(x->id)) {
      o->nhwc = x->id; /* NHWC tensor viewed as NCHW: its NHWC form is x itself */
      return NULL;
    }
    if (!memcmp(perm, to_nhwc, sizeof(to_nhwc))) {
      o->id = get_nhwc(im, x);
      return NULL;
    }
  }
  o->id = emit_transpose(im, get_id(im, x), r, perm);
  return NULL;
}

static ajpq_status_t h_concat(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                              int nout) {
  if (nin < 1 || nin > 256)
    return EINVAL("Concat with %d inputs", nin);
  int r = in[0]->rank, axis = 0;
  AJPQ_RETURN_IF_ERROR(norm_axis(attr_int(n, "axis", r ? 0 : 0), r, &axis));
  int64_t d[AJPQ_ONNX_MAX_RANK];
  memcpy(d, in[0]->dims, sizeof(d));
  d[axis] = 0;
  for (int i = 0; i < nin; ++i) {
    if (!in[i] || in[i]->rank != r)
      return EINVAL("Concat inputs have different ranks");
    for (int k = 0; k < r; ++k)
      if (k != axis && in[i]->dims[k] != in[0]->dims[k])
        return EINVAL("Concat input '%s' does not match the others outside axis %d", in[i]->name,
                      axis);
    d[axis] += in[i]->dims[axis];
  }
  if (all_const(in, nin)) {
    AJPQ_RETURN_IF_ERROR(new_cst(out[0], in[0]->dtype, r, d));
    int64_t outer = shape_numel(axis, d), inner = shape_numel(r - axis - 1, d + axis + 1), o = 0;
    for (int64_t a = 0; a < outer; ++a)
      for (int i = 0; i < nin; ++i) {
        int64_t blk = in[i]->dims[axis] * inner;
        for (int64_t b = 0; b < blk; ++b)
          cset(out[0]->cst, o++, cget(in[i]->cst, a * blk + b));
      }
    return NULL;
  }
  AJPQ_RETURN_IF_ERROR(check_float(in, nin));
  set_shape(out[0], T_FLOAT, r, d);
  int nh = pick_nhwc(in, nin, r);
  MlirValue ops[256];
  int k = 0;
  for (int i = 0; i < nin; ++i) {
    if (in[i]->dims[axis] == 0)
      continue;
    ops[k++] = operand(im, in[i], r, nh);
  }
  static const int phys_of_logical[4] = {0, 3, 1, 2};
  int pax = nh ? phys_of_logical[axis] : axis;
  nattr_t at = {"axis", mlirIntegerAttrGet(mlirIntegerTypeGet(im->ctx, 32), pax)};
  MlirValue res =
      k == 1 ? ops[0] : emit(im, "tosa.concat", out_type(im, out[0], nh), k, ops, 1, &at);
  set_result(out[0], res, nh);
  return NULL;
}

/* Slice parameters: starts/ends/axes/steps normalised per ONNX rules. */
static ajpq_status_t h_slice(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                             int nout) {
  val_t *x = in[0];
  int r = x->rank;
  int64_t starts[AJPQ_ONNX_MAX_RANK + 1], ends[AJPQ_ONNX_MAX_RANK + 1],
      axes[AJPQ_ONNX_MAX_RANK + 1], steps[AJPQ_ONNX_MAX_RANK + 1];
  int ns, ne, na = -1, nst = -1;
  if (im->opset < 10) {
    ns = attr_ints(n, "starts", starts, AJPQ_ONNX_MAX_RANK);
    ne = attr_ints(n, "ends", ends, AJPQ_ONNX_MAX_RANK);
    na = attr_ints(n, "axes", axes, AJPQ_ONNX_MAX_RANK);
  } else {
    if (nin < 3 || !in[1] || !in[2])
      return EINVAL("Slice needs starts and ends");
    AJPQ_RETURN_IF_ERROR(const_ints(in[1], "starts", starts, AJPQ_ONNX_MAX_RANK, &ns));
    AJPQ_RETURN_IF_ERROR(const_ints(in[2], "ends", ends, AJPQ_ONNX_MAX_RANK, &ne));
    if (nin > 3 && in[3])
      AJPQ_RETURN_IF_ERROR(const_ints(in[3], "axes", axes, AJPQ_ONNX_MAX_RANK, &na));
    if (nin > 4 && in[4])
      AJPQ_RETURN_IF_ERROR(const_ints(in[4], "steps", steps, AJPQ_ONNX_MAX_RANK, &nst));
  }
  if (ns < 0 || ns != ne || (na >= 0 && na != ns) || (nst >= 0 && nst != ns) || ns > r)
    return EINVAL("Slice: inconsistent starts/ends/axes/steps lengths");
  int64_t st[AJPQ_ONNX_MAX_RANK], sp[AJPQ_ONNX_MAX_RANK], sz[AJPQ_ONNX_MAX_RANK];
  int seen[AJPQ_ONNX_MAX_RANK] = {0};
  for (int i = 0; i < r; ++i)
    st[i] = 0, sp[i] = 1, sz[i] = x->dims[i];
  for (int i = 0; i < ns; ++i) {
    int ax = 0;
    AJPQ_RETURN_IF_ERROR(norm_axis(na >= 0 ? axes[i] : i, r, &ax));
    if (seen[ax]++)
      return EINVAL("Slice: repeated axis");
    int64_t dim = x->dims[ax], step = nst >= 0 ? steps[i] : 1, s = starts[i], e = ends[i];
    if (step == 0)
      return EINVAL("Slice: step 0");
    /* Clamp so that no arithmetic below can overflow (dims <= 2^28). */
    const int64_t lim = AJPQ_ONNX_MAX_ELEMENTS * 4;
    step = step > lim ? lim : step < -lim ? -lim : step;
    s = s > lim ? lim : s < -lim ? -lim : s;
    e = e > lim ? lim : e < -lim ? -lim : e;
    if (s < 0)
      s += dim;
    if (e < 0)
      e += dim;
    if (step > 0) {
      s = s < 0 ? 0 : s > dim ? dim : s;
      e = e < 0 ? 0 : e > dim ? dim : e;
      sz[ax] = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = s < 0 ? -1 : s > dim - 1 ? dim - 1 : s;
      e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
      sz[ax] = s > e ? (s - e + (-step) - 1) / (-step) : 0;
    }
    st[ax] = s;
    sp[ax] = step;
  }
  if (x->cst) {
    AJPQ_RETURN_IF_ERROR(new_cst(out[0], x->dtype, r, sz));
    int64_t idx[AJPQ_ONNX_MAX_RANK] = {0}, stride[AJPQ_ONNX_MAX_RANK], s = 1;
    for (int i = r - 1; i >= 0; --i)
      stride[i] = s, s *= x->dims[i];
    for (int64_t o = 0; o < out[0]->cst->numel; ++o) {
      int64_t src = 0;
      for (int i = 0; i < r; ++i)
        src += (st[i] + idx[i] * sp[i]) * stride[i];
      cset(out[0]->cst, o, cget(x->cst, src));
      inc_index(idx, r, sz);
    }
    return NULL;
  }
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  for (int i = 0; i < r; ++i)
    if (sp[i] != 1 && sz[i] > 1)
      return EUNIMPL("Slice with step %lld on a run-time tensor (only step 1)", (long long)sp[i]);
  set_shape(out[0], T_FLOAT, r, sz);
  if (shape_numel(r, sz) == 0)
    return EUNIMPL("Slice producing an empty run-time tensor");
  int nh = r == 4 && mlirValueIsNull(x->id) && !mlirValueIsNull(x->nhwc);
  if (nh) {
    int64_t pst[4], psz[4];
    to_nhwc_dims(st, pst);
    to_nhwc_dims(sz, psz);
    out[0]->nhwc = emit_slice(im, x->nhwc, 4, pst, psz);
  } else {
    out[0]->id = emit_slice(im, get_id(im, x), r, st, sz);
  }
  return NULL;
}

static ajpq_status_t h_split(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                             int nout) {
  val_t *x = in[0];
  int r = x->rank, axis = 0;
  AJPQ_RETURN_IF_ERROR(norm_axis(attr_int(n, "axis", 0), r, &axis));
  int64_t split[64];
  int ns = -1;
  if (nout > 64)
    return EUNIMPL("Split into %d outputs (max 64)", nout);
  if (im->opset < 13) {
    ns = attr_ints(n, "split", split, 64);
  } else if (nin > 1 && in[1]) {
    AJPQ_RETURN_IF_ERROR(const_ints(in[1], "split", split, 64, &ns));
  }
  int64_t dim = x->dims[axis];
  if (ns < 0) {
    int64_t chunk = (dim + nout - 1) / nout;
    for (int i = 0; i < nout; ++i) {
      int64_t rem = dim - chunk * i;
      split[i] = rem < 0 ? 0 : rem < chunk ? rem : chunk;
    }
    ns = nout;
  }
  if (ns != nout)
    return EINVAL("Split has %d sizes for %d outputs", ns, nout);
  int64_t tot = 0;
  for (int i = 0; i < ns; ++i) {
    if (split[i] < 0 || split[i] > dim)
      return EINVAL("Split: size %lld out of range", (long long)split[i]);
    tot += split[i];
  }
  if (tot != dim)
    return EINVAL("Split sizes sum to %lld, dim is %lld", (long long)tot, (long long)dim);
  int64_t off = 0;
  for (int i = 0; i < nout; ++i) {
    int64_t st[AJPQ_ONNX_MAX_RANK] = {0}, sz[AJPQ_ONNX_MAX_RANK];
    memcpy(sz, x->dims, sizeof(sz));
    st[axis] = off;
    sz[axis] = split[i];
    off += split[i];
    if (!out[i])
      continue;
    if (x->cst) {
      AJPQ_RETURN_IF_ERROR(new_cst(out[i], x->dtype, r, sz));
      int64_t outer = shape_numel(axis, sz), inner = shape_numel(r - axis - 1, sz + axis + 1),
              o = 0;
      for (int64_t a = 0; a < outer; ++a)
        for (int64_t b = 0; b < sz[axis] * inner; ++b)
          cset(out[i]->cst, o++, cget(x->cst, (a * dim + st[axis]) * inner + b));
      continue;
    }
    AJPQ_RETURN_IF_ERROR(check_float(in, 1));
    if (split[i] == 0)
      return EUNIMPL("Split producing an empty run-time tensor");
    set_shape(out[i], T_FLOAT, r, sz);
    int nh = r == 4 && !mlirValueIsNull(x->nhwc);
    if (nh) {
      int64_t pst[4], psz[4];
      to_nhwc_dims(st, pst);
      to_nhwc_dims(sz, psz);
      out[i]->nhwc = emit_slice(im, x->nhwc, 4, pst, psz);
    } else {
      out[i]->id = emit_slice(im, get_id(im, x), r, st, sz);
    }
  }
  return NULL;
}

static ajpq_status_t h_pad(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                           int nout) {
  char mb[32];
  const char *mode = attr_str(n, "mode", "constant", mb, sizeof(mb));
  if (strcmp(mode, "constant") != 0)
    return EUNIMPL("Pad mode '%s' (only constant)", mode);
  val_t *x = in[0];
  int r = x->rank;
  int64_t pads[2 * AJPQ_ONNX_MAX_RANK + 1];
  int np;
  float value = 0;
  int64_t axes[AJPQ_ONNX_MAX_RANK + 1];
  int na = -1;
  if (im->opset < 11) {
    np = attr_ints(n, "pads", pads, 2 * AJPQ_ONNX_MAX_RANK);
    value = attr_float(n, "value", 0.0f);
  } else {
    if (nin < 2 || !in[1])
      return EINVAL("Pad needs pads");
    AJPQ_RETURN_IF_ERROR(const_ints(in[1], "pads", pads, 2 * AJPQ_ONNX_MAX_RANK, &np));
    if (nin > 2 && in[2]) {
      if (!in[2]->cst || in[2]->cst->numel != 1)
        return EUNIMPL("Pad constant_value must be a scalar constant");
      value = (float)cget(in[2]->cst, 0);
    }
    if (nin > 3 && in[3])
      AJPQ_RETURN_IF_ERROR(const_ints(in[3], "axes", axes, AJPQ_ONNX_MAX_RANK, &na));
  }
  int nax = na >= 0 ? na : r;
  if (np != 2 * nax)
    return EINVAL("Pad has %d pads for %d axes", np, nax);
  int64_t lo[AJPQ_ONNX_MAX_RANK] = {0}, hi[AJPQ_ONNX_MAX_RANK] = {0}, d[AJPQ_ONNX_MAX_RANK];
  for (int i = 0; i < nax; ++i) {
    int ax = i;
    if (na >= 0)
      AJPQ_RETURN_IF_ERROR(norm_axis(axes[i], r, &ax));
    lo[ax] = pads[i];
    hi[ax] = pads[i + nax];
    if (lo[ax] < 0 || hi[ax] < 0)
      return EUNIMPL("negative Pad amounts");
    if (lo[ax] > AJPQ_ONNX_MAX_ELEMENTS || hi[ax] > AJPQ_ONNX_MAX_ELEMENTS)
      return EINVAL("absurd Pad amounts");
  }
  for (int i = 0; i < r; ++i)
    d[i] = x->dims[i] + lo[i] + hi[i];
  AJPQ_RETURN_IF_ERROR(check_shape(r, d, out[0]->name));
  if (x->cst) {
    AJPQ_RETURN_IF_ERROR(new_cst(out[0], x->dtype, r, d));
    int64_t idx[AJPQ_ONNX_MAX_RANK] = {0}, stride[AJPQ_ONNX_MAX_RANK], s = 1;
    for (int i = r - 1; i >= 0; --i)
      stride[i] = s, s *= x->dims[i];
    for (int64_t o = 0; o < out[0]->cst->numel; ++o) {
      int64_t src = 0, inside = 1;
      for (int i = 0; i < r; ++i) {
        int64_t k = idx[i] - lo[i];
        inside &= k >= 0 && k < x->dims[i];
        src += k * stride[i];
      }
      cset(out[0]->cst, o, inside ? cget(x->cst, src) : value);
      inc_index(idx, r, d);
    }
    return NULL;
  }
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  set_shape(out[0], T_FLOAT, r, d);
  int nh = r == 4 && !mlirValueIsNull(x->nhwc);
  int64_t pp[2 * AJPQ_ONNX_MAX_RANK];
  static const int lg[4] = {0, 2, 3, 1};
  for (int i = 0; i < r; ++i) {
    int l = nh ? lg[i] : i;
    pp[2 * i] = lo[l];
    pp[2 * i + 1] = hi[l];
  }
  MlirValue xv = nh ? x->nhwc : get_id(im, x);
  int64_t one = 1;
  MlirValue ops[3] = {xv, emit_shape(im, 2 * r, pp), emit_const(im, 1, &one, &value)};
  set_result(out[0], emit(im, "tosa.pad", out_type(im, out[0], nh), 3, ops, 0, NULL), nh);
  return NULL;
}

/* ---- reductions, softmax ------------------------------------------------ */

static ajpq_status_t h_reduce(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                              int nout) {
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  val_t *x = in[0];
  int r = x->rank;
  const char *op = n->op_type;
  int input_from = strcmp(op, "ReduceSum") == 0 ? 13 : 18;
  int64_t axes[AJPQ_ONNX_MAX_RANK + 1];
  int na;
  AJPQ_RETURN_IF_ERROR(get_axes(im, n, in, nin, input_from, axes, &na));
  int keep = (int)attr_int(n, "keepdims", 1);
  int red[AJPQ_ONNX_MAX_RANK] = {0};
  if (na <= 0) {
    if (na == 0 && attr_int(n, "noop_with_empty_axes", 0))
      return h_identity(im, n, in, nin, out, nout);
    for (int i = 0; i < r; ++i)
      red[i] = 1;
  } else {
    for (int i = 0; i < na; ++i) {
      int ax = 0;
      AJPQ_RETURN_IF_ERROR(norm_axis(axes[i], r, &ax));
      red[ax] = 1;
    }
  }
  int64_t kd[AJPQ_ONNX_MAX_RANK], od[AJPQ_ONNX_MAX_RANK];
  int orank = 0;
  int64_t cnt = 1;
  for (int i = 0; i < r; ++i) {
    kd[i] = red[i] ? 1 : x->dims[i];
    if (red[i])
      cnt *= x->dims[i];
    if (!red[i] || keep)
      od[orank++] = kd[i];
  }
  set_shape(out[0], T_FLOAT, orank, od);
  int nh = r == 4 && !x->cst && !mlirValueIsNull(x->nhwc) && keep;
  static const int phys_of_logical[4] = {0, 3, 1, 2};
  MlirValue v = nh ? x->nhwc : get_id(im, x);
  const char *top = strcmp(op, "ReduceMax") == 0   ? "tosa.reduce_max"
                    : strcmp(op, "ReduceMin") == 0 ? "tosa.reduce_min"
                                                    : "tosa.reduce_sum";
  for (int i = 0; i < r; ++i)
    if (red[i])
      v = emit_reduce(im, top, v, nh ? phys_of_logical[i] : i);
  if (strcmp(op, "ReduceMean") == 0)
    v = emit_mul_scalar(im, v, 1.0f / (float)cnt);
  if (nh)
    out[0]->nhwc = v;
  else
    out[0]->id = emit_reshape(im, v, orank, od);
  return NULL;
}

static ajpq_status_t h_softmax(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                               val_t **out, int nout) {
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  val_t *x = in[0];
  int r = x->rank, axis = 0;
  int log = strcmp(n->op_type, "LogSoftmax") == 0;
  AJPQ_RETURN_IF_ERROR(norm_axis(attr_int(n, "axis", im->opset < 13 ? 1 : -1), r, &axis));
  set_shape(out[0], T_FLOAT, r, x->dims);
  MlirValue v = get_id(im, x);
  int wr = r, wax = axis;
  if (im->opset < 13) { /* coerce to 2-D [prod(<axis), prod(>=axis)] */
    int64_t d2[2] = {shape_numel(axis, x->dims), shape_numel(r - axis, x->dims + axis)};
    v = emit_reshape(im, v, 2, d2);
    wr = 2;
    wax = 1;
  }
  MlirValue mx = emit_reduce(im, "tosa.reduce_max", v, wax);
  MlirType vt = mlirValueGetType(v);
  MlirValue sub_ops[2] = {v, mx};
  MlirValue sh = emit(im, "tosa.sub", vt, 2, sub_ops, 0, NULL);
  MlirValue e = emit_unary(im, "tosa.exp", sh);
  MlirValue s = emit_reduce(im, "tosa.reduce_sum", e, wax);
  MlirValue res;
  if (log) {
    MlirValue ls = emit_unary(im, "tosa.log", s);
    MlirValue ops[2] = {sh, ls};
    res = emit(im, "tosa.sub", vt, 2, ops, 0, NULL);
  } else {
    MlirValue rc = emit_unary(im, "tosa.reciprocal", s);
    MlirValue ops[3] = {e, rc, emit_shift(im)};
    res = emit(im, "tosa.mul", vt, 3, ops, 0, NULL);
  }
  (void)wr;
  out[0]->id = emit_reshape(im, res, r, x->dims);
  return NULL;
}

/* ---- convolution, pooling ----------------------------------------------- */

typedef struct {
  int64_t k[2], s[2], dil[2], lo[2], hi[2], out[2], crop[2];
} window_t;

/* Resolves kernel/stride/pads/auto_pad/ceil_mode into TOSA terms: output
 * size per ONNX, then `hi` pads made exact for TOSA's divisibility rule
 * (input rows that no window reads are cropped via `crop`). */
static ajpq_status_t resolve_window(const Onnx__NodeProto *n, const int64_t *in_hw,
                                    const int64_t *kernel, int ceil_mode, window_t *w) {
  int64_t v[8];
  for (int i = 0; i < 2; ++i)
    w->k[i] = kernel[i], w->s[i] = 1, w->dil[i] = 1, w->lo[i] = w->hi[i] = 0, w->crop[i] = 0;
  int k;
  if ((k = attr_ints(n, "strides", v, 8)) >= 0) {
    if (k != 2)
      return EINVAL("strides must have 2 values");
    w->s[0] = v[0], w->s[1] = v[1];
  }
  if ((k = attr_ints(n, "dilations", v, 8)) >= 0) {
    if (k != 2)
      return EINVAL("dilations must have 2 values");
    w->dil[0] = v[0], w->dil[1] = v[1];
  }
  if ((k = attr_ints(n, "pads", v, 8)) >= 0) {
    if (k != 4)
      return EINVAL("pads must have 4 values");
    w->lo[0] = v[0], w->lo[1] = v[1], w->hi[0] = v[2], w->hi[1] = v[3];
  }
  char ab[32];
  const char *ap = attr_str(n, "auto_pad", "NOTSET", ab, sizeof(ab));
  for (int i = 0; i < 2; ++i) {
    if (w->s[i] < 1 || w->s[i] > 1024)
      return EINVAL("strides[%d] = %lld outside [1, 1024]", i, (long long)w->s[i]);
    if (w->dil[i] < 1 || w->dil[i] > 1024)
      return EINVAL("dilations[%d] = %lld outside [1, 1024]", i, (long long)w->dil[i]);
    if (w->k[i] < 1 || w->k[i] > 4096)
      return EINVAL("kernel dim %d = %lld outside [1, 4096]", i, (long long)w->k[i]);
    if (w->lo[i] < 0 || w->lo[i] > 4096)
      return EINVAL("pads[%d] = %lld outside [0, 4096]", i, (long long)w->lo[i]);
    if (w->hi[i] < 0 || w->hi[i] > 4096)
      return EINVAL("pads[%d] = %lld outside [0, 4096]", i + 2, (long long)w->hi[i]);
    int64_t ke = (w->k[i] - 1) * w->dil[i] + 1, H = in_hw[i];
    if (strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0) {
      int64_t o = (H + w->s[i] - 1) / w->s[i];
      int64_t tot = (o - 1) * w->s[i] + ke - H;
      if (tot < 0)
        tot = 0;
      w->lo[i] = strcmp(ap, "SAME_UPPER") == 0 ? tot / 2 : tot - tot / 2;
      w->hi[i] = tot - w->lo[i];
      w->out[i] = o;
    } else if (strcmp(ap, "VALID") == 0) {
      w->lo[i] = w->hi[i] = 0;
      w->out[i] = H >= ke ? (H - ke) / w->s[i] + 1 : 0;
    } else if (strcmp(ap, "NOTSET") == 0) {
      int64_t span = H + w->lo[i] + w->hi[i] - ke;
      if (span < 0)
        return EINVAL("kernel (%lld) larger than the padded input (%lld)", (long long)ke,
                      (long long)(H + w->lo[i] + w->hi[i]));
      w->out[i] = ceil_mode ? (span + w->s[i] - 1) / w->s[i] + 1 : span / w->s[i] + 1;
      if (ceil_mode && (w->out[i] - 1) * w->s[i] >= H + w->lo[i])
        w->out[i]--;
    } else {
      return EINVAL("unknown auto_pad '%s'", ap);
    }
    if (w->out[i] < 1)
      return EINVAL("output spatial size is %lld", (long long)w->out[i]);
    int64_t need = (w->out[i] - 1) * w->s[i] + ke; /* padded rows the windows read */
    int64_t hi = need - H - w->lo[i];
    if (hi < 0) {
      w->crop[i] = -hi;
      hi = 0;
    }
    w->hi[i] = hi;
  }
  return NULL;
}

/* Crops the bottom/right rows of an NHWC value that no window reads. */
static MlirValue crop_nhwc(imp_t *im, MlirValue x, const window_t *w) {
  if (!w->crop[0] && !w->crop[1])
    return x;
  MlirType t = mlirValueGetType(x);
  int64_t st[4] = {0, 0, 0, 0}, sz[4];
  for (int i = 0; i < 4; ++i)
    sz[i] = mlirShapedTypeGetDimSize(t, i);
  sz[1] -= w->crop[0];
  sz[2] -= w->crop[1];
  return emit_slice(im, x, 4, st, sz);
}

static MlirAttribute pad_attr(imp_t *im, const window_t *w) {
  int64_t p[4] = {w->lo[0], w->hi[0], w->lo[1], w->hi[1]};
  return attr_i64_array(im, 4, p);
}

static ajpq_status_t fold_bn_params(imp_t *im, const Onnx__NodeProto *bn, int64_t C, float *a,
                                    float *b, int *ok);

static ajpq_status_t h_conv(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                            int nout) {
  if (nin < 2 || !in[1])
    return EINVAL("Conv needs X and W");
  val_t *x = in[0], *w = in[1], *b = nin > 2 ? in[2] : NULL;
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  if (x->rank != 4)
    return EUNIMPL("Conv on rank-%d input (only 2-D convolutions, rank 4)", x->rank);
  AJPQ_RETURN_IF_ERROR(const_f32(im, w, "Conv weight"));
  if (b)
    AJPQ_RETURN_IF_ERROR(const_f32(im, b, "Conv bias"));
  int64_t N = x->dims[0], C = x->dims[1], M = w->dims[0];
  int64_t g = attr_int(n, "group", 1);
  if (g < 1 || C % g || M % g)
    return EINVAL("Conv group = %lld does not divide the %lld input and %lld output channels",
                  (long long)g, (long long)C, (long long)M);
  if (w->rank != 4 || w->dims[1] != C / g)
    return EINVAL("Conv weight shape does not match the input channels (%lld) and group (%lld)",
                  (long long)C, (long long)g);
  if (b && (b->rank != 1 || b->dims[0] != M))
    return EINVAL("Conv bias must have %lld values", (long long)M);
  int64_t ks[8];
  int nk = attr_ints(n, "kernel_shape", ks, 8);
  if (nk >= 0 && (nk != 2 || ks[0] != w->dims[2] || ks[1] != w->dims[3]))
    return EINVAL("Conv kernel_shape disagrees with the weight");
  window_t win;
  AJPQ_RETURN_IF_ERROR(resolve_window(n, x->dims + 2, w->dims + 2, 0, &win));
  int64_t od[4] = {N, M, win.out[0], win.out[1]};
  set_shape(out[0], T_FLOAT, 4, od);
  int64_t KH = w->dims[2], KW = w->dims[3], CI = C / g;
  /* Effective weight and bias (BatchNormalization folded in when marked). */
  float *bias = calloc((size_t)M, sizeof(float)), *scale = NULL;
  if (!bias)
    return ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  for (int64_t m = 0; m < M; ++m)
    bias[m] = b ? b->cst->f32[m] : 0.0f;
  int fold = im->uses[im->node_index];
  if (fold) {
    scale = malloc((size_t)M * sizeof(float));
    float *shift = malloc((size_t)M * sizeof(float));
    int ok = 0;
    ajpq_status_t st = scale && shift
                           ? fold_bn_params(im, im->graph->node[fold - 1], M, scale, shift, &ok)
                           : ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    if (st || !ok) {
      free(scale);
      scale = NULL;
      fold = 0;
      ajpq_status_free(st);
    } else {
      for (int64_t m = 0; m < M; ++m)
        bias[m] = bias[m] * scale[m] + shift[m];
    }
    free(shift);
  }
  int64_t wn = M * CI * KH * KW;
  float *wt = malloc((size_t)wn * sizeof(float));
  if (!wt) {
    free(bias);
    free(scale);
    return ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  }
  MlirValue xv = crop_nhwc(im, get_nhwc(im, x), &win);
  MlirValue zp = emit_zp(im);
  nattr_t at[4] = {{"acc_type", mlirTypeAttrGet(im->f32)},
                   {"pad", pad_attr(im, &win)},
                   {"stride", attr_i64_array(im, 2, win.s)},
                   {"dilation", attr_i64_array(im, 2, win.dil)}};
  int64_t ond[4] = {N, win.out[0], win.out[1], M};
  MlirValue res;
  if (g == 1 || (g == C && CI == 1)) {
    int depthwise = g != 1;
    int64_t mult = M / g;
    /* conv2d: [M,KH,KW,C]; depthwise: [KH,KW,C,mult], channel c*mult+j. */
    for (int64_t m = 0; m < M; ++m)
      for (int64_t c = 0; c < CI; ++c)
        for (int64_t i = 0; i < KH; ++i)
          for (int64_t j = 0; j < KW; ++j) {
            float v = w->cst->f32[((m * CI + c) * KH + i) * KW + j] * (scale ? scale[m] : 1.0f);
            int64_t dst = depthwise ? ((i * KW + j) * C + m / mult) * mult + m % mult
                                    : ((m * KH + i) * KW + j) * CI + c;
            wt[dst] = v;
          }
    int64_t wd[4] = {M, KH, KW, CI}, wdd[4] = {KH, KW, C, mult};
    MlirValue ops[5] = {xv, emit_const(im, 4, depthwise ? wdd : wd, wt),
                        emit_const(im, 1, &M, bias), zp, zp};
    res = emit(im, depthwise ? "tosa.depthwise_conv2d" : "tosa.conv2d", tensor_type(im, 4, ond), 5,
               ops, 4, at);
  } else {
    /* Grouped: one conv2d per group on a channel slice, then concat. */
    if (g > 256) {
      free(wt), free(bias), free(scale);
      return EUNIMPL("Conv with %lld groups that is not depthwise (max 256)", (long long)g);
    }
    MlirValue parts[256];
    int64_t Mg = M / g;
    MlirType xt = mlirValueGetType(xv);
    int64_t st[4] = {0, 0, 0, 0}, sz[4];
    for (int i = 0; i < 4; ++i)
      sz[i] = mlirShapedTypeGetDimSize(xt, i);
    sz[3] = CI;
    for (int64_t gi = 0; gi < g; ++gi) {
      for (int64_t m = 0; m < Mg; ++m)
        for (int64_t c = 0; c < CI; ++c)
          for (int64_t i = 0; i < KH; ++i)
            for (int64_t j = 0; j < KW; ++j) {
              int64_t mm = gi * Mg + m;
              wt[((m * KH + i) * KW + j) * CI + c] =
                  w->cst->f32[((mm * CI + c) * KH + i) * KW + j] * (scale ? scale[mm] : 1.0f);
            }
      st[3] = gi * CI;
      int64_t wd[4] = {Mg, KH, KW, CI}, pd[4] = {N, win.out[0], win.out[1], Mg};
      MlirValue ops[5] = {emit_slice(im, xv, 4, st, sz), emit_const(im, 4, wd, wt),
                          emit_const(im, 1, &Mg, bias + gi * Mg), zp, zp};
      parts[gi] = emit(im, "tosa.conv2d", tensor_type(im, 4, pd), 5, ops, 4, at);
    }
    nattr_t ax = {"axis", mlirIntegerAttrGet(mlirIntegerTypeGet(im->ctx, 32), 3)};
    res = emit(im, "tosa.concat", tensor_type(im, 4, ond), (int)g, parts, 1, &ax);
  }
  free(wt);
  free(bias);
  free(scale);
  out[0]->nhwc = res;
  if (fold) { /* the BatchNormalization's output is this conv's output */
    const Onnx__NodeProto *bn = im->graph->node[fold - 1];
    val_t *bo = imp_lookup(im, bn->output[0]);
    if (!bo) {
      ajpq_status_t st = imp_define(im, bn->output[0], &bo);
      if (st)
        return st;
    }
    set_shape(bo, T_FLOAT, 4, od);
    bo->nhwc = res;
    im->skip[fold - 1] = 1;
  }
  return NULL;
}

/* ConvTranspose as a stride-1 conv2d over the zero-inserted input:
 *   x [N,H,W,C] -> reshape [N,H,1,W,1,C] -> pad (s-1 zeros after each row /
 *   column) -> reshape [N,H*s,W*s,C] -> slice to (H-1)*s+1 rows/cols,
 * then conv2d with the spatially flipped kernel, in/out channels swapped,
 * dilation d and pads d*(k-1)-pad_lo / d*(k-1)-pad_hi+output_padding
 * (negative amounts crop the zero-inserted input). */
static ajpq_status_t h_conv_transpose(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                      val_t **out, int nout) {
  if (nin < 2 || !in[1])
    return EINVAL("ConvTranspose needs X and W");
  val_t *x = in[0], *w = in[1], *b = nin > 2 ? in[2] : NULL;
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  if (x->rank != 4)
    return EUNIMPL("ConvTranspose on rank-%d input (only 2-D, rank 4)", x->rank);
  AJPQ_RETURN_IF_ERROR(const_f32(im, w, "ConvTranspose weight"));
  if (b)
    AJPQ_RETURN_IF_ERROR(const_f32(im, b, "ConvTranspose bias"));
  int64_t N = x->dims[0], C = x->dims[1], g = attr_int(n, "group", 1);
  if (w->rank != 4 || g < 1 || g > 256 || C % g || w->dims[0] != C)
    return EINVAL("ConvTranspose weight shape does not match the input channels and group");
  int64_t Cg = C / g, Mg = w->dims[1], M = Mg * g, k[2] = {w->dims[2], w->dims[3]};
  if (b && (b->rank != 1 || b->dims[0] != M))
    return EINVAL("ConvTranspose bias must have %lld values", (long long)M);
  int64_t v[8], s[2] = {1, 1}, d[2] = {1, 1}, pl[2] = {0, 0}, ph[2] = {0, 0}, op[2] = {0, 0};
  int cnt;
  if ((cnt = attr_ints(n, "strides", v, 8)) >= 0) {
    if (cnt != 2)
      return EINVAL("strides must have 2 values");
    s[0] = v[0], s[1] = v[1];
  }
  if ((cnt = attr_ints(n, "dilations", v, 8)) >= 0) {
    if (cnt != 2)
      return EINVAL("dilations must have 2 values");
    d[0] = v[0], d[1] = v[1];
  }
  if ((cnt = attr_ints(n, "pads", v, 8)) >= 0) {
    if (cnt != 4)
      return EINVAL("pads must have 4 values");
    pl[0] = v[0], pl[1] = v[1], ph[0] = v[2], ph[1] = v[3];
  }
  if ((cnt = attr_ints(n, "output_padding", v, 8)) >= 0) {
    if (cnt != 2)
      return EINVAL("output_padding must have 2 values");
    op[0] = v[0], op[1] = v[1];
  }
  int64_t os[8];
  int nos = attr_ints(n, "output_shape", os, 8);
  char ab[32];
  const char *ap = attr_str(n, "auto_pad", "NOTSET", ab, sizeof(ab));
  int64_t outhw[2];
  for (int i = 0; i < 2; ++i) {
    if (s[i] < 1 || s[i] > 64 || d[i] < 1 || d[i] > 64 || k[i] < 1 || k[i] > 64 || pl[i] < 0 ||
        ph[i] < 0 || op[i] < 0 || op[i] >= s[i] + d[i] || pl[i] > 4096 || ph[i] > 4096)
      return EINVAL("invalid ConvTranspose strides/dilations/pads/output_padding on axis %d: "
                    "stride %lld, dilation %lld, kernel %lld, pads %lld/%lld, output_padding %lld",
                    i, (long long)s[i], (long long)d[i], (long long)k[i], (long long)pl[i],
                    (long long)ph[i], (long long)op[i]);
    int64_t H = x->dims[2 + i];
    int64_t full = s[i] * (H - 1) + op[i] + (k[i] - 1) * d[i] + 1;
    if (nos >= 0 || strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0) {
      int64_t o = nos >= 0 ? (nos == 2 ? os[i] : nos == 4 ? os[2 + i] : -1) : H * s[i];
      if (o < 1 || o > AJPQ_ONNX_MAX_ELEMENTS)
        return EINVAL("bad ConvTranspose output_shape");
      int64_t tot = full - o;
      if (tot < 0) { /* larger output: the extra rows are output padding at the end */
        pl[i] = 0, ph[i] = tot;
      } else if (strcmp(ap, "SAME_UPPER") == 0 || (nos >= 0 && strcmp(ap, "SAME_LOWER") != 0)) {
        pl[i] = tot / 2, ph[i] = tot - tot / 2;
      } else {
        pl[i] = tot - tot / 2, ph[i] = tot / 2;
      }
    } else if (strcmp(ap, "VALID") == 0) {
      pl[i] = ph[i] = 0;
    } else if (strcmp(ap, "NOTSET") != 0) {
      return EINVAL("unknown auto_pad '%s'", ap);
    }
    outhw[i] = full - pl[i] - ph[i];
    if (outhw[i] < 1)
      return EINVAL("ConvTranspose output size %lld", (long long)outhw[i]);
  }
  int64_t od[4] = {N, M, outhw[0], outhw[1]};
  set_shape(out[0], T_FLOAT, 4, od);
  AJPQ_RETURN_IF_ERROR(check_shape(4, od, out[0]->name));
  int64_t H = x->dims[2], W = x->dims[3];
  int64_t zh = (H - 1) * s[0] + 1, zw = (W - 1) * s[1] + 1;
  int64_t big[4] = {N, H * s[0], W * s[1], C};
  AJPQ_RETURN_IF_ERROR(check_shape(4, big, out[0]->name));
  MlirValue xv = get_nhwc(im, x);
  if (s[0] > 1 || s[1] > 1) {
    int64_t d6[6] = {N, H, 1, W, 1, C}, p6[6] = {N, H, s[0], W, s[1], C};
    int64_t pads[12] = {0, 0, 0, 0, 0, s[0] - 1, 0, 0, 0, s[1] - 1, 0, 0};
    float zero = 0;
    int64_t one = 1;
    MlirValue r6 = emit_reshape(im, xv, 6, d6);
    MlirValue ops[3] = {r6, emit_shape(im, 12, pads), emit_const(im, 1, &one, &zero)};
    MlirValue p = emit(im, "tosa.pad", tensor_type(im, 6, p6), 3, ops, 0, NULL);
    xv = emit_reshape(im, p, 4, big);
  }
  /* Conv pads; negative ones crop the zero-inserted input. */
  int64_t lo[2], hi[2], st[4] = {0, 0, 0, 0}, sz[4] = {N, zh, zw, C};
  for (int i = 0; i < 2; ++i) {
    lo[i] = d[i] * (k[i] - 1) - pl[i];
    hi[i] = d[i] * (k[i] - 1) - ph[i] + op[i];
    if (lo[i] < 0) {
      st[1 + i] = -lo[i];
      sz[1 + i] += lo[i];
      lo[i] = 0;
    }
    if (hi[i] < 0) {
      sz[1 + i] += hi[i];
      hi[i] = 0;
    }
    if (sz[1 + i] < 1)
      return EUNIMPL("ConvTranspose pads larger than the input");
  }
  if (st[1] || st[2] || sz[1] != H * s[0] || sz[2] != W * s[1])
    xv = emit_slice(im, xv, 4, st, sz);
  float *wt = malloc((size_t)(Mg * k[0] * k[1] * Cg) * sizeof(float));
  float *bias = calloc((size_t)M, sizeof(float));
  if (!wt || !bias) {
    free(wt), free(bias);
    return ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  }
  for (int64_t m = 0; b && m < M; ++m)
    bias[m] = b->cst->f32[m];
  MlirValue zp = emit_zp(im);
  int64_t pad4[4] = {lo[0], hi[0], lo[1], hi[1]}, one2[2] = {1, 1};
  nattr_t at[4] = {{"acc_type", mlirTypeAttrGet(im->f32)},
                   {"pad", attr_i64_array(im, 4, pad4)},
                   {"stride", attr_i64_array(im, 2, one2)},
                   {"dilation", attr_i64_array(im, 2, d)}};
  MlirValue parts[256];
  for (int64_t gi = 0; gi < g; ++gi) {
    for (int64_t m = 0; m < Mg; ++m)
      for (int64_t i = 0; i < k[0]; ++i)
        for (int64_t j = 0; j < k[1]; ++j)
          for (int64_t c = 0; c < Cg; ++c)
            wt[((m * k[0] + i) * k[1] + j) * Cg + c] =
                w->cst->f32[(((gi * Cg + c) * Mg + m) * k[0] + (k[0] - 1 - i)) * k[1] +
                            (k[1] - 1 - j)];
    MlirValue xg = xv;
    if (g > 1) {
      MlirType t = mlirValueGetType(xv);
      int64_t gs[4] = {0, 0, 0, gi * Cg},
              gz[4] = {mlirShapedTypeGetDimSize(t, 0), mlirShapedTypeGetDimSize(t, 1),
                       mlirShapedTypeGetDimSize(t, 2), Cg};
      xg = emit_slice(im, xv, 4, gs, gz);
    }
    int64_t wd[4] = {Mg, k[0], k[1], Cg}, pd[4] = {N, outhw[0], outhw[1], Mg};
    MlirValue ops[5] = {xg, emit_const(im, 4, wd, wt), emit_const(im, 1, &Mg, bias + gi * Mg), zp,
                        zp};
    parts[gi] = emit(im, "tosa.conv2d", tensor_type(im, 4, pd), 5, ops, 4, at);
  }
  free(wt), free(bias);
  int64_t ond[4] = {N, outhw[0], outhw[1], M};
  if (g == 1) {
    out[0]->nhwc = parts[0];
  } else {
    nattr_t ax = {"axis", mlirIntegerAttrGet(mlirIntegerTypeGet(im->ctx, 32), 3)};
    out[0]->nhwc = emit(im, "tosa.concat", tensor_type(im, 4, ond), (int)g, parts, 1, &ax);
  }
  return NULL;
}

/* BatchNormalization (inference) as per-channel y = x*a + b. Sets *ok = 0 if
 * a parameter is not a constant yet. */
static ajpq_status_t fold_bn_params(imp_t *im, const Onnx__NodeProto *bn, int64_t C, float *a,
                                    float *b, int *ok) {
  *ok = 0;
  if (bn->n_input < 5)
    return EINVAL("BatchNormalization needs 5 inputs");
  val_t *p[4];
  for (int i = 0; i < 4; ++i) {
    p[i] = imp_lookup(im, bn->input[i + 1]);
    if (!p[i] || !p[i]->cst || !p[i]->cst->f32)
      return NULL;
    if (p[i]->cst->numel != C)
      return EINVAL("BatchNormalization parameter '%s' has %lld values for %lld channels",
                    p[i]->name, (long long)p[i]->cst->numel, (long long)C);
  }
  float eps = attr_float(bn, "epsilon", 1e-5f);
  for (int64_t c = 0; c < C; ++c) {
    float sc = p[0]->cst->f32[c], bi = p[1]->cst->f32[c], mean = p[2]->cst->f32[c],
          var = p[3]->cst->f32[c];
    a[c] = sc / sqrtf(var + eps);
    b[c] = bi - mean * a[c];
  }
  *ok = 1;
  return NULL;
}

static ajpq_status_t h_batchnorm(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                 val_t **out, int nout) {
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  if (attr_int(n, "training_mode", 0))
    return EUNIMPL("BatchNormalization in training mode");
  for (int i = 1; i < nout; ++i)
    if (out[i])
      out[i]->missing = "BatchNormalization training output";
  val_t *x = in[0];
  if (x->rank < 2)
    return EINVAL("BatchNormalization input must have rank >= 2");
  int64_t C = x->dims[1];
  float *a = malloc((size_t)C * sizeof(float)), *b = malloc((size_t)C * sizeof(float));
  int ok = 0;
  ajpq_status_t st =
      a && b ? fold_bn_params(im, n, C, a, b, &ok) : ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  if (!st && !ok)
    st = EUNIMPL("BatchNormalization with run-time scale/bias/mean/var");
  if (st) {
    free(a), free(b);
    return st;
  }
  set_shape(out[0], T_FLOAT, x->rank, x->dims);
  int r = x->rank;
  int nh = r == 4 && !mlirValueIsNull(x->nhwc);
  int64_t cd[AJPQ_ONNX_MAX_RANK];
  for (int i = 0; i < r; ++i)
    cd[i] = 1;
  if (nh)
    cd[3] = C;
  else
    cd[1] = C;
  MlirValue xv = nh ? x->nhwc : get_id(im, x);
  MlirType t = mlirValueGetType(xv);
  MlirValue mo[3] = {xv, emit_const(im, r, cd, a), emit_shift(im)};
  MlirValue m = emit(im, "tosa.mul", t, 3, mo, 0, NULL);
  MlirValue ao[2] = {m, emit_const(im, r, cd, b)};
  set_result(out[0], emit(im, "tosa.add", t, 2, ao, 0, NULL), nh);
  free(a), free(b);
  return NULL;
}

static ajpq_status_t h_pool(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                            int nout) {
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  val_t *x = in[0];
  if (x->rank != 4)
    return EUNIMPL("%s on rank-%d input (only 2-D pooling, rank 4)", n->op_type, x->rank);
  int is_max = strcmp(n->op_type, "MaxPool") == 0;
  if (nout > 1 && out[1])
    out[1]->missing = "MaxPool indices";
  int64_t ks[8];
  if (attr_ints(n, "kernel_shape", ks, 8) != 2)
    return EINVAL("%s needs a 2-value kernel_shape", n->op_type);
  window_t w;
  AJPQ_RETURN_IF_ERROR(resolve_window(n, x->dims + 2, ks, (int)attr_int(n, "ceil_mode", 0), &w));
  if (w.dil[0] != 1 || w.dil[1] != 1)
    return EUNIMPL("pooling with dilations");
  if (attr_int(n, "storage_order", 0))
    return EUNIMPL("MaxPool storage_order=1");
  for (int i = 0; i < 2; ++i)
    if (w.lo[i] >= w.k[i] || w.hi[i] >= w.k[i])
      return EUNIMPL("pooling pads (%lld, %lld) not smaller than the kernel (%lld)",
                     (long long)w.lo[i], (long long)w.hi[i], (long long)w.k[i]);
  int64_t od[4] = {x->dims[0], x->dims[1], w.out[0], w.out[1]};
  set_shape(out[0], T_FLOAT, 4, od);
  MlirValue xv = crop_nhwc(im, get_nhwc(im, x), &w);
  int cip = (int)attr_int(n, "count_include_pad", 0);
  if (!is_max && cip && (w.lo[0] || w.lo[1] || w.hi[0] || w.hi[1])) {
    /* Explicit zero padding for the declared pads; only the ceil_mode extra
     * stays implicit (not counted, as in ONNX Runtime). */
    int64_t ph[2], ex[2];
    for (int i = 0; i < 2; ++i) {
      int64_t decl_hi = 0;
      int64_t v[8];
      if (attr_ints(n, "pads", v, 8) == 4)
        decl_hi = v[2 + i];
      ph[i] = w.hi[i] < decl_hi ? w.hi[i] : decl_hi;
      ex[i] = w.hi[i] - ph[i];
    }
    MlirType t = mlirValueGetType(xv);
    int64_t pd[4] = {
        mlirShapedTypeGetDimSize(t, 0), mlirShapedTypeGetDimSize(t, 1) + w.lo[0] + ph[0],
        mlirShapedTypeGetDimSize(t, 2) + w.lo[1] + ph[1], mlirShapedTypeGetDimSize(t, 3)};
    int64_t pp[8] = {0, 0, w.lo[0], ph[0], w.lo[1], ph[1], 0, 0};
    float zero = 0;
    int64_t one = 1;
    MlirValue ops[3] = {xv, emit_shape(im, 8, pp), emit_const(im, 1, &one, &zero)};
    xv = emit(im, "tosa.pad", tensor_type(im, 4, pd), 3, ops, 0, NULL);
    w.lo[0] = w.lo[1] = 0;
    w.hi[0] = ex[0];
    w.hi[1] = ex[1];
  }
  int64_t ond[4] = {od[0], od[2], od[3], od[1]};
  MlirType rt = tensor_type(im, 4, ond);
  if (is_max) {
    nattr_t at[3] = {{"kernel", attr_i64_array(im, 2, w.k)},
                     {"stride", attr_i64_array(im, 2, w.s)},
                     {"pad", pad_attr(im, &w)}};
    out[0]->nhwc = emit(im, "tosa.max_pool2d", rt, 1, &xv, 3, at);
  } else {
    nattr_t at[4] = {{"acc_type", mlirTypeAttrGet(im->f32)},
                     {"kernel", attr_i64_array(im, 2, w.k)},
                     {"stride", attr_i64_array(im, 2, w.s)},
                     {"pad", pad_attr(im, &w)}};
    MlirValue zp = emit_zp(im);
    MlirValue ops[3] = {xv, zp, zp};
    out[0]->nhwc = emit(im, "tosa.avg_pool2d", rt, 3, ops, 4, at);
  }
  return NULL;
}

static ajpq_status_t h_global_pool(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                   val_t **out, int nout) {
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  val_t *x = in[0];
  if (x->rank < 3)
    return EINVAL("%s needs rank >= 3", n->op_type);
  int is_max = strcmp(n->op_type, "GlobalMaxPool") == 0;
  int r = x->rank;
  int64_t od[AJPQ_ONNX_MAX_RANK];
  int64_t cnt = 1;
  for (int i = 0; i < r; ++i) {
    od[i] = i < 2 ? x->dims[i] : 1;
    if (i >= 2)
      cnt *= x->dims[i];
  }
  set_shape(out[0], T_FLOAT, r, od);
  int nh = r == 4;
  MlirValue v = nh ? get_nhwc(im, x) : get_id(im, x);
  const char *op = is_max ? "tosa.reduce_max" : "tosa.reduce_sum";
  if (nh) {
    v = emit_reduce(im, op, v, 1);
    v = emit_reduce(im, op, v, 2);
  } else {
    for (int i = 2; i < r; ++i)
      v = emit_reduce(im, op, v, i);
  }
  if (!is_max)
    v = emit_mul_scalar(im, v, 1.0f / (float)cnt);
  set_result(out[0], v, nh);
  return NULL;
}

/* DepthToSpace (DCR / CRD) and SpaceToDepth on the NHWC form: one rank-6 reshape, transpose and
 * reshape, with no layout change around it (super-resolution heads, ESPCN: Conv -> DepthToSpace).
 * NHWC derivation, block b, C' = C / b^2:
 *   DCR: y[n, h*b+i, w*b+j, c] = x[n, h, w, (i*b + j)*C' + c]: [N,H,W,b,b,C'] perm 0,1,3,2,4,5
 *   CRD: y[n, h*b+i, w*b+j, c] = x[n, h, w, c*b*b + i*b + j]:  [N,H,W,C',b,b] perm 0,1,4,2,5,3
 *   SpaceToDepth: y[n, h, w, (i*b + j)*C + c] = x[n, h*b+i, w*b+j, c]:
 *                 [N,H',b,W',b,C] perm 0,1,3,2,4,5 -> [N,H',W',b*b*C] */
static ajpq_status_t h_depth_space(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                   val_t **out, int nout) {
  if (nin < 1 || !in[0])
    return EINVAL("missing input");
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  val_t *x = in[0];
  if (x->rank != 4)
    return EINVAL("%s needs a rank-4 input, '%s' has rank %d", n->op_type, x->name, x->rank);
  int64_t b = attr_int(n, "blocksize", 0);
  if (b < 1 || b > 1024)
    return EINVAL("%s blocksize = %lld outside [1, 1024]", n->op_type, (long long)b);
  int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
  int d2s = strcmp(n->op_type, "DepthToSpace") == 0;
  char mode[16];
  attr_str(n, "mode", "DCR", mode, sizeof mode);
  int crd = d2s && strcmp(mode, "CRD") == 0;
  if (d2s && !crd && strcmp(mode, "DCR") != 0)
    return EINVAL("DepthToSpace mode '%s' (DCR or CRD)", mode);
  int64_t t6[6], od[4];
  int perm[6] = {0, 1, 3, 2, 4, 5};
  if (d2s) {
    if (C % (b * b))
      return EINVAL("DepthToSpace: %lld channels are not a multiple of blocksize^2 = %lld",
                    (long long)C, (long long)(b * b));
    int64_t Cp = C / (b * b);
    int64_t a[6] = {N, H, W, b, b, Cp}, c[6] = {N, H, W, Cp, b, b};
    memcpy(t6, crd ? c : a, sizeof t6);
    if (crd) {
      int pc[6] = {0, 1, 4, 2, 5, 3};
      memcpy(perm, pc, sizeof perm);
    }
    int64_t o[4] = {N, Cp, H * b, W * b};
    memcpy(od, o, sizeof od);
  } else {
    if (H % b || W % b)
      return EINVAL("SpaceToDepth: %lldx%lld is not a multiple of blocksize %lld", (long long)H,
                    (long long)W, (long long)b);
    int64_t a[6] = {N, H / b, b, W / b, b, C};
    memcpy(t6, a, sizeof t6);
    int64_t o[4] = {N, C * b * b, H / b, W / b};
    memcpy(od, o, sizeof od);
  }
  set_shape(out[0], T_FLOAT, 4, od);
  int64_t onhwc[4] = {od[0], od[2], od[3], od[1]};
  MlirValue v = emit_reshape(im, get_nhwc(im, x), 6, t6);
  v = emit_transpose(im, v, 6, perm);
  set_result(out[0], emit_reshape(im, v, 4, onhwc), 1);
  return NULL;
}

/* InstanceNormalization: per sample and channel, y = scale * (x - mean) / sqrt(var + eps) + B
 * over the spatial dims (biased variance, as the spec). Scale and B must be constants. Emitted on
 * the NHWC form for rank 4 (reduce over H, W), on the model's layout otherwise. */
static ajpq_status_t h_instance_norm(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                     val_t **out, int nout) {
  if (nin < 3 || !in[0] || !in[1] || !in[2])
    return EINVAL("InstanceNormalization needs X, scale and B");
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  val_t *x = in[0];
  int r = x->rank;
  if (r < 3)
    return EINVAL("InstanceNormalization needs rank >= 3, '%s' has rank %d", x->name, r);
  int64_t C = x->dims[1];
  for (int k = 1; k < 3; ++k) {
    if (!in[k]->cst)
      return EUNIMPL("InstanceNormalization %s '%s' must be a constant", k == 1 ? "scale" : "B",
                     in[k]->name);
    if (in[k]->cst->numel != C)
      return EINVAL("InstanceNormalization %s '%s' has %lld values for %lld channels",
                    k == 1 ? "scale" : "B", in[k]->name, (long long)in[k]->cst->numel,
                    (long long)C);
  }
  float eps = attr_float(n, "epsilon", 1e-5f);
  int64_t cnt = 1;
  for (int i = 2; i < r; ++i)
    cnt *= x->dims[i];
  set_shape(out[0], T_FLOAT, r, x->dims);
  int nh = r == 4;
  MlirValue v = nh ? get_nhwc(im, x) : get_id(im, x);
  MlirType vt = mlirValueGetType(v);
  int cax = nh ? 3 : 1; /* channel axis of v */
  /* mean and variance: reduce every axis but batch and channel (sizes kept as 1) */
  MlirValue m = v;
  for (int i = 1; i < r; ++i)
    if (i != cax)
      m = emit_reduce(im, "tosa.reduce_sum", m, i);
  m = emit_mul_scalar(im, m, 1.0f / (float)cnt);
  MlirValue d_ops[2] = {v, m};
  MlirValue d = emit(im, "tosa.sub", vt, 2, d_ops, 0, NULL);
  MlirValue sq_ops[3] = {d, d, emit_shift(im)};
  MlirValue var = emit(im, "tosa.mul", vt, 3, sq_ops, 0, NULL);
  for (int i = 1; i < r; ++i)
    if (i != cax)
      var = emit_reduce(im, "tosa.reduce_sum", var, i);
  var = emit_add_scalar(im, emit_mul_scalar(im, var, 1.0f / (float)cnt), eps);
  MlirValue inv = emit_unary(im, "tosa.rsqrt", var);
  MlirValue n_ops[3] = {d, inv, emit_shift(im)};
  MlirValue y = emit(im, "tosa.mul", vt, 3, n_ops, 0, NULL);
  /* per-channel scale and bias as [1, .., C, .., 1] constants */
  int64_t cd[AJPQ_ONNX_MAX_RANK];
  for (int i = 0; i < r; ++i)
    cd[i] = i == cax ? C : 1;
  float *sc = malloc((size_t)C * sizeof(float)), *bi = malloc((size_t)C * sizeof(float));
  if (!sc || !bi) {
    free(sc);
    free(bi);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  }
  for (int64_t c = 0; c < C; ++c) {
    sc[c] = (float)cget(in[1]->cst, c);
    bi[c] = (float)cget(in[2]->cst, c);
  }
  MlirValue s_ops[3] = {y, emit_const(im, r, cd, sc), emit_shift(im)};
  y = emit(im, "tosa.mul", vt, 3, s_ops, 0, NULL);
  MlirValue b_ops[2] = {y, emit_const(im, r, cd, bi)};
  y = emit(im, "tosa.add", vt, 2, b_ops, 0, NULL);
  free(sc);
  free(bi);
  set_result(out[0], y, nh);
  return NULL;
}

/* ---- matrix products ---------------------------------------------------- */

/* [b, m, k] x [b, k, n] with rank-3 reshapes. */
static MlirValue emit_matmul3(imp_t *im, MlirValue a, MlirValue b, int64_t B, int64_t M, int64_t K,
                              int64_t N) {
  int64_t ad[3] = {B, M, K}, bd[3] = {B, K, N}, od[3] = {B, M, N};
  MlirValue zp = emit_zp(im);
  MlirValue ops[4] = {emit_reshape(im, a, 3, ad), emit_reshape(im, b, 3, bd), zp, zp};
  return emit(im, "tosa.matmul", tensor_type(im, 3, od), 4, ops, 0, NULL);
}

/* A constant right operand [K, N] (row-major floats) emitted directly as a
 * [1, K, N] tosa.const feeding the matmul: no tosa.reshape between the
 * weights and the matmul, so the compression passes recognise the layer as a
 * fully-connected layer with constant weights (docs/import.md). */
static MlirValue emit_matmul3_const_b(imp_t *im, MlirValue a, const float *b, int64_t M,
                                      int64_t K, int64_t N) {
  int64_t bd[3] = {1, K, N};
  return emit_matmul3(im, a, emit_const(im, 3, bd, b), 1, M, K, N);
}

static ajpq_status_t h_gemm(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                            int nout) {
  if (nin < 2 || !in[1])
    return EINVAL("Gemm needs A and B");
  AJPQ_RETURN_IF_ERROR(check_float(in, nin));
  val_t *A = in[0], *Bv = in[1], *C = nin > 2 ? in[2] : NULL;
  if (A->rank != 2 || Bv->rank != 2)
    return EINVAL("Gemm needs 2-D A and B");
  int ta = (int)attr_int(n, "transA", 0), tb = (int)attr_int(n, "transB", 0);
  float alpha = attr_float(n, "alpha", 1.0f), beta = attr_float(n, "beta", 1.0f);
  int64_t M = ta ? A->dims[1] : A->dims[0], K = ta ? A->dims[0] : A->dims[1];
  int64_t K2 = tb ? Bv->dims[1] : Bv->dims[0], N = tb ? Bv->dims[0] : Bv->dims[1];
  if (K != K2)
    return EINVAL("Gemm inner dims differ (%lld vs %lld)", (long long)K, (long long)K2);
  int64_t od[2] = {M, N};
  set_shape(out[0], T_FLOAT, 2, od);
  static const int sw[2] = {1, 0};
  MlirValue a = get_id(im, A);
  if (ta)
    a = emit_transpose(im, a, 2, sw);
  MlirValue mm;
  if (Bv->cst && Bv->cst->f32) {
    ajpq_onnx_tensor_t t = {0};
    if (tb) {
      t.f32 = malloc((size_t)(Bv->cst->numel ? Bv->cst->numel : 1) * sizeof(float));
      if (!t.f32)
        return ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      host_transpose(Bv->cst, sw, &t);
    }
    mm = emit_matmul3_const_b(im, a, tb ? t.f32 : Bv->cst->f32, M, K, N);
    free(t.f32);
  } else {
    MlirValue b = get_id(im, Bv);
    if (tb)
      b = emit_transpose(im, b, 2, sw);
    mm = emit_matmul3(im, a, b, 1, M, K, N);
  }
  MlirValue r = emit_reshape(im, mm, 2, od);
  if (alpha != 1.0f)
    r = emit_mul_scalar(im, r, alpha);
  if (C && beta != 0.0f) {
    int cr;
    int64_t cd[AJPQ_ONNX_MAX_RANK];
    val_t tmp = {0};
    tmp.rank = 2;
    tmp.dims[0] = M, tmp.dims[1] = N;
    tmp.name = "A*B";
    AJPQ_RETURN_IF_ERROR(broadcast(&tmp, C, &cr, cd));
    if (cr != 2 || cd[0] != M || cd[1] != N)
      return EINVAL("Gemm C does not broadcast to [M,N]");
    MlirValue c;
    if (C->cst && C->cst->f32 && (C->cst->numel == N || C->cst->numel == M * N)) {
      /* A constant bias becomes one tosa.const of shape [1,N] (or [M,N]) with
       * beta folded in, so the compression passes see a fully-connected layer
       * with a constant bias (no reshape/mul between the two). */
      int64_t bd[2] = {C->cst->numel == N ? 1 : M, N};
      float *bv = malloc((size_t)C->cst->numel * sizeof(float));
      if (!bv)
        return ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      for (int64_t i = 0; i < C->cst->numel; ++i)
        bv[i] = beta * C->cst->f32[i];
      c = emit_const(im, 2, bd, bv);
      free(bv);
    } else {
      c = operand(im, C, 2, 0);
      if (beta != 1.0f)
        c = emit_mul_scalar(im, c, beta);
    }
    MlirValue ops[2] = {r, c};
    r = emit(im, "tosa.add", tensor_type(im, 2, od), 2, ops, 0, NULL);
  }
  out[0]->id = r;
  return NULL;
}

static ajpq_status_t h_matmul(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                              int nout) {
  if (nin < 2 || !in[1])
    return EINVAL("MatMul needs 2 inputs");
  AJPQ_RETURN_IF_ERROR(check_float(in, 2));
  val_t *A = in[0], *Bv = in[1];
  if (A->rank < 1 || Bv->rank < 1)
    return EINVAL("MatMul on scalars");
  int64_t M = A->rank >= 2 ? A->dims[A->rank - 2] : 1, K = A->dims[A->rank - 1];
  int64_t K2 = Bv->rank >= 2 ? Bv->dims[Bv->rank - 2] : Bv->dims[0];
  int64_t N = Bv->rank >= 2 ? Bv->dims[Bv->rank - 1] : 1;
  if (K != K2)
    return EINVAL("MatMul inner dims differ (%lld vs %lld)", (long long)K, (long long)K2);
  /* Batch dims. */
  val_t ba = {0}, bb = {0};
  ba.name = A->name, bb.name = Bv->name;
  ba.rank = A->rank > 2 ? A->rank - 2 : 0;
  bb.rank = Bv->rank > 2 ? Bv->rank - 2 : 0;
  memcpy(ba.dims, A->dims, sizeof(int64_t) * (size_t)ba.rank);
  memcpy(bb.dims, Bv->dims, sizeof(int64_t) * (size_t)bb.rank);
  int br;
  int64_t bd[AJPQ_ONNX_MAX_RANK];
  AJPQ_RETURN_IF_ERROR(broadcast(&ba, &bb, &br, bd));
  int64_t P = shape_numel(br, bd), PA = shape_numel(ba.rank, ba.dims),
          PB = shape_numel(bb.rank, bb.dims);
  int64_t od[AJPQ_ONNX_MAX_RANK];
  int orank = 0;
  for (int i = 0; i < br; ++i)
    od[orank++] = bd[i];
  if (A->rank >= 2)
    od[orank++] = M;
  if (Bv->rank >= 2)
    od[orank++] = N;
  if (orank > AJPQ_ONNX_MAX_RANK)
    return EINVAL("MatMul output rank too large");
  set_shape(out[0], T_FLOAT, orank, od);
  MlirValue r;
  if (PB == 1) {
    if (PA != P)
      return EUNIMPL("MatMul where A is broadcast over B's batch dims");
    if (Bv->cst && Bv->cst->f32 && Bv->rank >= 2)
      r = emit_matmul3_const_b(im, get_id(im, A), Bv->cst->f32, P * M, K, N);
    else
      r = emit_matmul3(im, get_id(im, A), get_id(im, Bv), 1, P * M, K, N);
  } else if (PA == P && PB == P && ba.rank == bb.rank) {
    r = emit_matmul3(im, get_id(im, A), get_id(im, Bv), P, M, K, N);
  } else {
    return EUNIMPL("MatMul with batch broadcasting other than a 2-D right operand");
  }
  out[0]->id = emit_reshape(im, r, orank, od);
  return NULL;
}

/* ---- resize ------------------------------------------------------------- */

/* TOSA resize maps output y to input (y*d + off)/n; NEAREST rounds half up
 * (floor((y*d + off + n/2)/n)), BILINEAR interpolates. ONNX coordinate
 * transforms are expressed with n, d doubled so every offset is integral:
 *   asymmetric x = y*in/out; half_pixel x = (y+0.5)*in/out - 0.5;
 *   align_corners x = y*(in-1)/(out-1). Nearest rounding modes shift the
 * offset: floor -n/2, ceil +n/2-1; round_prefer_* need no shift but
 * round_prefer_floor is rejected when a tie actually occurs. */
static ajpq_status_t emit_resize(imp_t *im, val_t *x, val_t *o, const int64_t *out_hw,
                                 const char *mode, const char *ctm, const char *nmode) {
  int64_t od[4] = {x->dims[0], x->dims[1], out_hw[0], out_hw[1]};
  set_shape(o, T_FLOAT, 4, od);
  int64_t sc[4], off[2], bo[2];
  int linear = strcmp(mode, "linear") == 0 || strcmp(mode, "bilinear") == 0;
  if (!linear && strcmp(mode, "nearest") != 0)
    return EUNIMPL("Resize mode '%s' (nearest, linear)", mode);
  for (int i = 0; i < 2; ++i) {
    int64_t in = x->dims[2 + i], ou = out_hw[i];
    if (in < 1 || ou < 1 || in > 2048 || ou > 2048 || ou > 16 * in || in > 16 * ou)
      return EUNIMPL("Resize from %lld to %lld (ratios within 1/16..16, sizes <= 2048)",
                     (long long)in, (long long)ou);
    int64_t n_, d_, of;
    if (strcmp(ctm, "asymmetric") == 0) {
      n_ = 2 * ou, d_ = 2 * in, of = 0;
    } else if (strcmp(ctm, "half_pixel") == 0 ||
               (strcmp(ctm, "pytorch_half_pixel") == 0 && ou > 1)) {
      n_ = 2 * ou, d_ = 2 * in, of = in - ou;
    } else if (strcmp(ctm, "align_corners") == 0 && ou > 1 && in > 1) {
      n_ = 2 * (ou - 1), d_ = 2 * (in - 1), of = 0;
    } else {
      return EUNIMPL("Resize coordinate_transformation_mode '%s'", ctm);
    }
    if (!linear) {
      if (strcmp(nmode, "floor") == 0) {
        of -= n_ / 2;
      } else if (strcmp(nmode, "ceil") == 0) {
        of += n_ / 2 - 1;
      } else if (strcmp(nmode, "round_prefer_floor") == 0) {
        for (int64_t y = 0; y < ou; ++y) {
          int64_t a = y * d_ + of;
          int64_t r = ((a % n_) + n_) % n_;
          if (2 * r == n_)
            return EUNIMPL("nearest Resize (round_prefer_floor) with exact ties; TOSA rounds "
                           "ties up");
        }
      } else if (strcmp(nmode, "round_prefer_ceil") != 0) {
        return EUNIMPL("Resize nearest_mode '%s'", nmode);
      }
    }
    if (of < -n_ || of >= 16 * n_)
      return EUNIMPL("Resize offset out of TOSA's range");
    sc[2 * i] = n_, sc[2 * i + 1] = d_;
    off[i] = of;
    bo[i] = (ou - 1) * d_ - (in - 1) * n_ + of;
    if (bo[i] < -n_ || bo[i] >= 16 * n_)
      return EUNIMPL("Resize border out of TOSA's range");
  }
  MlirValue ops[4] = {get_nhwc(im, x), emit_shape(im, 4, sc), emit_shape(im, 2, off),
                      emit_shape(im, 2, bo)};
  nattr_t at = {"mode",
                attr_parse(im, "#tosa.resize_mode<%s>", linear ? "BILINEAR" : "NEAREST_NEIGHBOR")};
  int64_t ond[4] = {od[0], od[2], od[3], od[1]};
  o->nhwc = emit(im, "tosa.resize", tensor_type(im, 4, ond), 4, ops, 1, &at);
  return NULL;
}

static ajpq_status_t scales_to_size(val_t *x, const float *s, int ns, int64_t *hw) {
  if (ns != 4 || s[0] != 1.0f || s[1] != 1.0f)
    return EUNIMPL("Resize/Upsample scales must be [1,1,sh,sw] on a 4-D input");
  for (int i = 0; i < 2; ++i) {
    double o = floor((double)x->dims[2 + i] * s[2 + i]);
    if (!(o >= 1 && o <= 2048))
      return EUNIMPL("Resize to an output size of %g", o);
    hw[i] = (int64_t)o;
    if (fabs((double)hw[i] / (double)x->dims[2 + i] - s[2 + i]) > 1e-6 * s[2 + i])
      return EUNIMPL("Resize with a scale (%g) that is not output/input size", (double)s[2 + i]);
  }
  return NULL;
}

static ajpq_status_t h_resize(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin, val_t **out,
                              int nout) {
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  val_t *x = in[0];
  if (x->rank != 4)
    return EUNIMPL("%s on rank-%d input (only 4-D)", n->op_type, x->rank);
  char mb[32], cb[48], nb[48];
  const char *mode = attr_str(n, "mode", "nearest", mb, sizeof(mb));
  const char *ctm = "asymmetric";
  const char *nmode = "floor"; /* Upsample and Resize-10: asymmetric + floor */
  float s[8];
  int ns = -1;
  int64_t hw[2];
  if (strcmp(n->op_type, "Upsample") == 0) {
    if (im->opset < 9) {
      const Onnx__AttributeProto *a = node_attr(n, "scales");
      if (!a || a->n_floats > 8)
        return EINVAL("Upsample needs scales");
      ns = (int)a->n_floats;
      if (ns)
        memcpy(s, a->floats, sizeof(float) * (size_t)ns);
    } else {
      if (nin < 2 || !in[1] || !in[1]->cst || in[1]->cst->numel > 8 || !in[1]->cst->f32)
        return EUNIMPL("Upsample scales must be a float constant");
      ns = (int)in[1]->cst->numel;
      memcpy(s, in[1]->cst->f32, sizeof(float) * (size_t)ns);
    }
  } else {
    if (im->opset >= 11)
      ctm = attr_str(n, "coordinate_transformation_mode", "half_pixel", cb, sizeof(cb));
    if (im->opset >= 11)
      nmode = attr_str(n, "nearest_mode", "round_prefer_floor", nb, sizeof(nb));
    if (attr_int(n, "antialias", 0))
      return EUNIMPL("Resize antialias");
    if (node_attr(n, "axes"))
      return EUNIMPL("Resize axes");
    int si = im->opset >= 11 ? 2 : 1, zi = 3;
    if (im->opset >= 11 && nin > zi && in[zi] && in[zi]->cst && in[zi]->cst->numel) {
      int64_t sz[8];
      int nz;
      AJPQ_RETURN_IF_ERROR(const_ints(in[zi], "sizes", sz, 8, &nz));
      if (nz != 4 || sz[0] != x->dims[0] || sz[1] != x->dims[1])
        return EUNIMPL("Resize sizes must keep N and C");
      hw[0] = sz[2], hw[1] = sz[3];
      goto emit;
    }
    if (nin <= si || !in[si] || !in[si]->cst || !in[si]->cst->f32 || in[si]->cst->numel > 8)
      return EUNIMPL("Resize scales must be a float constant");
    ns = (int)in[si]->cst->numel;
    memcpy(s, in[si]->cst->f32, sizeof(float) * (size_t)ns);
  }
  AJPQ_RETURN_IF_ERROR(scales_to_size(x, s, ns, hw));
emit:
  return emit_resize(im, x, out[0], hw, mode, ctm, nmode);
}

/* ---- 1-D convolution and pooling as 2-D --------------------------------- */

/* Runs a 2-D handler on a rank-3 [N,C,L] input viewed as [N,C,1,L]: 1-value
 * kernel_shape/strides/dilations/output_padding/output_shape become [1, v],
 * pads [b, e] become [0, b, 0, e]; rank-3 weights [M,C,K] become [M,C,1,K].
 * The result is reshaped back to rank 3. */
static ajpq_status_t run_as_2d(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                               val_t **out, int nout, handler_t fn) {
  val_t *x = in[0];
  if (x->cst)
    return EUNIMPL("1-D %s on a constant input", n->op_type);
  AJPQ_RETURN_IF_ERROR(check_float(in, 1));
  if (nin > 64)
    return EINVAL("too many inputs");
  val_t x4 = *x, w4, o4;
  ajpq_onnx_tensor_t wt;
  x4.rank = 4;
  x4.dims[2] = 1;
  x4.dims[3] = x->dims[2];
  x4.nhwc = (MlirValue){NULL};
  x4.id = emit_reshape(im, get_id(im, x), 4, x4.dims);
  val_t *in2[64];
  for (int i = 0; i < nin; ++i)
    in2[i] = in[i];
  in2[0] = &x4;
  if (nin > 1 && in[1] && in[1]->rank == 3 && in[1]->cst) {
    w4 = *in[1];
    wt = *in[1]->cst;
    w4.cst = &wt;
    w4.rank = wt.rank = 4;
    w4.dims[3] = wt.dims[3] = in[1]->dims[2];
    w4.dims[2] = wt.dims[2] = 1;
    in2[1] = &w4;
  }
  Onnx__AttributeProto attrs[32], *aptr[32];
  int64_t ints[32][4];
  if (n->n_attribute > 32)
    return EINVAL("too many attributes");
  for (size_t i = 0; i < n->n_attribute; ++i) {
    attrs[i] = *n->attribute[i];
    aptr[i] = &attrs[i];
    const char *an = attrs[i].name ? attrs[i].name : "";
    int one = !strcmp(an, "kernel_shape") || !strcmp(an, "strides") || !strcmp(an, "dilations") ||
              !strcmp(an, "output_padding") || !strcmp(an, "output_shape");
    if (one && attrs[i].n_ints == 1) {
      ints[i][0] = 1, ints[i][1] = attrs[i].ints[0];
      attrs[i].ints = ints[i];
      attrs[i].n_ints = 2;
    } else if (!strcmp(an, "pads") && attrs[i].n_ints == 2) {
      ints[i][0] = 0, ints[i][1] = attrs[i].ints[0], ints[i][2] = 0, ints[i][3] = attrs[i].ints[1];
      attrs[i].ints = ints[i];
      attrs[i].n_ints = 4;
    } else if (one || !strcmp(an, "pads")) {
      return EINVAL("1-D %s attribute '%s' has %zu values", n->op_type, an, attrs[i].n_ints);
    }
  }
  Onnx__NodeProto fake = *n;
  fake.attribute = aptr;
  memset(&o4, 0, sizeof(o4));
  o4.name = out[0]->name;
  val_t *out2[64];
  for (int i = 0; i < nout && i < 64; ++i)
    out2[i] = out[i];
  out2[0] = &o4;
  int saved = im->uses[im->node_index];
  im->uses[im->node_index] = 0; /* no BatchNormalization folding through the reshape */
  ajpq_status_t st = fn(im, &fake, in2, nin, out2, nout);
  im->uses[im->node_index] = saved;
  AJPQ_RETURN_IF_ERROR(st);
  int64_t d3[3] = {o4.dims[0], o4.dims[1], o4.dims[3]};
  set_shape(out[0], T_FLOAT, 3, d3);
  out[0]->id = emit_reshape(im, get_id(im, &o4), 3, d3);
  return NULL;
}

static ajpq_status_t h_conv_any(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                val_t **out, int nout) {
  if (nin >= 1 && in[0] && in[0]->rank == 3)
    return run_as_2d(im, n, in, nin, out, nout, h_conv);
  return h_conv(im, n, in, nin, out, nout);
}

static ajpq_status_t h_conv_transpose_any(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                          val_t **out, int nout) {
  if (nin >= 1 && in[0] && in[0]->rank == 3)
    return run_as_2d(im, n, in, nin, out, nout, h_conv_transpose);
  return h_conv_transpose(im, n, in, nin, out, nout);
}

static ajpq_status_t h_pool_any(imp_t *im, const Onnx__NodeProto *n, val_t **in, int nin,
                                val_t **out, int nout) {
  if (nin >= 1 && in[0] && in[0]->rank == 3)
    return run_as_2d(im, n, in, nin, out, nout, h_pool);
  return h_pool(im, n, in, nin, out, nout);
}

/* ---- registry ----------------------------------------------------------- */

static const struct {
  const char *name;
  handler_t fn;
} k_ops[] = {
    {"Add", h_binary},
    {"Sub", h_binary},
    {"Mul", h_binary},
    {"Div", h_binary},
    {"Max", h_variadic},
    {"Min", h_variadic},
    {"Sum", h_variadic},
    {"Mean", h_variadic},
    {"Equal", h_binary},
    {"Less", h_binary},
    {"Greater", h_binary},
    {"GreaterOrEqual", h_binary},
    {"LessOrEqual", h_binary},
    {"If", h_if},
    {"Relu", h_unary},
    {"LeakyRelu", h_unary},
    {"PRelu", h_unary},
    {"Clip", h_unary},
    {"Sigmoid", h_unary},
    {"HardSigmoid", h_unary},
    {"HardSwish", h_unary},
    {"Tanh", h_unary},
    {"Exp", h_unary},
    {"Log", h_unary},
    {"Neg", h_unary},
    {"Reciprocal", h_unary},
    {"Sqrt", h_unary},
    {"Abs", h_unary},
    {"Floor", h_unary},
    {"Ceil", h_unary},
    {"Elu", h_unary},
    {"Selu", h_unary},
    {"Celu", h_unary},
    {"Softplus", h_unary},
    {"Softsign", h_unary},
    {"Mish", h_unary},
    {"Pow", h_binary},
    {"Softmax", h_softmax},
    {"LogSoftmax", h_softmax},
    {"Conv", h_conv_any},
    {"ConvTranspose", h_conv_transpose_any},
    {"Gemm", h_gemm},
    {"MatMul", h_matmul},
    {"MaxPool", h_pool_any},
    {"AveragePool", h_pool_any},
    {"GlobalAveragePool", h_global_pool},
    {"GlobalMaxPool", h_global_pool},
    {"DepthToSpace", h_depth_space},
    {"SpaceToDepth", h_depth_space},
    {"InstanceNormalization", h_instance_norm},
    {"BatchNormalization", h_batchnorm},
    {"Reshape", h_reshape},
    {"Flatten", h_flatten},
    {"Transpose", h_transpose},
    {"Concat", h_concat},
    {"Split", h_split},
    {"Slice", h_slice},
    {"Pad", h_pad},
    {"ConstantOfShape", h_constant_of_shape},
    {"Constant", h_constant},
    {"Identity", h_identity},
    {"Dropout", h_identity},
    {"Squeeze", h_squeeze},
    {"Unsqueeze", h_unsqueeze},
    {"ReduceMean", h_reduce},
    {"ReduceSum", h_reduce},
    {"ReduceMax", h_reduce},
    {"ReduceMin", h_reduce},
    {"Resize", h_resize},
    {"Upsample", h_resize},
    {"Shape", h_shape},
    {"Size", h_size},
    {"Gather", h_gather},
    {"Cast", h_cast},
    {"Range", h_range},
    {"Where", h_where},
};

static handler_t find_handler(const char *op) {
  for (size_t i = 0; i < sizeof(k_ops) / sizeof(k_ops[0]); ++i)
    if (strcmp(k_ops[i].name, op) == 0)
      return k_ops[i].fn;
  return NULL;
}

int ajpq_onnx_op_supported(const char *op_type) {
  return find_handler(op_type) != NULL;
}

/* Name -> (producing node, number of readers), open addressing. */
typedef struct {
  const char *name;
  long prod;
  long readers;
} use_t;

static use_t *use_slot(use_t *t, size_t cap, const char *name) {
  uint64_t h = 1469598103934665603ull;
  for (const char *p = name; *p; ++p)
    h = (h ^ (unsigned char)*p) * 1099511628211ull;
  for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1))
    if (!t[i].name || strcmp(t[i].name, name) == 0) {
      if (!t[i].name) {
        t[i].name = name;
        t[i].prod = -1;
      }
      return &t[i];
    }
}

ajpq_status_t ajpq_onnx_prepare_nodes(imp_t *im, const Onnx__GraphProto *g) {
  im->uses = calloc(g->n_node + 1, sizeof(int));
  im->skip = calloc(g->n_node + 1, 1);
  if (!im->uses || !im->skip)
    return ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  /* Mark Conv -> BatchNormalization pairs where the conv output has exactly
   * one reader (the BN) and is not a graph output (linear time). */
  size_t names = g->n_output + 1;
  for (size_t j = 0; j < g->n_node; ++j)
    names += g->node[j]->n_input + g->node[j]->n_output;
  size_t cap = 16;
  while (cap < 2 * names)
    cap *= 2;
  use_t *t = calloc(cap, sizeof(*t));
  if (!t)
    return ERR(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  for (size_t j = 0; j < g->n_node; ++j) {
    const Onnx__NodeProto *m = g->node[j];
    for (size_t k = 0; k < m->n_output; ++k)
      use_slot(t, cap, m->output[k])->prod = (long)j;
    for (size_t k = 0; k < m->n_input; ++k)
      use_slot(t, cap, m->input[k])->readers++;
  }
  for (size_t k = 0; k < g->n_output; ++k)
    if (g->output[k]->name)
      use_slot(t, cap, g->output[k]->name)->readers++;
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *bn = g->node[i];
    if (!bn->op_type || strcmp(bn->op_type, "BatchNormalization") != 0 || bn->n_input < 5 ||
        bn->n_output < 1 || attr_int(bn, "training_mode", 0))
      continue;
    int extra_out = 0;
    for (size_t k = 1; k < bn->n_output; ++k)
      extra_out |= bn->output[k][0] != 0;
    if (extra_out)
      continue;
    const use_t *u = use_slot(t, cap, bn->input[0]);
    if (u->prod < 0 || (size_t)u->prod >= i || u->readers != 1)
      continue;
    const Onnx__NodeProto *c = g->node[u->prod];
    if (strcmp(c->op_type, "Conv") == 0 && c->n_output == 1 && !im->uses[u->prod])
      im->uses[u->prod] = (int)i + 1;
  }
  free(t);
  return NULL;
}

ajpq_status_t ajpq_onnx_convert_node(imp_t *im, const Onnx__NodeProto *n) {
  if (im->skip[im->node_index])
    return NULL;
  handler_t fn = find_handler(n->op_type);
  if (!fn)
    return EUNIMPL("unsupported operator");
  if (n->n_input > 256 || n->n_output > 64)
    return EUNIMPL("node with %zu inputs / %zu outputs", n->n_input, n->n_output);
  val_t *in[256], *out[64];
  for (size_t i = 0; i < n->n_input; ++i) {
    if (!n->input[i][0]) {
      in[i] = NULL;
      continue;
    }
    in[i] = imp_lookup(im, n->input[i]);
    if (!in[i])
      return EINVAL("input '%s' is not produced by any earlier node, initializer or graph input "
                    "(dangling name, or the graph is not topologically sorted)",
                    n->input[i]);
    if (in[i]->missing)
      return EUNIMPL("input '%s' is the %s output, which is not supported", n->input[i],
                     in[i]->missing);
    if (!in[i]->cst && in[i]->dtype == T_BOOL && strcmp(n->op_type, "Cast") != 0 &&
        !(i == 0 && strcmp(n->op_type, "If") == 0))
      return EUNIMPL("input '%s' is a run-time BOOL mask (a comparison): only Cast and the "
                     "condition of If consume one",
                     n->input[i]);
  }
  if (n->n_output < 1)
    return EINVAL("node without outputs");
  int nin = (int)n->n_input, nout = (int)n->n_output;
  /* Required first input. */
  if (strcmp(n->op_type, "Constant") != 0 && (nin < 1 || !in[0]))
    return EINVAL("missing first input");
  for (int i = 0; i < nout; ++i) {
    if (!n->output[i][0]) {
      out[i] = NULL;
      continue;
    }
    AJPQ_RETURN_IF_ERROR(imp_define(im, n->output[i], &out[i]));
  }
  if (!out[0])
    return EINVAL("first output has no name");
  AJPQ_RETURN_IF_ERROR(fn(im, n, in, nin, out, nout));
  for (int i = 0; i < nout; ++i) {
    if (!out[i] || out[i]->missing)
      continue;
    if (!out[i]->cst && mlirValueIsNull(out[i]->id) && mlirValueIsNull(out[i]->nhwc))
      return EUNIMPL("output %d ('%s') is not produced", i, out[i]->name);
    AJPQ_RETURN_IF_ERROR(check_shape(out[i]->rank, out[i]->dims, out[i]->name));
    if (!out[i]->cst && shape_numel(out[i]->rank, out[i]->dims) == 0)
      return EUNIMPL("output '%s' is an empty (zero-size) run-time tensor", out[i]->name);
  }
  return NULL;
}
