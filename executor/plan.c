/* plan.c — turns a func.func into an executor plan: every op resolved to a kernel step, constants
 * copied out of the IR, shapes inferred for the batch size, activation memory assigned once. */
#define _GNU_SOURCE
#include "exec_internal.h"

#include "ajpq_dialect.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Support.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ------------------------------------------------------------------------ */

static size_t dt_size(int dt) {
  switch (dt) {
  case T_F32: case T_I32: return 4;
  case T_I64: return 8;
  default: return 1;
  }
}

static void opname(MlirOperation op, char *buf, size_t n) {
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  size_t l = s.length < n - 1 ? s.length : n - 1;
  memcpy(buf, s.data, l);
  buf[l] = 0;
}

static void loc_cb(MlirStringRef s, void *ud) {
  char *b = ud;
  size_t l = strlen(b);
  size_t c = s.length < 255 - l ? s.length : 255 - l;
  memcpy(b + l, s.data, c);
  b[l + c] = 0;
}

/* A failure naming the op and its location. */
static ajpq_status_t op_err(ajpq_status_code_t code, MlirOperation op, const char *fmt, ...) {
  char name[64], loc[256] = "", msg[512];
  opname(op, name, sizeof name);
  mlirLocationPrint(mlirOperationGetLocation(op), loc_cb, loc);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ajpq_status_make(code, "'%s' at %s: %s", name, loc, msg);
}

static MlirAttribute attr(MlirOperation op, const char *name) {
  return mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(name));
}

/* Reads a dense i64/i32/i8 array attribute into out (max n); returns the count or -1. */
static int arr_i64(MlirOperation op, const char *name, int64_t *out, int n) {
  MlirAttribute a = attr(op, name);
  if (mlirAttributeIsNull(a))
    return -1;
  int c;
  if (mlirAttributeIsADenseI64Array(a)) {
    c = (int)mlirDenseArrayGetNumElements(a);
    for (int i = 0; i < c && i < n; ++i)
      out[i] = mlirDenseI64ArrayGetElement(a, i);
  } else if (mlirAttributeIsADenseI32Array(a)) {
    c = (int)mlirDenseArrayGetNumElements(a);
    for (int i = 0; i < c && i < n; ++i)
      out[i] = mlirDenseI32ArrayGetElement(a, i);
  } else {
    return -1;
  }
  return c > n ? -1 : c;
}

static bool int_attr(MlirOperation op, const char *name, int64_t *out) {
  MlirAttribute a = attr(op, name);
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAInteger(a))
    return false;
  *out = mlirIntegerAttrGetValueInt(a);
  return true;
}

static bool float_attr(MlirOperation op, const char *name, float *out) {
  MlirAttribute a = attr(op, name);
  if (mlirAttributeIsNull(a))
    return false;
  if (mlirAttributeIsAFloat(a))
    *out = (float)mlirFloatAttrGetValueDouble(a);
  else if (mlirAttributeIsAInteger(a))
    *out = (float)mlirIntegerAttrGetValueInt(a);
  else
    return false;
  return true;
}

/* ---- value table -------------------------------------------------------------------------- */

static int hfind(ajpq_executor_t *ex, const void *key) {
  if (!ex->hcap)
    return -1;
  size_t h = ((uintptr_t)key >> 3) * 2654435761u;
  for (int i = 0; i < ex->hcap; ++i) {
    int s = (int)((h + i) & (ex->hcap - 1));
    if (!ex->hkeys[s])
      return -1;
    if (ex->hkeys[s] == key)
      return ex->hvals[s];
  }
  return -1;
}

static bool hput(ajpq_executor_t *ex, const void *key, int v) {
  if ((ex->nvals + 1) * 2 >= ex->hcap) {
    int ncap = ex->hcap ? ex->hcap * 2 : 256;
    const void **ok = ex->hkeys;
    int *ov = ex->hvals, ocap = ex->hcap;
    ex->hkeys = calloc(ncap, sizeof *ex->hkeys);
    ex->hvals = calloc(ncap, sizeof *ex->hvals);
    if (!ex->hkeys || !ex->hvals)
      return false;
    ex->hcap = ncap;
    for (int i = 0; i < ocap; ++i)
      if (ok[i]) {
        size_t h = ((uintptr_t)ok[i] >> 3) * 2654435761u;
        for (int j = 0;; ++j) {
          int s = (int)((h + j) & (ncap - 1));
          if (!ex->hkeys[s]) {
            ex->hkeys[s] = ok[i];
            ex->hvals[s] = ov[i];
            break;
          }
        }
      }
    free(ok);
    free(ov);
  }
  size_t h = ((uintptr_t)key >> 3) * 2654435761u;
  for (int j = 0;; ++j) {
    int s = (int)((h + j) & (ex->hcap - 1));
    if (!ex->hkeys[s]) {
      ex->hkeys[s] = key;
      ex->hvals[s] = v;
      return true;
    }
  }
}

static int new_val(ajpq_executor_t *ex) {
  if (ex->nvals == ex->capvals) {
    int nc = ex->capvals ? ex->capvals * 2 : 64;
    val_t *nv = realloc(ex->vals, nc * sizeof *nv);
    if (!nv)
      return -1;
    ex->vals = nv;
    ex->capvals = nc;
  }
  val_t *v = &ex->vals[ex->nvals];
  memset(v, 0, sizeof *v);
  v->alias = -1;
  v->bax = -1;
  v->first = v->last = -2;
  return ex->nvals++;
}

static ajpq_status_t type_info(MlirType t, MlirOperation where, val_t *v) {
  if (!mlirTypeIsARankedTensor(t))
    return op_err(AJPQ_UNIMPLEMENTED, where, "value is not a ranked tensor");
  int r = (int)mlirShapedTypeGetRank(t);
  if (r > MAXR)
    return op_err(AJPQ_UNIMPLEMENTED, where, "rank %d above %d", r, MAXR);
  v->rank = r;
  v->numel = 1;
  for (int i = 0; i < r; ++i) {
    int64_t d = mlirShapedTypeGetDimSize(t, i);
    if (mlirShapedTypeIsDynamicSize(d) || d < 0)
      return op_err(AJPQ_INVALID_ARGUMENT, where, "dynamic dimension %d (fix shapes at import)",
                    i);
    v->ir[i] = v->dims[i] = d;
    v->numel *= d;
  }
  MlirType e = mlirShapedTypeGetElementType(t);
  if (mlirTypeIsAF32(e))
    v->dt = T_F32;
  else if (mlirTypeIsAInteger(e) && mlirIntegerTypeGetWidth(e) == 8)
    v->dt = T_I8;
  else if (mlirTypeIsAInteger(e) && mlirIntegerTypeGetWidth(e) == 32)
    v->dt = T_I32;
  else if (mlirTypeIsAInteger(e) && mlirIntegerTypeGetWidth(e) == 64)
    v->dt = T_I64;
  else if (mlirTypeIsAInteger(e) && mlirIntegerTypeGetWidth(e) == 1)
    v->dt = T_BOOL;
  else if (mlirTypeIsAIndex(e))
    v->dt = T_I64;
  else
    return op_err(AJPQ_UNIMPLEMENTED, where, "element type not supported (f32, i8, i32, i64, i1)");
  if (v->numel > ((int64_t)1 << 32))
    return op_err(AJPQ_RESOURCE_EXHAUSTED, where, "tensor of %lld elements too large",
                  (long long)v->numel);
  return NULL;
}

/* Index of an SSA value defined earlier; NOT_FOUND style error otherwise. */
static ajpq_status_t use_val(ajpq_executor_t *ex, MlirOperation op, int operand, int *out) {
  if (operand >= mlirOperationGetNumOperands(op))
    return op_err(AJPQ_INVALID_ARGUMENT, op, "missing operand #%d", operand);
  MlirValue v = mlirOperationGetOperand(op, operand);
  int i = hfind(ex, v.ptr);
  if (i < 0)
    return op_err(AJPQ_INTERNAL, op, "operand #%d is not defined by a planned op", operand);
  *out = i;
  return NULL;
}

static ajpq_status_t def_val(ajpq_executor_t *ex, MlirValue mv, MlirOperation where, int *out) {
  int i = new_val(ex);
  if (i < 0 || !hput(ex, mv.ptr, i))
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory while planning");
  ex->vals[i].v = mv;
  ajpq_status_t st = type_info(mlirValueGetType(mv), where, &ex->vals[i]);
  if (st)
    return st;
  *out = i;
  return NULL;
}

