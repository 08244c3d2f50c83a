/* metrics_test.c — unit tests of ajpq_metrics against independent references: AUC against a
 * brute-force O(n^2) count over all positive/negative pairs (ties 1/2), KL against a direct
 * double-precision log-sum-exp formula, top-k against a sort of (score desc, index asc), NMSE and
 * the detector metrics against values derived by hand in the comments. Run by metrics.test;
 * prints `TEST: name` banners, exits 1 on any failure. */
#include "ajpq_metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define EXPECT(cond)                                                                               \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                                       \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

/* |a - b| <= tol * max(1, |b|) */
#define EXPECT_NEAR(a, b, tol)                                                                     \
  do {                                                                                             \
    double va_ = (a), vb_ = (b);                                                                   \
    if (!(fabs(va_ - vb_) <= (tol)*fmax(1.0, fabs(vb_)))) {                                        \
      printf("FAIL %s:%d: %s = %.17g, expected %.17g\n", __FILE__, __LINE__, #a, va_, vb_);        \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

/* The call must succeed. */
#define OK(call)                                                                                   \
  do {                                                                                             \
    ajpq_status_t st_ = (call);                                                                    \
    if (st_) {                                                                                     \
      printf("FAIL %s:%d: %s: %s\n", __FILE__, __LINE__, #call, ajpq_status_message(st_));         \
      ajpq_status_free(st_);                                                                       \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

/* The call must fail with `code` and leave *out (initialised to -7) untouched; prints the
 * message for FileCheck. */
static void expect_error(const char *name, ajpq_status_t st, ajpq_status_code_t code, double out) {
  if (!st) {
    printf("FAIL %s: no error\n", name);
    failures++;
    return;
  }
  if (ajpq_status_code(st) != code) {
    printf("FAIL %s: code %s, expected %s\n", name, ajpq_status_code_name(ajpq_status_code(st)),
           ajpq_status_code_name(code));
    failures++;
  }
  if (out != -7) {
    printf("FAIL %s: out-parameter written on error\n", name);
    failures++;
  }
  printf("error %s: %s\n", name, ajpq_status_message(st));
  ajpq_status_free(st);
}

/* Deterministic generator (64-bit LCG, Knuth's MMIX constants). */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next_u32(void) {
  rng = rng * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rng >> 33);
}
/* Uniform in [0, 1). */
static double uniform(void) {
  return next_u32() / 2147483648.0;
}

/* Reference AUC: every positive/negative pair, 1 if the positive scores higher, 1/2 on a tie. */
static double auc_brute(const double *s, const int64_t *lab, int64_t n) {
  double u = 0, pairs = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++)
      if (lab[i] && !lab[j]) {
        u += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
        pairs += 1;
      }
  return u / pairs;
}

static void test_auc_vs_bruteforce(void) {
  printf("TEST: auc_vs_bruteforce\n");
  /* Hand case: positives {0.9, 0.5}, negatives {0.5, 0.1}. Pairs: (0.9,0.5)=1 (0.9,0.1)=1
   * (0.5,0.5)=1/2 (0.5,0.1)=1 -> 3.5 / 4 = 0.875. */
  double s0[4] = {0.9, 0.5, 0.5, 0.1};
  int64_t l0[4] = {1, 1, 0, 0};
  double a = -1;
  OK(ajpq_metrics_auc(s0, l0, 4, &a));
  EXPECT(a == 0.875);
  printf("hand auc %.4f\n", a);
  /* Generated cases with many ties (scores drawn from few levels), labels {0, 1, 2} (2 counts
   * as positive), n up to 500: the rank formula must equal the pair count exactly. */
  int cases = 0, equal = 0;
  for (int t = 0; t < 60; t++) {
    int64_t n = 2 + (int64_t)(next_u32() % 499);
    int levels = 1 + (int)(next_u32() % (t % 3 == 0 ? 4 : 1000));
    double *s = malloc((size_t)n * sizeof *s);
    int64_t *lab = malloc((size_t)n * sizeof *lab);
    for (int64_t i = 0; i < n; i++) {
      s[i] = (double)(next_u32() % (uint32_t)levels) / levels;
      lab[i] = next_u32() % 3;
    }
    lab[0] = 0;
    lab[1] = 2; /* both classes present */
    OK(ajpq_metrics_auc(s, lab, n, &a));
    cases++;
    equal += a == auc_brute(s, lab, n);
    EXPECT(a == auc_brute(s, lab, n));
    free(s);
    free(lab);
  }
  printf("generated %d cases, %d exactly equal to the pair count\n", cases, equal);
  /* Infinite scores only order: +Inf positive above a finite negative -> 1. */
  double s1[3] = {INFINITY, -INFINITY, 0.0};
  int64_t l1[3] = {1, 0, 0};
  OK(ajpq_metrics_auc(s1, l1, 3, &a));
  EXPECT(a == 1.0);
}

/* Reference KL(p || q) of two logit rows, from log-probabilities: log p_c = v_c - LSE(v). */
static double kl_logits_direct(const float *r, const float *v, int64_t c) {
  double mr = -INFINITY, mv = -INFINITY, sr = 0, sv = 0;
  for (int64_t k = 0; k < c; k++) {
    mr = fmax(mr, r[k]);
    mv = fmax(mv, v[k]);
  }
  for (int64_t k = 0; k < c; k++) {
    sr += exp(r[k] - mr);
    sv += exp(v[k] - mv);
  }
  double lser = mr + log(sr), lsev = mv + log(sv), kl = 0;
  for (int64_t k = 0; k < c; k++) {
    double lp = r[k] - lser, lq = v[k] - lsev;
    kl += exp(lp) * (lp - lq);
  }
  return kl;
}

static void test_kl(void) {
  printf("TEST: kl_classes\n");
  /* Hand case: logits (0, 0) -> p = (1/2, 1/2); (ln 3, 0) -> q = (3/4, 1/4).
   * KL = 1/2 ln(2/3) + 1/2 ln 2 = 1/2 ln(4/3) = 0.1438410362. */
  float ref[2] = {0, 0}, m[2] = {(float)log(3.0), 0};
  double kl = -1;
  OK(ajpq_metrics_kl_classes(ref, m, 1, 2, false, 1e-300, &kl));
  EXPECT_NEAR(kl, 0.5 * log(4.0 / 3.0), 1e-7); /* ln 3 rounded to float */
  printf("hand kl %.6f\n", kl);
  /* Generated: 40 samples of 10 classes, logits in [-8, 8]; mean of the direct formula. */
  enum { N = 40, C = 10 };
  float *r = malloc(N * C * sizeof(float)), *v = malloc(N * C * sizeof(float));
  double want = 0;
  for (int i = 0; i < N * C; i++) {
    r[i] = (float)(16 * uniform() - 8);
    v[i] = r[i] + (float)(2 * uniform() - 1);
  }
  for (int s = 0; s < N; s++)
    want += kl_logits_direct(r + s * C, v + s * C, C);
  want /= N;
  OK(ajpq_metrics_kl_classes(r, v, N, C, false, 1e-300, &kl));
  EXPECT_NEAR(kl, want, 1e-12);
  printf("generated kl matches the direct formula: %s\n",
         fabs(kl - want) <= 1e-12 * fmax(1, want) ? "yes" : "no");
  /* Identical rows: exactly 0 (p log(p/p) = 0 term by term). */
  OK(ajpq_metrics_kl_classes(r, r, N, C, false, 1e-12, &kl));
  EXPECT(kl == 0.0);
  /* probabilities: (0.5, 0.5, 0) vs (0.25, 0.25, 0.5): the 0 is floored to 1e-12, so
   * p = (0.5, 0.5, 1e-12) / (1 + 1e-12); KL ~ 2 * 0.5 ln 2 = ln 2. */
  float pr[3] = {0.5f, 0.5f, 0}, pm[3] = {0.25f, 0.25f, 0.5f};
  OK(ajpq_metrics_kl_classes(pr, pm, 1, 3, true, 1e-300, &kl));
  EXPECT_NEAR(kl, log(2.0), 1e-10);
  double p3[3];
  OK(ajpq_metrics_class_probs(pr, 3, true, p3));
  EXPECT_NEAR(p3[2], 1e-12, 1e-9);
  EXPECT_NEAR(p3[0] + p3[1] + p3[2], 1.0, 1e-15);
  /* The floor bounds a ruled-out class: p = (1/2, 1/2), q_1 underflows to 0 (logit gap 2000):
   * with q_floor 1e-12 the term is 1/2 ln(1/2 / 1e-12). */
  float far[2] = {0, -2000};
  OK(ajpq_metrics_kl_classes(ref, far, 1, 2, false, 1e-12, &kl));
  EXPECT_NEAR(kl, 0.5 * log(0.5 / 1.0) + 0.5 * log(0.5 / 1e-12), 1e-12);
  free(r);
  free(v);

  printf("TEST: kl_bernoulli\n");
  /* p = 0.8, q = 0.6: 0.8 ln(4/3) + 0.2 ln(1/2) = 0.0915162... ; second sample identical (0). */
  double rs[2] = {0.8, 0.3}, ms[2] = {0.6, 0.3};
  OK(ajpq_metrics_kl_bernoulli(rs, ms, 2, 1e-12, &kl));
  EXPECT_NEAR(kl, (0.8 * log(0.8 / 0.6) + 0.2 * log(0.2 / 0.4)) / 2, 1e-15);
  printf("bernoulli kl %.6f\n", kl);
  /* Saturated: p = 1, q = 0 -> clamped to 1 - eps, eps:
   * (1-eps) ln((1-eps)/eps) + eps ln(eps/(1-eps)) = (1 - 2 eps) ln((1-eps)/eps) */
  double one = 1, zero = 0, e = 1e-7;
  OK(ajpq_metrics_kl_bernoulli(&one, &zero, 1, e, &kl));
  EXPECT_NEAR(kl, (1 - 2 * e) * log((1 - e) / e), 1e-12);
  printf("saturated kl at eps 1e-7 %.4f\n", kl);
}

/* Reference top-k: rank by (score desc, index asc) with a selection sort; hit if the label is
 * among the first k. */
static int topk_ref(const float *v, int64_t c, int64_t label, int k) {
  int64_t *idx = malloc((size_t)c * sizeof *idx);
  for (int64_t i = 0; i < c; i++)
    idx[i] = i;
  for (int64_t i = 0; i < c; i++)
    for (int64_t j = i + 1; j < c; j++)
      if (v[idx[j]] > v[idx[i]] || (v[idx[j]] == v[idx[i]] && idx[j] < idx[i])) {
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
      }
  int hit = 0;
  for (int i = 0; i < k && i < c; i++)
    hit |= idx[i] == label;
  free(idx);
  return hit;
}

static void test_topk(void) {
  printf("TEST: topk_ties\n");
  /* Row (1, 1, 0): classes 0 and 1 tie; the lower index wins, so argmax = 0: label 0 is a top-1
   * hit, label 1 is not, and both are top-2 hits. */
  float row[3] = {1, 1, 0};
  int64_t l0 = 0, l1 = 1, l2 = 2;
  double h = -1;
  OK(ajpq_metrics_topk(row, 1, 3, &l0, 1, &h));
  EXPECT(h == 1.0);
  OK(ajpq_metrics_topk(row, 1, 3, &l1, 1, &h));
  EXPECT(h == 0.0);
  OK(ajpq_metrics_topk(row, 1, 3, &l1, 2, &h));
  EXPECT(h == 1.0);
  OK(ajpq_metrics_topk(row, 1, 3, &l2, 2, &h));
  EXPECT(h == 0.0);
  EXPECT(ajpq_metrics_argmax(row, 3) == 0);
  /* A collapsed model (all 10 scores equal): top-5 holds classes 0..4 only. Counting only
   * strictly higher scores (the evaluator's former rule) would make every label a hit. */
  float flat[10] = {0};
  int64_t lab4 = 4, lab9 = 9;
  OK(ajpq_metrics_topk(flat, 1, 10, &lab4, 5, &h));
  EXPECT(h == 1.0);
  OK(ajpq_metrics_topk(flat, 1, 10, &lab9, 5, &h));
  EXPECT(h == 0.0);
  printf("flat row: label 4 top-5 hit, label 9 %s\n", h == 0.0 ? "miss" : "hit");
  /* Generated: 200 rows of 12 classes with scores from 4 levels (many ties), k = 1, 3, 5. */
  enum { N = 200, C = 12 };
  float *rows = malloc(N * C * sizeof(float)), *ref = malloc(N * C * sizeof(float));
  int64_t labels[N];
  for (int i = 0; i < N * C; i++) {
    rows[i] = (float)(next_u32() % 4);
    ref[i] = (float)(next_u32() % 4);
  }
  for (int i = 0; i < N; i++)
    labels[i] = next_u32() % C;
  int ks[3] = {1, 3, 5};
  for (int t = 0; t < 3; t++) {
    int hits = 0;
    for (int i = 0; i < N; i++)
      hits += topk_ref(rows + i * C, C, labels[i], ks[t]);
    OK(ajpq_metrics_topk(rows, N, C, labels, ks[t], &h));
    EXPECT(h == (double)hits / N);
    printf("top-%d %.3f (reference %.3f)\n", ks[t], h, (double)hits / N);
  }
  /* agreement: argmax of each row (first index on ties) against the reference's. */
  int same = 0;
  for (int i = 0; i < N; i++) {
    int64_t a = 0, b = 0;
    for (int c = 0; c < C; c++) {
      if (topk_ref(rows + i * C, C, c, 1))
        a = c;
      if (topk_ref(ref + i * C, C, c, 1))
        b = c;
    }
    same += a == b;
  }
  OK(ajpq_metrics_argmax_agreement(rows, ref, N, C, &h));
  EXPECT(h == (double)same / N);
  printf("argmax agreement %.3f (reference %.3f)\n", h, (double)same / N);
  free(rows);
  free(ref);
}

static void test_nmse(void) {
  printf("TEST: nmse\n");
  /* Output 0: reference r_j = sin(j + 1) for 97 values, model y = 1.25 r: every error is
   * 0.25 r_j, so NMSE_0 = 0.25^2 = 0.0625 (float rounding of y: relative error ~1e-7).
   * Output 1: reference all zero, y = (1, -2, 2): plain MSE = (1 + 4 + 4) / 3 = 3.
   * Mean over the two outputs: (0.0625 + 3) / 2 = 1.53125. */
  enum { N0 = 97 };
  float r0[N0], y0[N0], r1[3] = {0, 0, 0}, y1[3] = {1, -2, 2};
  for (int j = 0; j < N0; j++) {
    r0[j] = (float)sin(j + 1.0);
    y0[j] = 1.25f * r0[j];
  }
  const float *y[2] = {y0, y1}, *r[2] = {r0, r1};
  int64_t cnt[2] = {N0, 3};
  double v = -1;
  OK(ajpq_metrics_nmse(y, r, cnt, 1, &v));
  EXPECT_NEAR(v, 0.0625, 1e-6);
  OK(ajpq_metrics_nmse(y, r, cnt, 2, &v));
  EXPECT_NEAR(v, 1.53125, 1e-6);
  printf("nmse %.6f\n", v);
  /* Identical outputs: exactly 0. */
  OK(ajpq_metrics_nmse(r, r, cnt, 2, &v));
  EXPECT(v == 0.0);
}

static void test_detector(void) {
  printf("TEST: detector\n");
  /* Two outputs, 2 samples: output 0 [2][2], output 1 [2][1].
   * sample 0: max(sigmoid(-1), sigmoid(ln 3), sigmoid(0)) = 3/4; sample 1: sigmoid(-ln 3) = 1/4
   * against -5, -4 (smaller). Only output 1 (which = {1}): 1/2 and sigmoid(-4). */
  float o0[4] = {-1, (float)log(3.0), -5, (float)-log(3.0)}, o1[2] = {0, -4};
  const float *outs[2] = {o0, o1};
  int64_t per[2] = {2, 1};
  double sc[2];
  OK(ajpq_metrics_max_sigmoid(outs, per, 2, NULL, 0, 2, sc));
  EXPECT_NEAR(sc[0], 0.75, 1e-7);
  EXPECT_NEAR(sc[1], 0.25, 1e-7);
  int which = 1;
  OK(ajpq_metrics_max_sigmoid(outs, per, 2, &which, 1, 2, sc));
  EXPECT(sc[0] == 0.5);
  EXPECT_NEAR(sc[1], 1 / (1 + exp(4.0)), 1e-15);
  /* threshold accuracy: scores (0.75, 0.25, 0.5) vs labels (1, 1, 0) at 0.5: hit, miss,
   * miss (0.5 >= 0.5 -> positive) -> 1/3. */
  double s3[3] = {0.75, 0.25, 0.5}, r3[3] = {0.9, 0.6, 0.1}, a = -1;
  int64_t l3[3] = {1, 1, 0};
  OK(ajpq_metrics_threshold_accuracy(s3, l3, 3, 0.5, &a));
  EXPECT(a == 1.0 / 3);
  /* agreement with (0.9, 0.6, 0.1): same, differ, differ -> 1/3. */
  OK(ajpq_metrics_threshold_agreement(s3, r3, 3, 0.5, &a));
  EXPECT(a == 1.0 / 3);
  printf("accuracy %.4f agreement %.4f\n", a, a);
}

static void test_errors(void) {
  printf("TEST: errors\n");
  double s[3] = {0.1, NAN, 0.3}, ok[3] = {0.1, 0.2, 0.3}, out = -7;
  int64_t lab[3] = {0, 1, 1}, neg[3] = {0, -1, 1}, ones[3] = {1, 1, 1}, big[3] = {0, 3, 1};
  expect_error("auc_n0", ajpq_metrics_auc(ok, lab, 0, &out), AJPQ_INVALID_ARGUMENT, out);
  expect_error("auc_nan", ajpq_metrics_auc(s, lab, 3, &out), AJPQ_INVALID_ARGUMENT, out);
  expect_error("auc_neg", ajpq_metrics_auc(ok, neg, 3, &out), AJPQ_INVALID_ARGUMENT, out);
  expect_error("auc_one_class", ajpq_metrics_auc(ok, ones, 3, &out), AJPQ_FAILED_PRECONDITION, out);
  expect_error("auc_null", ajpq_metrics_auc(NULL, lab, 3, &out), AJPQ_INVALID_ARGUMENT, out);
  expect_error("acc_nan_thr", ajpq_metrics_threshold_accuracy(ok, lab, 3, NAN, &out),
               AJPQ_INVALID_ARGUMENT, out);
  expect_error("agree_nan", ajpq_metrics_threshold_agreement(ok, s, 3, 0.5, &out),
               AJPQ_INVALID_ARGUMENT, out);
  expect_error("bern_eps", ajpq_metrics_kl_bernoulli(ok, ok, 3, 0.5, &out), AJPQ_INVALID_ARGUMENT,
               out);
  double outside[3] = {0.1, 1.5, 0.3};
  expect_error("bern_range", ajpq_metrics_kl_bernoulli(ok, outside, 3, 1e-7, &out),
               AJPQ_INVALID_ARGUMENT, out);
  float rows[6] = {1, 2, 3, 4, 5, 6}, nanrow[6] = {1, 2, 3, 4, NAN, 6},
        infrow[6] = {1, 2, INFINITY, 4, 5, 6};
  expect_error("topk_label", ajpq_metrics_topk(rows, 3, 2, big, 1, &out), AJPQ_INVALID_ARGUMENT,
               out);
  expect_error("topk_neg_label", ajpq_metrics_topk(rows, 3, 2, neg, 1, &out), AJPQ_INVALID_ARGUMENT,
               out);
  expect_error("topk_k0", ajpq_metrics_topk(rows, 3, 2, lab, 0, &out), AJPQ_INVALID_ARGUMENT, out);
  expect_error("topk_nan", ajpq_metrics_topk(nanrow, 3, 2, lab, 1, &out), AJPQ_INVALID_ARGUMENT,
               out);
  expect_error("agree_classes0", ajpq_metrics_argmax_agreement(rows, rows, 3, 0, &out),
               AJPQ_INVALID_ARGUMENT, out);
  expect_error("kl_inf", ajpq_metrics_kl_classes(rows, infrow, 3, 2, false, 1e-12, &out),
               AJPQ_INVALID_ARGUMENT, out);
  expect_error("kl_floor", ajpq_metrics_kl_classes(rows, rows, 3, 2, false, 0, &out),
               AJPQ_INVALID_ARGUMENT, out);
  const float *y[1] = {rows}, *yn[1] = {nanrow};
  int64_t cnt[1] = {6}, cnt0[1] = {0};
  expect_error("nmse_nan", ajpq_metrics_nmse(yn, y, cnt, 1, &out), AJPQ_INVALID_ARGUMENT, out);
  expect_error("nmse_count0", ajpq_metrics_nmse(y, y, cnt0, 1, &out), AJPQ_INVALID_ARGUMENT, out);
  expect_error("nmse_outputs0", ajpq_metrics_nmse(y, y, cnt, 0, &out), AJPQ_INVALID_ARGUMENT, out);
  int64_t per[1] = {2};
  const float *outs[1] = {nanrow};
  double sc[3] = {-7, -7, -7};
  ajpq_status_t st = ajpq_metrics_max_sigmoid(outs, per, 1, NULL, 0, 3, sc);
  expect_error("sigmoid_nan", st, AJPQ_INVALID_ARGUMENT, sc[0]);
  int bad = 1;
  per[0] = 2;
  outs[0] = rows;
  expect_error("sigmoid_which", ajpq_metrics_max_sigmoid(outs, per, 1, &bad, 1, 3, sc),
               AJPQ_INVALID_ARGUMENT, out);
}

int main(void) {
  test_auc_vs_bruteforce();
  test_kl();
  test_topk();
  test_nmse();
  test_detector();
  test_errors();
  if (failures) {
    printf("%d FAILURES\n", failures);
    return 1;
  }
  printf("ALL PASSED\n");
  return 0;
}
