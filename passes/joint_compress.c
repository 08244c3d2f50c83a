/* joint_compress.c — the `joint-compress` pass (issue 5): AJPQ joint
 * pruning + mixed-precision quantization of the entry function.
 *
 *   ajpq-opt m.mlir --joint-compress="target-size-ratio=0.1667
 *       calibration=zoo/blazeface-front.json seed=1" -o small.mlir
 *
 * Steps: compressible layers + channel graph + importance
 * (channel_graph.c) → options and budget checks (infeasible budgets are
 * errors before any search) → calibration evaluator (joint_compress_eval.c)
 * → policy search with budget clipping and enforcement
 * (joint_compress_search.c, joint_compress_budget.c) → strategy file
 * (joint_compress_strategy.c) → rewrite into the ajpq dialect
 * (joint_compress_rewrite.c) → final table (stderr) and report-svg.
 */
#include "ajpq_dialect.h"
#include "ajpq_joint_compress.h"
#include "ajpq_output.h"
#include "ajpq_passes.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const ajpq_pass_option_t k_options[] = {
    {.name = "target-size-ratio", .kind = AJPQ_OPT_FLOAT,
     .help = "Weight bytes (incl. metadata, biases) / fp32 weight bytes, in (0, 1]"},
    {.name = "target-size-bytes", .kind = AJPQ_OPT_INT, .help = "Weight bytes budget, > 0"},
    {.name = "target-macs-ratio", .kind = AJPQ_OPT_FLOAT, .help = "MACs / fp32 MACs, in (0, 1]"},
    {.name = "target-bitops-ratio", .kind = AJPQ_OPT_FLOAT,
     .help = "BitOPs / fp32 BitOPs (32x32 bits), in (0, 1]"},
    {.name = "bits", .kind = AJPQ_OPT_LIST, .default_value = "0,1,2,3,4,5,6,7,8",
     .help = "Candidate bit-widths (0 = erase), honoured exactly", .list_elem = AJPQ_OPT_INT,
     .min = 0, .max = 8},
    {.name = "min-keep", .kind = AJPQ_OPT_INT, .default_value = "1",
     .help = "Channels kept per layer (>= 1)", .min = 1, .max = 1e9},
    {.name = "act-bits", .kind = AJPQ_OPT_INT, .default_value = "8",
     .help = "Activation bits (2..8), or 32 to keep activations in float"},
    {.name = "act-calibration", .kind = AJPQ_OPT_ENUM, .default_value = "percentile",
     .help = "Activation range: percentile (0.01%..99.99%), mse (MSE-optimal clip) or minmax",
     .enum_values = "percentile|mse|minmax"},
    {.name = "act-skip", .kind = AJPQ_OPT_LIST, .default_value = "head",
     .help = "Layers whose input activations stay float (weights still quantized): ONNX node "
             "name globs, 'head' (the output layers) or 'none'", .list_elem = AJPQ_OPT_STRING},
    {.name = "importance", .kind = AJPQ_OPT_ENUM, .default_value = "l1",
     .help = "Channel importance criterion", .enum_values = "l1|l2"},
    {.name = "weight-clipping", .kind = AJPQ_OPT_ENUM, .default_value = "hessian",
     .help = "Per-channel weight range: mse (clip ratio minimising the squared error), minmax, "
             "auto (mse at <= 4 bits, minmax above) or hessian (mse weighted by the calibration "
             "E[x^2] of each input column)",
     .enum_values = "mse|minmax|auto|hessian"},
    {.name = "bias-correction", .kind = AJPQ_OPT_BOOL, .default_value = "true",
     .help = "Add E[W x] - E[Q(W) x] (calibration means) to each conv bias (not the head and "
             "the layers reading the model input)"},
    {.name = "episodes", .kind = AJPQ_OPT_INT, .default_value = "300",
     .help = "Search episodes", .min = 1, .max = 1e6},
    {.name = "warmup", .kind = AJPQ_OPT_INT, .default_value = "20",
     .help = "Episodes of uniform random actions before learning", .min = 0, .max = 1e6},
    {.name = "seed", .kind = AJPQ_OPT_INT, .default_value = "1", .help = "Random seed"},
    {.name = "calibration", .kind = AJPQ_OPT_STRING,
     .help = "Zoo manifest (.json) or data=X.npy[,labels=Y.npy][,metric=M]"},
    {.name = "calibration-samples", .kind = AJPQ_OPT_INT, .default_value = "0",
     .help = "Calibration samples used (0 = the whole calibration split)", .min = 0, .max = 1e9},
    {.name = "metric", .kind = AJPQ_OPT_STRING, .default_value = "",
     .help = "top1|top5|accuracy|auc|agreement|kl|nmse (default: the manifest's)"},
    {.name = "threads", .kind = AJPQ_OPT_INT, .default_value = "0",
     .help = "Threads (0 = all CPUs) for the two agents' updates; the evaluator runs on one "
             "thread so that results do not depend on it",
     .min = 0, .max = 1024},
    {.name = "strategy-out", .kind = AJPQ_OPT_STRING, .help = "Write the strategy as JSON"},
    {.name = "report-svg", .kind = AJPQ_OPT_STRING,
     .help = "Write bits per channel and the reward curve as SVG"},
    {.name = "skip-layers", .kind = AJPQ_OPT_LIST, .default_value = "",
     .help = "Layers kept in float, by ONNX node name (glob)", .list_elem = AJPQ_OPT_STRING},
    {.name = "policy", .kind = AJPQ_OPT_ENUM, .default_value = "ajpq",
     .help = "Search policy", .enum_values = "ajpq|two-step|layer-wise|uniform|random"},
    {.name = "uniform-sparsity", .kind = AJPQ_OPT_FLOAT, .default_value = "0",
     .help = "policy=uniform: fraction of each layer's groups erased", .min = 0, .max = 0.8},
    {.name = "fill-budget", .kind = AJPQ_OPT_BOOL, .default_value = "false",
     .help = "After each episode raise bits (most important first, monotone) while the budget "
             "holds (not for policy=uniform)"},
    {.name = "refine", .kind = AJPQ_OPT_INT, .default_value = "4",
     .help = "policy=ajpq: sweeps of the post-search refinement that moves bits between layers "
             "under the budget, evaluator-guided (0 = off)", .min = 0, .max = 100},
    {.name = "heuristic-episodes", .kind = AJPQ_OPT_INT, .default_value = "8",
     .help = "policy=ajpq: evaluate N scripted prune-then-quantize strategies (ramped sparsity, "
             "per-layer bits by measured sensitivity) before the search; the best-so-far "
             "starts from them (N + L + 1 extra evaluations; 0 = off)",
     .min = 0, .max = 1e6},
    {.name = "heuristic-replay", .kind = AJPQ_OPT_BOOL, .default_value = "false",
     .help = "policy=ajpq: also store the heuristic strategies' transitions in the agents' "
             "replay buffers (changes the agents' trajectory)"},
    {.name = "quiet", .kind = AJPQ_OPT_BOOL, .default_value = "false",
     .help = "No progress and no final table"},
};

