/* metrics.c — the evaluation metrics shared by ajpq-runner and the search's evaluator
 * (ajpq_metrics.h has the definitions, units and error rules). The arithmetic is written out
 * exactly as the two former copies had it (same operations, same order, one accumulator), so the
 * runner's reports and the search's rewards did not move by a bit when they switched to it. */
#include "ajpq_metrics.h"

#include <math.h>
#include <stdlib.h>

#define CHECK_N(fn, n)                                                                             \
  do {                                                                                             \
    if ((n) < 1)                                                                                   \
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "metrics: %s: %lld samples (need >= 1)", fn,  \
                              (long long)(n));                                                     \
  } while (0)

#define CHECK_PTR(fn, p)                                                                           \
  do {                                                                                             \
    if (!(p))                                                                                      \
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "metrics: %s: '%s' is NULL", fn, #p);         \
  } while (0)

/* First NaN of a [n] double array, or -1. */
static int64_t first_nan_d(const double *v, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (isnan(v[i]))
      return i;
  return -1;
}

static ajpq_status_t check_scores(const char *fn, const char *what, const double *v, int64_t n) {
  int64_t i = first_nan_d(v, n);
  return i < 0 ? NULL
               : ajpq_status_make(AJPQ_INVALID_ARGUMENT, "metrics: %s: %s of sample %lld is NaN",
                                  fn, what, (long long)i);
}

static ajpq_status_t check_binary_labels(const char *fn, const int64_t *labels, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (labels[i] < 0)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "metrics: %s: label %lld of sample %lld is negative (binary labels: "
                              "0 = negative, any other value >= 0 = positive)",
                              fn, (long long)labels[i], (long long)i);
  return NULL;
}

/* Rows [n][classes]: NaN (or, with finite_only, any non-finite value) is an error. */
static ajpq_status_t check_rows(const char *fn, const char *what, const float *rows, int64_t n,
                                int64_t classes, bool finite_only) {
  for (int64_t i = 0; i < n * classes; i++)
    if (finite_only ? !isfinite(rows[i]) : isnan(rows[i]))
      return ajpq_status_make(
          AJPQ_INVALID_ARGUMENT, "metrics: %s: %s of sample %lld, class %lld is %s", fn, what,
          (long long)(i / classes), (long long)(i % classes), isnan(rows[i]) ? "NaN" : "infinite");
  return NULL;
}

ajpq_status_t ajpq_metrics_max_sigmoid(const float *const *outputs, const int64_t *per_sample,
                                       int n_outputs, const int *which, int n_which, int64_t n,
                                       double *score) {
  static const char fn[] = "max_sigmoid";
  CHECK_N(fn, n);
  CHECK_PTR(fn, outputs);
  CHECK_PTR(fn, per_sample);
  CHECK_PTR(fn, score);
  if (!which)
    n_which = n_outputs;
  if (n_which < 1)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "metrics: %s: no output to read", fn);
  for (int j = 0; j < n_which; j++) {
    int o = which ? which[j] : j;
    if (o < 0 || o >= n_outputs)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "metrics: %s: output index %d not in [0, %d)",
                              fn, o, n_outputs);
    if (!outputs[o] || per_sample[o] < 1)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "metrics: %s: output %d has no values (NULL buffer or per-sample "
                              "count %lld)",
                              fn, o, (long long)per_sample[o]);
    for (int64_t k = 0; k < n * per_sample[o]; k++)
      if (isnan(outputs[o][k]))
        return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                                "metrics: %s: output %d, sample %lld, element %lld is NaN", fn, o,
                                (long long)(k / per_sample[o]), (long long)(k % per_sample[o]));
  }
  for (int64_t s = 0; s < n; s++) {
    double best = -INFINITY;
    for (int j = 0; j < n_which; j++) {
      int o = which ? which[j] : j;
      const float *v = outputs[o] + s * per_sample[o];
      for (int64_t k = 0; k < per_sample[o]; k++) {
        double sg = 1.0 / (1.0 + exp(-(double)v[k]));
        best = sg > best ? sg : best;
      }
    }
    score[s] = best;
  }
  return NULL;
}