/* Copies a dense / dense_resource elements attribute into a new buffer of value type dt. */
static ajpq_status_t read_elements(MlirOperation op, MlirAttribute a, int dt, int64_t n,
                                   void **out) {
  void *d = calloc(n ? n : 1, dt_size(dt));
  if (!d)
    return op_err(AJPQ_RESOURCE_EXHAUSTED, op, "out of memory for a constant");
  MlirType e = mlirShapedTypeGetElementType(mlirAttributeGetType(a));
  if (mlirElementsAttrGetNumElements(a) != n) {
    free(d);
    return op_err(AJPQ_INVALID_ARGUMENT, op, "constant has %lld elements, type wants %lld",
                  (long long)mlirElementsAttrGetNumElements(a), (long long)n);
  }
  bool res = mlirAttributeIsADenseResourceElements(a);
  if (!res && !mlirAttributeIsADenseElements(a)) {
    free(d);
    return op_err(AJPQ_UNIMPLEMENTED, op, "constant is neither dense nor dense_resource");
  }
  bool isidx = mlirTypeIsAIndex(e);
  for (int64_t i = 0; i < n; ++i) {
    switch (dt) {
    case T_F32:
      ((float *)d)[i] = res ? mlirDenseFloatResourceElementsAttrGetValue(a, i)
                            : mlirDenseElementsAttrGetFloatValue(a, i);
      break;
    case T_I8:
      ((int8_t *)d)[i] = res ? mlirDenseInt8ResourceElementsAttrGetValue(a, i)
                             : mlirDenseElementsAttrGetInt8Value(a, i);
      break;
    case T_I32:
      ((int32_t *)d)[i] = res ? mlirDenseInt32ResourceElementsAttrGetValue(a, i)
                              : mlirDenseElementsAttrGetInt32Value(a, i);
      break;
    case T_I64:
      ((int64_t *)d)[i] = isidx ? (int64_t)mlirDenseElementsAttrGetIndexValue(a, i)
                          : res ? mlirDenseInt64ResourceElementsAttrGetValue(a, i)
                                : mlirDenseElementsAttrGetInt64Value(a, i);
      break;
    case T_BOOL:
      ((uint8_t *)d)[i] = res ? mlirDenseBoolResourceElementsAttrGetValue(a, i)
                              : mlirDenseElementsAttrGetBoolValue(a, i);
      break;
    }
  }
  if (dt == T_F32)
    for (int64_t i = 0; i < n; ++i)
      if (!isfinite(((float *)d)[i])) {
        free(d);
        return op_err(AJPQ_INVALID_ARGUMENT, op, "non-finite constant element %lld",
                      (long long)i);
      }
  *out = d;
  return NULL;
}

static step_t *new_step(ajpq_executor_t *ex, int kind, MlirOperation op) {
  if (ex->nsteps == ex->capsteps) {
    int nc = ex->capsteps ? ex->capsteps * 2 : 64;
    step_t *ns = realloc(ex->steps, nc * sizeof *ns);
    if (!ns)
      return NULL;
    ex->steps = ns;
    ex->capsteps = nc;
  }
  step_t *s = &ex->steps[ex->nsteps++];
  memset(s, 0, sizeof *s);
  s->kind = kind;
  s->op = op;
  s->layer = -1;
  s->out = -1;
  return s;
}

/* Shape-operand contents (tosa.const_shape or constant i64/index tensor). */
static ajpq_status_t shape_operand(ajpq_executor_t *ex, MlirOperation op, int operand,
                                   int64_t *out, int max, int *count) {
  int vi;
  AJPQ_RETURN_IF_ERROR(use_val(ex, op, operand, &vi));
  val_t *v = &ex->vals[vi];
  if (!v->cdata || v->dt != T_I64 || v->numel > max)
    return op_err(AJPQ_UNIMPLEMENTED, op, "operand #%d must be a constant shape (const_shape)",
                  operand);
  memcpy(out, v->cdata, v->numel * sizeof(int64_t));
  *count = (int)v->numel;
  return NULL;
}

static ajpq_status_t const_f32(ajpq_executor_t *ex, MlirOperation op, int operand, float **out,
                               int64_t *n) {
  int vi;
  AJPQ_RETURN_IF_ERROR(use_val(ex, op, operand, &vi));
  val_t *v = &ex->vals[vi];
  if (!v->cdata || v->dt != T_F32)
    return op_err(AJPQ_UNIMPLEMENTED, op, "operand #%d must be a constant f32 tensor", operand);
  *out = v->cdata;
  *n = v->numel;
  return NULL;
}

static ajpq_status_t check_zero_zp(ajpq_executor_t *ex, MlirOperation op, int operand) {
  if (operand >= mlirOperationGetNumOperands(op))
    return NULL;
  int vi;
  AJPQ_RETURN_IF_ERROR(use_val(ex, op, operand, &vi));
  val_t *v = &ex->vals[vi];
  if (!v->cdata)
    return op_err(AJPQ_UNIMPLEMENTED, op, "zero point operand #%d is not constant", operand);
  for (int64_t i = 0; i < v->numel; ++i) {
    double x = v->dt == T_F32 ? ((float *)v->cdata)[i]
               : v->dt == T_I8 ? ((int8_t *)v->cdata)[i]
               : v->dt == T_I32 ? ((int32_t *)v->cdata)[i] : 0;
    if (x != 0)
      return op_err(AJPQ_UNIMPLEMENTED, op, "non-zero zero point (quantized TOSA) not supported");
  }
  return NULL;
}

static ajpq_status_t add_layer(ajpq_executor_t *ex, step_t *s, int kind) {
  ajpq_executor_layer_t *nl = realloc(ex->layers, (ex->nlayers + 1) * sizeof *nl);
  int *ns = nl ? realloc(ex->layer_step, (ex->nlayers + 1) * sizeof *ns) : NULL;
  if (nl)
    ex->layers = nl;
  if (!nl || !ns)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory while planning");
  ex->layer_step = ns;
  ajpq_executor_layer_t *L = &ex->layers[ex->nlayers];
  memset(L, 0, sizeof *L);
  L->op = s->op;
  L->kind = kind;
  ex->layer_step[ex->nlayers] = (int)(s - ex->steps);
  s->layer = ex->nlayers++;
  return NULL;
}

/* ---- op parsing -------------------------------------------------------------------------- */

static ajpq_status_t parse_conv_attrs(MlirOperation op, step_t *s) {
  int64_t pad[4], st[2], dil[2];
  if (arr_i64(op, "pad", pad, 4) != 4 || arr_i64(op, "stride", st, 2) != 2)
    return op_err(AJPQ_INVALID_ARGUMENT, op, "needs pad (4) and stride (2) arrays");
  if (arr_i64(op, "dilation", dil, 2) != 2)
    dil[0] = dil[1] = 1;
  if (st[0] < 1 || st[1] < 1 || dil[0] < 1 || dil[1] < 1 || pad[0] < 0 || pad[1] < 0 ||
      pad[2] < 0 || pad[3] < 0)
    return op_err(AJPQ_INVALID_ARGUMENT, op, "stride/dilation must be >= 1 and pad >= 0");
  s->g.pt = pad[0], s->g.pb = pad[1], s->g.pl = pad[2], s->g.pr = pad[3];
  s->g.sh = st[0], s->g.sw = st[1], s->g.dh = dil[0], s->g.dw = dil[1];
  return NULL;
}

static ajpq_status_t parse_tosa_conv(ajpq_executor_t *ex, MlirOperation op, step_t *s, bool dw) {
  AJPQ_RETURN_IF_ERROR(use_val(ex, op, 0, &s->in[0]));
  s->nin = 1;
  AJPQ_RETURN_IF_ERROR(parse_conv_attrs(op, s));
  AJPQ_RETURN_IF_ERROR(check_zero_zp(ex, op, 3));
  AJPQ_RETURN_IF_ERROR(check_zero_zp(ex, op, 4));
  int wi;
  AJPQ_RETURN_IF_ERROR(use_val(ex, op, 1, &wi));
  val_t *w = &ex->vals[wi], *x = &ex->vals[s->in[0]];
  if (!w->cdata || w->dt != T_F32 || w->rank != 4 || x->rank != 4 || x->dt != T_F32)
    return op_err(AJPQ_UNIMPLEMENTED, op, "needs an f32 NHWC input and a constant rank-4 f32 weight");
  int64_t O, K;
  if (!dw) {
    O = w->ir[0], s->g.kh = w->ir[1], s->g.kw = w->ir[2];
    if (w->ir[3] != x->ir[3])
      return op_err(AJPQ_INVALID_ARGUMENT, op, "weight input channels %lld != input channels %lld",
                    (long long)w->ir[3], (long long)x->ir[3]);
    K = s->g.kh * s->g.kw * w->ir[3];
    s->groups = 1;
  } else {
    s->g.kh = w->ir[0], s->g.kw = w->ir[1];
    if (w->ir[2] != x->ir[3])
      return op_err(AJPQ_INVALID_ARGUMENT, op, "weight channels %lld != input channels %lld",
                    (long long)w->ir[2], (long long)x->ir[3]);
    s->mult = w->ir[3];
    O = w->ir[2] * w->ir[3];
    K = s->g.kh * s->g.kw;
    s->groups = w->ir[2];
  }
  s->g.oc = O;
  s->n = O;
  s->k = K;
  s->w_orig = malloc(O * K * sizeof(float));
  s->w = malloc(O * K * sizeof(float));
  if (!s->w || !s->w_orig)
    return op_err(AJPQ_RESOURCE_EXHAUSTED, op, "out of memory for weights");
  const float *src = w->cdata;
  if (!dw) {
    memcpy(s->w_orig, src, O * K * sizeof(float));
    memcpy(s->w, src, O * K * sizeof(float));
  } else {
    /* HWCM [kk][O] is the kernel layout; canonical is its transpose [O][kk]. */
    memcpy(s->w, src, O * K * sizeof(float));
    for (int64_t kk = 0; kk < K; ++kk)
      for (int64_t o = 0; o < O; ++o)
        s->w_orig[o * K + kk] = src[kk * O + o];
  }
  float *b;
  int64_t nb;
  AJPQ_RETURN_IF_ERROR(const_f32(ex, op, 2, &b, &nb));
  if (nb != O && nb != 1)
    return op_err(AJPQ_INVALID_ARGUMENT, op, "bias has %lld elements, want %lld", (long long)nb,
                  (long long)O);
  s->bias = malloc(O * sizeof(float));
  if (!s->bias)
    return op_err(AJPQ_RESOURCE_EXHAUSTED, op, "out of memory");
  for (int64_t o = 0; o < O; ++o)
    s->bias[o] = b[nb == 1 ? 0 : o];
  AJPQ_RETURN_IF_ERROR(add_layer(ex, s, dw ? AJPQ_LAYER_DEPTHWISE_CONV2D : AJPQ_LAYER_CONV2D));
  ajpq_executor_layer_t *L = &ex->layers[s->layer];
  L->out_channels = O;
  L->k = K;
  L->kh = s->g.kh, L->kw = s->g.kw, L->cin = dw ? 1 : w->ir[3];
  L->groups = s->groups;
  L->stride[0] = s->g.sh, L->stride[1] = s->g.sw;
  L->pad[0] = s->g.pt, L->pad[1] = s->g.pb, L->pad[2] = s->g.pl, L->pad[3] = s->g.pr;
  L->dilation[0] = s->g.dh, L->dilation[1] = s->g.dw;
  L->weight_rank = 4;
  memcpy(L->weight_shape, w->ir, 4 * sizeof(int64_t));
  L->has_bias = true;
  return NULL;
}

