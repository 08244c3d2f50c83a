/* quant.c — pure-C quantization math of the ajpq dialect: round half to even,
 * per-channel weight quantization, `ajpq.rowpacked-lsb` packing, per-tensor
 * activation quantization. No MLIR calls. Contract: docs/dialect.md. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "ajpq_dialect.h"

float ajpq_round_half_even(float x) {
  if (!isfinite(x))
    return x;
  float r = floorf(x);
  float d = x - r; /* exact: x and r share the binade or r is 0 */
  if (d > 0.5f)
    return r + 1.0f;
  if (d < 0.5f)
    return r;
  /* Tie: pick the even neighbour. r is an integer below 2^24 here (larger
   * floats have no fractional part, so d would be 0). */
  return fmodf(r, 2.0f) == 0.0f ? r : r + 1.0f;
}

/* clamp(rhe(u) + z, lo, hi) for integer z, without float->int UB. */
static uint8_t code_of(float u, float z, int lo, int hi) {
  float r = ajpq_round_half_even(u);
  if (isnan(r))
    r = 0.0f;
  float q = r + z;
  if (!(q > (float)lo))
    return (uint8_t)lo;
  if (q > (float)hi)
    return (uint8_t)hi;
  return (uint8_t)q;
}

/* Per-channel statistics shared by every clip candidate. */
typedef struct {
  double lo, hi, sum_abs, max_abs;
} chan_stats_t;

static ajpq_status_t check_channel(const float *w, int64_t K, int bits, ajpq_qscheme_t scheme,
                                   chan_stats_t *cs) {
  if (K < 1)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "quantize channel: K = %lld, must be >= 1",
                            (long long)K);
  if (bits < AJPQ_MIN_BITS || bits > AJPQ_MAX_BITS)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "quantize channel: bits = %d, must be in 1..8",
                            bits);
  if (scheme != AJPQ_QSCHEME_SYMMETRIC && scheme != AJPQ_QSCHEME_ASYMMETRIC)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "quantize channel: unknown scheme %d",
                            (int)scheme);
  double lo = 0.0, hi = 0.0, sum_abs = 0.0, max_abs = 0.0;
  for (int64_t k = 0; k < K; k++) {
    float v = w[k];
    if (!isfinite(v))
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "quantize channel: weight %lld is %s (must be finite)", (long long)k,
                              isnan(v) ? "NaN" : "infinite");
    if (v < lo)
      lo = v;
    if (v > hi)
      hi = v;
    sum_abs += fabs((double)v);
    if (fabs((double)v) > max_abs)
      max_abs = fabs((double)v);
  }
  cs->lo = lo;
  cs->hi = hi;
  cs->sum_abs = sum_abs;
  cs->max_abs = max_abs;
  return NULL;
}

/* Quantizer of one clip candidate: the range (max|w|, or [lo, hi] for
 * asymmetric) scaled by `ratio`; ratio = 1 is the min/max rule of
 * docs/dialect.md, with exactly its arithmetic. */
typedef struct {
  float s, z;
  int qlo, qhi;
  bool binary;
} qparams_t;

static qparams_t candidate(const chan_stats_t *cs, int64_t K, int bits, ajpq_qscheme_t scheme,
                           double ratio) {
  const int qmax_u = (1 << bits) - 1;
  qparams_t p;
  double s, lo = 0.0;
  p.binary = scheme == AJPQ_QSCHEME_SYMMETRIC && bits == 1;
  if (p.binary) {
    s = 2.0 * cs->sum_abs / (double)K;
    p.z = 0.5f;
    p.qlo = 0;
    p.qhi = 1;
  } else if (scheme == AJPQ_QSCHEME_SYMMETRIC) {
    s = (ratio == 1.0 ? cs->max_abs : cs->max_abs * ratio) / (double)((1 << (bits - 1)) - 1);
    p.z = (float)(1 << (bits - 1));
    p.qlo = 1;
    p.qhi = qmax_u;
  } else {
    lo = ratio == 1.0 ? cs->lo : cs->lo * ratio;
    double hi = ratio == 1.0 ? cs->hi : cs->hi * ratio;
    s = (hi - lo) / (double)qmax_u;
    p.z = 0.0f; /* set below once s is final */
    p.qlo = 0;
    p.qhi = qmax_u;
  }
  if (!(s >= (double)FLT_MIN))
    p.s = p.binary ? FLT_MIN : 1.0f; /* degenerate: all zero or underflow */
  else if (s > (double)FLT_MAX)
    p.s = FLT_MAX;
  else
    p.s = (float)s;
  if (scheme == AJPQ_QSCHEME_ASYMMETRIC)
    p.z = (float)code_of((float)(-lo) / p.s, 0.0f, 0, qmax_u);
  return p;
}

