/* kernels_test.c — unit tests of ajpq_kernels: the packed (kernel-layout)
 * scalar kernel and the naive rowpacked-lsb reference against a third,
 * brute-force evaluation from an unpacked code matrix (int64). Bit-exact
 * accumulators for every bit-width 0..8, mixed classes, odd sizes,
 * stride/padding/dilation, depthwise, grouped and seeded random shapes.
 * Run by test/kernels/kernels.test. Exit status 1 on any failure. */
#include "ajpq_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define EXPECT(cond, ...)                                                                          \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      ++failures;                                                                                  \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                  \
      printf(__VA_ARGS__);                                                                         \
      printf("\n");                                                                                \
    }                                                                                              \
  } while (0)

static uint64_t rng_state;
static uint32_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}
static int64_t rnd_range(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint32_t)(hi - lo + 1)); }

/* A random layer over ORIGINAL channels with bit-widths in `bits_orig`
 * (0 = pruned); the kept channels are packed as the dialect stores them. */
typedef struct {
  ajpq_kernels_conv_t g;
  int64_t orig_n, n, k;
  int8_t *bits;          /* [n] kept */
  int32_t *kept;         /* [n] */
  uint8_t *codes_orig;   /* [orig_n][k], 0 for pruned */
  uint8_t *packed;
  size_t packed_size;
  float *scale, *zp, *bias;
  int8_t *x;
  int32_t zx;
  ajpq_kernels_weights_t w;
} layer_t;

static void layer_free(layer_t *l) {
  free(l->bits);
  free(l->kept);
  free(l->codes_orig);
  free(l->packed);
  free(l->scale);
  free(l->zp);
  free(l->bias);
  free(l->x);
}

/* groups of the geometry must divide orig_n and every group keeps >= 1
 * channel per group in the same count (we prune the same count per group). */
static int layer_make(layer_t *l, ajpq_kernels_conv_t g, int64_t orig_n, const int8_t *bits_orig) {
  memset(l, 0, sizeof *l);
  l->g = g;
  l->orig_n = orig_n;
  l->k = g.kh * g.kw * g.cin_per_group;
  int64_t n = 0;
  for (int64_t c = 0; c < orig_n; ++c)
    n += bits_orig[c] > 0;
  l->n = n;
  l->g.n = n;
  l->bits = malloc((size_t)n);
  l->kept = malloc((size_t)n * sizeof(int32_t));
  l->codes_orig = calloc((size_t)(orig_n * l->k), 1);
  uint8_t *codes = malloc((size_t)(n * l->k));
  l->scale = malloc((size_t)n * sizeof(float));
  l->zp = malloc((size_t)n * sizeof(float));
  l->bias = malloc((size_t)n * sizeof(float));
  int64_t j = 0;
  for (int64_t c = 0; c < orig_n; ++c) {
    int b = bits_orig[c];
    if (b == 0)
      continue;
    l->bits[j] = (int8_t)b;
    l->kept[j] = (int32_t)c;
    for (int64_t kk = 0; kk < l->k; ++kk) {
      uint8_t q = (uint8_t)(rnd() & ((1u << b) - 1u));
      l->codes_orig[c * l->k + kk] = q;
      codes[j * l->k + kk] = q;
    }
    l->scale[j] = 0.001f + (float)(rnd() % 1000) * 1e-4f;
    l->zp[j] = b == 1 ? 0.5f : (float)(1 << (b - 1));
    l->bias[j] = ((float)(rnd() % 2001) - 1000.0f) * 1e-3f;
    ++j;
  }
  l->packed_size = ajpq_kernels_rowpacked_size(n, l->k, l->bits);
  l->packed = malloc(l->packed_size ? l->packed_size : 1);
  ajpq_status_t st = ajpq_kernels_rowpacked_pack(n, l->k, l->bits, codes, l->packed, l->packed_size);
  free(codes);
  if (st) {
    ajpq_status_fprint(stdout, "layer_make", st);
    ajpq_status_free(st);
    return 0;
  }
  int64_t xsize = g.batch * g.h * g.w * g.cin;
  l->x = malloc((size_t)xsize);
  for (int64_t i = 0; i < xsize; ++i)
    l->x[i] = (int8_t)(rnd() & 0xff);
  l->zx = (int32_t)rnd_range(-128, 127);
  l->w = (ajpq_kernels_weights_t){n, l->k, l->bits, l->packed, l->packed_size, l->scale, l->zp, l->bias};
  return 1;
}

