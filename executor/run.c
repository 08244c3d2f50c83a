/* run.c — executes a plan, and the public executor API (create, run, weight swap, activation
 * fake quantization, calibration). */
#include "exec_internal.h"

#include "ajpq_dialect.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"
#include "mlir-c/RegisterEverything.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ajpq_status_t ajpq_exec_plan(ajpq_executor_t *ex, MlirOperation func);
void ajpq_exec_free_plan(ajpq_executor_t *ex);
void openblas_set_num_threads(int);

/* ---- element-wise with NumPy broadcasting (equal ranks) ----------------------------------- */

typedef struct {
  int rank;
  int64_t dims[MAXR];
  int64_t st[3][MAXR]; /* element strides per operand (0 = broadcast) */
} bcast_t;

static void bcast_init(bcast_t *b, const val_t *o, const val_t *const *ins, int nin) {
  b->rank = o->rank;
  memcpy(b->dims, o->dims, sizeof b->dims);
  for (int j = 0; j < nin; ++j) {
    int64_t s = 1;
    for (int d = o->rank - 1; d >= 0; --d) {
      b->st[j][d] = ins[j]->dims[d] == 1 && o->dims[d] != 1 ? 0 : s;
      s *= ins[j]->dims[d];
    }
  }
}

static float bin_apply(int op, float x, float y) {
  switch (op) {
  case B_ADD: return x + y;
  case B_SUB: return x - y;
  case B_MUL: return x * y;
  case B_MAX: return x > y ? x : (y > x ? y : x);
  case B_MIN: return x < y ? x : (y < x ? y : x);
  case B_POW: return powf(x, y);
  case B_DIV: return x / y;
  default: return 0.f;
  }
}

static void run_bin(const step_t *s, val_t *v) {
  const val_t *A = &v[s->in[0]], *B = &v[s->in[1]];
  val_t *O = &v[s->out];
  const float *a = A->ptr, *b = B->ptr;
  bool cmp = s->sub == B_GE || s->sub == B_GT || s->sub == B_EQ;
  float *o = O->ptr;
  uint8_t *ob = O->ptr;
  if (A->numel == O->numel && B->numel == O->numel && !cmp) {
    int64_t n = O->numel;
    switch (s->sub) {
    case B_ADD: for (int64_t i = 0; i < n; ++i) o[i] = a[i] + b[i]; return;
    case B_SUB: for (int64_t i = 0; i < n; ++i) o[i] = a[i] - b[i]; return;
    case B_MUL: for (int64_t i = 0; i < n; ++i) o[i] = a[i] * b[i]; return;
    default: for (int64_t i = 0; i < n; ++i) o[i] = bin_apply(s->sub, a[i], b[i]); return;
    }
  }
  const val_t *ins[2] = {A, B};
  bcast_t bc;
  bcast_init(&bc, O, ins, 2);
  int r = bc.rank;
  int64_t idx[MAXR] = {0}, last = r ? bc.dims[r - 1] : 1;
  int64_t sa = r ? bc.st[0][r - 1] : 0, sb = r ? bc.st[1][r - 1] : 0;
  int64_t rows = last ? O->numel / last : 0;
  for (int64_t row = 0; row < rows; ++row) {
    int64_t oa = 0, ob2 = 0;
    for (int d = 0; d < r - 1; ++d)
      oa += idx[d] * bc.st[0][d], ob2 += idx[d] * bc.st[1][d];
    int64_t base = row * last;
    for (int64_t i = 0; i < last; ++i) {
      float x = a[oa + i * sa], y = b[ob2 + i * sb];
      if (cmp)
        ob[base + i] = s->sub == B_GE ? x >= y : s->sub == B_GT ? x > y : x == y;
      else
        o[base + i] = bin_apply(s->sub, x, y);
    }
    for (int d = r - 2; d >= 0; --d) {
      if (++idx[d] < bc.dims[d])
        break;
      idx[d] = 0;
    }
  }
}

static void run_select(const step_t *s, val_t *v) {
  const val_t *C = &v[s->in[0]], *A = &v[s->in[1]], *B = &v[s->in[2]];
  val_t *O = &v[s->out];
  const val_t *ins[3] = {C, A, B};
  bcast_t bc;
  bcast_init(&bc, O, ins, 3);
  int r = bc.rank;
  const uint8_t *c = C->ptr;
  const float *a = A->ptr, *b = B->ptr;
  float *o = O->ptr;
  int64_t idx[MAXR] = {0};
  for (int64_t i = 0; i < O->numel; ++i) {
    int64_t oc = 0, oa = 0, ob = 0;
    for (int d = 0; d < r; ++d)
      oc += idx[d] * bc.st[0][d], oa += idx[d] * bc.st[1][d], ob += idx[d] * bc.st[2][d];
    o[i] = c[oc] ? a[oa] : b[ob];
    for (int d = r - 1; d >= 0; --d) {
      if (++idx[d] < bc.dims[d])
        break;
      idx[d] = 0;
    }
  }
}