ajpq_status_t ajpq_metrics_threshold_accuracy(const double *score, const int64_t *labels, int64_t n,
                                              double threshold, double *accuracy) {
  static const char fn[] = "threshold_accuracy";
  CHECK_N(fn, n);
  CHECK_PTR(fn, score);
  CHECK_PTR(fn, labels);
  CHECK_PTR(fn, accuracy);
  if (isnan(threshold))
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "metrics: %s: threshold is NaN", fn);
  AJPQ_RETURN_IF_ERROR(check_scores(fn, "score", score, n));
  AJPQ_RETURN_IF_ERROR(check_binary_labels(fn, labels, n));
  int64_t ok = 0;
  for (int64_t i = 0; i < n; i++)
    ok += (score[i] >= threshold) == (labels[i] != 0);
  *accuracy = (double)ok / (double)n;
  return NULL;
}

typedef struct {
  double score;
  int positive;
} scored_t;

static int cmp_scored(const void *a, const void *b) {
  const scored_t *x = a, *y = b;
  return x->score < y->score ? -1 : x->score > y->score;
}

ajpq_status_t ajpq_metrics_auc(const double *score, const int64_t *labels, int64_t n, double *auc) {
  static const char fn[] = "auc";
  CHECK_N(fn, n);
  CHECK_PTR(fn, score);
  CHECK_PTR(fn, labels);
  CHECK_PTR(fn, auc);
  AJPQ_RETURN_IF_ERROR(check_scores(fn, "score", score, n));
  AJPQ_RETURN_IF_ERROR(check_binary_labels(fn, labels, n));
  int64_t npos = 0;
  for (int64_t i = 0; i < n; i++)
    npos += labels[i] != 0;
  int64_t nneg = n - npos;
  if (npos == 0 || nneg == 0)
    return ajpq_status_make(AJPQ_FAILED_PRECONDITION,
                            "metrics: %s: undefined, all %lld samples are %s", fn, (long long)n,
                            npos ? "positive" : "negative");
  scored_t *p = malloc((size_t)n * sizeof *p);
  if (!p)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "metrics: %s: out of memory", fn);
  for (int64_t i = 0; i < n; i++) {
    p[i].score = score[i];
    p[i].positive = labels[i] != 0;
  }
  qsort(p, (size_t)n, sizeof *p, cmp_scored);
  double ranksum = 0; /* exact: a sum of halves far below 2^52 */
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j < n && p[j].score == p[i].score)
      ++j;
    double mid = (double)(i + 1 + j) / 2.0; /* mean 1-based rank of the tie group i..j-1 */
    for (int64_t k = i; k < j; ++k)
      if (p[k].positive)
        ranksum += mid;
    i = j;
  }
  free(p);
  *auc = (ranksum - (double)(npos * (npos + 1)) / 2.0) / ((double)npos * (double)nneg);
  return NULL;
}

ajpq_status_t ajpq_metrics_threshold_agreement(const double *score, const double *ref_score,
                                               int64_t n, double threshold, double *agreement) {
  static const char fn[] = "threshold_agreement";
  CHECK_N(fn, n);
  CHECK_PTR(fn, score);
  CHECK_PTR(fn, ref_score);
  CHECK_PTR(fn, agreement);
  if (isnan(threshold))
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "metrics: %s: threshold is NaN", fn);
  AJPQ_RETURN_IF_ERROR(check_scores(fn, "score", score, n));
  AJPQ_RETURN_IF_ERROR(check_scores(fn, "reference score", ref_score, n));
  int64_t ag = 0;
  for (int64_t i = 0; i < n; i++)
    ag += (score[i] >= threshold) == (ref_score[i] >= threshold);
  *agreement = (double)ag / (double)n;
  return NULL;
}