/* Brute force over original channels (int64), compared at kept indices with
 * both implementations. Returns the number of mismatches. */
static int check_layer(layer_t *l, const char *what) {
  ajpq_kernels_conv_t g = l->g;
  ajpq_status_t st = ajpq_kernels_conv_check(&g);
  if (st) {
    ajpq_status_fprint(stdout, what, st);
    ajpq_status_free(st);
    ++failures;
    return 1;
  }
  int64_t pixels = g.batch * g.oh * g.ow, n = l->n;
  int32_t *acc_ref = malloc((size_t)(pixels * n) * sizeof(int32_t));
  int32_t *acc_pk = malloc((size_t)(pixels * n) * sizeof(int32_t));
  int32_t *s_ref = malloc((size_t)(pixels * g.groups) * sizeof(int32_t));
  int32_t *s_pk = malloc((size_t)(pixels * g.groups) * sizeof(int32_t));
  ajpq_kernels_packed_t *p = NULL;
  st = ajpq_kernels_reference_conv_acc(&g, &l->w, l->x, l->zx, acc_ref, s_ref);
  if (!st)
    st = ajpq_kernels_pack(&l->w, g.groups, &p);
  if (!st)
    st = ajpq_kernels_packed_conv_acc(&g, p, l->x, l->zx, acc_pk, s_pk);
  int bad = 0;
  if (st) {
    ajpq_status_fprint(stdout, what, st);
    ajpq_status_free(st);
    bad = 1;
  }
  int64_t per_group_orig = l->orig_n / g.groups;
  for (int64_t b = 0; !bad && b < g.batch; ++b)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        int64_t pix = (b * g.oh + oy) * g.ow + ox;
        for (int64_t j = 0; j < n; ++j) {
          int64_t c = l->kept[j], gr = c / per_group_orig;
          int64_t a = 0, s = 0;
          for (int64_t ky = 0; ky < g.kh; ++ky)
            for (int64_t kx = 0; kx < g.kw; ++kx)
              for (int64_t ci = 0; ci < g.cin_per_group; ++ci) {
                int64_t iy = oy * g.stride_h - g.pad_top + ky * g.dil_h;
                int64_t ix = ox * g.stride_w - g.pad_left + kx * g.dil_w;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w)
                  continue;
                int64_t xv = l->x[((b * g.h + iy) * g.w + ix) * g.cin + gr * g.cin_per_group + ci] - l->zx;
                a += xv * l->codes_orig[c * l->k + (ky * g.kw + kx) * g.cin_per_group + ci];
                s += xv;
              }
          if (a != acc_ref[pix * n + j] || a != acc_pk[pix * n + j] || s != s_ref[pix * g.groups + gr] ||
              s != s_pk[pix * g.groups + gr]) {
            if (bad < 3)
              printf("FAIL %s: pixel %lld channel %lld: brute acc %lld S %lld, reference %d %d, "
                     "packed %d %d\n",
                     what, (long long)pix, (long long)j, (long long)a, (long long)s,
                     acc_ref[pix * n + j], s_ref[pix * g.groups + gr], acc_pk[pix * n + j],
                     s_pk[pix * g.groups + gr]);
            ++bad;
          }
        }
      }
  failures += bad > 0;
  ajpq_kernels_packed_destroy(p);
  free(acc_ref);
  free(acc_pk);
  free(s_ref);
  free(s_pk);
  return bad;
}