static void run_unary(const step_t *s, val_t *v) {
  const float *x = v[s->in[0]].ptr;
  float *o = v[s->out].ptr;
  int64_t n = v[s->out].numel;
  switch (s->sub) {
  case U_EXP: for (int64_t i = 0; i < n; ++i) o[i] = expf(x[i]); break;
  case U_LOG: for (int64_t i = 0; i < n; ++i) o[i] = logf(x[i]); break;
  case U_SIGMOID: for (int64_t i = 0; i < n; ++i) o[i] = 1.f / (1.f + expf(-x[i])); break;
  case U_TANH: for (int64_t i = 0; i < n; ++i) o[i] = tanhf(x[i]); break;
  case U_RECIP: for (int64_t i = 0; i < n; ++i) o[i] = 1.f / x[i]; break;
  case U_ABS: for (int64_t i = 0; i < n; ++i) o[i] = fabsf(x[i]); break;
  case U_NEG: for (int64_t i = 0; i < n; ++i) o[i] = -x[i]; break;
  case U_RSQRT: for (int64_t i = 0; i < n; ++i) o[i] = 1.f / sqrtf(x[i]); break;
  case U_SQRT: for (int64_t i = 0; i < n; ++i) o[i] = sqrtf(x[i]); break;
  case U_FLOOR: for (int64_t i = 0; i < n; ++i) o[i] = floorf(x[i]); break;
  case U_CEIL: for (int64_t i = 0; i < n; ++i) o[i] = ceilf(x[i]); break;
  case U_ERF: for (int64_t i = 0; i < n; ++i) o[i] = erff(x[i]); break;
  case U_SIN: for (int64_t i = 0; i < n; ++i) o[i] = sinf(x[i]); break;
  case U_COS: for (int64_t i = 0; i < n; ++i) o[i] = cosf(x[i]); break;
  }
}

static void run_reduce(const step_t *s, val_t *v) {
  const val_t *X = &v[s->in[0]];
  const float *x = X->ptr;
  float *o = v[s->out].ptr;
  int a = (int)s->a[0];
  int64_t outer = 1, len = X->dims[a], inner = 1;
  for (int d = 0; d < a; ++d)
    outer *= X->dims[d];
  for (int d = a + 1; d < X->rank; ++d)
    inner *= X->dims[d];
  for (int64_t p = 0; p < outer; ++p)
    for (int64_t i = 0; i < inner; ++i) {
      const float *src = x + p * len * inner + i;
      float acc = s->sub == R_SUM ? 0.f : s->sub == R_PROD ? 1.f : src[0];
      for (int64_t l = 0; l < len; ++l) {
        float e = src[l * inner];
        switch (s->sub) {
        case R_SUM: acc += e; break;
        case R_PROD: acc *= e; break;
        case R_MAX: acc = e > acc ? e : acc; break;
        case R_MIN: acc = e < acc ? e : acc; break;
        }
      }
      o[p * inner + i] = acc;
    }
}

static size_t esize(int dt) { return dt == T_F32 || dt == T_I32 ? 4 : dt == T_I64 ? 8 : 1; }

static void run_transpose(const step_t *s, val_t *v) {
  const val_t *X = &v[s->in[0]];
  val_t *O = &v[s->out];
  int r = O->rank;
  size_t es = esize(O->dt);
  int64_t ist[MAXR], st[MAXR], idx[MAXR] = {0};
  int64_t acc = 1;
  for (int d = X->rank - 1; d >= 0; --d)
    ist[d] = acc, acc *= X->dims[d];
  for (int d = 0; d < r; ++d)
    st[d] = ist[s->a[d]];
  const char *x = X->ptr;
  char *o = O->ptr;
  int64_t last = r ? O->dims[r - 1] : 1, sl = r ? st[r - 1] : 0;
  int64_t rows = last ? O->numel / last : 0;
  for (int64_t row = 0; row < rows; ++row) {
    int64_t off = 0;
    for (int d = 0; d < r - 1; ++d)
      off += idx[d] * st[d];
    char *dst = o + row * last * es;
    if (es == 4) {
      const float *src = (const float *)x + off;
      for (int64_t i = 0; i < last; ++i)
        ((float *)dst)[i] = src[i * sl];
    } else {
      for (int64_t i = 0; i < last; ++i)
        memcpy(dst + i * es, x + (off + i * sl) * es, es);
    }
    for (int d = r - 2; d >= 0; --d) {
      if (++idx[d] < O->dims[d])
        break;
      idx[d] = 0;
    }
  }
}

static void run_concat(const step_t *s, val_t *v) {
  val_t *O = &v[s->out];
  int a = (int)s->a[0];
  size_t es = esize(O->dt);
  int64_t outer = 1;
  for (int d = 0; d < a; ++d)
    outer *= O->dims[d];
  char *o = O->ptr;
  if (es == 4) {
    /* channel concats (e.g. BlazeFace's zero channel padding) copy a few floats per pixel:
     * inline loops, not memcpy calls */
    float *of = (float *)o;
    for (int64_t p = 0; p < outer; ++p)
      for (int j = 0; j < s->nin; ++j) {
        const val_t *X = &v[s->in[j]];
        int64_t inner = X->numel / (outer ? outer : 1);
        const float *src = (const float *)X->ptr + p * inner;
        for (int64_t i = 0; i < inner; ++i)
          of[i] = src[i];
        of += inner;
      }
    return;
  }
  for (int64_t p = 0; p < outer; ++p)
    for (int j = 0; j < s->nin; ++j) {
      const val_t *X = &v[s->in[j]];
      int64_t inner = X->numel / (outer ? outer : 1);
      memcpy(o, (const char *)X->ptr + p * inner * es, inner * es);
      o += inner * es;
    }
}

