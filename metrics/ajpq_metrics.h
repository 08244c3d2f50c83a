/* ajpq_metrics.h — the evaluation metrics of ajpq, in one place.
 *
 * What compression cost is measured by the same formulas everywhere: `ajpq-runner` reports
 * them (docs/runner.md) and the search's evaluator turns them into rewards
 * (passes/joint_compress_eval.c, docs/search.md "Reward"). Before this module each side had
 * its own copy and a lit test checking that the copies agreed.
 *
 * Post-processing kinds (docs/manifest.md `postprocess.kind`) and the functions that read them:
 *   - max_sigmoid (binary detectors): ajpq_metrics_max_sigmoid turns raw outputs into one score
 *     in [0, 1] per sample; then ajpq_metrics_threshold_accuracy, ajpq_metrics_auc,
 *     ajpq_metrics_threshold_agreement, ajpq_metrics_kl_bernoulli.
 *   - logits / probabilities (classifiers): one row of `classes` scores per sample;
 *     ajpq_metrics_topk (top-1, top-5), ajpq_metrics_argmax_agreement,
 *     ajpq_metrics_class_probs, ajpq_metrics_kl_classes.
 *   - any kind (metric `nmse` ignores post-processing; label-free): ajpq_metrics_nmse.
 *
 * Conventions for every function:
 *   - Layouts are sample-major: a `[n][per_sample]` array holds sample s at offset
 *     s * per_sample. Sizes are element counts (int64_t), never bytes.
 *   - Labels are int64 class indices; for the binary metrics label != 0 means positive.
 *   - Results are fractions in [0, 1] (not percent) or, for KL / NMSE, non-negative reals.
 *   - Bad input never crashes: a NULL pointer, n < 1, a size below its minimum, a label out of
 *     range or a NaN the metric would read returns AJPQ_INVALID_ARGUMENT naming the function,
 *     the sample and (where there is one) the element; out-of-memory returns
 *     AJPQ_RESOURCE_EXHAUSTED; an AUC over one class only (undefined) returns
 *     AJPQ_FAILED_PRECONDITION. The out-parameter is written only on success.
 *   - ±Inf is accepted where the metric is defined for it (sigmoid(±Inf) = 1 / 0; argmax, top-k
 *     and AUC only order values) and rejected where it is not (a softmax of +Inf, a squared
 *     error).
 *   - Sums run in one double accumulator in sample-major order, so a result is bit-for-bit
 *     reproducible and does not depend on threads (there are none).
 * Library: ajpq_metrics (C11, no MLIR), depends only on ajpq_support. Tests:
 * test/metrics/metrics_test.c against brute-force and direct double-precision references;
 * test/metrics/search-runner-metrics.test (the search's reported metric == the runner's).
 */
#ifndef AJPQ_METRICS_H
#define AJPQ_METRICS_H

#include "ajpq_status.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- detectors: postprocess max_sigmoid ---- */

/* The per-sample detector score: the maximum over the listed outputs, over all their elements,
 * of sigmoid(v) = 1 / (1 + exp(-v)) (docs/manifest.md, max_sigmoid).
 *   outputs[o], o < n_outputs: [n][per_sample[o]] floats of graph output o (only the listed ones
 *     are read; the others may be NULL).
 *   which: the n_which output indices to read (the manifest's `postprocess.outputs`); NULL reads
 *     all n_outputs outputs.
 *   score: [n] doubles, out; each in [0, 1].
 * Errors: n < 1, nothing to read, a listed index outside [0, n_outputs), a listed output with
 * per_sample < 1 or a NULL buffer, a NaN element (named by output, sample and element). */
ajpq_status_t ajpq_metrics_max_sigmoid(const float *const *outputs, const int64_t *per_sample,
                                       int n_outputs, const int *which, int n_which, int64_t n,
                                       double *score);

/* Thresholded binary accuracy: the fraction of samples with (score >= threshold) == (label != 0).
 *   score: [n] (any order-able value, e.g. ajpq_metrics_max_sigmoid); labels: [n], >= 0.
 * Errors: n < 1, a NaN threshold or score, a negative label. */
ajpq_status_t ajpq_metrics_threshold_accuracy(const double *score, const int64_t *labels, int64_t n,
                                              double threshold, double *accuracy);

/* Area under the ROC curve of `score` for labels (label != 0 = positive), computed as the
 * Mann–Whitney U statistic: AUC = P(score_pos > score_neg) + 1/2 P(score_pos == score_neg) over
 * all positive/negative pairs. Ties count one half: equal scores form one group that gets the
 * group's mean rank (mid-ranks), then AUC = (R_pos - P (P + 1) / 2) / (P N) with R_pos the rank
 * sum of the P positives and N negatives (Mann & Whitney 1947; Hanley & McNeil 1982). O(n log n)
 * time, O(n) scratch. The value equals the O(n^2) pair count exactly (both are sums of halves
 * divided by P N).
 * Errors: n < 1, a NaN score, a negative label (AJPQ_INVALID_ARGUMENT); only one class present
 * (AUC undefined): AJPQ_FAILED_PRECONDITION, so callers can tell "undefined" from bad input. */
ajpq_status_t ajpq_metrics_auc(const double *score, const int64_t *labels, int64_t n, double *auc);

