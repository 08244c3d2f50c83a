/* apply_strategy.c — `ajpq-apply-strategy{strategy=FILE.json}`: applies a
 * saved or hand-edited strategy (the strategy-out file of joint-compress,
 * joint_compress_strategy.c) without searching: checks it against the
 * channel graph, then runs the same rewrite into the ajpq dialect.
 * With act-bits < 32 the activation ranges are calibrated on `calibration`
 * (required then); act-bits=32 keeps activations in float and needs no data.
 * The activation options (act-bits, act-calibration, act-skip, calibration,
 * calibration-samples) default to the strategy file's "activation" record
 * when it has one, so a saved strategy round-trips to the same output.
 */
#include "ajpq_dialect.h"
#include "ajpq_joint_compress.h"
#include "ajpq_passes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ajpq_pass_option_t k_options[] = {
    {.name = "strategy", .kind = AJPQ_OPT_STRING, .help = "Strategy file (JSON) to apply"},
    {.name = "act-bits", .kind = AJPQ_OPT_INT,
     .help = "Activation bits (2..8), or 32 to keep activations in float (default: the "
             "strategy file's, else 8)"},
    {.name = "act-calibration", .kind = AJPQ_OPT_ENUM,
     .help = "Activation range: percentile, mse or minmax (default: the strategy file's, else "
             "percentile)",
     .enum_values = "percentile|mse|minmax"},
    {.name = "act-skip", .kind = AJPQ_OPT_LIST,
     .help = "Layers whose input activations stay float: ONNX node name globs, 'head' or "
             "'none' (default: the strategy file's float layers, else head)",
     .list_elem = AJPQ_OPT_STRING},
    {.name = "calibration", .kind = AJPQ_OPT_STRING,
     .help = "Zoo manifest or data=X.npy[,…] for activation ranges (act-bits < 32; default: "
             "the strategy file's)"},
    {.name = "calibration-samples", .kind = AJPQ_OPT_INT,
     .help = "Calibration samples used (0 = all; default: the strategy file's, else 0)", .min = 0,
     .max = 1e9},
    {.name = "metric", .kind = AJPQ_OPT_STRING, .default_value = "", .help = "Metric reported"},
    {.name = "threads", .kind = AJPQ_OPT_INT, .default_value = "0",
     .help = "Ignored: the evaluator (calibration) runs on one thread", .min = 0, .max = 1024},
    {.name = "bits", .kind = AJPQ_OPT_LIST, .default_value = "0,1,2,3,4,5,6,7,8",
     .help = "Bit-widths the strategy may use", .list_elem = AJPQ_OPT_INT, .min = 0, .max = 8},
    {.name = "min-keep", .kind = AJPQ_OPT_INT, .default_value = "1",
     .help = "Channels kept per layer (>= 1)", .min = 1, .max = 1e9},
    {.name = "importance", .kind = AJPQ_OPT_ENUM, .default_value = "l1",
     .help = "Importance recorded in reports", .enum_values = "l1|l2"},
    {.name = "skip-layers", .kind = AJPQ_OPT_LIST, .default_value = "",
     .help = "Layers kept in float (glob)", .list_elem = AJPQ_OPT_STRING},
    {.name = "weight-clipping", .kind = AJPQ_OPT_ENUM,
     .help = "Per-channel weight range: mse, minmax, auto or hessian (default: the strategy "
             "file's, else hessian)",
     .enum_values = "mse|minmax|auto|hessian"},
    {.name = "bias-correction", .kind = AJPQ_OPT_BOOL,
     .help = "Bias correction (needs calibration; off without) (default: the strategy file's, "
             "else true)"},
};

static bool err_at(MlirOperation at, const char *msg) {
  mlirEmitError(mlirOperationGetLocation(at), msg);
  return false;
}

/* Reports status st (non-NULL, freed here) as an "ajpq-apply-strategy: <message>" error at
 * `at`; false, for `return err_status(...)`. */
static bool err_status(MlirOperation at, ajpq_status_t st) {
  char msg[1024];
  snprintf(msg, sizeof msg, "ajpq-apply-strategy: %s", ajpq_status_message(st));
  ajpq_status_free(st);
  return err_at(at, msg);
}

/* Explains why a strategy is not applicable; false after a diagnostic. */
static bool check_strategy(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                           const ajpq_jc_strategy_t *s, const char *path) {
  char msg[768];
  for (int l = 0; l < g->n_layers; l++) {
    const ajpq_cg_layer_t *L = &g->layers[l];
    int64_t kept = 0;
    for (int64_t c = 0; c < L->desc.cout; c++) {
      int b = s->bits[l][c];
      bool ok = b == 0 ? cfg->allow_zero : false;
      for (int i = 0; i < cfg->n_cand; i++)
        ok |= cfg->cand[i] == b;
      if (!ok) {
        snprintf(msg, sizeof msg,
                 "ajpq-apply-strategy: '%s': layer '%s' channel %lld has %d bits, not in bits=",
                 path, L->name, (long long)c, b);
        return err_at(L->op, msg);
      }
      kept += b != 0;
    }
    if (kept < cfg->min_keep) {
      snprintf(msg, sizeof msg,
               "ajpq-apply-strategy: '%s': layer '%s' keeps %lld channels, min-keep is %d", path,
               L->name, (long long)kept, cfg->min_keep);
      return err_at(L->op, msg);
    }
  }
  for (int i = 0; i < g->n_groups; i++) {
    const ajpq_cg_group_t *G = &g->groups[i];
    int l0 = G->member_layer[0], c0 = G->member_chan[0];
    bool z = s->bits[l0][c0] == 0;
    if (z && cfg->group_fixed[i]) {
      snprintf(msg, sizeof msg,
               "ajpq-apply-strategy: '%s': channel %d of layer '%s' cannot be erased (%s)", path,
               c0, g->layers[l0].name,
               G->reason ? G->reason : "its layer is skipped or 0 is not in bits");
      return err_at(g->layers[l0].op, msg);
    }
    for (int j = 1; j < G->n_members; j++) {
      int l = G->member_layer[j], c = G->member_chan[j];
      if ((s->bits[l][c] == 0) != z) {
        snprintf(msg, sizeof msg,
                 "ajpq-apply-strategy: '%s': channel %d of layer '%s' and channel %d of layer "
                 "'%s' are tied (erased together or not at all), but only one is erased",
                 path, c0, g->layers[l0].name, c, g->layers[l].name);
        return err_at(g->layers[l].op, msg);
      }
    }
  }
  return true;
}