static bool fail(MlirOperation at, const char *fmt, const char *a, double x, double y) {
  char msg[768];
  snprintf(msg, sizeof msg, fmt, a, x, y);
  mlirEmitError(mlirOperationGetLocation(at), msg);
  return false;
}

static bool fail_status(MlirOperation at, ajpq_status_t st) {
  char msg[1024];
  snprintf(msg, sizeof msg, "joint-compress: %s", ajpq_status_message(st));
  ajpq_status_free(st);
  mlirEmitError(mlirOperationGetLocation(at), msg);
  return false;
}

/* Reads the budget options; false after a diagnostic. */
static bool read_budget(MlirOperation at, const ajpq_pass_options_t *o, ajpq_jc_budget_t *b,
                        char *text, size_t tn) {
  static const char *ratios[] = {"target-size-ratio", "target-macs-ratio", "target-bitops-ratio"};
  double *dst[] = {&b->size_ratio, &b->macs_ratio, &b->bitops_ratio};
  memset(b, 0, sizeof *b);
  text[0] = 0;
  bool any = false;
  for (int i = 0; i < 3; i++) {
    if (!ajpq_opt_has(o, ratios[i]))
      continue;
    double v = ajpq_opt_float(o, ratios[i]);
    if (!(v > 0 && v <= 1))
      return fail(at, "joint-compress: %s=%g must be in (0, 1]", ratios[i], v, 0);
    *dst[i] = v;
    any = true;
    snprintf(text + strlen(text), tn - strlen(text), "%s%s=%.17g", text[0] ? " " : "", ratios[i],
             v);
  }
  if (ajpq_opt_has(o, "target-size-bytes")) {
    int64_t v = ajpq_opt_int(o, "target-size-bytes");
    if (v <= 0)
      return fail(at, "joint-compress: %s=%g must be > 0", "target-size-bytes", (double)v, 0);
    b->size_bytes = v;
    any = true;
    snprintf(text + strlen(text), tn - strlen(text), "%starget-size-bytes=%lld",
             text[0] ? " " : "", (long long)v);
  }
  if (!any) {
    mlirEmitError(mlirOperationGetLocation(at),
                  "joint-compress: no budget given (set target-size-ratio, target-size-bytes, "
                  "target-macs-ratio and/or target-bitops-ratio)");
    return false;
  }
  return true;
}

/* The pass's side outputs (strategy-out, report-svg), opened before any
 * search work so that an unwritable path fails in a second instead of after
 * the search, and installed together at the end (side_outputs_commit). */
typedef struct {
  const char *option; /* option name, for messages */
  ajpq_output_t out;
  bool open;
} side_output_t;
enum { SIDE_STRATEGY, SIDE_SVG, SIDE_N };

/* Emits "joint-compress: <option>: <message of st>" at `at`; frees st. */
static void fail_side(MlirOperation at, const side_output_t *so, ajpq_status_t st) {
  char msg[1024];
  snprintf(msg, sizeof msg, "joint-compress: %s: %s", so->option, ajpq_status_message(st));
  ajpq_status_free(st);
  mlirEmitError(mlirOperationGetLocation(at), msg);
}

/* Removes every side output's temporary file (a device written in place
 * keeps what it got). */
