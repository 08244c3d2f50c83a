/* kernels.c — float and integer compute kernels of the reference executor.
 * Float conv: im2col + OpenBLAS sgemm (paper-independent, standard); depthwise: direct NHWC loop;
 * integer ajpq conv: exact int32 accumulation per docs/dialect.md. */
#include "kernels.h"
#include "pool.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/* Arguments of one parallel kernel invocation (each row/chunk function reads what it needs). */
typedef struct {
  const ajpq_conv_geom_t *g;
  const float *x, *w, *bias;
  const int8_t *xi;
  float *y, *col;
  int64_t mult, groups, K, m, k, n, per;
  float lo, hi, sx;
  int32_t zx;
  const uint8_t *q;
  const float *scale, *zp;
} kctx_t;

/* Threads for a kernel of `work` multiply-adds (or element moves): small layers stay on the
 * caller's thread — every fork/join is a chance to wait for a preempted worker. */
static int par(int threads, int64_t rows, int64_t work) {
  return rows > 1 && work >= ((int64_t)1 << 20) ? threads : 1;
}

int64_t ajpq_k_out_dim(int64_t in, int64_t k, int64_t s, int64_t d, int64_t p0, int64_t p1) {
  int64_t num = in + p0 + p1 - d * (k - 1) - 1;
  if (num < 0 || s <= 0)
    return 0;
  return num / s + 1;
}

static void im2col_row(void *arg, int64_t r) {
  const kctx_t *k = arg;
  const ajpq_conv_geom_t *g = k->g;
  const float *x = k->x;
  float *col = k->col;
  const int64_t K = k->K;

  int64_t n = r / g->oh, oh = r % g->oh;
  for (int64_t ow = 0; ow < g->ow; ++ow) {
    float *dst = col + ((r * g->ow) + ow) * K;
    for (int64_t kh = 0; kh < g->kh; ++kh) {
      int64_t ih = oh * g->sh - g->pt + kh * g->dh;
      for (int64_t kw = 0; kw < g->kw; ++kw) {
        int64_t iw = ow * g->sw - g->pl + kw * g->dw;
        const int64_t c = g->c;
        if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) {
          for (int64_t ci = 0; ci < c; ++ci)
            dst[ci] = 0.f;
        } else {
          /* few channels (the first conv: RGB): an inline copy, not a memcpy call */
          const float *src = x + ((n * g->h + ih) * g->w + iw) * c;
          for (int64_t ci = 0; ci < c; ++ci)
            dst[ci] = src[ci];
        }
        dst += c;
      }
    }
  }
}

static void im2col(const ajpq_conv_geom_t *g, const float *x, float *col, int threads) {
  const int64_t K = g->kh * g->kw * g->c;
  const int64_t rows = g->n * g->oh;
  kctx_t kc = {.g = g, .x = x, .col = col, .K = K};
  ajpq_pool_run(par(threads, rows, rows * g->ow * K), rows, im2col_row, &kc);
}

static void fc_block(int64_t m, int64_t k, int64_t n, const float *x, const float *w,
                     const float *bias, float *y, int64_t ldy) {
  float beta = 0.f;
  if (bias) {
    for (int64_t i = 0; i < m; ++i)
      memcpy(y + i * ldy, bias, sizeof(float) * n);
    beta = 1.f;
  }
  if (m == 1)
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, 1.f, w, (int)k, x, 1, beta, y, 1);
  else
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k, 1.f, x, (int)k, w,
                (int)k, beta, y, (int)ldy);
}

static void gemv_chunk(void *arg, int64_t t) {
  const kctx_t *k = arg;
  int64_t n0 = t * k->per, n1 = n0 + k->per < k->n ? n0 + k->per : k->n;
  if (n1 > n0)
    fc_block(1, k->k, n1 - n0, k->x, k->w + n0 * k->k, k->bias ? k->bias + n0 : NULL, k->y + n0,
             n1 - n0);
}

static void gemm_chunk(void *arg, int64_t t) {
  const kctx_t *k = arg; /* k->per = number of chunks; chunk t = rows [t*m/per, (t+1)*m/per) */
  int64_t m0 = t * k->m / k->per, m1 = (t + 1) * k->m / k->per;
  if (m1 > m0)
    fc_block(m1 - m0, k->k, k->n, k->x + m0 * k->k, k->w, k->bias, k->y + m0 * k->n, k->n);
}