static inline uint8_t code_at(const qparams_t *p, float v) {
  if (p->binary)
    return v > 0.0f ? 1 : 0; /* rhe(w/s + 0.5) evaluated exactly */
  return code_of(v / p->s, p->z, p->qlo, p->qhi);
}

ajpq_wclip_t ajpq_quant_clip_resolve(ajpq_wclip_t clip, int bits) {
  if (clip != AJPQ_WCLIP_AUTO)
    return clip;
  /* At >= 5 bits the rounding step is fine, MSE clipping gains ~nothing on the
   * weights (FMNIST uniform 5 bits: 0.9199 vs 0.9198) but cuts the largest
   * weights, which the weight MSE undervalues for the output (BlazeFace). */
  return bits <= AJPQ_WCLIP_AUTO_MAX_BITS ? AJPQ_WCLIP_MSE : AJPQ_WCLIP_MINMAX;
}

ajpq_status_t ajpq_quant_channel_clip(const float *w, int64_t K, int bits, ajpq_qscheme_t scheme,
                                      ajpq_wclip_t clip, uint8_t *codes, float *scale,
                                      float *zero_point) {
  return ajpq_quant_channel_clip_weighted(w, NULL, K, bits, scheme, clip, codes, scale,
                                          zero_point);
}

ajpq_status_t ajpq_quant_channel_clip_weighted(const float *w, const float *h, int64_t K, int bits,
                                               ajpq_qscheme_t scheme, ajpq_wclip_t clip,
                                               uint8_t *codes, float *scale, float *zero_point) {
  if (clip != AJPQ_WCLIP_MINMAX && clip != AJPQ_WCLIP_MSE && clip != AJPQ_WCLIP_AUTO &&
      clip != AJPQ_WCLIP_HESSIAN)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "quantize channel: unknown clipping %d",
                            (int)clip);
  clip = ajpq_quant_clip_resolve(clip, bits);
  if (clip != AJPQ_WCLIP_HESSIAN)
    h = NULL; /* only the weighted rule reads the weights */
  chan_stats_t cs = {0, 0, 0, 0};
  ajpq_status_t st = check_channel(w, K, bits, scheme, &cs);
  if (st)
    return st;
  for (int64_t k = 0; h && k < K; k++)
    if (!(h[k] >= 0.0f) || !isfinite(h[k]))
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "quantize channel: error weight %lld is %g (must be finite, >= 0)",
                              (long long)k, (double)h[k]);
  qparams_t best = candidate(&cs, K, bits, scheme, 1.0);
  /* 1-bit symmetric: α = mean|w| is already the L2-optimal binary scale for
   * sign codes, so MSE clipping keeps it. */
  if ((clip == AJPQ_WCLIP_MSE || clip == AJPQ_WCLIP_HESSIAN) && !best.binary) {
    double best_err = INFINITY;
    for (int i = 0; i < AJPQ_WCLIP_MSE_STEPS; i++) {
      double ratio = (double)(AJPQ_WCLIP_MSE_STEPS - i) / (double)AJPQ_WCLIP_MSE_STEPS;
      qparams_t p = i == 0 ? best : candidate(&cs, K, bits, scheme, ratio);
      double e = 0.0;
      for (int64_t k = 0; k < K && e < best_err; k++) {
        float dq = p.s * ((float)code_at(&p, w[k]) - p.z);
        double d = (double)dq - (double)w[k];
        e += h ? (double)h[k] * d * d : d * d;
      }
      if (e < best_err) { /* strictly lower: ties keep the wider range */
        best_err = e;
        best = p;
      }
    }
  }
  for (int64_t k = 0; k < K; k++)
    codes[k] = code_at(&best, w[k]);
  *scale = best.s;
  *zero_point = best.z;
  return NULL;
}