static ajpq_kernels_conv_t conv(int64_t batch, int64_t h, int64_t w, int64_t cin, int64_t kh,
                                int64_t kw, int64_t groups, int64_t stride, int64_t pad,
                                int64_t dil) {
  return (ajpq_kernels_conv_t){batch, h, w, cin, kh, kw, cin / groups, groups, stride, stride,
                               pad, pad, pad, pad, dil, dil, 0, 0, 0};
}

static void test_rowpacked(void) {
  printf("TEST: rowpacked\n");
  /* docs/dialect.md: code k at bits [k·b,(k+1)·b), LSB-first. 3-bit codes
   * 5,2,7: stream 101 010 111 -> byte0 = 0b11010101, byte1 = 0b1. */
  int8_t bits[2] = {3, 8};
  uint8_t codes[6] = {5, 2, 7, 0x80, 0x01, 0xff}, out[4 + 0];
  EXPECT(ajpq_kernels_rowpacked_size(2, 3, bits) == 5, "size %zu",
         ajpq_kernels_rowpacked_size(2, 3, bits));
  uint8_t buf[5];
  ajpq_status_t st = ajpq_kernels_rowpacked_pack(2, 3, bits, codes, buf, sizeof buf);
  EXPECT(!st, "pack failed");
  ajpq_status_free(st);
  printf("bytes %02x %02x %02x %02x %02x\n", buf[0], buf[1], buf[2], buf[3], buf[4]);
  for (int i = 0; i < 3; ++i)
    EXPECT(ajpq_kernels_rowpacked_get(buf, 3, i) == codes[i], "3-bit code %d", i);
  EXPECT(ajpq_kernels_rowpacked_get(buf + 2, 8, 2) == 0xff, "8-bit code");
  uint8_t bad[3] = {8, 0, 0};
  int8_t b3[1] = {3};
  st = ajpq_kernels_rowpacked_pack(1, 3, b3, bad, out, 2);
  printf("out of range: %s\n", ajpq_status_message(st));
  EXPECT(st, "code 8 in 3 bits accepted");
  ajpq_status_free(st);
}

static void test_slices(void) {
  printf("TEST: slices\n");
  for (int b = 1; b <= 8; ++b) {
    int s[3], n = ajpq_kernels_slices(b, s), sum = 0;
    printf("b=%d:", b);
    for (int i = 0; i < n; ++i) {
      printf(" %d", s[i]);
      sum += s[i];
      EXPECT(s[i] == 1 || s[i] == 2 || s[i] == 4 || s[i] == 8, "slice width %d", s[i]);
    }
    printf("\n");
    EXPECT(sum == b, "slices of %d sum to %d", b, sum);
  }
}

/* Every bit-width alone (GEMV shape with odd K and N), including a layer where
 * half the channels are 0-bit (erased). */
static void test_each_bitwidth(void) {
  printf("TEST: each_bitwidth\n");
  for (int b = 0; b <= 8; ++b) {
    rng_state = 0x1234 + (uint64_t)b;
    int64_t orig_n = 37, k = 1000 + 3 * b; /* odd N, K not a multiple of 64 */
    int8_t bits[37];
    for (int c = 0; c < orig_n; ++c)
      bits[c] = (int8_t)(b == 0 ? (c % 2 ? 0 : 1 + c % 8) : b);
    layer_t l;
    char what[32];
    snprintf(what, sizeof what, "gemv b=%d", b);
    if (!layer_make(&l, conv(3, 1, 1, k, 1, 1, 1, 1, 0, 1), orig_n, bits)) {
      ++failures;
      continue;
    }
    int bad = check_layer(&l, what);
    printf("%s n=%lld k=%lld: %s\n", what, (long long)l.n, (long long)k, bad ? "MISMATCH" : "exact");
    layer_free(&l);
  }
}