/* OpenBLAS runs single-threaded (ajpq_executor_run sets it); the executor splits the work
 * itself on its worker pool (pool.c), so only one set of threads exists: rows of M for a GEMM,
 * output channels for a GEMV.
 * The split depends on the SHAPE only, never on `threads` (threads=1 runs the same chunks):
 * OpenBLAS picks kernels by call shape, so one output row's bits depend on the call it is part
 * of. The old split by thread count (m/(4*threads) rows, >= 16) made threads=1 and 2 differ in
 * the last bits: a 192x200x32 sgemm (PP-OCR cls's 1x1 convs) split into 16-32-row calls, and a
 * 2048x1024 sgemv split in halves (test/executor/threads-deterministic.test). Measured with
 * OpenBLAS 0.3.21 (Cooperlake kernels) on 10 GEMM and 6 GEMV shapes: GEMM chunks of >= 2^20
 * multiply-adds and GEMV chunks starting at multiples of 16 rows give exactly the one-call
 * bits, so the split also keeps threads=1 results (and its speed) as they were. */
enum { FC_MIN_WORK = 1 << 20, FC_GEMM_CHUNKS = 16, FC_GEMV_CHUNKS = 8 };

void ajpq_k_fc(int64_t m, int64_t k, int64_t n, const float *x, const float *w, const float *bias,
               float *y, int threads) {
  int64_t work = m * k * n, nch = work / FC_MIN_WORK;
  if (nch < 2) {
    fc_block(m, k, n, x, w, bias, y, n);
    return;
  }
  kctx_t kc = {.x = x, .w = w, .bias = bias, .y = y, .m = m, .k = k, .n = n};
  if (m == 1) {
    if (nch > FC_GEMV_CHUNKS)
      nch = FC_GEMV_CHUNKS;
    kc.per = ((n + nch - 1) / nch + 15) / 16 * 16;
    ajpq_pool_run(threads, (n + kc.per - 1) / kc.per, gemv_chunk, &kc);
    return;
  }
  /* up to 16 chunks (each >= 2^20 multiply-adds) handed out dynamically: a preempted vCPU
   * (shared machines) delays the layer by one chunk, not by a whole thread's share. */
  if (nch > FC_GEMM_CHUNKS)
    nch = FC_GEMM_CHUNKS;
  if (nch > m)
    nch = m;
  kc.per = nch;
  ajpq_pool_run(threads, nch, gemm_chunk, &kc);
}

void ajpq_k_conv2d(const ajpq_conv_geom_t *g, const float *x, const float *w, const float *bias,
                   float *col, float *y, int threads) {
  const int64_t K = g->kh * g->kw * g->c;
  const int64_t M = g->n * g->oh * g->ow;
  const float *a = x;
  if (!(g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 &&
        g->oh == g->h && g->ow == g->w)) {
    im2col(g, x, col, threads);
    a = col;
  }
  ajpq_k_fc(M, K, g->oc, a, w, bias, y, threads);
}

static void ajpq_k_depthwise_row(void *arg, int64_t r) {
  const kctx_t *k = arg;
  const ajpq_conv_geom_t *g = k->g;
  const float *x = k->x, *wt = k->w, *bias = k->bias;
  float *y = k->y;
  const int64_t oc = g->oc, mult = k->mult;

  int64_t n = r / g->oh, oh = r % g->oh;
  for (int64_t ow = 0; ow < g->ow; ++ow) {
    float *out = y + (r * g->ow + ow) * oc;
    if (bias)
      memcpy(out, bias, sizeof(float) * oc);
    else
      memset(out, 0, sizeof(float) * oc);
    for (int64_t kh = 0; kh < g->kh; ++kh) {
      int64_t ih = oh * g->sh - g->pt + kh * g->dh;
      if (ih < 0 || ih >= g->h)
        continue;
      for (int64_t kw = 0; kw < g->kw; ++kw) {
        int64_t iw = ow * g->sw - g->pl + kw * g->dw;
        if (iw < 0 || iw >= g->w)
          continue;
        const float *in = x + ((n * g->h + ih) * g->w + iw) * g->c;
        const float *wr = wt + (kh * g->kw + kw) * oc;
        if (mult == 1) {
          for (int64_t o = 0; o < oc; ++o)
            out[o] += in[o] * wr[o];
        } else {
          for (int64_t o = 0; o < oc; ++o)
            out[o] += in[o / mult] * wr[o];
        }
      }
    }
  }
}