static ajpq_status_t parse_ajpq_compute(ajpq_executor_t *ex, MlirOperation op, step_t *s,
                                        bool conv) {
  AJPQ_RETURN_IF_ERROR(use_val(ex, op, 0, &s->in[0]));
  s->nin = 1;
  ajpq_compute_attrs_t a;
  if (!ajpq_compute_read(op, &a))
    return op_err(AJPQ_INVALID_ARGUMENT, op, "malformed attributes (see the diagnostic)");
  ajpq_status_t st = NULL;
  int64_t K = ajpq_compute_k(&a), N = a.n_kept;
  val_t *x = &ex->vals[s->in[0]];
  s->q = malloc(N * K + 1);
  s->scale = malloc(N * sizeof(float));
  s->zp = malloc(N * sizeof(float));
  s->bias = calloc(N, sizeof(float));
  s->w = malloc(N * K * sizeof(float) + 4);
  if (!s->q || !s->scale || !s->zp || !s->bias || !s->w) {
    st = op_err(AJPQ_RESOURCE_EXHAUSTED, op, "out of memory");
    goto done;
  }
  if ((st = ajpq_unpack_rows(a.weights, a.weights_size, K, a.bits, N, s->q))) {
    st = ajpq_status_annotate(st, "'%s'", conv ? "ajpq.conv2d" : "ajpq.matmul");
    goto done;
  }
  memcpy(s->scale, a.scale, N * sizeof(float));
  memcpy(s->zp, a.zero_point, N * sizeof(float));
  if (a.bias)
    memcpy(s->bias, a.bias, N * sizeof(float));
  for (int64_t j = 0; j < N; ++j)
    ajpq_dequant_channel(s->q + j * K, K, s->scale[j], s->zp[j], s->w + j * K);
  s->k = K;
  s->n = N;
  if (x->dt == T_I8) {
    if (!a.has_input_qparams) {
      st = op_err(AJPQ_INVALID_ARGUMENT, op, "i8 input needs input_scale/input_zero_point");
      goto done;
    }
    s->sx = a.input_scale;
    s->zx = a.input_zero_point;
  } else if (x->dt != T_F32) {
    st = op_err(AJPQ_UNIMPLEMENTED, op, "input must be f32 or i8");
    goto done;
  }
  if (conv) {
    s->g.kh = a.kernel[0], s->g.kw = a.kernel[1];
    s->g.sh = a.stride[0], s->g.sw = a.stride[1];
    s->g.pt = a.pad[0], s->g.pb = a.pad[1], s->g.pl = a.pad[2], s->g.pr = a.pad[3];
    s->g.dh = a.dilation[0], s->g.dw = a.dilation[1];
    s->groups = a.groups;
    s->g.oc = N;
    if (x->rank != 4 || a.groups < 1 || x->ir[3] != a.groups * a.kernel[2] || N % a.groups) {
      st = op_err(AJPQ_INVALID_ARGUMENT, op, "input channels / groups / kernel mismatch");
      goto done;
    }
    s->kind = x->dt == T_I8 ? K_QCONV : (a.groups == 1 ? K_CONV : K_DWCONV);
    if (s->kind == K_DWCONV && a.kernel[2] != 1)
      s->kind = K_QCONV; /* generic grouped path (handles f32 too) */
    s->mult = N / a.groups;
    if (s->kind == K_DWCONV) { /* kernel layout [kk][O] */
      float *t = malloc(N * K * sizeof(float) + 4);
      if (!t) {
        st = op_err(AJPQ_RESOURCE_EXHAUSTED, op, "out of memory");
        goto done;
      }
      for (int64_t o = 0; o < N; ++o)
        for (int64_t kk = 0; kk < K; ++kk)
          t[kk * N + o] = s->w[o * K + kk];
      free(s->w);
      s->w = t;
    }
  } else {
    if (x->ir[x->rank - 1] != K) {
      st = op_err(AJPQ_INVALID_ARGUMENT, op, "input's last dim %lld != K %lld",
                  (long long)x->ir[x->rank - 1], (long long)K);
      goto done;
    }
    s->kind = x->dt == T_I8 ? K_QFC : K_FC;
    s->groups = 1;
  }
done:
  ajpq_compute_attrs_release(&a);
  return st;
}

static bool is(const char *n, const char *want) { return !strcmp(n, want); }