/* Copies the box of X starting at `start` with O's dims into O (slice), or X into O at offset
 * `start` (pad, when `into` is set). */
static void run_box(const val_t *X, val_t *O, const int64_t *start, bool into) {
  const val_t *big = into ? O : X, *small = into ? X : O;
  int r = small->rank;
  size_t es = esize(O->dt);
  int64_t bst[MAXR], idx[MAXR] = {0}, acc = 1;
  for (int d = r - 1; d >= 0; --d)
    bst[d] = acc, acc *= big->dims[d];
  int64_t last = r ? small->dims[r - 1] : 1;
  int64_t rows = last ? small->numel / last : 0;
  for (int64_t row = 0; row < rows; ++row) {
    int64_t off = 0;
    for (int d = 0; d < r; ++d)
      off += (idx[d] + start[d]) * bst[d];
    char *bp = (char *)big->ptr + off * es;
    char *sp = (char *)small->ptr + row * last * es;
    if (into)
      memcpy(bp, sp, last * es);
    else
      memcpy(sp, bp, last * es);
    for (int d = r - 2; d >= 0; --d) {
      if (++idx[d] < small->dims[d])
        break;
      idx[d] = 0;
    }
  }
}

static void run_tile(const step_t *s, val_t *v) {
  const val_t *X = &v[s->in[0]];
  val_t *O = &v[s->out];
  int r = O->rank;
  size_t es = esize(O->dt);
  int64_t xst[MAXR], idx[MAXR] = {0}, acc = 1;
  for (int d = r - 1; d >= 0; --d)
    xst[d] = acc, acc *= X->dims[d];
  for (int64_t i = 0; i < O->numel; ++i) {
    int64_t off = 0;
    for (int d = 0; d < r; ++d)
      off += (idx[d] % X->dims[d]) * xst[d];
    memcpy((char *)O->ptr + i * es, (const char *)X->ptr + off * es, es);
    for (int d = r - 1; d >= 0; --d) {
      if (++idx[d] < O->dims[d])
        break;
      idx[d] = 0;
    }
  }
}

static int64_t floordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* TOSA 1.0 RESIZE (float): see the spec's pseudo-code. */
static void run_resize(const step_t *s, val_t *v) {
  const val_t *X = &v[s->in[0]];
  val_t *O = &v[s->out];
  int64_t N = X->dims[0], IH = X->dims[1], IW = X->dims[2], C = X->dims[3];
  int64_t OH = O->dims[1], OW = O->dims[2];
  int64_t syn = s->a[0], syd = s->a[1], sxn = s->a[2], sxd = s->a[3], offy = s->a[4],
          offx = s->a[5];
  const float *x = X->ptr;
  float *o = O->ptr;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oy = 0; oy < OH; ++oy) {
      int64_t y = oy * syd + offy, iy = floordiv(y, syn), ry = y - iy * syn;
      float dy = (float)ry / (float)syn;
      int64_t iy0 = iy < 0 ? 0 : iy, iy1 = iy + 1 > IH - 1 ? IH - 1 : iy + 1;
      if (iy0 > IH - 1)
        iy0 = IH - 1;
      for (int64_t ox = 0; ox < OW; ++ox) {
        int64_t xx = ox * sxd + offx, ix = floordiv(xx, sxn), rx = xx - ix * sxn;
        float dx = (float)rx / (float)sxn;
        int64_t ix0 = ix < 0 ? 0 : ix, ix1 = ix + 1 > IW - 1 ? IW - 1 : ix + 1;
        if (ix0 > IW - 1)
          ix0 = IW - 1;
        float *dst = o + ((n * OH + oy) * OW + ox) * C;
        const float *b = x + n * IH * IW * C;
        if (s->sub == 1) {
          const float *v00 = b + (iy0 * IW + ix0) * C, *v01 = b + (iy0 * IW + ix1) * C;
          const float *v10 = b + (iy1 * IW + ix0) * C, *v11 = b + (iy1 * IW + ix1) * C;
          /* Separable lerp a + (b - a)·d (x, then y): equal to the spec's weighted sum of the
           * four taps up to float rounding, but exact where the taps are equal: a flat region,
           * and the border, where both taps clamp to one pixel while d is not 0 (half_pixel
           * row/column 0 has iy = -1). The weighted-sum form gave a·(1-d) + a·d != a there;
           * ONNX Runtime returns a exactly (its coordinate is clamped first). */
          float ddx = ix0 == ix1 ? 0.f : dx, ddy = iy0 == iy1 ? 0.f : dy;
          for (int64_t c = 0; c < C; ++c) {
            float top = v00[c] + (v01[c] - v00[c]) * ddx;
            float bot = v10[c] + (v11[c] - v10[c]) * ddx;
            dst[c] = top + (bot - top) * ddy;
          }
        } else {
          int64_t yy = dy >= 0.5f ? iy1 : iy0, xs = dx >= 0.5f ? ix1 : ix0;
          memcpy(dst, b + (yy * IW + xs) * C, C * sizeof(float));
        }
      }
    }
}