static void side_outputs_abort(side_output_t *so) {
  for (int i = 0; i < SIDE_N; i++)
    if (so[i].open) {
      ajpq_output_abort(&so[i].out);
      so[i].open = false;
    }
}

/* Opens every side output that is set (support/ajpq_output.h: a temporary
 * file next to the target, or in place for a device). False after a
 * diagnostic naming the option and path; nothing is left behind then. */
static bool side_outputs_open(MlirOperation at, const ajpq_pass_options_t *o, side_output_t *so) {
  static const char *const names[SIDE_N] = {"strategy-out", "report-svg"};
  const char *paths[SIDE_N] = {NULL, NULL};
  for (int i = 0; i < SIDE_N; i++) {
    so[i].option = names[i];
    so[i].open = false;
    if (ajpq_opt_has(o, names[i]) && ajpq_opt_string(o, names[i])[0])
      paths[i] = ajpq_opt_string(o, names[i]);
  }
  /* two temporaries renamed onto one path: the second would silently win */
  if (paths[0] && paths[1] && !strcmp(paths[0], paths[1]) && strcmp(paths[0], "-")) {
    char msg[1024];
    snprintf(msg, sizeof msg, "joint-compress: strategy-out and report-svg name the same file '%s'",
             paths[0]);
    mlirEmitError(mlirOperationGetLocation(at), msg);
    return false;
  }
  for (int i = 0; i < SIDE_N; i++) {
    if (!paths[i])
      continue;
    ajpq_status_t st = ajpq_output_open(&so[i].out, paths[i]);
    if (st) {
      fail_side(at, &so[i], st);
      side_outputs_abort(so);
      return false;
    }
    so[i].open = true;
  }
  return true;
}

/* Installs the side outputs all-or-nothing: first every stream is flushed
 * and checked (a full disk, /dev/full, an I/O error shows here), and only if
 * all of them are complete are the temporary files renamed into place. The
 * renames themselves can still fail one by one (the directory removed during
 * the run); that leaves the earlier ones installed (docs/passes/
 * joint-compress.md, "Diagnostics" / "Output files"). False after a diagnostic. */
static bool side_outputs_commit(MlirOperation at, side_output_t *so) {
  for (int i = 0; i < SIDE_N; i++) {
    if (!so[i].open)
      continue;
    errno = 0;
    if (fflush(so[i].out.f) != 0 || ferror(so[i].out.f)) {
      int err = errno;
      char msg[1024];
      snprintf(msg, sizeof msg, "joint-compress: %s: cannot write output file '%s': %s",
               so[i].option, so[i].out.path, err ? strerror(err) : "write error");
      mlirEmitError(mlirOperationGetLocation(at), msg);
      side_outputs_abort(so);
      return false;
    }
  }
  bool ok = true;
  for (int i = 0; i < SIDE_N; i++) {
    if (!so[i].open)
      continue;
    so[i].open = false;
    ajpq_status_t st = ok ? ajpq_output_commit(&so[i].out) : NULL;
    if (!ok)
      ajpq_output_abort(&so[i].out);
    if (st) {
      fail_side(at, &so[i], st);
      ok = false;
    }
  }
  return ok;
}

/* Prints the report SVG into the opened side output `out` (committed later
 * by side_outputs_commit); NULL or the I/O error naming the path. */
static ajpq_status_t write_svg(ajpq_output_t *out, const ajpq_channel_graph_t *g,
                               const ajpq_jc_strategy_t *s, const ajpq_jc_search_result_t *res) {
  const char *path = out->path;
  FILE *f = out->f;
  int64_t maxc = 1;
  for (int l = 0; l < g->n_layers; l++)
    if (g->layers[l].desc.cout > maxc)
      maxc = g->layers[l].desc.cout;
  double cw = maxc > 400 ? 1.0 : 400.0 / (double)maxc;
  int rowh = 14, W = 200 + (int)(cw * (double)maxc) + 20, H1 = rowh * g->n_layers + 40;
  int H = H1 + 220;
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
             "font-family=\"monospace\" font-size=\"10\">\n", W, H);
  fprintf(f, "<text x=\"4\" y=\"14\">bits per output channel (white = erased, darker = more "
             "bits)</text>\n");
  for (int l = 0; l < g->n_layers; l++) {
    int y = 24 + l * rowh;
    fprintf(f, "<text x=\"4\" y=\"%d\">%.28s</text>\n", y + 10, g->layers[l].name);
    for (int64_t c = 0; c < g->layers[l].desc.cout; c++) {
      int b = s->bits[l][c];
      int shade = b ? 230 - b * 25 : 255;
      fprintf(f, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"rgb(%d,%d,255)\" "
                 "stroke=\"%s\" stroke-width=\"0.2\"/>\n",
              200 + cw * (double)c, y, cw, rowh - 2, shade, shade, b ? "none" : "#c00");
    }
  }
  /* reward curve */
  int n = res->episodes_run;
  double lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i < n; i++) {
    lo = fmin(lo, res->reward_curve[i]);
    hi = fmax(hi, res->reward_curve[i]);
  }
  fprintf(f, "<text x=\"4\" y=\"%d\">reward per episode (min %.4g, max %.4g)</text>\n", H1 + 14,
          n ? lo : 0, n ? hi : 0);
  fprintf(f, "<polyline fill=\"none\" stroke=\"#036\" points=\"");
  for (int i = 0; i < n; i++) {
    double x = 200 + (W - 220) * (n > 1 ? (double)i / (n - 1) : 0);
    double y = H1 + 200 - (hi > lo ? (res->reward_curve[i] - lo) / (hi - lo) : 0.5) * 170;
    fprintf(f, "%.1f,%.1f ", x, y);
  }
  fprintf(f, "\"/>\n</svg>\n");
  if (ferror(f))
    return ajpq_status_make(AJPQ_IO_ERROR, "cannot write output file '%s'", path);
  return NULL;
}

