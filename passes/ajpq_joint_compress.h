/* ajpq_joint_compress.h — INTERNAL header shared by joint_compress*.c and
 * apply_strategy.c: strategies, their cost, budget enforcement, the search
 * policies, the calibration evaluator, strategy files and the rewrite into
 * the ajpq dialect.
 *
 * A *strategy* gives every output channel of every compressible layer a
 * bit-width in {0, candidate bits}: 0 = erased (pruned). Erasure is per
 * channel group (ajpq_channel_graph.h): all members of a group are 0 or all
 * are > 0. An erased channel contributes nothing downstream: the rewrite
 * drops its row, its bias and the consumers' matching input columns; the
 * search's masked evaluation zeroes the row and the consumers' columns, so
 * masked ≡ erased.
 */
#ifndef AJPQ_JOINT_COMPRESS_H
#define AJPQ_JOINT_COMPRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ajpq_channel_graph.h"
#include "ajpq_costmodel.h"
#include "ajpq_passes.h"
#include "ajpq_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AJPQ_JC_MAX_CANDIDATES 9

/* Budgets (any combination; <= 0 = unset). Ratios are against the fp32
 * model measured by the same cost model. */
typedef struct {
  double size_ratio, macs_ratio, bitops_ratio;
  int64_t size_bytes;
} ajpq_jc_budget_t;

/* Search configuration derived from the pass options. */
typedef struct {
  int cand[AJPQ_JC_MAX_CANDIDATES]; /* nonzero candidate bits, ascending */
  int n_cand;
  bool allow_zero;                  /* 0 in the candidate set */
  int min_keep;                     /* channels kept per layer, >= 1 */
  int act_bits;                     /* 2..8 or 32 */
  int act_calib;                    /* ajpq_jc_act_calib_t (0 = percentile, the default) */
  ajpq_jc_budget_t budget;
  uint8_t *skip;                    /* [n_layers]: 1 = not compressed (float, kept) */
  uint8_t *group_fixed;             /* [n_groups]: 1 = never erased (pinned or skipped member) */
} ajpq_jc_config_t;

/* Fills cfg->group_fixed (malloc'd; caller frees) from the graph and
 * cfg->skip. False on OOM. */
bool ajpq_jc_config_groups(const ajpq_channel_graph_t *g, ajpq_jc_config_t *cfg);

/* A strategy: bits[l][c] for every layer l and output channel c. */
typedef struct {
  int n_layers;
  int64_t *n_chan; /* output channels of each layer */
  uint8_t **bits;
} ajpq_jc_strategy_t;

ajpq_jc_strategy_t *ajpq_jc_strategy_create(const ajpq_channel_graph_t *g);
void ajpq_jc_strategy_destroy(ajpq_jc_strategy_t *s);
void ajpq_jc_strategy_copy(ajpq_jc_strategy_t *dst, const ajpq_jc_strategy_t *src);

/* Erased flag per group: 1 iff every member channel has 0 bits. */
void ajpq_jc_group_erased(const ajpq_channel_graph_t *g, const ajpq_jc_strategy_t *s,
                          uint8_t *erased);

/* Total cost of `s` (coupling-aware: each layer's kept inputs follow its
 * producers' erasure); per_layer may be NULL. Skipped layers cost as fp32
 * weights (bits 32) at the configured activation bits. */
void ajpq_jc_cost(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                  const ajpq_jc_strategy_t *s, ajpq_costmodel_cost_t *total,
                  ajpq_costmodel_cost_t *per_layer);

/* fp32 reference cost (weights and activations 32-bit). */
void ajpq_jc_cost_fp32(const ajpq_channel_graph_t *g, ajpq_costmodel_cost_t *total);

/* True iff `c` meets every set budget against `fp32`. */
bool ajpq_jc_within_budget(const ajpq_jc_config_t *cfg, const ajpq_costmodel_cost_t *c,
                           const ajpq_costmodel_cost_t *fp32);

/* The cheapest strategy the constraints allow (every erasable group erased
 * in ascending importance while each member layer keeps >= min_keep, all
 * kept channels at the smallest candidate). */
void ajpq_jc_min_strategy(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                          ajpq_jc_strategy_t *s);

/* Post-episode enforcement: lowers bits one candidate step, least
 * important channel first (importance relative to its layer's mean), then
 * erases least important erasable groups, until the budget holds. Returns
 * the number of changes made; -1 if the budget still fails. */