static double get_as_double(const void *p, int dt, int64_t i) {
  switch (dt) {
  case T_F32: return ((const float *)p)[i];
  case T_I8: return ((const int8_t *)p)[i];
  case T_I32: return ((const int32_t *)p)[i];
  case T_I64: return (double)((const int64_t *)p)[i];
  default: return ((const uint8_t *)p)[i] != 0;
  }
}

static void run_cast(const step_t *s, val_t *v) {
  const val_t *X = &v[s->in[0]];
  val_t *O = &v[s->out];
  for (int64_t i = 0; i < O->numel; ++i) {
    double d = get_as_double(X->ptr, X->dt, i);
    if (O->dt != T_F32 && O->dt != T_BOOL && X->dt == T_F32)
      d = nearbyint(d); /* TOSA: round to nearest, ties to even, then saturate */
    switch (O->dt) {
    case T_F32: ((float *)O->ptr)[i] = (float)d; break;
    case T_I8: ((int8_t *)O->ptr)[i] = (int8_t)(d < -128 ? -128 : d > 127 ? 127 : d); break;
    case T_I32:
      ((int32_t *)O->ptr)[i] = (int32_t)(d < -2147483648.0 ? -2147483648.0
                                         : d > 2147483647.0 ? 2147483647.0 : d);
      break;
    case T_I64: ((int64_t *)O->ptr)[i] = (int64_t)d; break;
    default: ((uint8_t *)O->ptr)[i] = d != 0; break;
    }
  }
}

static void run_gather_scatter(const step_t *s, val_t *v) {
  const val_t *X = &v[s->in[0]];
  val_t *O = &v[s->out];
  int a = (int)s->a[0];
  size_t es = esize(O->dt);
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < a; ++d)
    outer *= O->dims[d];
  for (int d = a + 1; d < O->rank; ++d)
    inner *= O->dims[d];
  int64_t xl = X->dims[a], ol = O->dims[a];
  const char *x = X->ptr;
  char *o = O->ptr;
  for (int64_t p = 0; p < outer; ++p) {
    if (s->kind == K_GATHER) {
      for (int64_t j = 0; j < ol; ++j)
        memcpy(o + ((p * ol + j) * inner) * es, x + ((p * xl + s->idx[j]) * inner) * es,
               inner * es);
    } else {
      for (int64_t c = 0; c < ol; ++c) {
        float f = s->fill ? s->fill[c] : 0.f;
        for (int64_t i = 0; i < inner; ++i) {
          if (O->dt == T_F32)
            ((float *)o)[(p * ol + c) * inner + i] = f;
          else
            ((int8_t *)o)[(p * ol + c) * inner + i] = (int8_t)f;
        }
      }
      for (int64_t j = 0; j < xl; ++j)
        memcpy(o + ((p * ol + s->idx[j]) * inner) * es, x + ((p * xl + j) * inner) * es,
               inner * es);
    }
  }
}

static void layer_input_hook(ajpq_executor_t *ex, const step_t *s, const float **x) {
  const val_t *X = &ex->vals[s->in[0]];
  int l = s->layer;
  if (l < 0 || X->dt != T_F32)
    return;
  if (ex->cal_min) {
    float mn = ex->cal_min[l], mx = ex->cal_max[l];
    const float *p = X->ptr;
    for (int64_t i = 0; i < X->numel; ++i) {
      mn = p[i] < mn ? p[i] : mn;
      mx = p[i] > mx ? p[i] : mx;
    }
    ex->cal_min[l] = mn, ex->cal_max[l] = mx;
  }
  if (ex->hist && ex->hist_hi[l] > ex->hist_lo[l]) {
    const float *p = X->ptr;
    double lo = ex->hist_lo[l], w = ((double)ex->hist_hi[l] - lo) / ex->hist_bins;
    uint64_t *h = ex->hist + (size_t)l * (size_t)ex->hist_bins;
    for (int64_t i = 0; i < X->numel; ++i) {
      double b = floor((p[i] - lo) / w);
      int64_t k = b < 0 ? 0 : b >= ex->hist_bins ? ex->hist_bins - 1 : (int64_t)b;
      h[k]++;
    }
  }
  if (ex->obs_fn) /* ajpq_executor_observe: the float input, valid samples only */
    ex->obs_fn(ex->obs_user, l, X->ptr, ex->pbatch > 1 ? ex->obs_n : 1);
  if (ex->aq_on[l]) {
    memcpy(ex->aq_buf, X->ptr, X->numel * sizeof(float));
    ajpq_k_fake_quant(ex->aq_buf, X->numel, ex->aq[l].scale, ex->aq[l].zero_point,
                      ex->aq[l].bits);
    *x = ex->aq_buf;
  }
}

#include <time.h>
static double prof_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
static double prof_ms[32];
static int prof_on = -1;

/* AJPQ_EXEC_PROFILE=1 prints per-kernel-kind times at exit (development aid). */
static void prof_dump(void) {
  static const char *nm[] = {"conv", "dwconv", "tconv", "fc", "bmm", "bin", "un", "clamp",
                             "select", "maxpool", "avgpool", "reduce", "reshape", "transpose",
                             "concat", "slice", "pad", "tile", "resize", "cast", "copy", "qconv",
                             "qfc", "quant", "dequant", "gather", "scatter"};
  for (int i = 0; i <= K_SCATTER; ++i)
    if (prof_ms[i] > 0)
      fprintf(stderr, "ajpq-executor profile: %-10s %10.2f ms\n", nm[i], prof_ms[i]);
}