/* `erased_stored`: erased channels as ajpq-cost-report counts them on the
 * output (a depthwise conv that lost channels is stored renumbered over its
 * kept ones, so its erased channels — tied to its producer's — are not
 * counted there); `c->erased_channels` counts them in every original layer. */
static void print_table(const ajpq_costmodel_cost_t *f, const ajpq_costmodel_cost_t *c,
                        int64_t erased_stored, const char *metric, double m32, double m,
                        double seconds, int episodes, int changes) {
  fprintf(stderr, "joint-compress result            fp32          compressed    ratio\n");
  fprintf(stderr, "  %-22s %14.6f %14.6f\n", metric, m32, m);
  fprintf(stderr, "  %-22s %14lld %14lld %8.4f\n", "weight bytes", (long long)f->weight_bytes,
          (long long)c->weight_bytes, (double)c->weight_bytes / (double)f->weight_bytes);
  fprintf(stderr, "  %-22s %14lld %14lld %8.4f\n", "MACs", (long long)f->macs, (long long)c->macs,
          (double)c->macs / (double)(f->macs ? f->macs : 1));
  fprintf(stderr, "  %-22s %14lld %14lld %8.4f\n", "BitOPs", (long long)f->bitops,
          (long long)c->bitops, (double)c->bitops / (double)(f->bitops ? f->bitops : 1));
  fprintf(stderr, "  %-22s %14s %14lld   (output channels of the original layers)\n",
          "erased channels", "0", (long long)c->erased_channels);
  fprintf(stderr,
          "  %-22s %14s %14lld   (as ajpq-cost-report counts them: without the channels of "
          "depthwise convs stored renumbered over their kept channels)\n",
          "  of them stored", "0", (long long)erased_stored);
  fprintf(stderr, "  %-22s %14.3f %14.3f   (per original weight)\n", "average bits", 32.0,
          ajpq_costmodel_avg_bits(c));
  fprintf(stderr, "  search: %d episodes, %.1f s wall; budget enforcement changed %d bit-widths\n",
          episodes, seconds, changes);
}

/* One line of the final table: how many output channels of the original layers can never be
 * erased and why (the channel graph's reasons, most frequent first, then skip-layers=), so a
 * user whose model will not prune (a transformer's attention heads, a LayerNorm, a graph
 * output) sees it without the testing pass ajpq-test-channel-graph. */
static void print_not_erasable(FILE *f, const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg) {
  enum { MAXR = 16 };
  const char *why[MAXR];
  int64_t cnt[MAXR], total = 0, fixed = 0;
  int nr = 0;
  for (int l = 0; l < g->n_layers; l++)
    for (int64_t c = 0; c < g->layers[l].desc.cout; c++) {
      total++;
      int32_t gi = g->chan_group ? g->chan_group[l][c] : -1;
      const char *r = NULL;
      if (gi < 0)
        r = "not in a channel group";
      else if (!g->groups[gi].erasable)
        r = g->groups[gi].reason ? g->groups[gi].reason : "fixed";
      else if (cfg->group_fixed && cfg->group_fixed[gi])
        r = cfg->allow_zero ? "skip-layers= (a layer of the group or one reading it)"
                            : "bits= has no 0";
      if (!r)
        continue;
      fixed++;
      int k = 0;
      while (k < nr && strcmp(why[k], r))
        k++;
      if (k == nr && nr < MAXR) {
        why[nr] = r;
        cnt[nr++] = 0;
      }
      if (k < nr)
        cnt[k]++;
    }
  fprintf(f, "  not erasable: %lld of %lld output channels", (long long)fixed, (long long)total);
  /* most frequent first; ties in first-seen (program) order */
  for (int shown = 0; shown < nr; shown++) {
    int best = -1;
    for (int k = 0; k < nr; k++)
      if (cnt[k] > 0 && (best < 0 || cnt[k] > cnt[best]))
        best = k;
    if (best < 0)
      break;
    fprintf(f, "%s%lld: %s", shown ? "; " : " (", (long long)cnt[best], why[best]);
    cnt[best] = -cnt[best];
  }
  fprintf(f, "%s\n", fixed ? ")" : "");
}