/* Parses one op of the function body into steps (or constants). */
static ajpq_status_t parse_op(ajpq_executor_t *ex, MlirOperation op) {
  char n[64];
  opname(op, n, sizeof n);
  int nres = (int)mlirOperationGetNumResults(op);
  if (is(n, "func.return"))
    return NULL;
  if (is(n, "tosa.const_shape")) {
    MlirAttribute a = attr(op, "values");
    if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseElements(a))
      return op_err(AJPQ_INVALID_ARGUMENT, op, "needs a dense 'values' attribute");
    int i = new_val(ex);
    MlirValue r = mlirOperationGetResult(op, 0);
    if (i < 0 || !hput(ex, r.ptr, i))
      return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    val_t *v = &ex->vals[i];
    v->v = r;
    v->dt = T_I64;
    v->rank = 1;
    v->numel = mlirElementsAttrGetNumElements(a);
    v->ir[0] = v->dims[0] = v->numel;
    return read_elements(op, a, T_I64, v->numel, &v->cdata);
  }
  if (is(n, "tosa.const") || is(n, "arith.constant")) {
    MlirAttribute a = attr(op, is(n, "tosa.const") ? "values" : "value");
    if (mlirAttributeIsNull(a))
      a = attr(op, "value");
    int i;
    AJPQ_RETURN_IF_ERROR(def_val(ex, mlirOperationGetResult(op, 0), op, &i));
    if (mlirAttributeIsNull(a))
      return op_err(AJPQ_INVALID_ARGUMENT, op, "constant without a value");
    return read_elements(op, a, ex->vals[i].dt, ex->vals[i].numel, &ex->vals[i].cdata);
  }
  if (nres != 1)
    return op_err(AJPQ_UNIMPLEMENTED, op, "op not supported by the executor (%d results)", nres);

  step_t *s = new_step(ex, -1, op);
  if (!s)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  ajpq_status_t st = NULL;
  static const struct { const char *name; int kind, sub, nin; } simple[] = {
      {"tosa.add", K_BIN, B_ADD, 2}, {"tosa.sub", K_BIN, B_SUB, 2},
      {"tosa.mul", K_BIN, B_MUL, 2}, {"tosa.maximum", K_BIN, B_MAX, 2},
      {"tosa.minimum", K_BIN, B_MIN, 2}, {"tosa.pow", K_BIN, B_POW, 2},
      {"tosa.greater_equal", K_BIN, B_GE, 2}, {"tosa.greater", K_BIN, B_GT, 2},
      {"tosa.equal", K_BIN, B_EQ, 2}, {"arith.addf", K_BIN, B_ADD, 2},
      {"arith.subf", K_BIN, B_SUB, 2}, {"arith.mulf", K_BIN, B_MUL, 2},
      {"arith.divf", K_BIN, B_DIV, 2}, {"arith.maximumf", K_BIN, B_MAX, 2},
      {"arith.minimumf", K_BIN, B_MIN, 2},
      {"tosa.exp", K_UN, U_EXP, 1}, {"tosa.log", K_UN, U_LOG, 1},
      {"tosa.sigmoid", K_UN, U_SIGMOID, 1}, {"tosa.tanh", K_UN, U_TANH, 1},
      {"tosa.reciprocal", K_UN, U_RECIP, 1}, {"tosa.abs", K_UN, U_ABS, 1},
      {"tosa.negate", K_UN, U_NEG, 1}, {"tosa.rsqrt", K_UN, U_RSQRT, 1},
      {"tosa.floor", K_UN, U_FLOOR, 1}, {"tosa.ceil", K_UN, U_CEIL, 1},
      {"tosa.erf", K_UN, U_ERF, 1}, {"tosa.sin", K_UN, U_SIN, 1}, {"tosa.cos", K_UN, U_COS, 1},
      {"tosa.select", K_SELECT, 0, 3},
      {"tosa.reduce_sum", K_REDUCE, R_SUM, 1}, {"tosa.reduce_max", K_REDUCE, R_MAX, 1},
      {"tosa.reduce_min", K_REDUCE, R_MIN, 1}, {"tosa.reduce_product", K_REDUCE, R_PROD, 1},
      {"tosa.identity", K_COPY, 0, 1}, {"tensor.cast", K_COPY, 0, 1},
      {"tosa.cast", K_CAST, 0, 1}, {"tosa.reshape", K_RESHAPE, 0, 1},
      {"tensor.collapse_shape", K_RESHAPE, 0, 1}, {"tensor.expand_shape", K_RESHAPE, 0, 1},
  };
  bool found = false;
  for (size_t i = 0; i < sizeof simple / sizeof simple[0]; ++i)
    if (is(n, simple[i].name)) {
      s->kind = simple[i].kind;
      s->sub = simple[i].sub;
      s->nin = simple[i].nin;
      found = true;
      break;
    }
  if (found) {
    for (int i = 0; i < s->nin && !st; ++i)
      st = use_val(ex, op, i, &s->in[i]);
    if (!st && s->kind == K_BIN && is(n, "tosa.mul") && mlirOperationGetNumOperands(op) > 2) {
      int si;
      st = use_val(ex, op, 2, &si);
      if (!st && (!ex->vals[si].cdata || ((int8_t *)ex->vals[si].cdata)[0] != 0))
        st = op_err(AJPQ_UNIMPLEMENTED, op, "shift must be a constant 0");
    }
    if (!st && s->kind == K_UN && is(n, "tosa.negate")) {
      st = check_zero_zp(ex, op, 1);
      if (!st)
        st = check_zero_zp(ex, op, 2);
    }
    if (!st && s->kind == K_REDUCE) {
      int64_t ax = 0;
      if (!int_attr(op, "axis", &ax))
        st = op_err(AJPQ_INVALID_ARGUMENT, op, "needs an integer 'axis'");
      s->a[0] = ax;
    }
  } else if (is(n, "tosa.clamp")) {
    s->kind = K_CLAMP;
    s->nin = 1;
    st = use_val(ex, op, 0, &s->in[0]);
    if (!st && (!float_attr(op, "min_val", &s->f[0]) || !float_attr(op, "max_val", &s->f[1])))
      st = op_err(AJPQ_INVALID_ARGUMENT, op, "needs min_val and max_val");
  } else if (is(n, "tosa.conv2d") || is(n, "tosa.depthwise_conv2d")) {
    bool dw = is(n, "tosa.depthwise_conv2d");
    s->kind = dw ? K_DWCONV : K_CONV;
    st = parse_tosa_conv(ex, op, s, dw);
  } else if (is(n, "tosa.transpose_conv2d")) {
    s->kind = K_TCONV;
    s->nin = 1;
    int64_t op4[4], st2[2];
    st = use_val(ex, op, 0, &s->in[0]);
    if (!st && (arr_i64(op, "out_pad", op4, 4) != 4 || arr_i64(op, "stride", st2, 2) != 2))
      st = op_err(AJPQ_INVALID_ARGUMENT, op, "needs out_pad (4) and stride (2)");
    if (!st) {
      s->g.pt = op4[0], s->g.pb = op4[1], s->g.pl = op4[2], s->g.pr = op4[3];
      s->g.sh = st2[0], s->g.sw = st2[1], s->g.dh = s->g.dw = 1;
      int wi;
      float *b;
      int64_t nb;
      st = use_val(ex, op, 1, &wi);
      if (!st && (!ex->vals[wi].cdata || ex->vals[wi].dt != T_F32 || ex->vals[wi].rank != 4))
        st = op_err(AJPQ_UNIMPLEMENTED, op, "weight must be a constant f32 [OC,KH,KW,IC]");
      if (!st)
        st = const_f32(ex, op, 2, &b, &nb);
      if (!st) {
        val_t *w = &ex->vals[wi];
        s->g.oc = w->ir[0], s->g.kh = w->ir[1], s->g.kw = w->ir[2];
        s->w = w->cdata; /* borrowed from the constant (owned by the plan) */
        s->bias = malloc(s->g.oc * sizeof(float));
        if (!s->bias)
          st = op_err(AJPQ_RESOURCE_EXHAUSTED, op, "out of memory");
        for (int64_t o = 0; !st && o < s->g.oc; ++o)
          s->bias[o] = b[nb == 1 ? 0 : o];
        s->a[0] = 1; /* w borrowed */
      }
    }
  } else if (is(n, "tosa.matmul")) {
    s->kind = K_BMM;
    st = use_val(ex, op, 0, &s->in[0]);
    int bi = -1;
    if (!st)
      st = use_val(ex, op, 1, &bi);
    if (!st)
      st = check_zero_zp(ex, op, 2);
    if (!st)
      st = check_zero_zp(ex, op, 3);
    if (!st) {
      val_t *A = &ex->vals[s->in[0]], *B = &ex->vals[bi];
      if (A->rank != 3 || B->rank != 3 || A->dt != T_F32 || B->dt != T_F32 ||
          A->ir[2] != B->ir[1])
        st = op_err(AJPQ_INVALID_ARGUMENT, op, "needs f32 A [B,M,K] and B [B,K,N]");
      else if (B->cdata && B->ir[0] == 1) {
        /* Gemm/MatMul with constant weights: a compressible fully-connected layer. */
        int64_t K = B->ir[1], N = B->ir[2];
        s->kind = K_FC;
        s->nin = 1;
        s->k = K;
        s->n = N;
        s->w = malloc(K * N * sizeof(float));
        s->w_orig = malloc(K * N * sizeof(float));
        if (!s->w || !s->w_orig)
          st = op_err(AJPQ_RESOURCE_EXHAUSTED, op, "out of memory");
        for (int64_t k = 0; !st && k < K; ++k)
          for (int64_t j = 0; j < N; ++j)
            s->w[j * K + k] = s->w_orig[j * K + k] = ((float *)B->cdata)[k * N + j];
        if (!st)
          st = add_layer(ex, s, AJPQ_LAYER_MATMUL);
        if (!st) {
          ajpq_executor_layer_t *L = &ex->layers[s->layer];
          L->out_channels = N, L->k = K, L->kh = L->kw = 1, L->cin = K, L->groups = 1;
          L->stride[0] = L->stride[1] = L->dilation[0] = L->dilation[1] = 1;
          L->weight_rank = 3;
          memcpy(L->weight_shape, B->ir, 3 * sizeof(int64_t));
        }
      } else {
        s->in[1] = bi;
        s->nin = 2;
      }
    }
  } else if (is(n, "tosa.max_pool2d") || is(n, "tosa.avg_pool2d")) {
    s->kind = is(n, "tosa.max_pool2d") ? K_MAXPOOL : K_AVGPOOL;
    s->nin = 1;
    int64_t k[2], stv[2], pad[4];
    st = use_val(ex, op, 0, &s->in[0]);
    if (!st && (arr_i64(op, "kernel", k, 2) != 2 || arr_i64(op, "stride", stv, 2) != 2 ||
                arr_i64(op, "pad", pad, 4) != 4))
      st = op_err(AJPQ_INVALID_ARGUMENT, op, "needs kernel (2), stride (2), pad (4)");
    if (!st && (k[0] < 1 || k[1] < 1 || stv[0] < 1 || stv[1] < 1))
      st = op_err(AJPQ_INVALID_ARGUMENT, op, "kernel and stride must be >= 1");
    if (!st && s->kind == K_AVGPOOL) {
      st = check_zero_zp(ex, op, 1);
      if (!st)
        st = check_zero_zp(ex, op, 2);
    }
    if (!st) {
      s->g.kh = k[0], s->g.kw = k[1], s->g.sh = stv[0], s->g.sw = stv[1], s->g.dh = s->g.dw = 1;
      s->g.pt = pad[0], s->g.pb = pad[1], s->g.pl = pad[2], s->g.pr = pad[3];
    }
  } else if (is(n, "tosa.transpose")) {
    s->kind = K_TRANSPOSE;
    s->nin = 1;
    st = use_val(ex, op, 0, &s->in[0]);
    if (!st && arr_i64(op, "perms", s->a, MAXR) != ex->vals[s->in[0]].rank)
      st = op_err(AJPQ_INVALID_ARGUMENT, op, "needs 'perms' of the input's rank");
  } else if (is(n, "tosa.concat")) {
    s->kind = K_CONCAT;
    s->nin = (int)mlirOperationGetNumOperands(op);
    if (s->nin > MAXIN || s->nin < 1)
      st = op_err(AJPQ_UNIMPLEMENTED, op, "%d operands (at most %d)", s->nin, MAXIN);
    for (int i = 0; !st && i < s->nin; ++i)
      st = use_val(ex, op, i, &s->in[i]);
    if (!st && !int_attr(op, "axis", &s->a[0]))
      st = op_err(AJPQ_INVALID_ARGUMENT, op, "needs 'axis'");
  } else if (is(n, "tosa.slice")) {
    s->kind = K_SLICE;
    s->nin = 1;
    int c1 = 0, c2 = 0;
    st = use_val(ex, op, 0, &s->in[0]);
    if (!st)
      st = shape_operand(ex, op, 1, s->a, MAXR, &c1); /* start */
    if (!st)
      st = shape_operand(ex, op, 2, s->a + MAXR, MAXR, &c2); /* size */
    if (!st && (c1 != ex->vals[s->in[0]].rank || c2 != c1))
      st = op_err(AJPQ_INVALID_ARGUMENT, op, "start/size rank mismatch");
  } else if (is(n, "tosa.pad")) {
    s->kind = K_PAD;
    s->nin = 1;
    int c = 0;
    st = use_val(ex, op, 0, &s->in[0]);
    if (!st)
      st = shape_operand(ex, op, 1, s->a, 2 * MAXR, &c);
    if (!st && c != 2 * ex->vals[s->in[0]].rank)
      st = op_err(AJPQ_INVALID_ARGUMENT, op, "padding must have 2*rank entries");
    if (!st && mlirOperationGetNumOperands(op) > 2) {
      int pi;
      st = use_val(ex, op, 2, &pi);
      if (!st && (!ex->vals[pi].cdata || ex->vals[pi].dt != T_F32))
        st = op_err(AJPQ_UNIMPLEMENTED, op, "pad_const must be a constant f32");
      if (!st)
        s->f[0] = ((float *)ex->vals[pi].cdata)[0];
    }
  } else if (is(n, "tosa.tile")) {
    s->kind = K_TILE;
    s->nin = 1;
    int c = 0;
    st = use_val(ex, op, 0, &s->in[0]);
    if (!st)
      st = shape_operand(ex, op, 1, s->a, MAXR, &c);
  } else if (is(n, "tosa.resize")) {
    s->kind = K_RESIZE;
    s->nin = 1;
    int c1 = 0, c2 = 0, c3 = 0;
    st = use_val(ex, op, 0, &s->in[0]);
    if (!st)
      st = shape_operand(ex, op, 1, s->a, 4, &c1);
    if (!st)
      st = shape_operand(ex, op, 2, s->a + 4, 2, &c2);
    if (!st)
      st = shape_operand(ex, op, 3, s->a + 6, 2, &c3);
    if (!st && (c1 != 4 || c2 != 2 || c3 != 2))
      st = op_err(AJPQ_INVALID_ARGUMENT, op, "scale/offset/border must have 4/2/2 entries");
    if (!st && (s->a[0] <= 0 || s->a[1] <= 0 || s->a[2] <= 0 || s->a[3] <= 0))
      st = op_err(AJPQ_INVALID_ARGUMENT, op, "scale entries must be > 0");
    MlirAttribute m = attr(op, "mode");
    if (!st) {
      char buf[64] = "";
      if (!mlirAttributeIsNull(m)) {
        /* mode is an enum attribute (#tosa<resize_mode BILINEAR>) or a string. */
        mlirAttributePrint(m, loc_cb, buf);
      }
      if (strstr(buf, "BILINEAR"))
        s->sub = 1;
      else if (strstr(buf, "NEAREST"))
        s->sub = 0;
      else
        st = op_err(AJPQ_UNIMPLEMENTED, op, "resize mode '%s'", buf);
    }
  } else if (is(n, "ajpq.conv2d") || is(n, "ajpq.matmul")) {
    st = parse_ajpq_compute(ex, op, s, is(n, "ajpq.conv2d"));
  } else if (is(n, "ajpq.quantize") || is(n, "ajpq.dequantize")) {
    s->kind = is(n, "ajpq.quantize") ? K_QUANT : K_DEQUANT;
    s->nin = 1;
    ajpq_act_qparams_t p;
    st = use_val(ex, op, 0, &s->in[0]);
    if (!st && !ajpq_act_read(op, &p))
      st = op_err(AJPQ_INVALID_ARGUMENT, op, "malformed scale/zero_point/bits");
    if (!st) {
      s->sx = p.scale, s->zx = p.zero_point, s->a[0] = p.bits;
    }
  } else if (is(n, "ajpq.gather") || is(n, "ajpq.scatter")) {
    s->kind = is(n, "ajpq.gather") ? K_GATHER : K_SCATTER;
    s->nin = 1;
    ajpq_channel_map_t m;
    st = use_val(ex, op, 0, &s->in[0]);
    if (!st && !ajpq_channel_map_read(op, &m))
      st = op_err(AJPQ_INVALID_ARGUMENT, op, "malformed axis/indices/size/fill");
    if (!st) {
      s->a[0] = m.axis, s->a[1] = m.n_indices, s->a[2] = m.size;
      s->idx = malloc((m.n_indices + 1) * sizeof(int32_t));
      if (m.n_indices)
        memcpy(s->idx, m.indices, m.n_indices * sizeof(int32_t));
      if (s->kind == K_SCATTER) {
        s->fill = calloc(m.size + 1, sizeof(float));
        if (m.fill && m.n_fill == m.size)
          memcpy(s->fill, m.fill, m.size * sizeof(float));
        else if (m.n_fill != 0)
          st = op_err(AJPQ_INVALID_ARGUMENT, op, "fill must be empty or have 'size' entries");
      }
      ajpq_channel_map_release(&m);
    }
  } else {
    st = op_err(AJPQ_UNIMPLEMENTED, op, "op not supported by the executor");
  }
  if (st)
    return st;
  AJPQ_RETURN_IF_ERROR(def_val(ex, mlirOperationGetResult(op, 0), op, &s->out));
  /* Fold reshapes / identities of constants (e.g. a Gemm weight reshaped to [1, K, N]) into
   * constants, so the consumer sees constant weights (a compressible layer). */
  val_t *in0 = &ex->vals[s->in[0]], *res = &ex->vals[s->out];
  if ((s->kind == K_RESHAPE || s->kind == K_COPY) && in0->cdata && in0->dt == res->dt &&
      in0->numel == res->numel) {
    size_t bytes = (size_t)res->numel * dt_size(res->dt);
    res->cdata = malloc(bytes ? bytes : 1);
    if (!res->cdata)
      return op_err(AJPQ_RESOURCE_EXHAUSTED, op, "out of memory");
    memcpy(res->cdata, in0->cdata, bytes);
    ex->nsteps--; /* s is the last step */
  }
  return NULL;
}

