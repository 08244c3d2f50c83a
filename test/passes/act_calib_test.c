/* act_calib_test.c — unit tests of the activation range chooser of
 * --joint-compress (ajpq_jc_act_range_choose, passes/joint_compress_eval.c)
 * against brute-force scalar references computed here on the raw values:
 * the exact percentile from the sorted values, and the exact quantization
 * MSE of every clip candidate with an independent scalar fake quantizer.
 * Run by test/passes/act-calib.test (FileCheck). */
#include "ajpq_joint_compress.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c, ...)                                                                              \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                  \
      printf(__VA_ARGS__);                                                                         \
      printf("\n");                                                                                \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

static uint64_t rng_state = 88172645463325252ull;
static double uniform(void) { /* xorshift64, (0,1) */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2.0 * log(uniform())) * cos(6.283185307179586 * uniform()); }

static void histogram(const float *x, int64_t n, float lo, float hi, int bins, uint64_t *h) {
  memset(h, 0, (size_t)bins * sizeof(uint64_t));
  double w = ((double)hi - lo) / bins;
  for (int64_t i = 0; i < n; i++) {
    double b = floor((x[i] - lo) / w);
    h[b < 0 ? 0 : b >= bins ? bins - 1 : (int)b]++;
  }
}

/* Independent scalar asymmetric fake quantizer: s = (h - l) / (2^bits - 1) over the range
 * widened to 0, z = qmin - round_half_even(l / s), x -> s (clamp(rhe(x/s) + z) - z). */
static double exact_mse(const float *x, int64_t n, float lo, float hi, int bits) {
  double l = lo < 0 ? lo : 0, h = hi > 0 ? hi : 0;
  int qmin = -(1 << (bits - 1)), qmax = (1 << (bits - 1)) - 1;
  float s = (float)((h - l) / (qmax - qmin));
  double z = qmin - nearbyintf((float)l / s);
  double err = 0;
  for (int64_t i = 0; i < n; i++) {
    double q = nearbyintf(x[i] / s) + z;
    q = q < qmin ? qmin : q > qmax ? qmax : q;
    double d = x[i] - s * (q - z);
    err += d * d;
  }
  return err / (double)n;
}

static int cmpf(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

static void minmax(const float *x, int64_t n, float *lo, float *hi) {
  *lo = INFINITY;
  *hi = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    *lo = x[i] < *lo ? x[i] : *lo;
    *hi = x[i] > *hi ? x[i] : *hi;
  }
}

/* Post-ReLU heavy-tailed activations (exponential, 4 bits): min/max spends levels on the
 * rare tail. The MSE choice must be the brute-force optimum over the same candidate grid
 * (within the histogram's bin-centre approximation: 5%) and clearly better than min/max. */
static void test_mse_heavy_tail(void) {
  printf("TEST: mse_heavy_tail\n");
  const int64_t n = 100001;
  const int bins = AJPQ_JC_ACT_HIST_BINS;
  float *x = malloc((size_t)n * sizeof(float));
  uint64_t *h = malloc((size_t)bins * sizeof(uint64_t));
  const int bits = 4;
  for (int64_t i = 0; i < n; i++)
    x[i] = (float)-log(uniform());
  float lo, hi, clo, chi;
  minmax(x, n, &lo, &hi);
  histogram(x, n, lo, hi, bins, h);
  CHECK(!ajpq_jc_act_range_choose(AJPQ_JC_ACT_CALIB_MSE, h, bins, lo, hi, bits, &clo, &chi),
        "choose failed");
  double best = INFINITY, best_hi = 0;
  for (int k = 0; k <= AJPQ_JC_ACT_CLIP_STEPS; k++) {
    float c = (float)(hi * pow(2.0, -k / 16.0));
    double e = exact_mse(x, n, 0, c, bits);
    if (e < best) {
      best = e;
      best_hi = c;
    }
  }
  double got = exact_mse(x, n, clo, chi, bits), mm = exact_mse(x, n, lo, hi, bits);
  printf("mse: minmax %.3g, chosen [%g, %g] %.3g, brute-force best hi %g %.3g\n", mm, clo, chi,
         got, best_hi, best);
  CHECK(clo == 0.0f, "post-ReLU lower bound %g != 0", clo);
  CHECK(got <= 1.05 * best, "chosen MSE %g > 1.05 x brute-force best %g", got, best);
  CHECK(got < 0.5 * mm, "chosen MSE %g not < 0.5 x minmax MSE %g", got, mm);
  free(x);
  free(h);
}

/* Signed activations N(0, 4) with 5 outliers at -500: the 0.01% / 99.99% percentile range
 * matches the sorted-value quantiles to one bin width and drops the outliers. */
static void test_percentile(void) {
  printf("TEST: percentile\n");
  const int64_t n = 200000;
  const int bins = AJPQ_JC_ACT_HIST_BINS;
  float *x = malloc((size_t)n * sizeof(float));
  uint64_t *h = malloc((size_t)bins * sizeof(uint64_t));
  for (int64_t i = 0; i < n; i++)
    x[i] = i < 5 ? -500.0f : (float)(2.0 * gauss());
  float lo, hi, clo, chi;
  minmax(x, n, &lo, &hi);
  histogram(x, n, lo, hi, bins, h);
  CHECK(!ajpq_jc_act_range_choose(AJPQ_JC_ACT_CALIB_PERCENTILE, h, bins, lo, hi, 8, &clo, &chi),
        "choose failed");
  qsort(x, (size_t)n, sizeof(float), cmpf);
  int64_t k = (int64_t)floor(1e-4 * (double)n); /* first value past the 0.01% tail */
  float qlo = x[k], qhi = x[n - 1 - k];
  double w = ((double)hi - lo) / bins;
  printf("percentile: minmax [%g, %g], chosen [%g, %g], sorted quantiles [%g, %g], bin %.3g\n",
         lo, hi, clo, chi, qlo, qhi, w);
  CHECK(clo <= qlo && qlo - clo <= w * 1.0001, "lower %g vs quantile %g", clo, qlo);
  CHECK(chi >= qhi && chi - qhi <= w * 1.0001, "upper %g vs quantile %g", chi, qhi);
  CHECK(clo > -20.0f, "outliers not clipped: lower %g", clo);
  free(x);
  free(h);
}

static void test_minmax_and_errors(void) {
  printf("TEST: minmax_and_errors\n");
  uint64_t h[4] = {1, 0, 0, 1};
  float clo, chi;
  CHECK(!ajpq_jc_act_range_choose(AJPQ_JC_ACT_CALIB_MINMAX, h, 4, -1.5f, 3.0f, 8, &clo, &chi),
        "minmax failed");
  CHECK(clo == -1.5f && chi == 3.0f, "minmax changed the range: [%g, %g]", clo, chi);
  ajpq_status_t st = ajpq_jc_act_range_choose(AJPQ_JC_ACT_CALIB_MSE, h, 4, 0, 1, 9, &clo, &chi);
  CHECK(st != NULL, "bits=9 accepted");
  ajpq_status_free(st);
  st = ajpq_jc_act_range_choose(AJPQ_JC_ACT_CALIB_MSE, h, 4, 0, NAN, 8, &clo, &chi);
  CHECK(st != NULL, "NaN range accepted");
  ajpq_status_free(st);
}

int main(void) {
  test_mse_heavy_tail();
  test_percentile();
  test_minmax_and_errors();
  printf(failures ? "FAILED %d\n" : "ALL PASSED\n", failures);
  return failures ? 1 : 0;
}