/* The time breakdown line (docs/search.md "Speed"): wall / CPU seconds. */
static void print_timing(const ajpq_jc_clock_t *setup, const ajpq_jc_search_result_t *r,
                         const ajpq_jc_clock_t *rewrite, int64_t samples) {
  const ajpq_jc_timing_t *t = &r->time;
  int ep = r->episodes_run > 0 ? r->episodes_run : 1;
  fprintf(stderr,
          "  time (wall/CPU s): setup %.1f/%.1f (fp32 run + activation calibration, %lld samples), "
          "search %.1f/%.1f = evaluation %.1f/%.1f (%d x %.0f/%.0f ms) + agents %.1f/%.1f + "
          "budget %.1f/%.1f + refinement %.1f/%.1f (%d evaluations) + other %.1f/%.1f; "
          "rewrite %.1f/%.1f\n",
          setup->wall, setup->cpu, (long long)samples, t->total.wall, t->total.cpu, t->eval.wall,
          t->eval.cpu, t->evals, t->evals ? 1e3 * t->eval.wall / t->evals : 0,
          t->evals ? 1e3 * t->eval.cpu / t->evals : 0, t->agent.wall, t->agent.cpu,
          t->budget.wall, t->budget.cpu, t->refine.wall, t->refine.cpu, r->refine_evals,
          t->total.wall - t->eval.wall - t->agent.wall - t->budget.wall - t->refine.wall,
          t->total.cpu - t->eval.cpu - t->agent.cpu - t->budget.cpu - t->refine.cpu,
          rewrite->wall, rewrite->cpu);
  fprintf(stderr, "  per episode (wall/CPU s): %.3f/%.3f (refinement excluded)\n",
          (t->total.wall - t->refine.wall) / ep, (t->total.cpu - t->refine.cpu) / ep);
}

/* linalg named convolutions / matmuls are not compressible yet (docs/search.md
 * "Known limits"): the walk collects them so that the pass can say so at the
 * op instead of "no compressible layer". */
typedef struct {
  MlirOperation first;
  int count;
  bool note; /* print a warning at every one (the function has TOSA layers too) */
  const char *pass;
} linalg_scan_t;

static bool is_linalg_layer(MlirStringRef n) {
  static const char *const prefixes[] = {"linalg.conv_", "linalg.depthwise_conv_",
                                         "linalg.matmul", "linalg.batch_matmul", NULL};
  for (int i = 0; prefixes[i]; i++) {
    size_t k = strlen(prefixes[i]);
    if (n.length >= k && !strncmp(n.data, prefixes[i], k))
      return true;
  }
  return false;
}

static void append_str(MlirStringRef s, void *ud) {
  char *b = ud;
  size_t used = strlen(b), n = s.length < 255 - used ? s.length : 255 - used;
  memcpy(b + used, s.data, n);
  b[used + n] = 0;
}

static MlirWalkResult scan_linalg(MlirOperation op, void *ud) {
  linalg_scan_t *sc = ud;
  MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
  if (!is_linalg_layer(n))
    return MlirWalkResultAdvance;
  if (!sc->count++)
    sc->first = op;
  if (sc->note) {
    char loc[256] = "";
    mlirLocationPrint(mlirOperationGetLocation(op), append_str, loc);
    fprintf(stderr,
            "%s: warning: %s: '%.*s' is not compressed (linalg named convolutions and matmuls "
            "are not supported yet; it stays in float)\n",
            loc, sc->pass, (int)n.length, n.data);
  }
  return MlirWalkResultAdvance;
}