/* ---- shape / batch propagation ------------------------------------------------------------ */

/* Scales the batch axis of value o (bax a) by F: dims = ir with dims[a] *= F. */
static void set_batched(val_t *o, int a, int64_t F) {
  memcpy(o->dims, o->ir, sizeof o->ir);
  o->bax = a;
  o->numel = 1;
  if (a >= 0)
    o->dims[a] *= F;
  for (int i = 0; i < o->rank; ++i)
    o->numel *= o->dims[i];
}

/* Infers bax/dims of each step's output for batch factor F. false: the graph mixes the batch
 * axis in a way the planner cannot batch natively (the caller then loops per sample). */
static bool propagate(ajpq_executor_t *ex, int64_t F) {
  if (F == 1) {
    for (int i = 0; i < ex->nvals; ++i)
      set_batched(&ex->vals[i], -1, 1);
    return true;
  }
  for (int i = 0; i < ex->nvals; ++i)
    if (ex->vals[i].cdata || ex->vals[i].first == -1)
      set_batched(&ex->vals[i], -1, 1);
  for (int i = 0; i < ex->nin; ++i)
    set_batched(&ex->vals[ex->in_vals[i]], 0, F);
  for (int si = 0; si < ex->nsteps; ++si) {
    step_t *s = &ex->steps[si];
    val_t *o = &ex->vals[s->out], *x = &ex->vals[s->in[0]];
    int a = x->bax, oa = -1;
    switch (s->kind) {
    case K_BIN:
    case K_SELECT:
      for (int j = 0; j < s->nin; ++j) {
        val_t *v = &ex->vals[s->in[j]];
        if (v->rank != o->rank)
          return false;
        if (v->bax >= 0) {
          if (oa >= 0 && oa != v->bax)
            return false;
          oa = v->bax;
        }
      }
      for (int j = 0; j < s->nin && oa >= 0; ++j) {
        val_t *v = &ex->vals[s->in[j]];
        if (v->bax < 0 && v->ir[oa] != 1)
          return false;
      }
      break;
    case K_UN: case K_CLAMP: case K_CAST: case K_COPY: case K_QUANT: case K_DEQUANT:
      oa = a;
      break;
    case K_FC: case K_QFC:
      if (a == x->rank - 1)
        return false;
      oa = a;
      break;
    case K_BMM: {
      val_t *b = &ex->vals[s->in[1]];
      if (a != b->bax || (a != -1 && a != 0))
        return false;
      oa = a;
      break;
    }
    case K_CONV: case K_DWCONV: case K_TCONV: case K_QCONV: case K_MAXPOOL: case K_AVGPOOL:
    case K_RESIZE:
      if (a > 0)
        return false;
      oa = a;
      break;
    case K_REDUCE:
      if (a >= 0 && a == s->a[0])
        return false;
      oa = a;
      break;
    case K_GATHER: case K_SCATTER:
      if (a >= 0 && a == s->a[0])
        return false;
      oa = a;
      break;
    case K_TRANSPOSE:
      for (int i = 0; i < o->rank && a >= 0; ++i)
        if (s->a[i] == a)
          oa = i;
      break;
    case K_RESHAPE:
      if (a >= 0) {
        int64_t P = 1;
        for (int i = 0; i < a; ++i)
          P *= x->ir[i];
        int64_t q = 1;
        for (int i = 0; i < o->rank; ++i) {
          if (q == P && (oa < 0 || i == a))
            oa = i;
          q *= o->ir[i];
        }
        if (oa < 0)
          return false;
      }
      break;
    case K_CONCAT:
      for (int j = 0; j < s->nin; ++j) {
        val_t *v = &ex->vals[s->in[j]];
        if (v->bax >= 0) {
          if ((oa >= 0 && oa != v->bax) || v->bax == s->a[0])
            return false;
          oa = v->bax;
        }
      }
      for (int j = 0; j < s->nin && oa >= 0; ++j)
        if (ex->vals[s->in[j]].bax < 0 && !ex->vals[s->in[j]].cdata)
          return false;
      break;
    case K_SLICE:
      if (a >= 0 && (s->a[a] != 0 || s->a[MAXR + a] != x->ir[a]))
        return false;
      oa = a;
      break;
    case K_PAD:
      if (a >= 0 && (s->a[2 * a] != 0 || s->a[2 * a + 1] != 0))
        return false;
      oa = a;
      break;
    case K_TILE:
      if (a >= 0 && s->a[a] != 1)
        return false;
      oa = a;
      break;
    default:
      return false;
    }
    set_batched(o, oa, F);
  }
  for (int i = 0; i < ex->nout; ++i) {
    val_t *v = &ex->vals[ex->out_vals[i]];
    if (F > 1 && v->bax > 0)
      return false;
  }
  return true;
}