void ajpq_k_depthwise(const ajpq_conv_geom_t *g, int64_t mult, const float *x, const float *wt,
                      const float *bias, float *y, int threads) {
  const int64_t rows = g->n * g->oh;
  kctx_t kc = {.g = g, .x = x, .w = wt, .bias = bias, .y = y, .mult = mult};
  ajpq_pool_run(par(threads, rows, rows * g->ow * g->oc * g->kh * g->kw), rows,
                ajpq_k_depthwise_row, &kc);
}

void ajpq_k_clamp(float *y, int64_t n, float lo, float hi, int threads) {
  (void)threads;
  for (int64_t i = 0; i < n; ++i) {
    float e = y[i];
    y[i] = e < lo ? lo : e > hi ? hi : e;
  }
}

#if defined(__AVX512F__)
/* One output row (n, oh) of a channel-multiplier-1 depthwise conv: 16-channel blocks (masked
 * tail) accumulated in zmm registers over the window, 4 output pixels at a time where the window
 * is inside the image (independent FMA chains), clamp fused into the store. */
static void dw_row(const ajpq_conv_geom_t *g, const float *x, const float *wt, const float *bias,
                   float lo, float hi, float *y, int64_t n, int64_t oh) {
  const int64_t C = g->c, sx = g->sw * C;
  const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  for (int64_t cb = 0; cb < C; cb += 16) {
    __mmask16 m = C - cb >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (C - cb)) - 1);
    __m512 b = bias ? _mm512_maskz_loadu_ps(m, bias + cb) : _mm512_setzero_ps();
    float *orow = y + (n * g->oh + oh) * g->ow * C + cb;
    int64_t ow = 0;
    while (ow < g->ow) {
      int64_t iw0 = ow * g->sw - g->pl;
      if (ow + 4 <= g->ow && iw0 >= 0 && iw0 + 3 * g->sw + (g->kw - 1) * g->dw < g->w) {
        __m512 a0 = b, a1 = b, a2 = b, a3 = b;
        for (int64_t kh = 0; kh < g->kh; ++kh) {
          int64_t ih = oh * g->sh - g->pt + kh * g->dh;
          if (ih < 0 || ih >= g->h)
            continue;
          const float *xr = x + ((n * g->h + ih) * g->w + iw0) * C + cb;
          const float *wr = wt + kh * g->kw * C + cb;
          for (int64_t kw = 0; kw < g->kw; ++kw) {
            __m512 wv = _mm512_maskz_loadu_ps(m, wr + kw * C);
            const float *xp = xr + kw * g->dw * C;
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, xp), wv, a0);
            a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, xp + sx), wv, a1);
            a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, xp + 2 * sx), wv, a2);
            a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, xp + 3 * sx), wv, a3);
          }
        }
        float *o = orow + ow * C;
        _mm512_mask_storeu_ps(o, m, _mm512_min_ps(_mm512_max_ps(a0, vlo), vhi));
        _mm512_mask_storeu_ps(o + C, m, _mm512_min_ps(_mm512_max_ps(a1, vlo), vhi));
        _mm512_mask_storeu_ps(o + 2 * C, m, _mm512_min_ps(_mm512_max_ps(a2, vlo), vhi));
        _mm512_mask_storeu_ps(o + 3 * C, m, _mm512_min_ps(_mm512_max_ps(a3, vlo), vhi));
        ow += 4;
        continue;
      }
      __m512 acc = b;
      for (int64_t kh = 0; kh < g->kh; ++kh) {
        int64_t ih = oh * g->sh - g->pt + kh * g->dh;
        if (ih < 0 || ih >= g->h)
          continue;
        const float *xr = x + (n * g->h + ih) * g->w * C + cb;
        const float *wr = wt + kh * g->kw * C + cb;
        for (int64_t kw = 0; kw < g->kw; ++kw) {
          int64_t iw = iw0 + kw * g->dw;
          if (iw < 0 || iw >= g->w)
            continue;
          acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, xr + iw * C),
                                _mm512_maskz_loadu_ps(m, wr + kw * C), acc);
        }
      }
      _mm512_mask_storeu_ps(orow + ow * C, m, _mm512_min_ps(_mm512_max_ps(acc, vlo), vhi));
      ++ow;
    }
  }
}
#else
static void dw_row(const ajpq_conv_geom_t *g, const float *x, const float *wt, const float *bias,
                   float lo, float hi, float *y, int64_t n, int64_t oh) {
  const int64_t C = g->c;
  for (int64_t ow = 0; ow < g->ow; ++ow) {
    float *out = y + ((n * g->oh + oh) * g->ow + ow) * C;
    for (int64_t c = 0; c < C; ++c)
      out[c] = bias ? bias[c] : 0.f;
    for (int64_t kh = 0; kh < g->kh; ++kh) {
      int64_t ih = oh * g->sh - g->pt + kh * g->dh;
      if (ih < 0 || ih >= g->h)
        continue;
      for (int64_t kw = 0; kw < g->kw; ++kw) {
        int64_t iw = ow * g->sw - g->pl + kw * g->dw;
        if (iw < 0 || iw >= g->w)
          continue;
        const float *xi = x + ((n * g->h + ih) * g->w + iw) * C, *wi = wt + (kh * g->kw + kw) * C;
        for (int64_t c = 0; c < C; ++c)
          out[c] += xi[c] * wi[c];
      }
    }
    for (int64_t c = 0; c < C; ++c)
      out[c] = out[c] < lo ? lo : out[c] > hi ? hi : out[c];
  }
}
#endif