static bool run_apply(MlirOperation op, const ajpq_pass_options_t *o, void *ctx) {
  (void)ctx;
  ajpq_jc_config_t cfg;
  MlirOperation func;
  ajpq_channel_graph_t *g = ajpq_jc_prepare(op, o, "ajpq-apply-strategy", &cfg, &func);
  if (!g)
    return false;
  bool ok = false;
  ajpq_jc_evaluator_t *ev = NULL;
  ajpq_jc_act_settings_t as = {0};
  ajpq_jc_strategy_t *s = ajpq_jc_strategy_create(g);
  const char *path = ajpq_opt_has(o, "strategy") ? ajpq_opt_string(o, "strategy") : "";
  if (!s) {
    err_at(func, "ajpq-apply-strategy: out of memory");
    goto done;
  }
  if (!path[0]) {
    err_at(func, "ajpq-apply-strategy: strategy=FILE.json is required");
    goto done;
  }
  ajpq_status_t st = ajpq_jc_strategy_read(path, g, s);
  if (st) {
    err_status(func, st);
    goto done;
  }
  if (!check_strategy(g, &cfg, s, path))
    goto done;
  /* activation settings: explicit options win, else the strategy file's record (written by
   * joint-compress strategy-out=), so a saved strategy reproduces the search's output */
  st = ajpq_jc_act_settings_read(path, g, &as);
  if (st) {
    err_status(func, st);
    goto done;
  }
  /* weight settings (wq): explicit options win, else the strategy file's record, else the
   * joint-compress defaults (hessian, true) */
  bool wq_present = false, wq_bc = true;
  int wq_clip = AJPQ_WCLIP_HESSIAN;
  st = ajpq_jc_wq_settings_read(path, &wq_present, &wq_clip, &wq_bc);
  if (st) {
    err_status(func, st);
    goto done;
  }
  if (!ajpq_opt_has(o, "weight-clipping"))
    cfg.weight_clip = wq_clip;
  if (!ajpq_opt_has(o, "bias-correction"))
    cfg.bias_correction = wq_bc;
  const char *calibration = ajpq_opt_has(o, "calibration") ? ajpq_opt_string(o, "calibration")
                                                            : "";
  int64_t samples = ajpq_opt_has(o, "calibration-samples")
                        ? ajpq_opt_int(o, "calibration-samples") : 0;
  if (as.present) {
    if (!ajpq_opt_has(o, "act-bits"))
      cfg.act_bits = as.bits;
    if (!ajpq_opt_has(o, "act-calibration"))
      cfg.act_calib = as.calib;
    if (!ajpq_opt_has(o, "act-skip") && as.bits < 32)
      memcpy(cfg.act_skip, as.float_layers, (size_t)g->n_layers);
    if (!calibration[0] && as.calibration_data)
      calibration = as.calibration_data;
    if (!ajpq_opt_has(o, "calibration-samples"))
      samples = as.samples;
  }
  if (!calibration[0])
    cfg.bias_correction = false; /* wq: needs the calibration means; none given or recorded */
  /* clip: weight-clipping=hessian needs the calibration E[x²]; without a calibration set it
   * clips by plain mse (docs/search.md "Weight quantization") */
  bool want_stats = cfg.weight_clip == AJPQ_WCLIP_HESSIAN && calibration[0];
  if (cfg.act_bits < 32 || cfg.bias_correction || want_stats) {
    if (!calibration[0]) {
      err_at(func, "ajpq-apply-strategy: act-bits < 32 needs calibration=… for the activation "
                   "ranges (or act-bits=32 to keep activations in float)");
      goto done;
    }
    ajpq_jc_eval_opts_t eo = {.calibration = calibration,
                              .metric = ajpq_opt_string(o, "metric"),
                              .samples = samples,
                              .threads = (int)ajpq_opt_int(o, "threads")};
    st = ajpq_jc_evaluator_create(func, g, &cfg, &eo, &ev);
    if (st) {
      err_status(func, st);
      goto done;
    }
  }
  cfg.wq_stats = ev ? ajpq_jc_evaluator_wq_stats(ev) : NULL;
  ok = ajpq_jc_rewrite(g, &cfg, s, ev ? ajpq_jc_evaluator_actq(ev) : NULL);
done:
  ajpq_jc_act_settings_free(&as);
  ajpq_jc_evaluator_destroy(ev);
  ajpq_jc_strategy_destroy(s);
  ajpq_jc_config_free(&cfg);
  ajpq_cg_destroy(g);
  return ok;
}

const ajpq_pass_info_t ajpq_pass_apply_strategy = {
    .name = "ajpq-apply-strategy",
    .summary = "Apply a saved joint-compress strategy (JSON) without searching",
    .anchor = "builtin.module",
    .options = k_options,
    .num_options = sizeof k_options / sizeof k_options[0],
    .run = run_apply,
    .create = NULL,
    .destroy = NULL,
};