int ajpq_jc_enforce(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                    const ajpq_costmodel_cost_t *fp32, ajpq_jc_strategy_t *s);

/* Checks group consistency and candidate membership (bugs, not input). */
bool ajpq_jc_strategy_valid(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                            const ajpq_jc_strategy_t *s);

/* ---- evaluation (joint_compress_eval.c) ---- */

/* Per-layer activation quantization of the layer's input (act_bits < 32). */
typedef struct {
  bool enabled;
  float scale;
  int32_t zero_point;
  int bits;
} ajpq_jc_actq_t;


/* How the per-tensor activation range is chosen from the calibration set (docs/search.md
 * "Activation calibration"). */
typedef enum {
  AJPQ_JC_ACT_CALIB_PERCENTILE = 0, /* [0.01th, 99.99th] percentile of the histogram (default;
                                       bin edges outward) */
  AJPQ_JC_ACT_CALIB_MSE,            /* clip [f·min, f·max], f = 2^(-k/16) minimising the
                                       quantization MSE over the histogram */
  AJPQ_JC_ACT_CALIB_MINMAX,         /* observed [min, max] */
} ajpq_jc_act_calib_t;

/* Histogram bins per layer input used for mse / percentile calibration. */
#define AJPQ_JC_ACT_HIST_BINS 16384
/* MSE clip candidates: f = 2^(-k/16), k = 0..AJPQ_JC_ACT_CLIP_STEPS (1 down to 1/512). */
#define AJPQ_JC_ACT_CLIP_STEPS 144

/* Chooses the clip range of one tensor from `hist` ([bins] counts of equal-width bins over
 * [lo, hi], the observed min/max; values represented by bin centres) for `bits`-bit
 * asymmetric per-tensor quantization (ajpq_act_qparams_from_range, which also widens to
 * contain 0). MINMAX returns [lo, hi]. MSE evaluates each candidate by
 * Σ count·(c − fakequant(c))² over bin centres c; ties keep the wider range. Deterministic.
 * INVALID_ARGUMENT on bad bits, bins < 1 or a non-finite range. */
ajpq_status_t ajpq_jc_act_range_choose(ajpq_jc_act_calib_t method, const uint64_t *hist, int bins,
                                       float lo, float hi, int bits, float *out_lo,
                                       float *out_hi);

typedef struct ajpq_jc_evaluator_s ajpq_jc_evaluator_t;

/* Weight of the fidelity term in the reward of labelled metrics:
 * reward = 0.1 × (metric − metric_fp32) in points − weight × mean KL(fp32 ‖ candidate). */
#define AJPQ_JC_FIDELITY_WEIGHT 1.0

typedef struct {
  const char *calibration; /* manifest .json or "data=X.npy[,labels=Y.npy][,metric=M]" */
  const char *metric;      /* overrides the manifest's; "" = default */
  const char *repo_root;   /* for "./" manifest paths; NULL = cwd */
  int64_t samples;         /* <= 0: the whole calibration split */
  int threads;             /* executor threads, 0 = all CPUs */
} ajpq_jc_eval_opts_t;

/* Reward callback: evaluates `s`, returns the reward (finite) and the
 * metric (in the metric's own unit, e.g. accuracy in [0,1]). */
typedef ajpq_status_t (*ajpq_jc_reward_fn)(void *user, const ajpq_jc_strategy_t *s, double *reward,
                                           double *metric);

/* Loads the calibration set, plans `func` with the executor, runs the fp32
 * model (reference outputs, metric, activation ranges -> per-layer input
 * quantization at cfg->act_bits). Errors: unknown metric, labels missing
 * for a labelled metric, data of the wrong shape, unreadable files. */
ajpq_status_t ajpq_jc_evaluator_create(MlirOperation func, const ajpq_channel_graph_t *g,
                                       const ajpq_jc_config_t *cfg, const ajpq_jc_eval_opts_t *o,
                                       ajpq_jc_evaluator_t **out);
void ajpq_jc_evaluator_destroy(ajpq_jc_evaluator_t *e);
/* An ajpq_jc_reward_fn; `user` is the evaluator. */
ajpq_status_t ajpq_jc_evaluator_reward(void *user, const ajpq_jc_strategy_t *s, double *reward,
                                       double *metric);