static void exec_steps(ajpq_executor_t *ex) {
  val_t *v = ex->vals;
  int th = ex->threads;
  if (prof_on < 0) {
    const char *e = getenv("AJPQ_EXEC_PROFILE");
    prof_on = e && *e == '1';
    if (prof_on)
      atexit(prof_dump);
  }
  for (int si = 0; si < ex->nsteps; ++si) {
    step_t *s = &ex->steps[si];
    double t0 = prof_on ? prof_now() : 0;
    const float *x = v[s->in[0]].ptr;
    float *y = v[s->out].ptr;
    layer_input_hook(ex, s, &x);
    switch (s->kind) {
    case K_CONV: ajpq_k_conv2d(&s->g, x, s->w, s->bias, ex->col, y, th); break;
    case K_DWCONV:
      if (s->mult == 1) {
        ajpq_k_depthwise_m1(&s->g, x, s->w, s->bias, s->fused ? s->lo : -INFINITY,
                            s->fused ? s->hi : INFINITY, y, th);
        if (prof_on)
          prof_ms[s->kind] += prof_now() - t0;
        continue;
      }
      ajpq_k_depthwise(&s->g, s->mult, x, s->w, s->bias, y, th);
      break;
    case K_TCONV: ajpq_k_transpose_conv2d(&s->g, x, s->w, s->bias, y); break;
    case K_FC: ajpq_k_fc(s->m, s->k, s->n, x, s->w, s->bias, y, th); break;
    case K_BMM:
      ajpq_k_bmm(s->a[0], s->m, s->k, s->n, x, v[s->in[1]].ptr, v[s->in[1]].dims[0] == 1, y);
      break;
    case K_QCONV:
      if (v[s->in[0]].dt == T_I8)
        ajpq_k_qconv2d(&s->g, s->groups, (const int8_t *)x, s->zx, s->sx, s->q, s->scale, s->zp,
                       s->bias, y, th);
      else
        ajpq_k_conv2d_grouped(&s->g, s->groups, x, s->w, s->bias, y, th);
      break;
    case K_QFC: {
      ajpq_conv_geom_t g = {.n = 1, .h = 1, .w = s->m, .c = s->k, .oh = 1, .ow = s->m,
                            .oc = s->n, .kh = 1, .kw = 1, .sh = 1, .sw = 1, .dh = 1, .dw = 1};
      ajpq_k_qconv2d(&g, 1, (const int8_t *)x, s->zx, s->sx, s->q, s->scale, s->zp, s->bias, y,
                     th);
      break;
    }
    case K_BIN: run_bin(s, v); break;
    case K_SELECT: run_select(s, v); break;
    case K_UN: run_unary(s, v); break;
    case K_CLAMP: {
      float lo = s->f[0], hi = s->f[1];
      for (int64_t i = 0; i < v[s->out].numel; ++i) {
        float e = x[i];
        y[i] = e < lo ? lo : e > hi ? hi : e;
      }
      break;
    }
    case K_MAXPOOL: ajpq_k_maxpool(&s->g, x, y, th); break;
    case K_AVGPOOL: ajpq_k_avgpool(&s->g, x, y, th); break;
    case K_REDUCE: run_reduce(s, v); break;
    case K_RESHAPE:
      if (v[s->out].ptr != v[s->in[0]].ptr)
        memcpy(v[s->out].ptr, v[s->in[0]].ptr, v[s->out].numel * esize(v[s->out].dt));
      break;
    case K_COPY:
      memcpy(v[s->out].ptr, v[s->in[0]].ptr, v[s->out].numel * esize(v[s->out].dt));
      break;
    case K_TRANSPOSE: run_transpose(s, v); break;
    case K_CONCAT: run_concat(s, v); break;
    case K_SLICE: run_box(&v[s->in[0]], &v[s->out], s->a, false); break;
    case K_PAD: {
      val_t *O = &v[s->out];
      for (int64_t i = 0; i < O->numel; ++i)
        y[i] = s->f[0];
      int64_t lo[MAXR];
      for (int d = 0; d < O->rank; ++d)
        lo[d] = s->a[2 * d];
      run_box(&v[s->in[0]], O, lo, true);
      break;
    }
    case K_TILE: run_tile(s, v); break;
    case K_RESIZE: run_resize(s, v); break;
    case K_CAST: run_cast(s, v); break;
    case K_QUANT: {
      ajpq_act_qparams_t p = {s->sx, s->zx, (int32_t)s->a[0]};
      ajpq_act_quantize(x, v[s->out].numel, &p, (int8_t *)y);
      break;
    }
    case K_DEQUANT:
      ajpq_act_dequantize((const int8_t *)x, v[s->out].numel, s->sx, s->zx, y);
      break;
    case K_GATHER: case K_SCATTER: run_gather_scatter(s, v); break;
    }
    if (s->fused)
      ajpq_k_clamp(y, v[s->out].numel, s->lo, s->hi, th);
    if (prof_on)
      prof_ms[s->kind] += prof_now() - t0;
  }
}

/* ---- public API --------------------------------------------------------------------------- */

void ajpq_executor_options_init(ajpq_executor_options_t *opts) {
  opts->batch = 1;
  opts->threads = 0;
}