/* ---- memory planning ---------------------------------------------------------------------- */

static int root_of(ajpq_executor_t *ex, int v) {
  while (ex->vals[v].alias >= 0)
    v = ex->vals[v].alias;
  return v;
}

static int cmp_size_desc(const void *a, const void *b, void *ctx) {
  const val_t *vals = ctx;
  const val_t *x = &vals[*(const int *)a], *y = &vals[*(const int *)b];
  size_t sx = x->numel * dt_size(x->dt), sy = y->numel * dt_size(y->dt);
  return sx < sy ? 1 : sx > sy ? -1 : 0;
}

static ajpq_status_t plan_memory(ajpq_executor_t *ex) {
  /* Reshapes alias their input (same bytes, row-major). */
  for (int si = 0; si < ex->nsteps; ++si) {
    step_t *s = &ex->steps[si];
    val_t *x = &ex->vals[s->in[0]];
    if (s->kind == K_RESHAPE && !x->cdata)
      ex->vals[s->out].alias = s->in[0];
  }
  for (int i = 0; i < ex->nvals; ++i)
    if (!ex->vals[i].cdata && ex->vals[i].first != -1)
      ex->vals[i].first = ex->vals[i].last = -2;
  for (int si = 0; si < ex->nsteps; ++si) {
    step_t *s = &ex->steps[si];
    int r = root_of(ex, s->out);
    if (ex->vals[r].first == -2)
      ex->vals[r].first = si;
    if (ex->vals[r].last < si)
      ex->vals[r].last = si;
    for (int j = 0; j < s->nin; ++j) {
      int q = root_of(ex, s->in[j]);
      if (ex->vals[q].last < si)
        ex->vals[q].last = si;
    }
  }
  for (int i = 0; i < ex->nout; ++i)
    ex->vals[root_of(ex, ex->out_vals[i])].last = ex->nsteps + 1;
  for (int i = 0; i < ex->nin; ++i)
    ex->vals[ex->in_vals[i]].last = ex->nsteps + 1; /* inputs keep their buffer (re-runs) */
  int *order = malloc((ex->nvals + 1) * sizeof(int));
  int cnt = 0;
  for (int i = 0; i < ex->nvals; ++i)
    if (!ex->vals[i].cdata && ex->vals[i].alias < 0 && ex->vals[i].first >= -1)
      order[cnt++] = i;
  qsort_r(order, cnt, sizeof(int), cmp_size_desc, ex->vals);
  size_t total = 0;
  for (int i = 0; i < cnt; ++i) {
    val_t *v = &ex->vals[order[i]];
    size_t sz = ((v->numel * dt_size(v->dt)) + 63) & ~(size_t)63;
    /* first fit among placed buffers whose lifetimes overlap */
    size_t off = 0;
    bool moved = true;
    while (moved) {
      moved = false;
      for (int j = 0; j < i; ++j) {
        val_t *u = &ex->vals[order[j]];
        size_t usz = ((u->numel * dt_size(u->dt)) + 63) & ~(size_t)63;
        bool overlap = !(u->last < v->first || v->last < u->first);
        if (overlap && off < (size_t)u->off + usz && (size_t)u->off < off + sz) {
          off = (size_t)u->off + usz;
          moved = true;
        }
      }
    }
    v->off = (int64_t)off;
    if (off + sz > total)
      total = off + sz;
  }
  free(order);
  ex->arena_bytes = total;
  ex->arena = aligned_alloc(64, total ? total : 64);
  if (!ex->arena)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "cannot allocate %zu bytes of activations",
                            total);
  memset(ex->arena, 0, total);
  for (int i = 0; i < ex->nvals; ++i) {
    val_t *v = &ex->vals[i];
    if (v->cdata)
      v->ptr = v->cdata;
  }
  for (int i = 0; i < ex->nvals; ++i) {
    val_t *v = &ex->vals[i];
    if (!v->cdata) {
      int r = root_of(ex, i);
      v->ptr = (char *)ex->arena + ex->vals[r].off;
    }
  }
  return NULL;
}