/* Shared front half: graph, config. Returns NULL after a diagnostic. */
ajpq_channel_graph_t *ajpq_jc_prepare(MlirOperation op, const ajpq_pass_options_t *o,
                                      const char *pass, ajpq_jc_config_t *cfg,
                                      MlirOperation *func_out) {
  memset(cfg, 0, sizeof *cfg);
  MlirOperation func = ajpq_cg_entry_func(op);
  if (mlirOperationIsNull(func)) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s: no func.func in the module", pass);
    mlirEmitError(mlirOperationGetLocation(op), msg);
    return NULL;
  }
  *func_out = func;
  ajpq_importance_t imp =
      !strcmp(ajpq_opt_string(o, "importance"), "l2") ? AJPQ_IMPORTANCE_L2 : AJPQ_IMPORTANCE_L1;
  ajpq_channel_graph_t *g = ajpq_cg_build(func, imp);
  if (!g)
    return NULL;
  int tosa_layers = 0;
  for (int l = 0; l < g->n_layers; l++)
    tosa_layers += g->layers[l].weights != NULL;
  linalg_scan_t sc = {.first = {NULL}, .count = 0, .note = tosa_layers > 0, .pass = pass};
  mlirOperationWalk(func, scan_linalg, &sc, MlirWalkPreOrder);
  if (tosa_layers == 0 && g->n_layers == 0 && sc.count > 0) {
    char msg[768];
    MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(sc.first));
    snprintf(msg, sizeof msg,
             "%s: '%.*s' is not supported yet: only the TOSA layer forms are compressible "
             "(tosa.conv2d, tosa.depthwise_conv2d, tosa.matmul with constant weights, as "
             "ajpq-translate --import-onnx emits them); the function has %d linalg "
             "convolution/matmul op(s) and no compressible layer",
             pass, (int)n.length, n.data, sc.count);
    mlirEmitError(mlirOperationGetLocation(sc.first), msg);
    ajpq_cg_destroy(g);
    return NULL;
  }
  if (tosa_layers == 0 || tosa_layers != g->n_layers) {
    char msg[512];
    snprintf(msg, sizeof msg,
             tosa_layers ? "%s: the function already contains ajpq layers (compress the fp32 "
                           "model)"
                         : "%s: no compressible layer in the function (tosa.conv2d, "
                           "tosa.depthwise_conv2d or tosa.matmul with constant weights)",
             pass);
    mlirEmitError(mlirOperationGetLocation(func), msg);
    ajpq_cg_destroy(g);
    return NULL;
  }
  /* candidate bits */
  bool seen[9] = {false};
  for (size_t i = 0; i < ajpq_opt_list_size(o, "bits"); i++) {
    int64_t b = ajpq_opt_list_int(o, "bits", i);
    if (b < 0 || b > 8) {
      fail(func, "%s: bits: %g is not a bit-width in 0..8", pass, (double)b, 0);
      ajpq_cg_destroy(g);
      return NULL;
    }
    seen[b] = true;
  }
  cfg->allow_zero = seen[0];
  for (int b = 1; b <= 8; b++)
    if (seen[b])
      cfg->cand[cfg->n_cand++] = b;
  if (cfg->n_cand == 0) {
    fail(func, "%s: bits must contain a nonzero bit-width", pass, 0, 0);
    ajpq_cg_destroy(g);
    return NULL;
  }
  cfg->min_keep = (int)ajpq_opt_int(o, "min-keep");
  int64_t ab = ajpq_opt_has(o, "act-bits") ? ajpq_opt_int(o, "act-bits") : 8;
  if (!((ab >= 2 && ab <= 8) || ab == 32)) {
    fail(func, "%s: act-bits=%g must be in 2..8 or 32", pass, (double)ab, 0);
    ajpq_cg_destroy(g);
    return NULL;
  }
  cfg->act_bits = (int)ab;
  cfg->act_calib = AJPQ_JC_ACT_CALIB_PERCENTILE;
  if (ajpq_opt_has(o, "act-calibration")) {
    const char *ac = ajpq_opt_string(o, "act-calibration");
    cfg->act_calib = !strcmp(ac, "minmax") ? AJPQ_JC_ACT_CALIB_MINMAX
                     : !strcmp(ac, "mse")  ? AJPQ_JC_ACT_CALIB_MSE
                                           : AJPQ_JC_ACT_CALIB_PERCENTILE;
  }
  cfg->weight_clip = AJPQ_WCLIP_MINMAX; /* docs/search.md "Weight quantization" */
  if (ajpq_opt_has(o, "weight-clipping") && !strcmp(ajpq_opt_string(o, "weight-clipping"), "mse"))
    cfg->weight_clip = AJPQ_WCLIP_MSE;
  if (ajpq_opt_has(o, "weight-clipping") && !strcmp(ajpq_opt_string(o, "weight-clipping"), "auto"))
    cfg->weight_clip = AJPQ_WCLIP_AUTO;
  if (ajpq_opt_has(o, "weight-clipping") &&
      !strcmp(ajpq_opt_string(o, "weight-clipping"), "hessian"))
    cfg->weight_clip = AJPQ_WCLIP_HESSIAN;
  cfg->bias_correction = ajpq_opt_has(o, "bias-correction") && ajpq_opt_bool(o, "bias-correction");
  cfg->wq_stats = NULL;
  cfg->skip = calloc((size_t)g->n_layers, 1);
  if (!cfg->skip) {
    ajpq_cg_destroy(g);
    return NULL;
  }
  size_t ns = ajpq_opt_list_size(o, "skip-layers");
  for (int l = 0; l < g->n_layers; l++)
    for (size_t i = 0; i < ns; i++)
      if (!fnmatch(ajpq_opt_list_string(o, "skip-layers", i), g->layers[l].name, 0))
        cfg->skip[l] = 1;
  if (!ajpq_jc_config_groups(g, cfg)) {
    free(cfg->skip);
    ajpq_cg_destroy(g);
    return NULL;
  }
  if (!ajpq_jc_act_skip_select(g, o, pass, func, cfg)) {
    ajpq_jc_config_free(cfg);
    ajpq_cg_destroy(g);
    return NULL;
  }
  /* a skipped layer keeps its input width too */
  for (int l = 0; l < g->n_layers; l++)
    if (cfg->skip[l] && g->layers[l].in_node)
      for (int64_t i = 0; i < g->layers[l].desc.cin; i++) {
        int32_t gi = g->group_of_node[g->layers[l].in_node[i]];
        if (gi >= 0)
          cfg->group_fixed[gi] = 1;
      }
  return g;
}

void ajpq_jc_config_free(ajpq_jc_config_t *cfg) {
  free(cfg->skip);
  free(cfg->group_fixed);
  free(cfg->act_skip);
  cfg->skip = cfg->group_fixed = cfg->act_skip = NULL;
}