MlirContext ajpq_executor_context_create(void) {
  MlirDialectRegistry reg = mlirDialectRegistryCreate();
  mlirRegisterAllDialects(reg);
  MlirContext ctx = mlirContextCreateWithRegistry(reg, false);
  mlirDialectRegistryDestroy(reg);
  mlirContextSetAllowUnregisteredDialects(ctx, true);
  ajpq_dialect_load(ctx);
  return ctx;
}

static void diag_text(MlirStringRef s, void *ud) {
  char *b = ud;
  size_t l = strlen(b), c = s.length < 1023 - l ? s.length : 1023 - l;
  memcpy(b + l, s.data, c);
  b[l + c] = 0;
}

static MlirLogicalResult diag_handler(MlirDiagnostic d, void *ud) {
  char *b = ud;
  if (!b[0]) {
    mlirLocationPrint(mlirDiagnosticGetLocation(d), diag_text, b);
    diag_text(mlirStringRefCreateFromCString(": "), b);
    mlirDiagnosticPrint(d, diag_text, b);
  }
  return mlirLogicalResultSuccess();
}

ajpq_status_t ajpq_executor_parse_file(MlirContext ctx, const char *path, MlirModule *out) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return ajpq_status_make(AJPQ_IO_ERROR, "%s: cannot open", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  if (n < 0 || n > (1L << 31)) {
    fclose(f);
    return ajpq_status_make(AJPQ_IO_ERROR, "%s: cannot size file", path);
  }
  char *buf = malloc(n + 1);
  if (!buf || fread(buf, 1, n, f) != (size_t)n) {
    free(buf);
    fclose(f);
    return ajpq_status_make(AJPQ_IO_ERROR, "%s: read failed", path);
  }
  fclose(f);
  buf[n] = 0;
  /* MLIR's recursive-descent parser overflows the stack on deeply nested
   * input: refuse it first (a clear error, not a segfault). */
  unsigned line = 0, col = 0;
  if (!ajpq_mlir_nesting_ok(buf, (size_t)n, AJPQ_MLIR_MAX_NESTING, &line, &col)) {
    free(buf);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED,
                            "%s:%u:%u: brackets nested deeper than %d levels (refused: MLIR's "
                            "parser would overflow its stack)",
                            path, line, col, AJPQ_MLIR_MAX_NESTING);
  }
  free(buf);
  char msg[1024] = "";
  MlirDiagnosticHandlerID h = mlirContextAttachDiagnosticHandler(ctx, diag_handler, msg, NULL);
  /* Parsed from the file so diagnostics carry its name ("model.mlir":3:5),
   * not the "-" of an anonymous buffer. */
  MlirModule m = mlirModuleCreateParseFromFile(ctx, mlirStringRefCreateFromCString(path));
  if (!mlirModuleIsNull(m) && !mlirOperationVerify(mlirModuleGetOperation(m))) {
    mlirModuleDestroy(m);
    m.ptr = NULL;
  }
  mlirContextDetachDiagnosticHandler(ctx, h);
  if (mlirModuleIsNull(m))
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "%s: MLIR parse/verify failed: %s", path,
                            msg[0] ? msg : "(no diagnostic)");
  *out = m;
  return NULL;
}

static int resolve_threads(int t) {
  if (t > 0)
    return t;
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

ajpq_status_t ajpq_executor_create(MlirOperation func, const ajpq_executor_options_t *opts,
                                   ajpq_executor_t **out) {
  ajpq_executor_options_t o;
  ajpq_executor_options_init(&o);
  if (opts)
    o = *opts;
  if (o.batch < 1 || o.batch > (1 << 20) || o.threads < 0)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "batch must be >= 1 and threads >= 0");
  ajpq_executor_t *ex = calloc(1, sizeof *ex);
  if (!ex)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  ex->batch = o.batch;
  ex->threads = resolve_threads(o.threads);
  ajpq_status_t st = ajpq_exec_plan(ex, func);
  if (st) {
    ajpq_executor_destroy(ex);
    return st;
  }
  *out = ex;
  return NULL;
}

ajpq_status_t ajpq_executor_create_from_module(MlirModule module, const char *func_name,
                                               const ajpq_executor_options_t *opts,
                                               ajpq_executor_t **out) {
  MlirBlock body = mlirModuleGetBody(module);
  MlirOperation first = {NULL}, pick = {NULL};
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    MlirStringRef nm = mlirIdentifierStr(mlirOperationGetName(op));
    if (nm.length != 9 || memcmp(nm.data, "func.func", 9))
      continue;
    MlirAttribute sym = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("sym_name"));
    MlirStringRef s = mlirStringAttrGetValue(sym);
    const char *want = func_name ? func_name : "main";
    if (s.length == strlen(want) && !memcmp(s.data, want, s.length))
      pick = op;
    if (mlirOperationIsNull(first))
      first = op;
  }
  if (mlirOperationIsNull(pick) && !func_name)
    pick = first;
  if (mlirOperationIsNull(pick))
    return ajpq_status_make(AJPQ_NOT_FOUND, "no func.func named '%s' in the module",
                            func_name ? func_name : "main");
  return ajpq_executor_create(pick, opts, out);
}

void ajpq_executor_destroy(ajpq_executor_t *ex) {
  if (!ex)
    return;
  ajpq_exec_free_plan(ex);
  free(ex);
}