/* Fills geometry and scratch needs from the planned dims. */
static ajpq_status_t plan_geometry(ajpq_executor_t *ex) {
  size_t col = 0, aq = 0;
  for (int si = 0; si < ex->nsteps; ++si) {
    step_t *s = &ex->steps[si];
    val_t *x = &ex->vals[s->in[0]], *o = &ex->vals[s->out];
    switch (s->kind) {
    case K_CONV: case K_DWCONV: case K_QCONV: case K_MAXPOOL: case K_AVGPOOL: case K_TCONV:
      if (x->rank != 4 || o->rank != 4)
        return op_err(AJPQ_INVALID_ARGUMENT, s->op, "needs rank-4 NHWC input and result");
      s->g.n = x->dims[0], s->g.h = x->dims[1], s->g.w = x->dims[2], s->g.c = x->dims[3];
      s->g.oh = o->dims[1], s->g.ow = o->dims[2];
      if (s->kind == K_MAXPOOL || s->kind == K_AVGPOOL)
        s->g.oc = s->g.c;
      if (o->dims[3] != s->g.oc)
        return op_err(AJPQ_INVALID_ARGUMENT, s->op, "result channels %lld, expected %lld",
                      (long long)o->dims[3], (long long)s->g.oc);
      if (s->kind != K_TCONV) {
        int64_t eh = ajpq_k_out_dim(s->g.h, s->g.kh, s->g.sh, s->g.dh, s->g.pt, s->g.pb);
        int64_t ew = ajpq_k_out_dim(s->g.w, s->g.kw, s->g.sw, s->g.dw, s->g.pl, s->g.pr);
        if (eh != s->g.oh || ew != s->g.ow)
          return op_err(AJPQ_INVALID_ARGUMENT, s->op,
                        "result is %lldx%lld, the window arithmetic gives %lldx%lld",
                        (long long)s->g.oh, (long long)s->g.ow, (long long)eh, (long long)ew);
      }
      if (s->kind == K_CONV) {
        size_t c = (size_t)(s->g.n * s->g.oh * s->g.ow) * s->g.kh * s->g.kw * s->g.c;
        if (c > col)
          col = c;
      }
      break;
    case K_FC: case K_QFC:
      s->m = x->numel / s->k;
      if (s->m * s->k != x->numel || o->numel != s->m * s->n || o->dims[o->rank - 1] != s->n)
        return op_err(AJPQ_INVALID_ARGUMENT, s->op, "input/result shapes do not match K=%lld, N=%lld",
                      (long long)s->k, (long long)s->n);
      break;
    case K_GATHER: case K_SCATTER: {
      int64_t a = s->a[0];
      if (a < 0 || a >= x->rank || x->rank != o->rank)
        return op_err(AJPQ_INVALID_ARGUMENT, s->op, "axis %lld out of range", (long long)a);
      int64_t src = x->dims[a], dst = o->dims[a];
      int64_t bound = s->kind == K_GATHER ? src : dst, cnt = s->kind == K_GATHER ? dst : src;
      if (cnt != s->a[1] || (s->kind == K_SCATTER && dst != s->a[2]))
        return op_err(AJPQ_INVALID_ARGUMENT, s->op, "indices/size do not match the shapes");
      for (int64_t j = 0; j < s->a[1]; ++j)
        if (s->idx[j] < 0 || s->idx[j] >= bound)
          return op_err(AJPQ_INVALID_ARGUMENT, s->op, "index %d out of range [0, %lld)",
                        s->idx[j], (long long)bound);
      for (int d = 0; d < x->rank; ++d)
        if (d != a && x->dims[d] != o->dims[d])
          return op_err(AJPQ_INVALID_ARGUMENT, s->op, "dim %d differs between input and result", d);
      break;
    }
    case K_SLICE:
      for (int d = 0; d < x->rank; ++d) {
        int64_t st0 = s->a[d], sz = s->a[MAXR + d], full = x->ir[d];
        if (st0 < 0 || sz < 0 || st0 + sz > full || sz != o->ir[d])
          return op_err(AJPQ_INVALID_ARGUMENT, s->op, "slice [%lld, +%lld) outside dim %d (%lld)",
                        (long long)st0, (long long)sz, d, (long long)full);
      }
      break;
    case K_PAD:
      for (int d = 0; d < x->rank; ++d)
        if (s->a[2 * d] < 0 || s->a[2 * d + 1] < 0 ||
            x->ir[d] + s->a[2 * d] + s->a[2 * d + 1] != o->ir[d])
          return op_err(AJPQ_INVALID_ARGUMENT, s->op, "padding of dim %d inconsistent", d);
      break;
    case K_TILE:
      for (int d = 0; d < x->rank; ++d)
        if (s->a[d] < 1 || x->ir[d] * s->a[d] != o->ir[d])
          return op_err(AJPQ_INVALID_ARGUMENT, s->op, "multiples of dim %d inconsistent", d);
      break;
    case K_RESIZE:
      if (x->rank != 4 || o->rank != 4 || x->dims[0] != o->dims[0] || x->dims[3] != o->dims[3])
        return op_err(AJPQ_INVALID_ARGUMENT, s->op, "needs NHWC input and result");
      break;
    case K_TRANSPOSE: {
      int seen = 0;
      for (int d = 0; d < x->rank; ++d) {
        if (s->a[d] < 0 || s->a[d] >= x->rank || (seen >> s->a[d] & 1) ||
            o->ir[d] != x->ir[s->a[d]])
          return op_err(AJPQ_INVALID_ARGUMENT, s->op, "perms is not a permutation of the shape");
        seen |= 1 << s->a[d];
      }
      break;
    }
    case K_BIN: case K_SELECT:
      for (int j = 0; j < s->nin; ++j) {
        val_t *v = &ex->vals[s->in[j]];
        bool ok = v->rank == o->rank && (s->kind == K_SELECT && j == 0 ? v->dt == T_BOOL
                                                                        : v->dt == T_F32);
        for (int d = 0; ok && d < o->rank; ++d)
          ok = v->dims[d] == o->dims[d] || v->dims[d] == 1;
        if (!ok)
          return op_err(AJPQ_UNIMPLEMENTED, s->op,
                        "operand #%d: needs f32 (i1 condition) of a shape that broadcasts to the "
                        "result", j);
      }
      break;
    case K_UN: case K_CLAMP:
      if (x->dt != T_F32 || o->numel != x->numel)
        return op_err(AJPQ_UNIMPLEMENTED, s->op, "needs an f32 operand of the result's shape");
      break;
    case K_CONCAT: {
      int64_t a = s->a[0], sum = 0;
      if (a < 0 || a >= o->rank)
        return op_err(AJPQ_INVALID_ARGUMENT, s->op, "axis %lld out of range", (long long)a);
      for (int j = 0; j < s->nin; ++j) {
        val_t *v = &ex->vals[s->in[j]];
        for (int d = 0; d < o->rank; ++d)
          if (d != a && v->dims[d] != o->dims[d])
            return op_err(AJPQ_INVALID_ARGUMENT, s->op, "operand #%d: dim %d differs", j, d);
        sum += v->dims[a];
      }
      if (sum != o->dims[a])
        return op_err(AJPQ_INVALID_ARGUMENT, s->op, "concatenated dims do not add up");
      break;
    }
    case K_REDUCE:
      if (s->a[0] < 0 || s->a[0] >= x->rank || o->ir[s->a[0]] != 1)
        return op_err(AJPQ_INVALID_ARGUMENT, s->op, "axis %lld out of range", (long long)s->a[0]);
      break;
    case K_BMM:
      s->a[0] = x->dims[0], s->m = x->dims[1], s->k = x->dims[2], s->n = o->dims[2];
      break;
    default:
      break;
    }
    if (s->layer >= 0) {
      ajpq_executor_layer_t *L = &ex->layers[s->layer];
      int64_t per = ex->pbatch;
      if (s->kind == K_FC) {
        L->in_dims[0] = s->m / per, L->in_dims[1] = s->k;
        L->out_dims[0] = s->m / per, L->out_dims[1] = s->n;
        L->macs = (s->m / per) * s->k * s->n;
      } else {
        L->in_dims[0] = s->g.h, L->in_dims[1] = s->g.w, L->in_dims[2] = s->g.c;
        L->out_dims[0] = s->g.oh, L->out_dims[1] = s->g.ow, L->out_dims[2] = s->g.oc;
        L->macs = s->g.oh * s->g.ow * s->g.oc * s->k;
      }
      if ((size_t)x->numel > aq)
        aq = (size_t)x->numel;
    }
  }
  ex->col_floats = col;
  ex->aq_floats = aq;
  ex->col = col ? aligned_alloc(64, ((col * 4) + 63) & ~(size_t)63) : NULL;
  ex->aq_buf = aq ? aligned_alloc(64, ((aq * 4) + 63) & ~(size_t)63) : NULL;
  if ((col && !ex->col) || (aq && !ex->aq_buf))
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "cannot allocate scratch buffers");
  return NULL;
}

/* ---- entry -------------------------------------------------------------------------------- */

static char *arg_name(MlirOperation func, const char *attrname, int i, const char *dflt) {
  MlirAttribute all = attr(func, attrname);
  char buf[256];
  snprintf(buf, sizeof buf, "%s%d", dflt, i);
  if (!mlirAttributeIsNull(all) && mlirAttributeIsAArray(all) &&
      i < mlirArrayAttrGetNumElements(all)) {
    MlirAttribute d = mlirArrayAttrGetElement(all, i);
    if (mlirAttributeIsADictionary(d)) {
      MlirAttribute nm = mlirDictionaryAttrGetElementByName(d, mlirStringRefCreateFromCString("ajpq.name"));
      if (!mlirAttributeIsNull(nm) && mlirAttributeIsAString(nm)) {
        MlirStringRef s = mlirStringAttrGetValue(nm);
        size_t l = s.length < 255 ? s.length : 255;
        memcpy(buf, s.data, l);
        buf[l] = 0;
      }
    }
  }
  return strdup(buf);
}