static void dw_m1_row(void *arg, int64_t r) {
  const kctx_t *k = arg;
  dw_row(k->g, k->x, k->w, k->bias, k->lo, k->hi, k->y, r / k->g->oh, r % k->g->oh);
}

void ajpq_k_depthwise_m1(const ajpq_conv_geom_t *g, const float *x, const float *wt,
                         const float *bias, float lo, float hi, float *y, int threads) {
  const int64_t rows = g->n * g->oh;
  kctx_t kc = {.g = g, .x = x, .w = wt, .bias = bias, .y = y, .lo = lo, .hi = hi};
  ajpq_pool_run(par(threads, rows, rows * g->ow * g->oc * g->kh * g->kw), rows, dw_m1_row,
                &kc);
}

static void ajpq_k_conv2d_grouped_row(void *arg, int64_t r) {
  const kctx_t *k = arg;
  const ajpq_conv_geom_t *g = k->g;
  const float *x = k->x, *w = k->w, *bias = k->bias;
  float *y = k->y;
  const int64_t cpg = g->c / k->groups, opg = g->oc / k->groups, K = g->kh * g->kw * cpg;

  int64_t n = r / g->oh, oh = r % g->oh;
  for (int64_t ow = 0; ow < g->ow; ++ow) {
    float *out = y + (r * g->ow + ow) * g->oc;
    for (int64_t o = 0; o < g->oc; ++o) {
      int64_t grp = o / opg;
      float acc = 0.f;
      const float *wr = w + o * K;
      for (int64_t kh = 0; kh < g->kh; ++kh) {
        int64_t ih = oh * g->sh - g->pt + kh * g->dh;
        for (int64_t kw = 0; kw < g->kw; ++kw) {
          int64_t iw = ow * g->sw - g->pl + kw * g->dw;
          if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w)
            continue;
          const float *in = x + ((n * g->h + ih) * g->w + iw) * g->c + grp * cpg;
          const float *ww = wr + (kh * g->kw + kw) * cpg;
          for (int64_t ci = 0; ci < cpg; ++ci)
            acc += in[ci] * ww[ci];
        }
      }
      out[o] = acc + (bias ? bias[o] : 0.f);
    }
  }
}

void ajpq_k_conv2d_grouped(const ajpq_conv_geom_t *g, int64_t groups, const float *x,
                           const float *w, const float *bias, float *y, int threads) {
  const int64_t rows = g->n * g->oh;
  kctx_t kc = {.g = g, .x = x, .w = w, .bias = bias, .y = y, .groups = groups};
  ajpq_pool_run(par(threads, rows, rows * g->ow * g->oc * g->kh * g->kw * (g->c / groups)), rows,
                ajpq_k_conv2d_grouped_row, &kc);
}

