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
  int weight_clip;                  /* ajpq_wclip_t (minmax, mse, auto, hessian; the pass default is hessian) */
  bool bias_correction;             /* correct conv biases for the weight error (wq) */
  const struct ajpq_jc_wq_stats_s *wq_stats; /* borrowed from the evaluator; NULL = none */
  ajpq_jc_budget_t budget;
  uint8_t *skip;                    /* [n_layers]: 1 = not compressed (float, kept) */
  uint8_t *act_skip;                /* [n_layers]: 1 = input activations stay float (act-skip=;
                                       weights still quantized); NULL = none */
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

/* Writes layer L's per-channel importance relative to the layer mean into key[0..cout-1]
 * (importance[ch] / mean; all 0 when the layer has no importance or a zero mean), the
 * cross-layer ranking key shared by the channel controller and budget enforcement
 * (docs/search.md, "Importance" and "Search"). */
void ajpq_jc_relative_importance(const ajpq_cg_layer_t *L, double *key);

/* Shifts every kept channel of layer l by `dir` (+1 / −1) candidate steps,
 * never to 0 bits and never past the candidate set (channels already at the
 * end stay): a uniform shift keeps the layer monotone in importance.
 * Returns false when no channel changed. */
bool ajpq_jc_shift_layer(const ajpq_jc_config_t *cfg, ajpq_jc_strategy_t *s, int l, int dir);

/* Budget filling by whole-layer steps (every searched policy, after
 * enforcement; docs/search.md "Budget filling"): round-robin over the layers
 * in program order, each non-skipped layer's kept channels go one candidate
 * step up (ajpq_jc_shift_layer) if every budget still holds, until no layer
 * can go up. Erasure and each layer's importance profile are kept; the
 * result meets the budget if `s` did, and no single layer can be raised one
 * more step within it. Deterministic. Returns the raises, −1 on OOM (`s`
 * unchanged then). */
int ajpq_jc_fill_layers(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                        const ajpq_costmodel_cost_t *fp32, ajpq_jc_strategy_t *s);

/* Budget filling by restoring erased groups (after ajpq_jc_fill_layers, for
 * the budget that whole-layer steps cannot use — e.g. every kept channel
 * already at the widest candidate; docs/search.md "Budget filling"): the
 * erased, erasable groups (cfg->group_fixed 0) are visited once, most
 * important first (group importance / mean importance of the groups of the
 * same leader layer; ties by group index), and each is restored if every
 * budget still holds. A restored channel gets the bits of its nearest more
 * important kept channel of its layer (the largest kept bits if none is more
 * important), so every layer stays monotone in importance; kept channels'
 * bits never change. Afterwards no single erased group can be restored
 * within the budget (restoring only adds cost, so one pass is enough).
 * Deterministic. Returns the groups restored, −1 on OOM. */
int ajpq_jc_fill_groups(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                        const ajpq_costmodel_cost_t *fp32, ajpq_jc_strategy_t *s);

/* Reward callback: evaluates `s`, returns the reward (finite) and the
 * metric (in the metric's own unit, e.g. accuracy in [0,1]). */
typedef ajpq_status_t (*ajpq_jc_reward_fn)(void *user, const ajpq_jc_strategy_t *s, double *reward,
                                           double *metric);

/* In: reward and metric measured for the starting strategy; out: those of the
 * result, plus the evaluations made and the moves accepted. */
typedef struct {
  double reward, metric;
  int evals, moves;
} ajpq_jc_refine_result_t;

/* Post-search refinement of policy ajpq (docs/search.md "Refinement"),
 * deterministic local search over per-layer bit shifts with the same
 * evaluator and budget:
 *  1. the sensitivity of every layer = reward lost with that layer one
 *     candidate step lower (L evaluations);
 *  2. up to `passes` sweeps over the layers in program order: raise layer i
 *     one step; lower the least sensitive other layers one step each until
 *     every budget holds; evaluate; keep the move iff the reward is strictly
 *     higher. Stops after a sweep without a move.
 * Erasure never changes; `best` (within budget on entry) stays within
 * budget, and res->reward never decreases (it is always the measured reward
 * of the returned `best`). Progress lines to stderr unless `quiet`. Errors:
 * the reward callback's, or RESOURCE_EXHAUSTED. */
ajpq_status_t ajpq_jc_refine(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                             const ajpq_costmodel_cost_t *fp32, ajpq_jc_reward_fn reward,
                             void *user, int passes, bool quiet, ajpq_jc_strategy_t *best,
                             ajpq_jc_refine_result_t *res);

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