static void test_mixed_conv(void) {
  printf("TEST: mixed_conv\n");
  rng_state = 77;
  int8_t bits[19];
  for (int c = 0; c < 19; ++c)
    bits[c] = (int8_t)(c % 9); /* 0..8, two of them pruned */
  const struct { int64_t h, w, cin, kh, kw, stride, pad, dil; } cases[] = {
      {9, 7, 5, 3, 3, 1, 1, 1}, {11, 10, 3, 3, 3, 2, 1, 1}, {12, 9, 4, 3, 2, 1, 2, 2},
      {8, 8, 6, 5, 5, 3, 2, 1}, {7, 13, 65, 1, 1, 1, 0, 1}, {6, 6, 130, 3, 3, 1, 1, 1}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    layer_t l;
    char what[64];
    snprintf(what, sizeof what, "conv case %zu", i);
    if (!layer_make(&l, conv(2, cases[i].h, cases[i].w, cases[i].cin, cases[i].kh, cases[i].kw, 1,
                             cases[i].stride, cases[i].pad, cases[i].dil),
                    19, bits)) {
      ++failures;
      continue;
    }
    int bad = check_layer(&l, what);
    printf("%s: %s\n", what, bad ? "MISMATCH" : "exact");
    layer_free(&l);
  }
}

static void test_depthwise_grouped(void) {
  printf("TEST: depthwise_grouped\n");
  rng_state = 99;
  /* depthwise: groups = cin, one channel per group, all bit-widths. */
  int8_t bits[24];
  for (int c = 0; c < 24; ++c)
    bits[c] = (int8_t)(1 + c % 8);
  layer_t l;
  if (layer_make(&l, conv(1, 10, 9, 24, 3, 3, 24, 2, 1, 1), 24, bits)) {
    printf("depthwise: %s\n", check_layer(&l, "depthwise") ? "MISMATCH" : "exact");
    layer_free(&l);
  } else {
    ++failures;
  }
  /* depthwise with multiplier 2 */
  if (layer_make(&l, conv(1, 7, 7, 12, 3, 3, 12, 1, 1, 2), 24, bits)) {
    printf("depthwise x2: %s\n", check_layer(&l, "depthwise x2") ? "MISMATCH" : "exact");
    layer_free(&l);
  } else {
    ++failures;
  }
  /* grouped: 4 groups of 6 input channels, 24 output channels (6 per group). */
  if (layer_make(&l, conv(2, 8, 8, 24, 3, 3, 4, 1, 1, 1), 24, bits)) {
    printf("grouped: %s\n", check_layer(&l, "grouped") ? "MISMATCH" : "exact");
    layer_free(&l);
  } else {
    ++failures;
  }
}

static void test_random_shapes(void) {
  printf("TEST: random_shapes\n");
  int bad_layers = 0, total = 150;
  for (int t = 0; t < total; ++t) {
    rng_state = 0xC0FFEEull + (uint64_t)t * 7919u;
    int64_t groups = rnd_range(1, 3);
    int64_t cpg = rnd_range(1, 40), cin = groups * cpg;
    int64_t per_group = rnd_range(1, 9), orig_n = per_group * groups;
    int64_t kh = rnd_range(1, 3), kw = rnd_range(1, 3), dil = rnd_range(1, 2);
    int64_t h = rnd_range(dil * (kh - 1) + 1, 9), w = rnd_range(dil * (kw - 1) + 1, 9);
    int64_t stride = rnd_range(1, 2), pad = rnd_range(0, 2);
    int8_t bits[27];
    /* Same number of pruned channels in each group keeps n a multiple of groups. */
    int64_t pruned = rnd_range(0, per_group - 1);
    for (int64_t c = 0; c < orig_n; ++c)
      bits[c] = (int8_t)((c % per_group) < pruned ? 0 : rnd_range(1, 8));
    layer_t l;
    char what[64];
    snprintf(what, sizeof what, "random shape %d", t);
    if (!layer_make(&l, conv(rnd_range(1, 2), h, w, cin, kh, kw, groups, stride, pad, dil), orig_n, bits)) {
      ++failures;
      continue;
    }
    bad_layers += check_layer(&l, what) != 0;
    layer_free(&l);
  }
  printf("random shapes: %d of %d mismatched\n", bad_layers, total);
}

/* The int8 path with the fp32 epilogue approximates the f32-input reference
 * when x = s_x·(x_q − z_x): an independent check of the epilogue formula. */