void ajpq_k_bmm(int64_t batch, int64_t m, int64_t k, int64_t n, const float *a, const float *b,
                int b_shared, float *c) {
  for (int64_t i = 0; i < batch; ++i) {
    const float *bb = b + (b_shared ? 0 : i * k * n);
    if (m == 1)
      cblas_sgemv(CblasRowMajor, CblasTrans, (int)k, (int)n, 1.f, bb, (int)n, a + i * m * k, 1, 0.f,
                  c + i * m * n, 1);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.f,
                  a + i * m * k, (int)k, bb, (int)n, 0.f, c + i * m * n, (int)n);
  }
}

static void ajpq_k_maxpool_row(void *arg, int64_t r) {
  const kctx_t *k = arg;
  const ajpq_conv_geom_t *g = k->g;
  const float *x = k->x;
  float *y = k->y;
  const int64_t c = g->c;

  int64_t n = r / g->oh, oh = r % g->oh;
  for (int64_t ow = 0; ow < g->ow; ++ow) {
    float *out = y + (r * g->ow + ow) * c;
    for (int64_t ci = 0; ci < c; ++ci)
      out[ci] = -FLT_MAX;
    for (int64_t kh = 0; kh < g->kh; ++kh) {
      int64_t ih = oh * g->sh - g->pt + kh;
      for (int64_t kw = 0; kw < g->kw; ++kw) {
        int64_t iw = ow * g->sw - g->pl + kw;
        if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w)
          continue;
        const float *in = x + ((n * g->h + ih) * g->w + iw) * c;
        for (int64_t ci = 0; ci < c; ++ci)
          out[ci] = in[ci] > out[ci] ? in[ci] : out[ci];
      }
    }
  }
}

void ajpq_k_maxpool(const ajpq_conv_geom_t *g, const float *x, float *y, int threads) {
  const int64_t rows = g->n * g->oh;
  kctx_t kc = {.g = g, .x = x, .y = y};
  ajpq_pool_run(par(threads, rows, rows * g->ow * g->c * g->kh * g->kw), rows,
                ajpq_k_maxpool_row, &kc);
}

static void ajpq_k_avgpool_row(void *arg, int64_t r) {
  const kctx_t *k = arg;
  const ajpq_conv_geom_t *g = k->g;
  const float *x = k->x;
  float *y = k->y;
  const int64_t c = g->c;

  int64_t n = r / g->oh, oh = r % g->oh;
  for (int64_t ow = 0; ow < g->ow; ++ow) {
    float *out = y + (r * g->ow + ow) * c;
    memset(out, 0, sizeof(float) * c);
    int64_t count = 0;
    for (int64_t kh = 0; kh < g->kh; ++kh) {
      int64_t ih = oh * g->sh - g->pt + kh;
      for (int64_t kw = 0; kw < g->kw; ++kw) {
        int64_t iw = ow * g->sw - g->pl + kw;
        if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w)
          continue;
        ++count;
        const float *in = x + ((n * g->h + ih) * g->w + iw) * c;
        for (int64_t ci = 0; ci < c; ++ci)
          out[ci] += in[ci];
      }
    }
    for (int64_t ci = 0; ci < c; ++ci)
      out[ci] = count ? out[ci] / (float)count : 0.f;
  }
}

void ajpq_k_avgpool(const ajpq_conv_geom_t *g, const float *x, float *y, int threads) {
  const int64_t rows = g->n * g->oh;
  kctx_t kc = {.g = g, .x = x, .y = y};
  ajpq_pool_run(par(threads, rows, rows * g->ow * g->c * g->kh * g->kw), rows,
                ajpq_k_avgpool_row, &kc);
}