double ajpq_jc_evaluator_metric_fp32(const ajpq_jc_evaluator_t *e);
const char *ajpq_jc_evaluator_metric_name(const ajpq_jc_evaluator_t *e);
int64_t ajpq_jc_evaluator_samples(const ajpq_jc_evaluator_t *e);
/* Calibrated input quantization per layer ([n_layers]; borrowed). */
const ajpq_jc_actq_t *ajpq_jc_evaluator_actq(const ajpq_jc_evaluator_t *e);

/* ---- search ---- */

typedef enum {
  AJPQ_JC_POLICY_AJPQ = 0,
  AJPQ_JC_POLICY_TWO_STEP,
  AJPQ_JC_POLICY_LAYER_WISE,
  AJPQ_JC_POLICY_UNIFORM,
  AJPQ_JC_POLICY_RANDOM,
} ajpq_jc_policy_t;

typedef struct {
  ajpq_jc_policy_t policy;
  int episodes, warmup;
  uint64_t seed;
  double uniform_sparsity;
  bool fill_budget;   /* raise bits while under budget after each episode */
  int refine_passes;  /* ajpq policy: sweeps of the post-search refinement (0 = off) */
  bool progress_tty;  /* draw a progress bar (else plain lines every 10%) */
  bool quiet;
} ajpq_jc_search_opts_t;

typedef struct {
  double best_reward, best_metric;
  int best_episode;
  int episodes_run;
  int enforce_changes;
  int refine_evals, refine_moves; /* ajpq policy: post-search refinement (evaluations, accepted) */
  double *reward_curve; /* [episodes_run], owned */
  double seconds;
} ajpq_jc_search_result_t;

/* Runs the policy; writes the best strategy (budget-enforced) to `best`. */
ajpq_status_t ajpq_jc_search(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                             const ajpq_jc_search_opts_t *o, ajpq_jc_reward_fn reward, void *user,
                             ajpq_jc_strategy_t *best, ajpq_jc_search_result_t *res);

/* ---- strategy files (JSON) ---- */

typedef struct {
  const char *policy, *metric, *budget_text;
  uint64_t seed;
  double metric_fp32, metric_result;
} ajpq_jc_strategy_meta_t;

/* Writes {"version":1, "policy", "seed", "metric", "budget", "layers":[{"name",
 * "op", "bits":[...], "importance":[...]}]} atomically (temp + rename). */
ajpq_status_t ajpq_jc_strategy_write(const char *path, const ajpq_channel_graph_t *g,
                                     const ajpq_jc_strategy_t *s,
                                     const ajpq_jc_strategy_meta_t *meta);

/* Reads a strategy file for graph `g` (layers matched by name, in order);
 * INVALID_ARGUMENT/NOT_FOUND naming the file and layer on mismatch. */
ajpq_status_t ajpq_jc_strategy_read(const char *path, const ajpq_channel_graph_t *g,
                                    ajpq_jc_strategy_t *s);

/* ---- rewrite ---- */

/* Rewrites the function of `g` with strategy `s`: every non-skipped layer
 * becomes an ajpq.conv2d / ajpq.matmul with its kept channels (symmetric
 * per-channel quantization), erased channels are removed from producers,
 * intermediate ops and consumers; `actq[l]` (may be NULL) inserts an
 * ajpq.quantize before layer l. False after an MLIR error. */
bool ajpq_jc_rewrite(ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                     const ajpq_jc_strategy_t *s, const ajpq_jc_actq_t *actq);

/* Fake-quantized, masked weights of layer l under `s` into w [cout][k]:
 * kept rows quantized symmetric per channel over the kept input columns,
 * erased rows and erased input columns zero. Skipped layers: original. */
ajpq_status_t ajpq_jc_masked_weights(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                                     const ajpq_jc_strategy_t *s, const uint8_t *group_erased,
                                     int l, float *w);

/* ---- shared pass front half (joint_compress.c) ---- */

/* Finds the entry function, builds the channel graph (importance option),
 * reads bits / min-keep / act-bits / skip-layers into *cfg. `pass` names
 * the pass in diagnostics. NULL after a diagnostic (no compressible layer,
 * bad option values, NaN weights, ...). */
ajpq_channel_graph_t *ajpq_jc_prepare(MlirOperation op, const ajpq_pass_options_t *o,
                                      const char *pass, ajpq_jc_config_t *cfg,
                                      MlirOperation *func_out);
void ajpq_jc_config_free(ajpq_jc_config_t *cfg);

#ifdef __cplusplus
}
#endif

#endif /* AJPQ_JOINT_COMPRESS_H */