ajpq_status_t ajpq_metrics_kl_bernoulli(const double *ref_score, const double *score, int64_t n,
                                        double eps, double *mean_kl) {
  static const char fn[] = "kl_bernoulli";
  CHECK_N(fn, n);
  CHECK_PTR(fn, score);
  CHECK_PTR(fn, ref_score);
  CHECK_PTR(fn, mean_kl);
  if (!(eps > 0 && eps < 0.5))
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "metrics: %s: eps %g not in (0, 0.5)", fn, eps);
  for (int64_t i = 0; i < n; i++)
    if (!(score[i] >= 0 && score[i] <= 1) || !(ref_score[i] >= 0 && ref_score[i] <= 1))
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "metrics: %s: sample %lld: score %g / reference %g not a "
                              "probability in [0, 1]",
                              fn, (long long)i, score[i], ref_score[i]);
  double k = 0;
  for (int64_t i = 0; i < n; i++) {
    double p = fmin(fmax(ref_score[i], eps), 1 - eps), q = fmin(fmax(score[i], eps), 1 - eps);
    k += p * log(p / q) + (1 - p) * log((1 - p) / (1 - q));
  }
  *mean_kl = k / (double)n;
  return NULL;
}

int64_t ajpq_metrics_argmax(const float *row, int64_t classes) {
  int64_t b = 0;
  for (int64_t k = 1; k < classes; ++k)
    if (row[k] > row[b])
      b = k;
  return b;
}

static ajpq_status_t check_classes(const char *fn, int64_t n, int64_t classes) {
  if (n < 1 || classes < 1)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "metrics: %s: %lld samples of %lld classes (need >= 1 of each)", fn,
                            (long long)n, (long long)classes);
  return NULL;
}

ajpq_status_t ajpq_metrics_topk(const float *rows, int64_t n, int64_t classes,
                                const int64_t *labels, int k, double *hit_rate) {
  static const char fn[] = "topk";
  AJPQ_RETURN_IF_ERROR(check_classes(fn, n, classes));
  CHECK_PTR(fn, rows);
  CHECK_PTR(fn, labels);
  CHECK_PTR(fn, hit_rate);
  if (k < 1)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "metrics: %s: k = %d (need >= 1)", fn, k);
  for (int64_t i = 0; i < n; i++)
    if (labels[i] < 0 || labels[i] >= classes)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "metrics: %s: label %lld of sample %lld is not in [0, %lld)", fn,
                              (long long)labels[i], (long long)i, (long long)classes);
  AJPQ_RETURN_IF_ERROR(check_rows(fn, "score", rows, n, classes, false));
  int64_t hits = 0;
  for (int64_t i = 0; i < n; i++) {
    const float *v = rows + i * classes;
    int64_t lab = labels[i], higher = 0; /* classes ranked before the label */
    for (int64_t j = 0; j < classes; ++j)
      if (v[j] > v[lab] || (v[j] == v[lab] && j < lab))
        ++higher;
    hits += higher < k;
  }
  *hit_rate = (double)hits / (double)n;
  return NULL;
}

ajpq_status_t ajpq_metrics_argmax_agreement(const float *rows, const float *ref_rows, int64_t n,
                                            int64_t classes, double *agreement) {
  static const char fn[] = "argmax_agreement";
  AJPQ_RETURN_IF_ERROR(check_classes(fn, n, classes));
  CHECK_PTR(fn, rows);
  CHECK_PTR(fn, ref_rows);
  CHECK_PTR(fn, agreement);
  AJPQ_RETURN_IF_ERROR(check_rows(fn, "score", rows, n, classes, false));
  AJPQ_RETURN_IF_ERROR(check_rows(fn, "reference score", ref_rows, n, classes, false));
  int64_t ag = 0;
  for (int64_t i = 0; i < n; i++)
    ag += ajpq_metrics_argmax(rows + i * classes, classes) ==
          ajpq_metrics_argmax(ref_rows + i * classes, classes);
  *agreement = (double)ag / (double)n;
  return NULL;
}