void ajpq_executor_set_threads(ajpq_executor_t *ex, int threads) {
  ex->threads = resolve_threads(threads);
}

int64_t ajpq_executor_batch(const ajpq_executor_t *ex) { return ex->batch; }
int ajpq_executor_num_inputs(const ajpq_executor_t *ex) { return ex->nin; }
int ajpq_executor_num_outputs(const ajpq_executor_t *ex) { return ex->nout; }

const ajpq_executor_tensor_info_t *ajpq_executor_input_info(const ajpq_executor_t *ex, int i) {
  return i >= 0 && i < ex->nin ? &ex->in_info[i] : NULL;
}
const ajpq_executor_tensor_info_t *ajpq_executor_output_info(const ajpq_executor_t *ex, int i) {
  return i >= 0 && i < ex->nout ? &ex->out_info[i] : NULL;
}

static void store_from_float(val_t *v, const float *src, int64_t n) {
  if (v->dt == T_F32) {
    memcpy(v->ptr, src, n * sizeof(float));
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    float d = src[i];
    switch (v->dt) {
    case T_I8: ((int8_t *)v->ptr)[i] = (int8_t)d; break;
    case T_I32: ((int32_t *)v->ptr)[i] = (int32_t)d; break;
    case T_I64: ((int64_t *)v->ptr)[i] = (int64_t)d; break;
    default: ((uint8_t *)v->ptr)[i] = d != 0; break;
    }
  }
}

static void load_to_float(const val_t *v, int64_t off, float *dst, int64_t n) {
  if (v->dt == T_F32) {
    memcpy(dst, (const float *)v->ptr + off, n * sizeof(float));
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    dst[i] = (float)get_as_double(v->ptr, v->dt, off + i);
}

static ajpq_status_t run_impl(ajpq_executor_t *ex, int64_t n, const float *const *inputs,
                              float *const *outputs) {
  if (n < 1 || n > ex->batch || !inputs)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "run: %lld samples for batch %lld",
                            (long long)n, (long long)ex->batch);
  for (int i = 0; i < ex->nin; ++i)
    if (!inputs[i])
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "run: input %d is NULL", i);
  openblas_set_num_threads(1); /* the executor parallelises GEMMs itself (kernels.c) */
  if (ex->pbatch > 1) {
    for (int i = 0; i < ex->nin; ++i) {
      val_t *v = &ex->vals[ex->in_vals[i]];
      int64_t per = v->numel / ex->pbatch;
      if (v->dt == T_F32) {
        memcpy(v->ptr, inputs[i], n * per * sizeof(float));
        memset((float *)v->ptr + n * per, 0, (ex->pbatch - n) * per * sizeof(float));
      } else {
        store_from_float(v, inputs[i], v->numel); /* (rare) non-f32 arguments: whole batch */
      }
    }
    exec_steps(ex);
    for (int i = 0; outputs && i < ex->nout; ++i) {
      if (!outputs[i])
        continue;
      val_t *v = &ex->vals[ex->out_vals[i]];
      int64_t cnt = v->bax == 0 ? n * (v->numel / ex->pbatch) : v->numel;
      load_to_float(v, 0, outputs[i], cnt);
    }
    return NULL;
  }
  for (int64_t smp = 0; smp < n; ++smp) {
    for (int i = 0; i < ex->nin; ++i) {
      val_t *v = &ex->vals[ex->in_vals[i]];
      store_from_float(v, inputs[i] + smp * v->numel, v->numel);
    }
    exec_steps(ex);
    for (int i = 0; outputs && i < ex->nout; ++i) {
      if (!outputs[i])
        continue;
      val_t *v = &ex->vals[ex->out_vals[i]];
      load_to_float(v, 0, outputs[i] + smp * v->numel, v->numel);
    }
  }
  return NULL;
}

ajpq_status_t ajpq_executor_run(ajpq_executor_t *ex, int64_t n, const float *const *inputs,
                                float *const *outputs) {
  if (!outputs)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "run: outputs is NULL");
  return run_impl(ex, n, inputs, outputs);
}

int ajpq_executor_num_layers(const ajpq_executor_t *ex) { return ex->nlayers; }

const ajpq_executor_layer_t *ajpq_executor_layer(const ajpq_executor_t *ex, int layer) {
  return layer >= 0 && layer < ex->nlayers ? &ex->layers[layer] : NULL;
}

ajpq_status_t ajpq_executor_get_weights(const ajpq_executor_t *ex, int layer, float *dst) {
  if (layer < 0 || layer >= ex->nlayers || !dst)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "get_weights: no layer %d", layer);
  const step_t *s = &ex->steps[ex->layer_step[layer]];
  memcpy(dst, s->w_orig, s->n * s->k * sizeof(float));
  return NULL;
}

ajpq_status_t ajpq_executor_get_bias(const ajpq_executor_t *ex, int layer, float *dst) {
  if (layer < 0 || layer >= ex->nlayers || !dst)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "get_bias: no layer %d", layer);
  const step_t *s = &ex->steps[ex->layer_step[layer]];
  for (int64_t o = 0; o < s->n; ++o)
    dst[o] = s->bias ? s->bias[o] : 0.f;
  return NULL;
}