static bool run_joint_compress(MlirOperation op, const ajpq_pass_options_t *o, void *ctx) {
  (void)ctx;
  /* Side outputs first, before any work (QA: an unwritable strategy-out was
   * only reported after minutes of search). */
  side_output_t side[SIDE_N];
  if (!side_outputs_open(op, o, side))
    return false;
  ajpq_jc_config_t cfg;
  MlirOperation func;
  ajpq_channel_graph_t *g = ajpq_jc_prepare(op, o, "joint-compress", &cfg, &func);
  if (!g) {
    side_outputs_abort(side);
    return false;
  }
  bool ok = false;
  char budget_text[512];
  ajpq_jc_evaluator_t *ev = NULL;
  ajpq_jc_strategy_t *best = NULL, *minst = NULL;
  ajpq_jc_search_result_t res;
  memset(&res, 0, sizeof res);
  if (!read_budget(func, o, &cfg.budget, budget_text, sizeof budget_text))
    goto done;
  /* feasibility: the cheapest strategy must meet every budget */
  ajpq_costmodel_cost_t fp32, minc;
  ajpq_jc_cost_fp32(g, &fp32);
  minst = ajpq_jc_strategy_create(g);
  best = ajpq_jc_strategy_create(g);
  if (!minst || !best) {
    mlirEmitError(mlirOperationGetLocation(func), "joint-compress: out of memory");
    goto done;
  }
  ajpq_jc_min_strategy(g, &cfg, minst);
  ajpq_jc_cost(g, &cfg, minst, &minc, NULL);
  if (!ajpq_jc_within_budget(&cfg, &minc, &fp32)) {
    char msg[1024];
    snprintf(msg, sizeof msg,
             "joint-compress: infeasible budget (%s): the smallest reachable model (every kept "
             "channel at %d bits, min-keep=%d, %s) has size ratio %.6f, MACs ratio %.6f, BitOPs "
             "ratio %.6f (%lld bytes)",
             budget_text, cfg.cand[0], cfg.min_keep,
             cfg.allow_zero ? "all erasable groups erased" : "no erasure (0 not in bits)",
             (double)minc.weight_bytes / (double)fp32.weight_bytes,
             (double)minc.macs / (double)fp32.macs,
             (double)minc.bitops / (double)(fp32.bitops ? fp32.bitops : 1),
             (long long)minc.weight_bytes);
    mlirEmitError(mlirOperationGetLocation(func), msg);
    goto done;
  }
  if (!strcmp(ajpq_opt_string(o, "policy"), "layer-wise") && cfg.allow_zero) {
    /* layer-wise never prunes: feasible only with bits alone */
    ajpq_jc_config_t nz = cfg;
    nz.allow_zero = false;
    uint8_t *fixed = malloc((size_t)(g->n_groups ? g->n_groups : 1));
    if (fixed) {
      memset(fixed, 1, (size_t)g->n_groups);
      nz.group_fixed = fixed;
      ajpq_jc_min_strategy(g, &nz, minst);
      ajpq_jc_cost(g, &nz, minst, &minc, NULL);
      free(fixed);
      if (!ajpq_jc_within_budget(&cfg, &minc, &fp32)) {
        char msg[768];
        snprintf(msg, sizeof msg,
                 "joint-compress: infeasible budget (%s) for policy=layer-wise, which does not "
                 "prune: every channel at %d bits gives size ratio %.6f",
                 budget_text, cfg.cand[0], (double)minc.weight_bytes / (double)fp32.weight_bytes);
        mlirEmitError(mlirOperationGetLocation(func), msg);
        goto done;
      }
    }
  }
  if (!ajpq_opt_has(o, "calibration") || !ajpq_opt_string(o, "calibration")[0]) {
    mlirEmitError(mlirOperationGetLocation(func),
                  "joint-compress: calibration=… is required (a zoo manifest or "
                  "data=X.npy[,labels=Y.npy][,metric=M])");
    goto done;
  }
  ajpq_jc_eval_opts_t eo = {.calibration = ajpq_opt_string(o, "calibration"),
                            .metric = ajpq_opt_string(o, "metric"),
                            .repo_root = NULL,
                            .samples = ajpq_opt_int(o, "calibration-samples"),
                            .threads = (int)ajpq_opt_int(o, "threads")};
  ajpq_jc_clock_t setup = ajpq_jc_clock_now();
  ajpq_status_t st = ajpq_jc_evaluator_create(func, g, &cfg, &eo, &ev);
  if (!st)
    cfg.wq_stats = ajpq_jc_evaluator_wq_stats(ev); /* bias correction in the rewrite */
  ajpq_jc_clock_t setup_t = {0, 0};
  ajpq_jc_clock_add(&setup_t, setup);
  if (st) {
    fail_status(func, st);
    goto done;
  }
  const char *pol = ajpq_opt_string(o, "policy");
  ajpq_jc_search_opts_t so = {
      .policy = !strcmp(pol, "two-step")     ? AJPQ_JC_POLICY_TWO_STEP
                : !strcmp(pol, "layer-wise") ? AJPQ_JC_POLICY_LAYER_WISE
                : !strcmp(pol, "uniform")    ? AJPQ_JC_POLICY_UNIFORM
                : !strcmp(pol, "random")     ? AJPQ_JC_POLICY_RANDOM
                                             : AJPQ_JC_POLICY_AJPQ,
      .episodes = (int)ajpq_opt_int(o, "episodes"),
      .warmup = (int)ajpq_opt_int(o, "warmup"),
      .seed = (uint64_t)ajpq_opt_int(o, "seed"),
      .uniform_sparsity = ajpq_opt_float(o, "uniform-sparsity"),
      .fill_budget = ajpq_opt_bool(o, "fill-budget"),
      .refine_passes = (int)ajpq_opt_int(o, "refine"),
      .heuristic_episodes = (int)ajpq_opt_int(o, "heuristic-episodes"),
      .heuristic_replay = ajpq_opt_bool(o, "heuristic-replay"),
      .progress_tty = isatty(2),
      .quiet = ajpq_opt_bool(o, "quiet"),
      .threads = (int)ajpq_opt_int(o, "threads")};
  st = ajpq_jc_search(g, &cfg, &so, ajpq_jc_evaluator_reward, ev, best, &res);
  if (st) {
    fail_status(func, st);
    goto done;
  }
  ajpq_costmodel_cost_t bc;
  ajpq_costmodel_cost_t *bpl = calloc((size_t)g->n_layers, sizeof *bpl);
  if (!bpl) {
    mlirEmitError(mlirOperationGetLocation(func), "joint-compress: out of memory");
    goto done;
  }
  ajpq_jc_cost(g, &cfg, best, &bc, bpl);
  int64_t erased_stored = bc.erased_channels;
  for (int l = 0; l < g->n_layers; l++)
    if (g->layers[l].desc.kind == AJPQ_COSTMODEL_DEPTHWISE &&
        bpl[l].erased_channels < g->layers[l].desc.cout)
      erased_stored -= bpl[l].erased_channels; /* stored renumbered (see print_table) */
  free(bpl);
  if (!ajpq_jc_within_budget(&cfg, &bc, &fp32) || !ajpq_jc_strategy_valid(g, &cfg, best)) {
    mlirEmitError(mlirOperationGetLocation(func),
                  "joint-compress: internal error: the best strategy breaks the budget or the "
                  "channel groups");
    goto done;
  }
  if (side[SIDE_STRATEGY].open) {
    ajpq_jc_strategy_meta_t meta = {.policy = pol,
                                    .metric = ajpq_jc_evaluator_metric_name(ev),
                                    .budget_text = budget_text,
                                    .seed = (uint64_t)ajpq_opt_int(o, "seed"),
                                    .metric_fp32 = ajpq_jc_evaluator_metric_fp32(ev),
                                    .metric_result = res.best_metric,
                                    .act_cfg = &cfg,
                                    .act_calibration = ajpq_opt_string(o, "calibration"),
                                    .act_samples = ajpq_jc_evaluator_samples(ev)};
    st = ajpq_jc_strategy_print_to(&side[SIDE_STRATEGY].out, g, best, &meta);
    if (st) {
      fail_side(func, &side[SIDE_STRATEGY], st);
      goto done;
    }
  }
  if (side[SIDE_SVG].open) {
    st = write_svg(&side[SIDE_SVG].out, g, best, &res);
    if (st) {
      fail_side(func, &side[SIDE_SVG], st);
      goto done;
    }
  }
  if (!so.quiet)
    print_table(&fp32, &bc, erased_stored, ajpq_jc_evaluator_metric_name(ev),
                ajpq_jc_evaluator_metric_fp32(ev),
                res.best_metric, res.seconds, res.episodes_run, res.enforce_changes);
  if (!so.quiet && res.refine_evals)
    fprintf(stderr, "  refinement: %d evaluations, %d moves accepted\n", res.refine_evals,
            res.refine_moves);
  if (!so.quiet)
    print_not_erasable(stderr, g, &cfg);
  if (!so.quiet)
    ajpq_jc_act_print_summary(stderr, g, &cfg);
  ajpq_jc_clock_t rw = ajpq_jc_clock_now(), rw_t = {0, 0};
  ok = ajpq_jc_rewrite(g, &cfg, best, ajpq_jc_evaluator_actq(ev));
  ajpq_jc_clock_add(&rw_t, rw);
  /* installed only once the rewrite succeeded: a failed pass leaves none */
  if (ok)
    ok = side_outputs_commit(func, side);
  if (!so.quiet)
    print_timing(&setup_t, &res, &rw_t, ajpq_jc_evaluator_samples(ev));
done:
  side_outputs_abort(side); /* no-op after side_outputs_commit */
  free(res.reward_curve);
  ajpq_jc_strategy_destroy(best);
  ajpq_jc_strategy_destroy(minst);
  ajpq_jc_evaluator_destroy(ev);
  ajpq_jc_config_free(&cfg);
  ajpq_cg_destroy(g);
  return ok;
}

const ajpq_pass_info_t ajpq_pass_joint_compress = {
    .name = "joint-compress",
    .summary = "AJPQ: joint pruning + per-channel mixed-precision quantization (DDPG search), "
               "rewritten into the ajpq dialect",
    .anchor = "builtin.module",
    .options = k_options,
    .num_options = sizeof k_options / sizeof k_options[0],
    .run = run_joint_compress,
    .create = NULL,
    .destroy = NULL,
};