static void test_epilogue_vs_f32(void) {
  printf("TEST: epilogue_vs_f32\n");
  rng_state = 4242;
  int8_t bits[10] = {1, 2, 3, 4, 5, 6, 7, 8, 4, 2};
  layer_t l;
  if (!layer_make(&l, conv(1, 6, 5, 7, 3, 3, 1, 1, 1, 1), 10, bits)) {
    ++failures;
    return;
  }
  ajpq_kernels_conv_t g = l.g;
  ajpq_status_t st = ajpq_kernels_conv_check(&g);
  int64_t pixels = g.oh * g.ow, xs = g.h * g.w * g.cin;
  float sx = 0.0125f, *xf = malloc((size_t)xs * sizeof(float));
  for (int64_t i = 0; i < xs; ++i)
    xf[i] = sx * (float)(l.x[i] - l.zx);
  int32_t *acc = malloc((size_t)(pixels * l.n) * sizeof(int32_t)), *s = malloc((size_t)pixels * sizeof(int32_t));
  float *yi = malloc((size_t)(pixels * l.n) * sizeof(float)), *yf = malloc((size_t)(pixels * l.n) * sizeof(float));
  if (!st)
    st = ajpq_kernels_reference_conv_acc(&g, &l.w, l.x, l.zx, acc, s);
  if (!st)
    st = ajpq_kernels_reference_conv_f32(&g, &l.w, xf, yf);
  EXPECT(!st, "%s", ajpq_status_message(st));
  ajpq_status_free(st);
  ajpq_kernels_epilogue(pixels, l.n, 1, acc, s, sx, l.scale, l.zp, l.bias, yi);
  double maxrel = 0;
  for (int64_t i = 0; i < pixels * l.n; ++i) {
    double d = fabs((double)yi[i] - yf[i]) / (1.0 + fabs((double)yf[i]));
    if (d > maxrel)
      maxrel = d;
  }
  printf("max relative difference int8 path vs f32 reference: %s\n", maxrel < 1e-4 ? "< 1e-4" : "LARGE");
  EXPECT(maxrel < 1e-4, "max rel diff %g", maxrel);
  free(xf);
  free(acc);
  free(s);
  free(yi);
  free(yf);
  layer_free(&l);
}

static void test_errors(void) {
  printf("TEST: errors\n");
  int8_t bits[2] = {4, 9};
  uint8_t packed[8] = {0};
  float one[2] = {1, 1};
  ajpq_kernels_weights_t w = {2, 4, bits, packed, 4, one, one, NULL};
  ajpq_kernels_packed_t *p = NULL;
  ajpq_status_t st = ajpq_kernels_pack(&w, 1, &p);
  printf("bad bits: %s\n", ajpq_status_message(st));
  EXPECT(st && !p, "bit-width 9 accepted");
  ajpq_status_free(st);
  bits[1] = 4;
  w.packed_size = 3;
  st = ajpq_kernels_pack(&w, 1, &p);
  printf("bad size: %s\n", ajpq_status_message(st));
  EXPECT(st && !p, "short weights accepted");
  ajpq_status_free(st);
  w.packed_size = 4;
  st = ajpq_kernels_pack(&w, 3, &p);
  printf("bad groups: %s\n", ajpq_status_message(st));
  EXPECT(st && !p, "2 channels in 3 groups accepted");
  ajpq_status_free(st);
  ajpq_kernels_conv_t g = conv(1, 2, 2, 4, 5, 5, 1, 1, 0, 1);
  g.n = 2;
  st = ajpq_kernels_conv_check(&g);
  printf("bad window: %s\n", ajpq_status_message(st));
  EXPECT(st, "5x5 window on 2x2 input accepted");
  ajpq_status_free(st);
}

int main(void) {
  test_rowpacked();
  test_slices();
  test_each_bitwidth();
  test_mixed_conv();
  test_depthwise_grouped();
  test_random_shapes();
  test_epilogue_vs_f32();
  test_errors();
  printf("failures: %d\n", failures);
  return failures ? 1 : 0;
}