/* Resolves the act-skip= option (a list of globs over ONNX node names, plus the keywords
 * `head` = every layer with no other compressible layer downstream of it, i.e. the layers that
 * produce the graph outputs, and `none`) into cfg->act_skip (malloc'd [n_layers], freed by
 * ajpq_jc_config_free). A pattern that matches no layer is an error (typos would otherwise
 * silently quantize). docs/search.md "Activation calibration". `pass` names the pass in
 * diagnostics (emitted at `func`); false after a diagnostic or OOM. */
bool ajpq_jc_act_skip_select(const ajpq_channel_graph_t *g, const ajpq_pass_options_t *o,
                             const char *pass, MlirOperation func, ajpq_jc_config_t *cfg);

/* True iff layer l's input activation is quantized under cfg (act_bits < 32, not skipped by
 * skip-layers= or act-skip=). The bits the cost model charges for its activations are
 * cfg->act_bits then, else 32 (float). */
bool ajpq_jc_act_quantized(const ajpq_jc_config_t *cfg, int l);

/* Prints one line of the pass's table: the activation bits and calibration, how many layer
 * inputs are quantized, and the names of the layers whose input stays float (act-skip= /
 * skip-layers=; the first 8, then a count). */
void ajpq_jc_act_print_summary(FILE *f, const ajpq_channel_graph_t *g,
                               const ajpq_jc_config_t *cfg);

typedef struct ajpq_jc_evaluator_s ajpq_jc_evaluator_t;

/* Weight of the fidelity term in the reward of labelled metrics and of `agreement`:
 * reward = 0.1 × (metric − metric_fp32) in points − weight × mean KL(fp32 ‖ candidate)
 * (agreement: metric_fp32 = 100 %). */
#define AJPQ_JC_FIDELITY_WEIGHT 1.0

typedef struct {
  const char *calibration; /* manifest .json or "data=X.npy[,labels=Y.npy][,metric=M]" */
  const char *metric;      /* overrides the manifest's; "" = default */
  const char *repo_root;   /* for "./" manifest paths; NULL = cwd */
  int64_t samples;         /* <= 0: the whole calibration split */
  int threads;             /* executor threads, 0 = all CPUs */
} ajpq_jc_eval_opts_t;


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
/* Layer-input statistics (cfg->bias_correction), or NULL; borrowed. */
const struct ajpq_jc_wq_stats_s *ajpq_jc_evaluator_wq_stats(const ajpq_jc_evaluator_t *e);

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
  int heuristic_episodes; /* ajpq policy: scripted prune-then-quantize strategies evaluated
                             before the agents' episodes; the best-so-far starts from them
                             (docs/search.md "Heuristic strategies"; 0 = off) */
  bool heuristic_replay;  /* also store their transitions in both agents' replay buffers */
  bool progress_tty;  /* draw a progress bar (else plain lines every 10%) */
  bool quiet;
  int threads;        /* the pass's threads option: != 1 lets the two agents of policy ajpq
                         update concurrently (each agent's numbers are unchanged) */
} ajpq_jc_search_opts_t;

/* Wall-clock (CLOCK_MONOTONIC) and process CPU (CLOCK_PROCESS_CPUTIME_ID,
 * all threads) seconds of one part of the search. */
typedef struct {
  double wall, cpu;
} ajpq_jc_clock_t;

/* Where the search's time goes (docs/search.md "Speed"). `eval` is the
 * candidate evaluations of the episodes (evaluator: masked weights + the
 * executor over the calibration set + reward), `agent` the DDPG action
 * selection and updates, `budget` the state features, budget clipping,
 * enforcement and filling, `refine` the whole post-search refinement
 * (its own evaluations included). */
typedef struct {
  ajpq_jc_clock_t total, eval, agent, budget, refine;
  int evals; /* evaluations in `eval` */
} ajpq_jc_timing_t;

/* Current wall / CPU clocks (seconds). */
ajpq_jc_clock_t ajpq_jc_clock_now(void);
/* acc += now − start. */
void ajpq_jc_clock_add(ajpq_jc_clock_t *acc, ajpq_jc_clock_t start);