ajpq_status_t ajpq_quant_channel(const float *w, int64_t K, int bits, ajpq_qscheme_t scheme,
                                 uint8_t *codes, float *scale, float *zero_point) {
  return ajpq_quant_channel_clip(w, K, bits, scheme, AJPQ_WCLIP_MINMAX, codes, scale, zero_point);
}

void ajpq_dequant_channel(const uint8_t *codes, int64_t K, float scale, float zero_point,
                          float *w) {
  for (int64_t k = 0; k < K; k++)
    w[k] = scale * ((float)codes[k] - zero_point);
}

int64_t ajpq_packed_row_bytes(int64_t K, int bits) {
  if (K < 0 || bits < 0 || bits > AJPQ_MAX_BITS)
    return -1;
  if (K > (INT64_MAX - 7) / 8)
    return -1;
  return (K * bits + 7) / 8;
}

int64_t ajpq_packed_size(int64_t K, const int8_t *bits, int64_t n) {
  if (n < 0)
    return -1;
  int64_t total = 0;
  for (int64_t c = 0; c < n; c++) {
    int64_t row = ajpq_packed_row_bytes(K, bits[c]);
    if (row < 0 || total > INT64_MAX - row)
      return -1;
    total += row;
  }
  return total;
}

ajpq_status_t ajpq_pack_row(const uint8_t *codes, int64_t K, int bits, uint8_t *out) {
  if (bits < AJPQ_MIN_BITS || bits > AJPQ_MAX_BITS)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "pack row: bits = %d, must be in 1..8", bits);
  int64_t nbytes = ajpq_packed_row_bytes(K, bits);
  if (nbytes < 0)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "pack row: bad K = %lld", (long long)K);
  memset(out, 0, (size_t)nbytes);
  const unsigned limit = 1u << bits;
  uint64_t bit = 0;
  for (int64_t k = 0; k < K; k++, bit += (uint64_t)bits) {
    unsigned q = codes[k];
    if (q >= limit)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "pack row: code %lld is %u, does not fit in %d bits", (long long)k, q,
                              bits);
    /* A code spans at most two bytes (bits <= 8). */
    unsigned v = q << (bit & 7);
    out[bit >> 3] |= (uint8_t)(v & 0xffu);
    if ((v >> 8) != 0)
      out[(bit >> 3) + 1] |= (uint8_t)(v >> 8);
  }
  return NULL;
}

void ajpq_unpack_row(const uint8_t *in, int64_t K, int bits, uint8_t *codes) {
  if (bits < AJPQ_MIN_BITS || bits > AJPQ_MAX_BITS)
    return;
  const unsigned mask = (1u << bits) - 1u;
  const int64_t nbytes = ajpq_packed_row_bytes(K, bits);
  uint64_t bit = 0;
  for (int64_t k = 0; k < K; k++, bit += (uint64_t)bits) {
    int64_t byte = (int64_t)(bit >> 3);
    unsigned v = in[byte];
    if (byte + 1 < nbytes)
      v |= (unsigned)in[byte + 1] << 8;
    codes[k] = (uint8_t)((v >> (bit & 7)) & mask);
  }
}

ajpq_status_t ajpq_pack_rows(const uint8_t *codes, int64_t K, const int8_t *bits, int64_t n,
                             uint8_t *out, int64_t out_size) {
  int64_t need = ajpq_packed_size(K, bits, n);
  if (need < 0)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "pack rows: invalid bits or size (K = %lld)",
                            (long long)K);
  if (need != out_size)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "pack rows: output holds %lld bytes, packing needs %lld",
                            (long long)out_size, (long long)need);
  for (int64_t c = 0; c < n; c++) {
    ajpq_status_t st = ajpq_pack_row(codes + c * K, K, bits[c], out);
    if (st)
      return ajpq_status_annotate(st, "row %lld", (long long)c);
    out += ajpq_packed_row_bytes(K, bits[c]);
  }
  return NULL;
}