/* Fraction of samples whose thresholded decision (score >= threshold) equals the reference's
 * (ref_score >= threshold): the detector form of `agreement`. score, ref_score: [n].
 * Errors: n < 1, a NaN threshold or score. */
ajpq_status_t ajpq_metrics_threshold_agreement(const double *score, const double *ref_score,
                                               int64_t n, double threshold, double *agreement);

/* Mean Bernoulli KL divergence KL(ref || model) over samples, each score read as the
 * probability of the positive class:
 *   KL = 1/n sum_s [ p log(p / q) + (1 - p) log((1 - p) / (1 - q)) ],
 *   p = clamp(ref_score[s], eps, 1 - eps), q = clamp(score[s], eps, 1 - eps)   (natural log, nats).
 * The clamp keeps every term finite: a sample contributes at most about log(1 / eps). The
 * runner reports with eps = 1e-12 (as close to the exact value as double allows); the search's
 * reward uses 1e-7, so that one saturated sample cannot outweigh the rest of the calibration set.
 *   score, ref_score: [n], each in [0, 1] (a max_sigmoid score).
 * Errors: n < 1, eps not in (0, 0.5), a NaN score or one outside [0, 1]. */
ajpq_status_t ajpq_metrics_kl_bernoulli(const double *ref_score, const double *score, int64_t n,
                                        double eps, double *mean_kl);

/* ---- classifiers: postprocess logits / probabilities ---- */

/* Top-k hit rate: the fraction of samples whose label ranks among the k best of its row.
 * Rank order: higher score first; ties go to the LOWER class index (docs/manifest.md), so a row
 * of equal scores ranks class 0 first and a collapsed model does not score every label as a
 * hit. k = 1 is top-1 (the label is the first index of the row maximum, as argmax).
 *   rows: [n][classes] scores (logits or probabilities; only their order matters); labels: [n].
 * Errors: n < 1, classes < 1, k < 1, a label outside [0, classes), a NaN score. */
ajpq_status_t ajpq_metrics_topk(const float *rows, int64_t n, int64_t classes,
                                const int64_t *labels, int k, double *hit_rate);

/* Index of the row maximum, the first one on ties (the decision of a classifier). Pure helper:
 * the caller guarantees classes >= 1 and no NaN (every public function here checks that). */
int64_t ajpq_metrics_argmax(const float *row, int64_t classes);

/* Fraction of samples whose argmax (first index on ties) equals the reference's: the classifier
 * form of `agreement`. rows, ref_rows: [n][classes].
 * Errors: n < 1, classes < 1, a NaN score. */
ajpq_status_t ajpq_metrics_argmax_agreement(const float *rows, const float *ref_rows, int64_t n,
                                            int64_t classes, double *agreement);

/* One row of class scores as a probability distribution (sums to 1).
 *   probabilities == false (logits): softmax, p_c = exp(v_c - max v) / sum_j exp(v_j - max v).
 *   probabilities == true (already softmaxed by the model): every value is floored at 1e-12
 *     (a negative or zero probability would make log undefined), then divided by the row sum.
 *   row: [classes]; p: [classes] doubles, out.
 * Errors: classes < 1, a non-finite value (a softmax of +Inf is undefined). */
ajpq_status_t ajpq_metrics_class_probs(const float *row, int64_t classes, bool probabilities,
                                       double *p);

/* Mean KL divergence KL(p_ref || p_model) over samples, of the class distributions of
 * ajpq_metrics_class_probs:
 *   KL = 1/n sum_s sum_c p_c log(p_c / max(q_c, q_floor))   over the c with p_c > 0   (nats).
 * The floor only guards q_c underflowing to 0 (logit gaps above ~745 in double); with a larger
 * floor (the search uses 1e-12) a class the candidate has all but ruled out costs at most
 * p_c log(p_c / q_floor). The runner reports with q_floor = 1e-300.
 *   ref_rows, rows: [n][classes]. Uses 2 * classes doubles of scratch.
 * Errors: n < 1, classes < 1, q_floor not in (0, 1), a non-finite score. */
ajpq_status_t ajpq_metrics_kl_classes(const float *ref_rows, const float *rows, int64_t n,
                                      int64_t classes, bool probabilities, double q_floor,
                                      double *mean_kl);

/* ---- any output: label-free fidelity ---- */

/* Normalised mean squared error against the reference outputs (metric `nmse`, docs/manifest.md):
 *   NMSE = 1/n_outputs sum_o [ sum_j (y_oj - r_oj)^2 / sum_j r_oj^2 ]
 * over all count[o] values of output o (every selected sample, every element); an output whose
 * reference is all zeros contributes its plain mean squared error sum_j (y_oj - r_oj)^2 / count[o]
 * instead. 0 means identical outputs. Post-processing plays no part.
 *   y[o], ref[o]: [count[o]] floats (e.g. [n][per_sample] of output o).
 * Errors: n_outputs < 1, count[o] < 1, a NULL buffer, a non-finite value. */
ajpq_status_t ajpq_metrics_nmse(const float *const *y, const float *const *ref,
                                const int64_t *count, int n_outputs, double *nmse);

#ifdef __cplusplus
}
#endif

#endif /* AJPQ_METRICS_H */