typedef struct {
  double best_reward, best_metric;
  int best_episode; /* agents' episode of the result; -2 - k: heuristic strategy k; -1: none */
  int episodes_run;
  int enforce_changes;
  int refine_evals, refine_moves; /* ajpq policy: post-search refinement (evaluations, accepted) */
  double *reward_curve; /* [episodes_run], owned */
  double seconds;       /* wall-clock seconds of the search (= time.total.wall) */
  ajpq_jc_timing_t time;
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
  /* Activation settings recorded as "activation" (ajpq_jc_act_settings_add); act_cfg NULL =
   * none. act_calibration: the calibration option; act_samples: samples the evaluator used. */
  const ajpq_jc_config_t *act_cfg;
  const char *act_calibration;
  int64_t act_samples;
} ajpq_jc_strategy_meta_t;

/* Activation settings of a strategy file: {"activation": {"bits", "calibration"
 * (percentile|mse|minmax), "calibration_data", "calibration_samples", "float_layers":
 * [names of the layers whose input stays float]}} (docs/search.md "Activation calibration"). */
typedef struct {
  bool present;            /* the file has an "activation" record */
  int bits;                /* 2..8 or 32 */
  int calib;               /* ajpq_jc_act_calib_t */
  char *calibration_data;  /* owned; NULL when absent */
  int64_t samples;         /* 0 = all */
  uint8_t *float_layers;   /* [n_layers], owned */
} ajpq_jc_act_settings_t;

struct cJSON;
/* Adds the "activation" record of cfg (act_bits, act_calib, and every layer whose input is not
 * quantized, ajpq_jc_act_quantized) to the JSON object `root`. False on OOM. */
bool ajpq_jc_act_settings_add(struct cJSON *root, const ajpq_channel_graph_t *g,
                              const ajpq_jc_config_t *cfg, const char *calibration,
                              int64_t samples);
/* Reads and parses strategy file `path` (at most 64 MiB) into *root, which the caller owns and
 * frees with cJSON_Delete (*root untouched on error). IO_ERROR "cannot open strategy 'path'"
 * if unreadable; INVALID_ARGUMENT naming the file when too large or not valid JSON. Shared by
 * the activation (ajpq_jc_act_settings_read) and weight (ajpq_jc_wq_settings_read) records. */
ajpq_status_t ajpq_jc_strategy_json_load(const char *path, struct cJSON **root);
/* Reads the "activation" record of strategy file `path` for graph `g` (out->present false when
 * the file has none). INVALID_ARGUMENT naming the file on a malformed record or a float layer
 * that is not in g; IO_ERROR if unreadable. Free with ajpq_jc_act_settings_free. */
ajpq_status_t ajpq_jc_act_settings_read(const char *path, const ajpq_channel_graph_t *g,
                                        ajpq_jc_act_settings_t *out);
void ajpq_jc_act_settings_free(ajpq_jc_act_settings_t *a);

/* Writes {"version":1, "policy", "seed", "metric", "budget", "layers":[{"name",
 * "op", "bits":[...], "importance":[...]}]} atomically (temp + rename). */
ajpq_status_t ajpq_jc_strategy_write(const char *path, const ajpq_channel_graph_t *g,
                                     const ajpq_jc_strategy_t *s,
                                     const ajpq_jc_strategy_meta_t *meta);

/* Same document as ajpq_jc_strategy_write, printed into an output the caller
 * opened and still commits/aborts (joint-compress opens strategy-out before
 * the search and installs it together with report-svg at the end). Errors
 * name out->path; `out` stays open either way. */