ajpq_status_t ajpq_unpack_rows(const uint8_t *in, int64_t in_size, int64_t K, const int8_t *bits,
                               int64_t n, uint8_t *codes) {
  for (int64_t c = 0; c < n; c++)
    if (bits[c] < AJPQ_MIN_BITS || bits[c] > AJPQ_MAX_BITS)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "unpack rows: bits[%lld] = %d, not in 1..8",
                              (long long)c, bits[c]);
  int64_t need = ajpq_packed_size(K, bits, n);
  if (need < 0 || need != in_size)
    return ajpq_status_make(AJPQ_DATA_LOSS,
                            "unpack rows: %lld packed bytes, bits and K = %lld need %lld",
                            (long long)in_size, (long long)K, (long long)need);
  for (int64_t c = 0; c < n; c++) {
    ajpq_unpack_row(in, K, bits[c], codes + c * K);
    in += ajpq_packed_row_bytes(K, bits[c]);
  }
  return NULL;
}

ajpq_status_t ajpq_act_qparams_from_range(float lo, float hi, int bits, bool symmetric,
                                          ajpq_act_qparams_t *out) {
  if (!isfinite(lo) || !isfinite(hi) || lo > hi)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "activation range [%g, %g] must be finite with lo <= hi", (double)lo,
                            (double)hi);
  if (bits < 2 || bits > 8)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "activation bits = %d, must be in 2..8", bits);
  double l = lo < 0.0f ? lo : 0.0, h = hi > 0.0f ? hi : 0.0;
  const int qmin = -(1 << (bits - 1)), qmax = (1 << (bits - 1)) - 1;
  double s;
  if (symmetric)
    s = (fabs(l) > h ? fabs(l) : h) / (double)qmax;
  else
    s = (h - l) / (double)(qmax - qmin);
  float sf = !(s >= (double)FLT_MIN) ? 1.0f : s > (double)FLT_MAX ? FLT_MAX : (float)s;
  int32_t z = 0;
  if (!symmetric) {
    float r = ajpq_round_half_even((float)l / sf);
    double zd = (double)qmin - (double)r;
    z = zd < qmin ? qmin : zd > qmax ? qmax : (int32_t)zd;
  }
  out->scale = sf;
  out->zero_point = z;
  out->bits = bits;
  return NULL;
}

int8_t ajpq_act_quantize_value(float x, const ajpq_act_qparams_t *p) {
  const int qmin = -(1 << (p->bits - 1)), qmax = (1 << (p->bits - 1)) - 1;
  if (isnan(x))
    return (int8_t)(p->zero_point < qmin ? qmin : p->zero_point > qmax ? qmax : p->zero_point);
  float r = ajpq_round_half_even(x / p->scale);
  double q = (double)r + (double)p->zero_point; /* exact: r integral or ±inf */
  if (!(q > qmin))
    return (int8_t)qmin;
  if (q > qmax)
    return (int8_t)qmax;
  return (int8_t)(int)q;
}

void ajpq_act_quantize(const float *x, int64_t n, const ajpq_act_qparams_t *p, int8_t *out) {
  for (int64_t i = 0; i < n; i++)
    out[i] = ajpq_act_quantize_value(x[i], p);
}

void ajpq_act_dequantize(const int8_t *q, int64_t n, float scale, int32_t zero_point, float *out) {
  for (int64_t i = 0; i < n; i++)
    out[i] = scale * (float)((int32_t)q[i] - zero_point);
}

int64_t ajpq_conv_out_dim(int64_t H, int64_t k, int64_t stride, int64_t pad0, int64_t pad1,
                          int64_t dil) {
  if (H < 0 || k < 1 || stride < 1 || dil < 1 || pad0 < 0 || pad1 < 0)
    return -1;
  const int64_t lim = INT64_C(1) << 40; /* far above any real shape; no overflow below */
  if (H > lim || k > lim || dil > lim || pad0 > lim || pad1 > lim)
    return -1;
  int64_t num = H + pad0 + pad1 - dil * (k - 1) - 1;
  if (num < 0)
    return -1;
  return num / stride + 1;
}