static void install(step_t *s, const float *w) {
  int64_t O = s->n, K = s->k;
  if (s->kind == K_DWCONV) {
    for (int64_t o = 0; o < O; ++o)
      for (int64_t kk = 0; kk < K; ++kk)
        s->w[kk * O + o] = w[o * K + kk];
  } else {
    memcpy(s->w, w, O * K * sizeof(float));
  }
}

ajpq_status_t ajpq_executor_set_weights(ajpq_executor_t *ex, int layer, const float *w) {
  if (layer < 0 || layer >= ex->nlayers || !w)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "set_weights: no layer %d", layer);
  step_t *s = &ex->steps[ex->layer_step[layer]];
  for (int64_t i = 0; i < s->n * s->k; ++i)
    if (!isfinite(w[i]))
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "set_weights: layer %d: non-finite weight at %lld", layer,
                              (long long)i);
  install(s, w);
  return NULL;
}

void ajpq_executor_reset_weights(ajpq_executor_t *ex, int layer) {
  for (int l = 0; l < ex->nlayers; ++l)
    if (layer < 0 || l == layer) {
      step_t *s = &ex->steps[ex->layer_step[l]];
      install(s, s->w_orig);
    }
}

ajpq_status_t ajpq_executor_set_input_quant(ajpq_executor_t *ex, int layer,
                                            const ajpq_executor_act_quant_t *q) {
  if (layer >= ex->nlayers)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "set_input_quant: no layer %d", layer);
  if (q) {
    int32_t qmin = -(1 << (q->bits - 1)), qmax = (1 << (q->bits - 1)) - 1;
    if (q->bits < 2 || q->bits > 8 || !(q->scale > 0) || !isfinite(q->scale) ||
        q->zero_point < qmin || q->zero_point > qmax)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "set_input_quant: layer %d: bits %d, scale %g, zero point %d "
                              "(need bits 2..8, scale > 0, zero point in range)",
                              layer, q->bits, (double)q->scale, q->zero_point);
  }
  for (int l = 0; l < ex->nlayers; ++l)
    if (layer < 0 || l == layer) {
      ex->aq_on[l] = q != NULL;
      if (q)
        ex->aq[l] = *q;
    }
  return NULL;
}

/* Runs the graph for its side effects (calibration ranges, histograms, observers) with every
 * output left unwritten (NULL output buffers). */
static ajpq_status_t run_for_side_effects(ajpq_executor_t *ex, int64_t n,
                                          const float *const *inputs) {
  float **outs = calloc(ex->nout + 1, sizeof(float *));
  ajpq_status_t st = outs ? run_impl(ex, n, inputs, outs)
                          : ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  free(outs);
  return st;
}

ajpq_status_t ajpq_executor_calibrate(ajpq_executor_t *ex, int64_t n, const float *const *inputs,
                                      float *mins, float *maxs) {
  if (!mins || !maxs)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "calibrate: mins/maxs are NULL");
  ex->cal_min = mins;
  ex->cal_max = maxs;
  ajpq_status_t st = run_for_side_effects(ex, n, inputs);
  ex->cal_min = ex->cal_max = NULL;
  return st;
}

ajpq_status_t ajpq_executor_calibrate_hist(ajpq_executor_t *ex, int64_t n,
                                           const float *const *inputs, const float *lo,
                                           const float *hi, int bins, uint64_t *hist) {
  if (!lo || !hi || !hist || bins < 1)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "calibrate_hist: bad ranges/histogram");
  ex->hist_lo = lo;
  ex->hist_hi = hi;
  ex->hist_bins = bins;
  ex->hist = hist;
  ajpq_status_t st = run_for_side_effects(ex, n, inputs);
  ex->hist = NULL;
  ex->hist_lo = ex->hist_hi = NULL;
  return st;
}

ajpq_status_t ajpq_executor_observe(ajpq_executor_t *ex, int64_t n, const float *const *inputs,
                                    ajpq_executor_observer_fn fn, void *user) {
  if (!fn)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "observe: no observer");
  ex->obs_fn = fn;
  ex->obs_user = user;
  ex->obs_n = n;
  ajpq_status_t st = run_for_side_effects(ex, n, inputs);
  ex->obs_fn = NULL;
  ex->obs_user = NULL;
  return st;
}

ajpq_status_t ajpq_executor_set_bias(ajpq_executor_t *ex, int layer, const float *b) {
  if (layer < 0 || layer >= ex->nlayers || !b)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "set_bias: no layer %d", layer);
  step_t *s = &ex->steps[ex->layer_step[layer]];
  if (!s->bias)
    return ajpq_status_make(AJPQ_UNIMPLEMENTED, "set_bias: layer %d has no bias operand", layer);
  for (int64_t o = 0; o < s->n; ++o)
    if (!isfinite(b[o]))
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "set_bias: layer %d: non-finite bias at %lld",
                              layer, (long long)o);
  memcpy(s->bias, b, s->n * sizeof(float));
  return NULL;
}

ajpq_status_t ajpq_executor_act_quant_from_range(float min, float max, int bits,
                                                 ajpq_executor_act_quant_t *out) {
  ajpq_act_qparams_t p;
  AJPQ_RETURN_IF_ERROR(ajpq_act_qparams_from_range(min, max, bits, false, &p));
  out->scale = p.scale;
  out->zero_point = p.zero_point;
  out->bits = p.bits;
  return NULL;
}