ajpq_status_t ajpq_exec_plan(ajpq_executor_t *ex, MlirOperation func) {
  char n[64];
  opname(func, n, sizeof n);
  if (!is(n, "func.func"))
    return op_err(AJPQ_INVALID_ARGUMENT, func, "expected a func.func");
  MlirRegion body = mlirOperationGetRegion(func, 0);
  MlirBlock block = mlirRegionGetFirstBlock(body);
  if (mlirBlockIsNull(block))
    return op_err(AJPQ_INVALID_ARGUMENT, func, "function has no body");
  if (!mlirBlockIsNull(mlirBlockGetNextInRegion(block)))
    return op_err(AJPQ_UNIMPLEMENTED, func, "functions with several blocks are not supported");
  ex->nin = (int)mlirBlockGetNumArguments(block);
  ex->in_vals = calloc(ex->nin + 1, sizeof(int));
  for (int i = 0; i < ex->nin; ++i) {
    int vi;
    AJPQ_RETURN_IF_ERROR(def_val(ex, mlirBlockGetArgument(block, i), func, &vi));
    ex->vals[vi].first = -1;
    ex->in_vals[i] = vi;
  }
  MlirOperation ret = {NULL};
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (mlirOperationGetNumRegions(op) > 0)
      return op_err(AJPQ_UNIMPLEMENTED, op, "ops with regions are not supported");
    AJPQ_RETURN_IF_ERROR(parse_op(ex, op));
    ret = op;
  }
  char rn[64];
  if (mlirOperationIsNull(ret) || (opname(ret, rn, sizeof rn), !is(rn, "func.return")))
    return op_err(AJPQ_INVALID_ARGUMENT, func, "function body does not end in func.return");
  ex->nout = (int)mlirOperationGetNumOperands(ret);
  ex->out_vals = calloc(ex->nout + 1, sizeof(int));
  for (int i = 0; i < ex->nout; ++i) {
    AJPQ_RETURN_IF_ERROR(use_val(ex, ret, i, &ex->out_vals[i]));
    val_t *v = &ex->vals[ex->out_vals[i]];
    if (v->cdata) {
      /* A constant result: copy it through a planned buffer. */
      step_t *s = new_step(ex, K_COPY, ret);
      int vi = new_val(ex);
      if (!s || vi < 0)
        return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      v = &ex->vals[ex->out_vals[i]];
      ex->vals[vi] = *v;
      ex->vals[vi].cdata = NULL;
      s->in[0] = ex->out_vals[i];
      s->nin = 1;
      s->out = vi;
      ex->out_vals[i] = vi;
    }
  }
  /* Fuse a tosa.clamp into its producer (conv, depthwise, fc, add...) when it is the only use;
   * the clamp step then becomes an alias of the producer's result. */
  {
    int *uses = calloc(ex->nvals + 1, sizeof(int));
    if (!uses)
      return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    for (int si = 0; si < ex->nsteps; ++si)
      for (int j = 0; j < ex->steps[si].nin; ++j)
        uses[ex->steps[si].in[j]]++;
    for (int i = 0; i < ex->nout; ++i)
      uses[ex->out_vals[i]] += 2;
    int *producer = malloc((ex->nvals + 1) * sizeof(int));
    for (int i = 0; i <= ex->nvals; ++i)
      producer[i] = -1;
    for (int si = 0; si < ex->nsteps; ++si)
      producer[ex->steps[si].out] = si;
    for (int si = 0; si < ex->nsteps; ++si) {
      step_t *c = &ex->steps[si];
      if (c->kind != K_CLAMP || uses[c->in[0]] != 1 || producer[c->in[0]] < 0)
        continue;
      step_t *p = &ex->steps[producer[c->in[0]]];
      bool ok = (p->kind == K_CONV || p->kind == K_DWCONV || p->kind == K_FC ||
                 (p->kind == K_BIN && p->sub <= B_MIN) || p->kind == K_QCONV ||
                 p->kind == K_QFC) && !p->fused && ex->vals[p->out].dt == T_F32;
      if (!ok)
        continue;
      p->fused = true;
      p->lo = c->f[0];
      p->hi = c->f[1];
      c->kind = K_RESHAPE; /* now an alias of the producer's (clamped) result */
    }
    free(uses);
    free(producer);
  }
  /* Batch planning: natively for the requested batch, else per-sample loop. */
  int64_t F = ex->batch;
  for (int i = 0; i < ex->nin; ++i) {
    val_t *v = &ex->vals[ex->in_vals[i]];
    if (v->rank == 0 || v->ir[0] != 1)
      F = 1;
  }
  /* Convolutional models gain nothing from a native batch (im2col already gives GEMMs with
   * M = OH*OW rows) and lose cache locality; they run sample by sample. Models without spatial
   * convs (MLPs, classifier heads) batch natively (GEMV -> GEMM). AJPQ_EXEC_BATCH_MODE=native|loop
   * overrides (benchmarking aid). */
  {
    const char *mode = getenv("AJPQ_EXEC_BATCH_MODE");
    bool conv = false;
    for (int si = 0; si < ex->nsteps; ++si) {
      int k = ex->steps[si].kind;
      if ((k == K_CONV || k == K_DWCONV || k == K_QCONV || k == K_TCONV) &&
          ex->vals[ex->steps[si].in[0]].rank == 4 &&
          ex->vals[ex->steps[si].in[0]].ir[1] * ex->vals[ex->steps[si].in[0]].ir[2] > 1)
        conv = true;
    }
    if (mode && !strcmp(mode, "loop"))
      F = 1;
    else if (conv && !(mode && !strcmp(mode, "native")))
      F = 1;
  }
  if (F > 1 && !propagate(ex, F))
    F = 1;
  if (F == 1 && !propagate(ex, 1))
    return ajpq_status_make(AJPQ_INTERNAL, "shape propagation failed at batch 1");
  ex->pbatch = F;
  if (ex->batch > 1 && F == 1) {
    for (int i = 0; i < ex->nin; ++i)
      if (ex->vals[ex->in_vals[i]].ir[0] != 1)
        return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                                "batch %lld requested but input %d has leading dim %lld (not 1)",
                                (long long)ex->batch, i,
                                (long long)ex->vals[ex->in_vals[i]].ir[0]);
  }
  /* Concat of a batched value with an unbatched constant: replicate the constant. */
  for (int si = 0; si < ex->nsteps; ++si) {
    step_t *s = &ex->steps[si];
    if (s->kind != K_CONCAT || ex->vals[s->out].bax < 0)
      continue;
    for (int j = 0; j < s->nin; ++j) {
      val_t *v = &ex->vals[s->in[j]];
      if (v->bax >= 0)
        continue;
      int a = ex->vals[s->out].bax;
      int vi = new_val(ex);
      if (vi < 0)
        return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      v = &ex->vals[s->in[j]];
      val_t *nv = &ex->vals[vi];
      *nv = *v;
      nv->v.ptr = NULL;
      set_batched(nv, a, F);
      nv->cdata = malloc(nv->numel * dt_size(nv->dt) + 1);
      if (!nv->cdata)
        return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      int64_t outer = 1, inner = 1;
      for (int d = 0; d < a; ++d)
        outer *= v->ir[d];
      for (int d = a; d < v->rank; ++d)
        inner *= v->ir[d];
      size_t es = dt_size(v->dt);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t f = 0; f < F; ++f)
          memcpy((char *)nv->cdata + ((o * F + f) * inner) * es,
                 (char *)v->cdata + o * inner * es, inner * es);
      s->in[j] = vi;
    }
  }
  AJPQ_RETURN_IF_ERROR(plan_memory(ex));
  AJPQ_RETURN_IF_ERROR(plan_geometry(ex));
  /* Public descriptions. */
  ex->in_info = calloc(ex->nin + 1, sizeof *ex->in_info);
  ex->out_info = calloc(ex->nout + 1, sizeof *ex->out_info);
  ex->names = calloc(ex->nin + ex->nout + 1, sizeof(char *));
  if (!ex->in_info || !ex->out_info || !ex->names)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  for (int k = 0; k < ex->nin + ex->nout; ++k) {
    bool isin = k < ex->nin;
    int i = isin ? k : k - ex->nin;
    val_t *v = &ex->vals[isin ? ex->in_vals[i] : ex->out_vals[i]];
    ajpq_executor_tensor_info_t *t = isin ? &ex->in_info[i] : &ex->out_info[i];
    ex->names[k] = arg_name(func, isin ? "arg_attrs" : "res_attrs", i, isin ? "input" : "output");
    t->name = ex->names[k];
    t->rank = v->rank;
    t->numel = 1;
    /* Native batch: batched iff the batch axis is 0. Per-sample loop: every tensor of rank >= 1
     * is stacked along axis 0, one sample after another. */
    t->batched = ex->pbatch > 1 ? v->bax == 0 : v->rank > 0;
    for (int d = 0; d < v->rank; ++d) {
      t->dims[d] = v->ir[d];
      if (d == 0 && t->batched)
        t->dims[d] = v->ir[0] * ex->batch;
      t->numel *= t->dims[d];
    }
  }
  ex->aq = calloc(ex->nlayers + 1, sizeof *ex->aq);
  ex->aq_on = calloc(ex->nlayers + 1, sizeof *ex->aq_on);
  if (!ex->aq || !ex->aq_on)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  return NULL;
}

void ajpq_exec_free_plan(ajpq_executor_t *ex) {
  for (int i = 0; i < ex->nsteps; ++i) {
    step_t *s = &ex->steps[i];
    if (!s->a[0] || s->kind != K_TCONV)
      free(s->w);
    free(s->w_orig);
    free(s->bias);
    free(s->q);
    free(s->scale);
    free(s->zp);
    free(s->idx);
    free(s->fill);
  }
  for (int i = 0; i < ex->nvals; ++i)
    free(ex->vals[i].cdata);
  for (int i = 0; ex->names && i < ex->nin + ex->nout; ++i)
    free(ex->names[i]);
  free(ex->names);
  free(ex->vals);
  free(ex->steps);
  free(ex->in_vals);
  free(ex->out_vals);
  free(ex->in_info);
  free(ex->out_info);
  free(ex->layers);
  free(ex->layer_step);
  free(ex->aq);
  free(ex->aq_on);
  free(ex->arena);
  free(ex->col);
  free(ex->aq_buf);
  free(ex->hkeys);
  free(ex->hvals);
}