/* ajpq_metrics_class_probs without the checks (the callers did them). */
static void class_probs(const float *v, int64_t c, bool probabilities, double *out) {
  if (probabilities) {
    double sum = 0;
    for (int64_t k = 0; k < c; ++k)
      sum += out[k] = v[k] > 1e-12f ? (double)v[k] : 1e-12;
    for (int64_t k = 0; k < c; ++k)
      out[k] /= sum;
    return;
  }
  double mx = -INFINITY, sum = 0;
  for (int64_t k = 0; k < c; ++k)
    mx = v[k] > mx ? v[k] : mx;
  for (int64_t k = 0; k < c; ++k)
    sum += out[k] = exp(v[k] - mx);
  for (int64_t k = 0; k < c; ++k)
    out[k] /= sum;
}

ajpq_status_t ajpq_metrics_class_probs(const float *row, int64_t classes, bool probabilities,
                                       double *p) {
  static const char fn[] = "class_probs";
  AJPQ_RETURN_IF_ERROR(check_classes(fn, 1, classes));
  CHECK_PTR(fn, row);
  CHECK_PTR(fn, p);
  AJPQ_RETURN_IF_ERROR(check_rows(fn, "score", row, 1, classes, true));
  class_probs(row, classes, probabilities, p);
  return NULL;
}

ajpq_status_t ajpq_metrics_kl_classes(const float *ref_rows, const float *rows, int64_t n,
                                      int64_t classes, bool probabilities, double q_floor,
                                      double *mean_kl) {
  static const char fn[] = "kl_classes";
  AJPQ_RETURN_IF_ERROR(check_classes(fn, n, classes));
  CHECK_PTR(fn, rows);
  CHECK_PTR(fn, ref_rows);
  CHECK_PTR(fn, mean_kl);
  if (!(q_floor > 0 && q_floor < 1))
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "metrics: %s: q_floor %g not in (0, 1)", fn,
                            q_floor);
  AJPQ_RETURN_IF_ERROR(check_rows(fn, "score", rows, n, classes, true));
  AJPQ_RETURN_IF_ERROR(check_rows(fn, "reference score", ref_rows, n, classes, true));
  double *p = malloc(2 * (size_t)classes * sizeof(double));
  if (!p)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "metrics: %s: out of memory", fn);
  double *q = p + classes;
  double k = 0;
  for (int64_t i = 0; i < n; i++) {
    class_probs(ref_rows + i * classes, classes, probabilities, p);
    class_probs(rows + i * classes, classes, probabilities, q);
    for (int64_t j = 0; j < classes; j++)
      if (p[j] > 0)
        k += p[j] * log(p[j] / fmax(q[j], q_floor));
  }
  free(p);
  *mean_kl = k / (double)n;
  return NULL;
}

ajpq_status_t ajpq_metrics_nmse(const float *const *y, const float *const *ref,
                                const int64_t *count, int n_outputs, double *nmse) {
  static const char fn[] = "nmse";
  CHECK_PTR(fn, y);
  CHECK_PTR(fn, ref);
  CHECK_PTR(fn, count);
  CHECK_PTR(fn, nmse);
  if (n_outputs < 1)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "metrics: %s: %d outputs (need >= 1)", fn,
                            n_outputs);
  for (int o = 0; o < n_outputs; o++) {
    if (count[o] < 1 || !y[o] || !ref[o])
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "metrics: %s: output %d has no values (count %lld or a NULL buffer)",
                              fn, o, (long long)count[o]);
    for (int64_t j = 0; j < count[o]; j++)
      if (!isfinite(y[o][j]) || !isfinite(ref[o][j]))
        return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                                "metrics: %s: output %d, value %lld is not finite (%g, reference "
                                "%g)",
                                fn, o, (long long)j, (double)y[o][j], (double)ref[o][j]);
  }
  double acc = 0;
  for (int o = 0; o < n_outputs; o++) {
    double err = 0, rs = 0;
    for (int64_t j = 0; j < count[o]; j++) {
      double d = (double)y[o][j] - ref[o][j];
      err += d * d;
      rs += (double)ref[o][j] * ref[o][j];
    }
    acc += rs > 0 ? err / rs : err / (double)count[o];
  }
  *nmse = acc / n_outputs;
  return NULL;
}
