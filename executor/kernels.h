/* kernels.h — the executor's numerical kernels (internal; no MLIR). All tensors row-major,
 * activations NHWC. `threads` is the worker count for OpenMP loops. */
#ifndef AJPQ_EXECUTOR_KERNELS_H
#define AJPQ_EXECUTOR_KERNELS_H

#include <stdint.h>

/* Geometry of a 2-D convolution / pooling window over NHWC. */
typedef struct {
  int64_t n, h, w, c;     /* input */
  int64_t oh, ow, oc;     /* output */
  int64_t kh, kw;         /* window */
  int64_t sh, sw, dh, dw; /* stride, dilation */
  int64_t pt, pb, pl, pr; /* padding top, bottom, left, right */
} ajpq_conv_geom_t;

/* Output extent of one spatial axis: floor((in + p0 + p1 - d*(k-1) - 1) / s) + 1. */
int64_t ajpq_k_out_dim(int64_t in, int64_t k, int64_t s, int64_t d, int64_t p0, int64_t p1);

/* Standard conv (groups = 1): w canonical [oc][kh*kw*c], bias [oc] or NULL. im2col (skipped for
 * 1x1 stride-1 unpadded convs) + sgemm. col: scratch of n*oh*ow*kh*kw*c floats (or NULL when
 * not needed). */
void ajpq_k_conv2d(const ajpq_conv_geom_t *g, const float *x, const float *w, const float *bias,
                   float *col, float *y, int threads);

/* Clamps y[0..n) to [lo, hi] in place (the fused ReLU / Clip epilogue). */
void ajpq_k_clamp(float *y, int64_t n, float lo, float hi, int threads);

/* Depthwise / grouped with 1 input channel per group: wt laid out [kh*kw][oc] (HWCM flattened,
 * oc = c*mult + m), input channel of output o is o / mult. */
void ajpq_k_depthwise(const ajpq_conv_geom_t *g, int64_t mult, const float *x, const float *wt,
                      const float *bias, float *y, int threads);

/* As ajpq_k_depthwise with mult = 1, then clamps to [lo, hi] (lo = -INFINITY, hi = INFINITY: no
 * clamp): channel blocks of 16/8/1 kept in registers, one pass over the output. */
void ajpq_k_depthwise_m1(const ajpq_conv_geom_t *g, const float *x, const float *wt,
                         const float *bias, float lo, float hi, float *y, int threads);

/* Generic grouped conv (reference loops): w canonical [oc][kh*kw*cpg], groups divides c and oc. */
void ajpq_k_conv2d_grouped(const ajpq_conv_geom_t *g, int64_t groups, const float *x,
                           const float *w, const float *bias, float *y, int threads);

/* y[M][N] = x[M][K] * w^T (+ bias), w canonical [N][K]; sgemv when M == 1. */
void ajpq_k_fc(int64_t m, int64_t k, int64_t n, const float *x, const float *w, const float *bias,
               float *y, int threads);

/* Batched matmul C[b] = A[b] (MxK) * B[b] (KxN), all row-major; b_batch 0: B shared. */
void ajpq_k_bmm(int64_t batch, int64_t m, int64_t k, int64_t n, const float *a, const float *b,
                int b_shared, float *c);

/* Pooling over NHWC; avg divides by the count of non-padding elements (TOSA). */
void ajpq_k_maxpool(const ajpq_conv_geom_t *g, const float *x, float *y, int threads);
void ajpq_k_avgpool(const ajpq_conv_geom_t *g, const float *x, float *y, int threads);

/* Transposed conv (TOSA transpose_conv2d): w [oc][kh][kw][c], out_pad (top,bottom,left,right),
 * stride; y has shape n x oh x ow x oc. Reference loops. */
void ajpq_k_transpose_conv2d(const ajpq_conv_geom_t *g, const float *x, const float *w,
                             const float *bias, float *y);

/* round half to even of a float, as used by every quantizer (docs/dialect.md). */
float ajpq_k_round_half_even(float v);

/* In-place per-tensor fake quantization: x -> s * (clamp(rhe(x/s) + z, qmin, qmax) - z). */
void ajpq_k_fake_quant(float *x, int64_t n, float s, int32_t z, int bits);

/* Integer conv for ajpq.conv2d with i8 input (docs/dialect.md): q codes [oc][kh*kw*cpg] (u8),
 * per-channel scale/zero point/bias, input scale sx and zero point zx. Exact int32 accumulation. */
void ajpq_k_qconv2d(const ajpq_conv_geom_t *g, int64_t groups, const int8_t *x, int32_t zx,
                    float sx, const uint8_t *q, const float *scale, const float *zp,
                    const float *bias, float *y, int threads);

#endif