void ajpq_k_transpose_conv2d(const ajpq_conv_geom_t *g, const float *x, const float *w,
                             const float *bias, float *y) {
  /* TOSA: out[n, iy*sy + out_pad_top + ky, ix*sx + out_pad_left + kx, oc] += x * w[oc,ky,kx,ic] */
  int64_t total = g->n * g->oh * g->ow * g->oc;
  for (int64_t i = 0; i < total; ++i)
    y[i] = bias ? bias[i % g->oc] : 0.f;
  for (int64_t n = 0; n < g->n; ++n)
    for (int64_t iy = 0; iy < g->h; ++iy)
      for (int64_t ix = 0; ix < g->w; ++ix)
        for (int64_t ky = 0; ky < g->kh; ++ky) {
          int64_t oy = iy * g->sh + g->pt + ky;
          if (oy < 0 || oy >= g->oh)
            continue;
          for (int64_t kx = 0; kx < g->kw; ++kx) {
            int64_t ox = ix * g->sw + g->pl + kx;
            if (ox < 0 || ox >= g->ow)
              continue;
            const float *in = x + ((n * g->h + iy) * g->w + ix) * g->c;
            float *out = y + ((n * g->oh + oy) * g->ow + ox) * g->oc;
            for (int64_t o = 0; o < g->oc; ++o) {
              const float *wr = w + ((o * g->kh + ky) * g->kw + kx) * g->c;
              float acc = 0.f;
              for (int64_t ci = 0; ci < g->c; ++ci)
                acc += in[ci] * wr[ci];
              out[o] += acc;
            }
          }
        }
}

float ajpq_k_round_half_even(float v) {
  return nearbyintf(v); /* FE_TONEAREST = half-even */
}

void ajpq_k_fake_quant(float *x, int64_t n, float s, int32_t z, int bits) {
  const float qmin = (float)-(1 << (bits - 1)), qmax = (float)((1 << (bits - 1)) - 1);
  for (int64_t i = 0; i < n; ++i) {
    float q = nearbyintf(x[i] / s) + (float)z;
    q = q < qmin ? qmin : q > qmax ? qmax : q;
    x[i] = s * (q - (float)z);
  }
}

static void ajpq_k_qconv2d_row(void *arg, int64_t r) {
  const kctx_t *k = arg;
  const ajpq_conv_geom_t *g = k->g;
  const int8_t *x = k->xi;
  const uint8_t *q = k->q;
  const float *scale = k->scale, *zp = k->zp, *bias = k->bias, sx = k->sx;
  const int32_t zx = k->zx;
  float *y = k->y;
  const int64_t cpg = g->c / k->groups, opg = g->oc / k->groups, K = g->kh * g->kw * cpg;

  int64_t n = r / g->oh, oh = r % g->oh;
  for (int64_t ow = 0; ow < g->ow; ++ow) {
    float *out = y + (r * g->ow + ow) * g->oc;
    for (int64_t o = 0; o < g->oc; ++o) {
      int64_t grp = o / opg;
      int32_t acc = 0, S = 0;
      const uint8_t *qr = q + o * K;
      for (int64_t kh = 0; kh < g->kh; ++kh) {
        int64_t ih = oh * g->sh - g->pt + kh * g->dh;
        for (int64_t kw = 0; kw < g->kw; ++kw) {
          int64_t iw = ow * g->sw - g->pl + kw * g->dw;
          if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w)
            continue; /* padding: x_q = z_x contributes 0 to both sums */
          const int8_t *in = x + ((n * g->h + ih) * g->w + iw) * g->c + grp * cpg;
          const uint8_t *qq = qr + (kh * g->kw + kw) * cpg;
          for (int64_t ci = 0; ci < cpg; ++ci) {
            int32_t d = (int32_t)in[ci] - zx;
            acc += d * (int32_t)qq[ci];
            S += d;
          }
        }
      }
      /* y = input_scale * scale * (acc - zero_point * S) + bias, in f32. zero_point may be a
       * half-integer (1-bit symmetric): 2*z*S is exact in int64, halve in float. */
      int64_t twice = 2 * (int64_t)acc - (int64_t)(2.0f * zp[o]) * (int64_t)S;
      out[o] = sx * scale[o] * ((float)twice * 0.5f) + (bias ? bias[o] : 0.f);
    }
  }
}

void ajpq_k_qconv2d(const ajpq_conv_geom_t *g, int64_t groups, const int8_t *x, int32_t zx,
                    float sx, const uint8_t *q, const float *scale, const float *zp,
                    const float *bias, float *y, int threads) {
  const int64_t rows = g->n * g->oh;
  kctx_t kc = {.g = g,
               .xi = x,
               .q = q,
               .scale = scale,
               .zp = zp,
               .bias = bias,
               .y = y,
               .sx = sx,
               .zx = zx,
               .groups = groups};
  ajpq_pool_run(par(threads, rows, rows * g->ow * g->oc * g->kh * g->kw * (g->c / groups)), rows,
                ajpq_k_qconv2d_row, &kc);
}