ajpq_status_t ajpq_jc_strategy_print_to(ajpq_output_t *out, const ajpq_channel_graph_t *g,
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

/* ---- weight quantization quality (joint_compress_wq.c) ---- */

/* Calibration statistics of the layer inputs (fp32 model). */
typedef struct ajpq_jc_wq_stats_s {
  int n_layers;
  /* [n_layers] -> [kh·kw][cin]: E[x] of every window offset (row-major kh, kw) and input
   * channel over samples and output positions, zero padding included (the mean of each
   * im2col column); NULL for layers without statistics (matmul). */
  float **mean;
  /* [n_layers] -> [kh·kw][cin]: E[x²] of the same columns (weight-clipping=hessian: the
   * diagonal of the layer-input Hessian); NULL where mean[l] is NULL (clip) */
  float **sqmean;
  int64_t *size;                /* [n_layers]: floats in mean[l] */
  /* sequential correction (ajpq_jc_wq_correct; docs/search.md "Weight quantization") */
  /* [n_layers]: 0 = bias of layer l not corrected, 1 = corrected with the fp32 input means,
   * AJPQ_JC_WQ_OBSERVED = corrected to the fp32 output mean with the input means observed in
   * the quantized network (the head; ajpq_jc_wq_correct) */
  uint8_t *correct;
  double **fp_out;              /* [n_layers][cout]: Σ_k W[c][k]·E[x_fp][k] = E[y_fp] − b */
  float **qw;                   /* [n_layers][cout·k]: masked fake-quantized weights installed */
  float **bias;                 /* [n_layers][cout]: corrected bias installed */
  int passes;                   /* observation passes over the subset (0 = fp32 means only) */
  int64_t samples;              /* calibration samples of each pass (the first ones) */
  bool own_error;               /* target W·E[x_q] instead of E[y_fp] (see ajpq_jc_wq_correct) */
  bool debug;                   /* AJPQ_WQ_DEBUG (read once at evaluator set-up): per-pass stderr */
  double score_shift;           /* AJPQ_JC_WQ_SCORE layers: logit shift of the installed strategy */
  /* the strategy whose biases `bias` holds (bits of every layer, concatenated); `refresh`
   * (set by the evaluator) installs another strategy and recomputes them */
  uint8_t *bits_of;
  int64_t n_bits;
  bool valid;
  ajpq_status_t (*refresh)(void *owner, const ajpq_jc_strategy_t *s);
  void *owner;
  /* collection scratch (internal; `sum`/`count` reused by ajpq_jc_wq_correct) */
  int n_ex_layers;
  int *ex_to_graph;
  double **sum;
  double **sum2;                /* Σ x² during ajpq_jc_wq_stats_collect only (clip) */
  int64_t *count;
  const ajpq_jc_actq_t *obs_actq; /* fake-quantize observed inputs like the layer does */
} ajpq_jc_wq_stats_t;

struct ajpq_executor_s;
/* Runs the executor `ex` (planned for `func` of `g`, batch >= `batch`) over `n` samples
 * (`inputs` [n][in_numel]) and collects the statistics of every conv / depthwise layer
 * (`ex_layer[l]` = executor layer of graph layer l). Caller frees with
 * ajpq_jc_wq_stats_free. Active weight swaps / input quantization apply: call it on the fp32
 * state. Errors: executor errors, RESOURCE_EXHAUSTED. */
ajpq_status_t ajpq_jc_wq_stats_collect(const ajpq_channel_graph_t *g, struct ajpq_executor_s *ex,
                                       const int *ex_layer, int64_t n, int64_t batch,
                                       const float *inputs, int64_t in_numel,
                                       ajpq_jc_wq_stats_t **out);
void ajpq_jc_wq_stats_free(ajpq_jc_wq_stats_t *st);
/* True iff layer l has statistics (bias correction applies to it). */
bool ajpq_jc_wq_has_layer(const ajpq_jc_wq_stats_t *st, int l);
/* weight-clipping=hessian error weights of row c of layer l: h[k] = E[x_k²] of the row's
 * canonical column k (window offset · cin_g + input channel of the row's group; K = the
 * layer's k floats). False (h untouched) when st is NULL or layer l has no statistics
 * (matmul layers): the caller then clips by plain MSE (docs/search.md "Weight quantization"). */
bool ajpq_jc_wq_row_sqmean(const ajpq_channel_graph_t *g, const ajpq_jc_wq_stats_t *st, int l,
                           int64_t c, float *h);
/* Quantizes kept row c of layer l (symmetric, cfg->weight_clip): `row` [n] holds the row's
 * weights at the kept columns (colk[k] != 0, k < the layer's k, in order). For
 * weight-clipping=hessian the error weights are cfg->wq_stats's E[x²] of the same kept
 * columns (ajpq_jc_wq_row_sqmean), plain mse when the layer has none. The one function the
 * evaluator / masked reference (ajpq_jc_masked_weights) and the rewrite call, so masked ≡
 * erased holds. `codes` receives n bytes. Errors: ajpq_quant_channel_clip_weighted's,
 * RESOURCE_EXHAUSTED. */
ajpq_status_t ajpq_jc_wq_quant_row(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                                   int l, int64_t c, const uint8_t *colk, const float *row,
                                   int64_t n, int bits, uint8_t *codes, float *scale, float *zp);

/* Σ_k (w[k] − wq[k]) · mean[k] in double: the empirical bias correction of one output
 * channel, E[w·x] − E[wq·x] (Nagel et al. ICCV 2019 §4.2). */
double ajpq_jc_bias_delta(const float *w, const float *wq, const float *mean, int64_t K);

/* Corrected bias of layer l for its fake-quantized, masked weights `wq` [cout][k]
 * (ajpq_jc_masked_weights): bias[c] = b[c] + ajpq_jc_bias_delta(W_c, wq_c, E[x_c]), with
 * b = the layer's bias (0 if none) and E[x_c] the column means of row c's input channels.
 * Erased input columns (zero in wq) are thereby compensated by their mean contribution.
 * `bias` receives cout floats. INVALID_ARGUMENT if the layer has no statistics. */
ajpq_status_t ajpq_jc_corrected_bias(const ajpq_channel_graph_t *g, const ajpq_jc_wq_stats_t *st,
                                     int l, const float *wq, float *bias);

/* Default observation passes and subset size of the sequential correction. 0 passes = the
 * fp32-mean correction (the default: the sequential E[y_fp] target diverged on Fashion-MNIST
 * uniform 3-bit, docs/search.md "Weight quantization"); AJPQ_WQ_PASSES=P overrides. */
#define AJPQ_JC_WQ_PASSES 0
#define AJPQ_JC_WQ_SAMPLES 256
/* st->correct value of a layer corrected with observed input means (ajpq_jc_wq_correct) */
#define AJPQ_JC_WQ_OBSERVED 2
/* st->correct value of a head layer feeding a max-over-anchors score (evaluator): bias =
 * b + st->score_shift, the mean fp32 − quantized max logit over the calibration set */
#define AJPQ_JC_WQ_SCORE 3

/* Empirical bias correction of every corrected layer l (st->correct; the evaluator leaves out
 * the head and the layers reading the model input), optionally sequential (Nagel et al. ICCV
 * 2019 §4.2 as AIMET applies it to deep nets): bias = b + E[y_fp] − E[y_q] per
 * output channel, E[y_q] = Q(W)·E[x_q] with E[x_q] the im2col column means of the layer's
 * input in the quantized network itself (all upstream layers quantized and corrected; inputs
 * fake-quantized with `actq` [n_layers] when enabled). Starts from the fp32-mean correction
 * (E[x_q] := E[x_fp]) and runs st->passes observation passes over the first st->samples
 * calibration samples, re-deriving all biases after each (a Jacobi sweep: after p passes the
 * first p layers of every chain are exact; passes >= the depth gives the layer-by-layer
 * result). Expects st->qw[l] = the weights installed in `ex` for every corrected layer;
 * installs the biases (ajpq_executor_set_bias) and keeps them in st->bias. Cost: passes ×
 * samples forward runs. Errors: executor errors. */
ajpq_status_t ajpq_jc_wq_correct(const ajpq_channel_graph_t *g, ajpq_jc_wq_stats_t *st,
                                 struct ajpq_executor_s *ex, const int *ex_layer,
                                 const ajpq_jc_actq_t *actq, int64_t batch, const float *inputs,
                                 int64_t in_numel);

/* Weight-quantization settings of a strategy file: {"weights": {"clipping": "mse|minmax|auto|hessian",
 * "bias_correction": true|false}} (docs/search.md "Weight quantization"), written by
 * joint-compress strategy-out= so ajpq-apply-strategy reproduces the search's module without
 * the options being passed again. */
/* Adds the "weights" record of cfg (weight_clip, bias_correction) to `root`. False on OOM. */
bool ajpq_jc_wq_settings_add(struct cJSON *root, const ajpq_jc_config_t *cfg);
/* Reads the "weights" record of strategy file `path`: *present false (outputs untouched) when
 * the file has none (files written before 2026-11-30). *clip = ajpq_wclip_t, *bias_correction.
 * INVALID_ARGUMENT naming the file on a malformed record or unknown clipping name; IO_ERROR if
 * unreadable. */
ajpq_status_t ajpq_jc_wq_settings_read(const char *path, bool *present, int *clip,
                                       bool *bias_correction);

/* The corrected bias [cout] of layer l for strategy s (recomputed through st->refresh when the
 * biases held are for another strategy). INVALID_ARGUMENT if layer l is not corrected. */
ajpq_status_t ajpq_jc_wq_bias_for(const ajpq_jc_wq_stats_t *st, const ajpq_jc_strategy_t *s,
                                  int l, float *bias);
/* True iff layer l's bias is corrected. */
bool ajpq_jc_wq_corrects(const ajpq_jc_wq_stats_t *st, int l);
/* Records that st->bias holds the biases of strategy s (the evaluator, after correcting). */
void ajpq_jc_wq_mark(ajpq_jc_wq_stats_t *st, const ajpq_jc_strategy_t *s);

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
