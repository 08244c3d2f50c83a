/* joint_compress_eval.c — the search's evaluator: loads the calibration set
 * (a zoo manifest, docs/manifest.md, or `data=X.npy,labels=Y.npy,metric=M`),
 * plans the function once with the executor, runs the fp32 model once for
 * the reference outputs and activation ranges, then scores each candidate
 * strategy by swapping in masked fake-quantized weights (executor weight
 * swap) with per-tensor activation fake quantization.
 *
 * Rewards (design decision, after HAQ): labelled metrics
 * 0.1 × (metric − metric_fp32) in points (percent); `agreement`
 * 0.1 × (agreement% − 100); both minus the fidelity term mean KL(fp32 ‖ candidate);
 * `kl` −mean KL(fp32 ‖ candidate). Always finite.
 */
#include "ajpq_dialect.h"
#include "ajpq_joint_compress.h"
#include "executor/ajpq_executor.h"
#include "io/ajpq_io.h"
#include "ajpq_metrics.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"

#include <cjson/cJSON.h>

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- which layer inputs are quantized (act-skip=) ---- */

/* One step of the DAG walks below: 0 when `op` was visited already (or the visited list
 * cannot grow: *oom set), 1 when op is a compressible layer other than `self`, 2 when the walk
 * goes on past op (now recorded in the visited list *seen[*nseen], capacity *capseen). */
static int visit_op(const ajpq_channel_graph_t *g, int self, MlirOperation op,
                    MlirOperation **seen, size_t *nseen, size_t *capseen, bool *oom) {
  for (size_t i = 0; i < *nseen; i++)
    if (mlirOperationEqual((*seen)[i], op))
      return 0;
  if (*nseen == *capseen) {
    size_t cap = *capseen ? 2 * *capseen : 64;
    MlirOperation *p = realloc(*seen, cap * sizeof *p);
    if (!p) {
      *oom = true;
      return 0;
    }
    *seen = p;
    *capseen = cap;
  }
  (*seen)[(*nseen)++] = op;
  for (int l = 0; l < g->n_layers; l++)
    if (l != self && mlirOperationEqual(g->layers[l].op, op))
      return 1;
  return 2;
}

/* True iff some compressible layer other than `self` is reachable from `op`'s results
 * (forward over SSA uses, DAG walk with a visited list). */
static bool reaches_layer(const ajpq_channel_graph_t *g, int self, MlirOperation op,
                          MlirOperation **seen, size_t *nseen, size_t *capseen, bool *oom) {
  int v = visit_op(g, self, op, seen, nseen, capseen, oom);
  if (v < 2)
    return v == 1;
  for (intptr_t r = 0; r < mlirOperationGetNumResults(op); r++)
    for (MlirOpOperand u = mlirValueGetFirstUse(mlirOperationGetResult(op, r));
         !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u))
      if (reaches_layer(g, self, mlirOpOperandGetOwner(u), seen, nseen, capseen, oom))
        return true;
  return false;
}

/* Sets mark[l] = 1 (other entries untouched) for every layer with no compressible layer
 * downstream: the act-skip=head set, whose outputs are the model's scores (their absolute level
 * is what a threshold reads, so wq leaves their bias alone too). *hits counts them. False when
 * out of memory (mark then partial). */
static bool mark_head_layers(const ajpq_channel_graph_t *g, uint8_t *mark, int *hits) {
  MlirOperation *seen = NULL;
  size_t nseen = 0, capseen = 0;
  bool oom = false;
  for (int l = 0; l < g->n_layers && !oom; l++) {
    nseen = 0;
    bool down = false;
    MlirOperation op = g->layers[l].op;
    for (intptr_t r = 0; r < mlirOperationGetNumResults(op) && !down; r++)
      for (MlirOpOperand u = mlirValueGetFirstUse(mlirOperationGetResult(op, r));
           !mlirOpOperandIsNull(u) && !down; u = mlirOpOperandGetNextUse(u))
        down = reaches_layer(g, l, mlirOpOperandGetOwner(u), &seen, &nseen, &capseen, &oom);
    if (!down) {
      mark[l] = 1;
      ++*hits;
    }
  }
  free(seen);
  return !oom;
}

/* Score shift (wq): true iff value v is, element for element, the output of head layers moved
 * by shape ops only (tosa.reshape / transpose / concat / identity), so that adding δ to those
 * layers' biases adds δ to every element of v; marks those layers in mark[] (head[l] set and
 * statistics present, i.e. conv / depthwise with a bias operand in the executor). Bounded
 * depth: deeper chains count as not shift-equivariant. */
static bool shifted_by_heads(const ajpq_channel_graph_t *g, const ajpq_jc_wq_stats_t *wq,
                             const uint8_t *head, MlirValue v, uint8_t *mark, int depth) {
  if (depth > 64 || !mlirValueIsAOpResult(v))
    return false; /* a function argument: not a layer output */
  MlirOperation op = mlirOpResultGetOwner(v);
  for (int l = 0; l < g->n_layers; l++)
    if (mlirOperationEqual(g->layers[l].op, op)) {
      if (!head[l] || !ajpq_jc_wq_has_layer(wq, l))
        return false;
      mark[l] = 1;
      return true;
    }
  MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
  static const char *const k_follow0[] = {"tosa.reshape", "tosa.transpose", "tosa.identity"};
  for (size_t i = 0; i < sizeof k_follow0 / sizeof k_follow0[0]; i++)
    if (name.length == strlen(k_follow0[i]) && !memcmp(name.data, k_follow0[i], name.length))
      return shifted_by_heads(g, wq, head, mlirOperationGetOperand(op, 0), mark, depth + 1);
  if (name.length == strlen("tosa.concat") && !memcmp(name.data, "tosa.concat", name.length)) {
    intptr_t k = mlirOperationGetNumOperands(op);
    for (intptr_t i = 0; i < k; i++)
      if (!shifted_by_heads(g, wq, head, mlirOperationGetOperand(op, i), mark, depth + 1))
        return false;
    return k > 0;
  }
  return false;
}

bool ajpq_jc_act_skip_select(const ajpq_channel_graph_t *g, const ajpq_pass_options_t *o,
                             const char *pass, MlirOperation func, ajpq_jc_config_t *cfg) {
  free(cfg->act_skip);
  cfg->act_skip = calloc((size_t)(g->n_layers ? g->n_layers : 1), 1);
  if (!cfg->act_skip) {
    mlirEmitError(mlirOperationGetLocation(func), "out of memory");
    return false;
  }
  size_t n = ajpq_opt_has(o, "act-skip") ? ajpq_opt_list_size(o, "act-skip") : 0;
  bool deflt = !ajpq_opt_has(o, "act-skip");
  for (size_t i = 0; i < n + (deflt ? 1 : 0); i++) {
    const char *pat = deflt ? "head" : ajpq_opt_list_string(o, "act-skip", i);
    if (!strcmp(pat, "none"))
      continue;
    int hits = 0;
    if (!strcmp(pat, "head")) {
      if (!mark_head_layers(g, cfg->act_skip, &hits)) {
        mlirEmitError(mlirOperationGetLocation(func), "out of memory");
        return false;
      }
    } else {
      for (int l = 0; l < g->n_layers; l++)
        if (!fnmatch(pat, g->layers[l].name, 0)) {
          cfg->act_skip[l] = 1;
          hits++;
        }
    }
    if (!hits) {
      char msg[768];
      snprintf(msg, sizeof msg,
               "%s: act-skip: '%s' matches no layer (expected ONNX node name globs, 'head' or "
               "'none'; run --ajpq-cost-report for the layer names)",
               pass, pat);
      mlirEmitError(mlirOperationGetLocation(func), msg);
      return false;
    }
  }
  return true;
}

/* True iff a compressible layer other than `self` produces (transitively) value v: backward
 * DAG walk over defining ops, with a visited list (wq). */
static bool fed_by_layer(const ajpq_channel_graph_t *g, int self, MlirValue v,
                         MlirOperation **seen, size_t *nseen, size_t *capseen, bool *oom) {
  if (!mlirValueIsAOpResult(v))
    return false; /* a function argument: the model input */
  MlirOperation op = mlirOpResultGetOwner(v);
  int step = visit_op(g, self, op, seen, nseen, capseen, oom);
  if (step < 2)
    return step == 1;
  for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); i++)
    if (fed_by_layer(g, self, mlirOperationGetOperand(op, i), seen, nseen, capseen, oom))
      return true;
  return false;
}

/* first[l] = 1 for the layers that read the model input with no compressible layer upstream
 * (a classifier's stem): their input is raw data (mostly exact zeros in Fashion-MNIST's
 * background), where a mean shift moves every zero pixel's output (wq). */
static ajpq_status_t wq_first_layers(const ajpq_channel_graph_t *g, uint8_t *first) {
  MlirOperation *seen = NULL;
  size_t nseen = 0, capseen = 0;
  bool oom = false;
  for (int l = 0; l < g->n_layers && !oom; l++) {
    nseen = 0;
    /* operand 0 is the activation of conv / depthwise / matmul */
    first[l] = !fed_by_layer(g, l, mlirOperationGetOperand(g->layers[l].op, 0), &seen, &nseen,
                             &capseen, &oom);
  }
  free(seen);
  return oom ? ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory") : NULL;
}

bool ajpq_jc_act_quantized(const ajpq_jc_config_t *cfg, int l) {
  return cfg->act_bits < 32 && !(cfg->skip && cfg->skip[l]) &&
         !(cfg->act_skip && cfg->act_skip[l]);
}

static const char *const k_calib_names[] = {"percentile", "mse", "minmax"};

bool ajpq_jc_act_settings_add(cJSON *root, const ajpq_channel_graph_t *g,
                              const ajpq_jc_config_t *cfg, const char *calibration,
                              int64_t samples) {
  cJSON *a = cJSON_AddObjectToObject(root, "activation");
  int c = cfg->act_calib >= 0 && cfg->act_calib <= 2 ? cfg->act_calib : 0;
  bool ok = a && cJSON_AddNumberToObject(a, "bits", cfg->act_bits) &&
            cJSON_AddStringToObject(a, "calibration", k_calib_names[c]) &&
            cJSON_AddStringToObject(a, "calibration_data", calibration ? calibration : "") &&
            cJSON_AddNumberToObject(a, "calibration_samples", (double)samples);
  cJSON *fl = ok ? cJSON_AddArrayToObject(a, "float_layers") : NULL;
  ok = ok && fl;
  for (int l = 0; ok && l < g->n_layers; l++)
    if (cfg->act_bits < 32 && !ajpq_jc_act_quantized(cfg, l)) {
      cJSON *n = cJSON_CreateString(g->layers[l].name);
      ok = n && cJSON_AddItemToArray(fl, n);
      if (!ok)
        cJSON_Delete(n);
    }
  return ok;
}

void ajpq_jc_act_settings_free(ajpq_jc_act_settings_t *a) {
  free(a->calibration_data);
  free(a->float_layers);
  memset(a, 0, sizeof *a);
}

ajpq_status_t ajpq_jc_strategy_json_load(const char *path, cJSON **root) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return ajpq_status_make(AJPQ_IO_ERROR, "cannot open strategy '%s'", path);
  char *buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) { /* read in chunks: works for pipes and files alike, capped at 64 MiB */
    if (n + 4096 + 1 > cap) {
      cap = cap ? 2 * cap : 65536;
      char *p = cap <= (64u << 20) ? realloc(buf, cap) : NULL;
      if (!p) {
        free(buf);
        fclose(f);
        return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "strategy '%s': too large", path);
      }
      buf = p;
    }
    size_t got = fread(buf + n, 1, 4096, f);
    n += got;
    if (got < 4096)
      break;
  }
  fclose(f);
  buf[n] = 0;
  cJSON *r = cJSON_Parse(buf);
  free(buf);
  if (!r)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "strategy '%s': not valid JSON", path);
  *root = r;
  return NULL;
}

ajpq_status_t ajpq_jc_act_settings_read(const char *path, const ajpq_channel_graph_t *g,
                                        ajpq_jc_act_settings_t *out) {
  memset(out, 0, sizeof *out);
  cJSON *root = NULL;
  ajpq_status_t st = ajpq_jc_strategy_json_load(path, &root);
  if (st)
    return st;
  cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "activation");
  if (!a)
    goto done;
  cJSON *bits = cJSON_GetObjectItemCaseSensitive(a, "bits");
  cJSON *cal = cJSON_GetObjectItemCaseSensitive(a, "calibration");
  cJSON *data = cJSON_GetObjectItemCaseSensitive(a, "calibration_data");
  cJSON *ns = cJSON_GetObjectItemCaseSensitive(a, "calibration_samples");
  cJSON *fl = cJSON_GetObjectItemCaseSensitive(a, "float_layers");
  int b = cJSON_IsNumber(bits) ? bits->valueint : -1;
  int c = -1;
  for (int i = 0; i < 3 && cJSON_IsString(cal); i++)
    if (!strcmp(cal->valuestring, k_calib_names[i]))
      c = i;
  if (!cJSON_IsObject(a) || !((b >= 2 && b <= 8) || b == 32) || c < 0 ||
      (data && !cJSON_IsString(data)) || (ns && (!cJSON_IsNumber(ns) || ns->valuedouble < 0)) ||
      (fl && !cJSON_IsArray(fl))) {
    st = ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                          "strategy '%s': bad \"activation\" record (need bits 2..8 or 32, "
                          "calibration percentile|mse|minmax, calibration_samples >= 0, "
                          "float_layers an array of layer names)",
                          path);
    goto done;
  }
  out->float_layers = calloc((size_t)(g->n_layers ? g->n_layers : 1), 1);
  if (!out->float_layers ||
      (data && data->valuestring[0] && !(out->calibration_data = strdup(data->valuestring)))) {
    st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    goto done;
  }
  out->bits = b;
  out->calib = c;
  out->samples = ns ? (int64_t)ns->valuedouble : 0;
  cJSON *e;
  cJSON_ArrayForEach(e, fl) {
    int hit = -1;
    for (int l = 0; cJSON_IsString(e) && l < g->n_layers; l++)
      if (!strcmp(g->layers[l].name, e->valuestring))
        hit = l;
    if (hit < 0) {
      st = ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "strategy '%s': activation float layer '%s' is not a layer of the "
                            "model",
                            path, cJSON_IsString(e) ? e->valuestring : "(not a string)");
      goto done;
    }
    out->float_layers[hit] = 1;
  }
  out->present = true;
done:
  cJSON_Delete(root);
  if (st)
    ajpq_jc_act_settings_free(out);
  return st;
}

void ajpq_jc_act_print_summary(FILE *f, const ajpq_channel_graph_t *g,
                               const ajpq_jc_config_t *cfg) {
  if (cfg->act_bits >= 32) {
    fprintf(f, "  activations: float (act-bits=32)\n");
    return;
  }
  int nq = 0, nf = 0;
  for (int l = 0; l < g->n_layers; l++)
    nq += ajpq_jc_act_quantized(cfg, l);
  int c = cfg->act_calib >= 0 && cfg->act_calib <= 2 ? cfg->act_calib : 0;
  fprintf(f, "  activations: int%d per tensor (%s) at %d of %d layer inputs", cfg->act_bits,
          k_calib_names[c], nq, g->n_layers);
  for (int l = 0; l < g->n_layers; l++)
    if (!ajpq_jc_act_quantized(cfg, l)) {
      if (nf < 8)
        fprintf(f, "%s%s", nf ? ", " : "; float: ", g->layers[l].name);
      nf++;
    }
  if (nf > 8)
    fprintf(f, " and %d more", nf - 8);
  fprintf(f, "\n");
}

struct ajpq_jc_evaluator_s {
  const ajpq_channel_graph_t *g;
  const ajpq_jc_config_t *cfg;
  ajpq_executor_t *ex;
  int *ex_layer;       /* graph layer -> executor layer */
  int64_t n;           /* calibration samples */
  int64_t batch;
  int n_in;            /* function inputs: must be 1 */
  int64_t in_numel;    /* floats per sample */
  float *inputs;       /* [n][in_numel] */
  int64_t *labels;     /* [n] or NULL */
  int n_out;
  int64_t *out_numel;  /* per sample, per output */
  float **outputs;     /* per output [n][numel]: scratch of the last run */
  float **batch_out;   /* per output [batch][numel] */
  /* scoring */
  ajpq_postprocess_t post;
  int *post_outputs;
  int n_post;
  double threshold;
  char metric[16];
  double *ref_score;   /* fp32 per-sample score (max_sigmoid) or NULL */
  float *ref_logits;   /* fp32 class scores [n][classes] (logits/probs) */
  int64_t classes;
  double metric_fp32;
  float **ref_dense;   /* metric nmse (qa): fp32 outputs, per output [n][numel] */
  float *wbuf;
  ajpq_jc_actq_t *actq; /* [n_layers] */
  /* per layer: the bits and kept inputs whose masked weights the executor
   * holds now (search speed: an unchanged layer is not re-quantized and
   * re-sent; docs/search.md "Speed") */
  uint8_t **last_bits, **last_in;
  uint8_t *last_valid;
  uint8_t *in_kept;   /* scratch [max cin] */
  ajpq_jc_wq_stats_t *wq; /* layer-input statistics for bias correction, or NULL (wq) */
  float *bbuf;            /* corrected bias scratch [max cout] (wq) */
  double *ref_maxlogit;   /* score shift (wq): fp32 max scored logit per sample [n], or NULL */
};

static const char *const k_metrics[] = {"top1", "top5", "accuracy", "auc", "agreement", "kl",
                                        "nmse", NULL};

static bool metric_known(const char *m) {
  for (int i = 0; k_metrics[i]; i++)
    if (!strcmp(m, k_metrics[i]))
      return true;
  return false;
}
static bool metric_labelled(const char *m) {
  return !strcmp(m, "top1") || !strcmp(m, "top5") || !strcmp(m, "accuracy") || !strcmp(m, "auc");
}

void ajpq_jc_evaluator_destroy(ajpq_jc_evaluator_t *e) {
  if (!e)
    return;
  ajpq_executor_destroy(e->ex);
  free(e->ex_layer);
  free(e->inputs);
  free(e->labels);
  if (e->outputs)
    for (int i = 0; i < e->n_out; i++)
      free(e->outputs[i]);
  if (e->batch_out)
    for (int i = 0; i < e->n_out; i++)
      free(e->batch_out[i]);
  free(e->outputs);
  free(e->batch_out);
  free(e->out_numel);
  free(e->post_outputs);
  free(e->ref_score);
  free(e->ref_logits);
  if (e->ref_dense)
    for (int i = 0; i < e->n_out; i++)
      free(e->ref_dense[i]);
  free(e->ref_dense);
  free(e->wbuf);
  free(e->actq);
  ajpq_jc_wq_stats_free(e->wq);
  free(e->ref_maxlogit);
  free(e->bbuf);
  if (e->last_bits)
    for (int l = 0; l < e->g->n_layers; l++)
      free(e->last_bits[l]);
  if (e->last_in)
    for (int l = 0; l < e->g->n_layers; l++)
      free(e->last_in[l]);
  free(e->last_bits);
  free(e->last_in);
  free(e->last_valid);
  free(e->in_kept);
  free(e);
}

/* Parses "data=X,labels=Y,metric=M" into fields (copies). */
static void parse_kv(const char *text, char *data, char *labels, char *metric, size_t n) {
  data[0] = labels[0] = metric[0] = 0;
  const char *p = text;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char *dst = NULL;
    size_t skip = 0;
    if (!strncmp(p, "data=", 5)) { dst = data; skip = 5; }
    else if (!strncmp(p, "labels=", 7)) { dst = labels; skip = 7; }
    else if (!strncmp(p, "metric=", 7)) { dst = metric; skip = 7; }
    if (dst && len > skip) {
      size_t m = len - skip < n - 1 ? len - skip : n - 1;
      memcpy(dst, p + skip, m);
      dst[m] = 0;
    }
    p += len;
    if (*p == ',')
      p++;
  }
}

/* Squared fake-quantization error of the histogram for one candidate range. */
static double hist_mse(const uint64_t *hist, int bins, double lo, double w, float clo, float chi,
                       int bits) {
  ajpq_act_qparams_t q;
  if (ajpq_act_qparams_from_range(clo, chi, bits, false, &q))
    return INFINITY;
  double err = 0;
  for (int b = 0; b < bins; b++) {
    if (!hist[b])
      continue;
    float c = (float)(lo + (b + 0.5) * w);
    double d = (double)c - (double)q.scale * ((double)ajpq_act_quantize_value(c, &q) - q.zero_point);
    err += (double)hist[b] * d * d;
  }
  return err;
}

ajpq_status_t ajpq_jc_act_range_choose(ajpq_jc_act_calib_t method, const uint64_t *hist, int bins,
                                       float lo, float hi, int bits, float *out_lo,
                                       float *out_hi) {
  if (bits < 2 || bits > 8 || bins < 1 || !hist || !isfinite(lo) || !isfinite(hi) || lo > hi)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "activation range choice: bits %d, bins %d, range [%g, %g]", bits,
                            bins, (double)lo, (double)hi);
  *out_lo = lo;
  *out_hi = hi;
  if (method == AJPQ_JC_ACT_CALIB_MINMAX || !(hi > lo))
    return NULL;
  double w = ((double)hi - lo) / bins;
  if (method == AJPQ_JC_ACT_CALIB_PERCENTILE) {
    uint64_t total = 0;
    for (int b = 0; b < bins; b++)
      total += hist[b];
    double tail = 1e-4 * (double)total;
    uint64_t acc = 0;
    int bl = 0, bh = bins - 1;
    for (bl = 0; bl < bins - 1; bl++) { /* lowest bin where the lower tail exceeds 0.01% */
      acc += hist[bl];
      if ((double)acc > tail)
        break;
    }
    acc = 0;
    for (bh = bins - 1; bh > 0; bh--) {
      acc += hist[bh];
      if ((double)acc > tail)
        break;
    }
    float plo = (float)(lo + bl * w), phi = (float)(lo + (bh + 1) * w);
    *out_lo = plo < lo ? lo : plo;
    *out_hi = phi > hi ? hi : phi;
    if (!(*out_hi > *out_lo)) {
      *out_lo = lo;
      *out_hi = hi;
    }
    return NULL;
  }
  float l0 = lo < 0 ? lo : 0, h0 = hi > 0 ? hi : 0;
  double best = INFINITY;
  for (int k = 0; k <= AJPQ_JC_ACT_CLIP_STEPS; k++) {
    double f = pow(2.0, -k / 16.0);
    float clo = (float)(l0 * f), chi = (float)(h0 * f);
    double err = hist_mse(hist, bins, lo, w, clo, chi, bits);
    if (err < best) {
      best = err;
      *out_lo = clo;
      *out_hi = chi;
    }
  }
  return NULL;
}

static ajpq_status_t run_all(ajpq_jc_evaluator_t *e, float *mins, float *maxs);
static ajpq_status_t detector_scores(const ajpq_jc_evaluator_t *e, double *score);

/* Development aid (AJPQ_ACTQ_DEBUG=2, docs/search.md "Activation calibration"): runs the
 * calibration set once with the activation quantization just configured (fp32 weights) and
 * prints, per graph output, max |quantized - fp32|, max |fp32| and the SQNR, and per sample the
 * fp32 and quantized scores (detectors). e->outputs keeps the fp32 reference. */
static ajpq_status_t debug_compare(ajpq_jc_evaluator_t *e) {
  float **ref = calloc((size_t)e->n_out, sizeof(float *));
  double *sref = malloc((size_t)e->n * sizeof(double));
  double *sq = malloc((size_t)e->n * sizeof(double));
  ajpq_status_t st = NULL;
  if (!ref || !sref || !sq)
    st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  for (int o = 0; !st && o < e->n_out; o++) {
    ref[o] = malloc((size_t)(e->n * e->out_numel[o]) * sizeof(float));
    if (!ref[o])
      st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    else
      memcpy(ref[o], e->outputs[o], (size_t)(e->n * e->out_numel[o]) * sizeof(float));
  }
  bool det = e->post == AJPQ_POSTPROCESS_MAX_SIGMOID;
  if (!st && det)
    st = detector_scores(e, sref);
  if (!st)
    st = run_all(e, NULL, NULL);
  if (!st && det)
    st = detector_scores(e, sq);
  for (int o = 0; !st && o < e->n_out; o++) {
    double md = 0, mr = 0, se = 0, sr = 0;
    for (int64_t i = 0; i < e->n * e->out_numel[o]; i++) {
      double d = fabs((double)e->outputs[o][i] - ref[o][i]);
      md = d > md ? d : md;
      mr = fabs(ref[o][i]) > mr ? fabs(ref[o][i]) : mr;
      se += d * d;
      sr += (double)ref[o][i] * ref[o][i];
    }
    fprintf(stderr, "actq output %d: max |quantized - fp32| %g, max |fp32| %g, SQNR %.1f dB\n", o,
            md, mr, 10 * log10((sr > 0 ? sr : 1e-30) / (se > 0 ? se : 1e-30)));
  }
  for (int64_t s = 0; !st && det && s < e->n; s++)
    fprintf(stderr, "actq sample %lld label %lld score fp32 %.4f quantized %.4f\n", (long long)s,
            e->labels ? (long long)e->labels[s] : -1LL, sref[s], sq[s]);
  for (int o = 0; ref && o < e->n_out; o++) {
    if (ref[o])
      memcpy(e->outputs[o], ref[o], (size_t)(e->n * e->out_numel[o]) * sizeof(float));
    free(ref[o]);
  }
  free(ref);
  free(sref);
  free(sq);
  return st;
}

/* Runs the executor over all samples into e->outputs. */
static ajpq_status_t run_all(ajpq_jc_evaluator_t *e, float *mins, float *maxs) {
  for (int64_t s0 = 0; s0 < e->n; s0 += e->batch) {
    int64_t nb = e->n - s0 < e->batch ? e->n - s0 : e->batch;
    const float *in = e->inputs + s0 * e->in_numel;
    const float *const ins[1] = {in};
    if (mins)
      AJPQ_RETURN_IF_ERROR(ajpq_executor_calibrate(e->ex, nb, ins, mins, maxs));
    AJPQ_RETURN_IF_ERROR(ajpq_executor_run(e->ex, nb, ins, e->batch_out));
    for (int o = 0; o < e->n_out; o++)
      memcpy(e->outputs[o] + s0 * e->out_numel[o], e->batch_out[o],
             (size_t)(nb * e->out_numel[o]) * sizeof(float));
  }
  return NULL;
}

/* Detector scores of the current e->outputs (metrics/ajpq_metrics.h, max_sigmoid over the
 * manifest's postprocess outputs): score [n]. */
static ajpq_status_t detector_scores(const ajpq_jc_evaluator_t *e, double *score) {
  return ajpq_metrics_max_sigmoid((const float *const *)e->outputs, e->out_numel, e->n_out,
                                  e->post_outputs, e->n_post, e->n, score);
}

/* Metric `m` of the current e->outputs into *out; the formulas are metrics/ajpq_metrics.h's, the
 * same as ajpq-runner reports. set_ref: the outputs are the fp32 model's and become the
 * reference of agreement / kl / nmse (which then read 1, 0, 0). The KL clamps are coarser than
 * the runner's (Bernoulli scores at 1e-7, class probabilities floored at 1e-12) so that one
 * saturated sample cannot dominate the reward. Errors: NaN outputs (the metrics reject them),
 * an undefined AUC (one class), out of memory. */
static ajpq_status_t score_metric(ajpq_jc_evaluator_t *e, const char *m, bool set_ref,
                                  double *out) {
  int64_t n = e->n;
  ajpq_status_t st = NULL;
  double r = 0;
  if (!strcmp(m, "nmse")) {
    /* metric=nmse (qa): label-free fidelity of every output value, for models whose outputs are
     * not one [classes] row (score maps, embeddings, sequences, a single probability) */
    if (set_ref) {
      if (!e->ref_dense && !(e->ref_dense = calloc((size_t)e->n_out, sizeof(float *))))
        return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      for (int o = 0; o < e->n_out; o++) {
        size_t bytes = (size_t)(e->n * e->out_numel[o]) * sizeof(float);
        free(e->ref_dense[o]);
        if (!(e->ref_dense[o] = malloc(bytes ? bytes : 1)))
          return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
        memcpy(e->ref_dense[o], e->outputs[o], bytes);
      }
      *out = 0.0;
      return NULL;
    }
    int64_t *cnt = malloc((size_t)(e->n_out > 0 ? e->n_out : 1) * sizeof(int64_t));
    if (!cnt)
      return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    for (int o = 0; o < e->n_out; o++)
      cnt[o] = n * e->out_numel[o]; /* every calibration sample, every element */
    st = ajpq_metrics_nmse((const float *const *)e->outputs, (const float *const *)e->ref_dense,
                           cnt, e->n_out, &r);
    free(cnt);
  } else if (e->post == AJPQ_POSTPROCESS_MAX_SIGMOID) {
    double *sc = malloc((size_t)n * sizeof(double));
    if (!sc)
      return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    st = detector_scores(e, sc);
    if (!st && !strcmp(m, "auc"))
      st = ajpq_metrics_auc(sc, e->labels, n, &r);
    else if (!st && !strcmp(m, "accuracy"))
      st = ajpq_metrics_threshold_accuracy(sc, e->labels, n, e->threshold, &r);
    else if (!st && set_ref) /* agreement, kl of the fp32 model with itself */
      r = !strcmp(m, "agreement") ? 1.0 : 0.0;
    else if (!st && !strcmp(m, "agreement"))
      st = ajpq_metrics_threshold_agreement(sc, e->ref_score, n, e->threshold, &r);
    else if (!st) /* kl, binary */
      st = ajpq_metrics_kl_bernoulli(e->ref_score, sc, n, 1e-7, &r);
    if (!st && set_ref) {
      free(e->ref_score);
      e->ref_score = sc;
    } else {
      free(sc);
    }
  } else { /* logits / probabilities on output post_outputs[0] */
    int o = e->post_outputs[0];
    int64_t C = e->out_numel[o];
    const float *v = e->outputs[o];
    if (!strcmp(m, "top1") || !strcmp(m, "top5"))
      st = ajpq_metrics_topk(v, n, C, e->labels, !strcmp(m, "top1") ? 1 : 5, &r);
    else if (set_ref) /* agreement, kl of the fp32 model with itself */
      r = !strcmp(m, "agreement") ? 1.0 : 0.0;
    else if (!strcmp(m, "agreement"))
      st = ajpq_metrics_argmax_agreement(v, e->ref_logits, n, C, &r);
    else /* kl */
      st = ajpq_metrics_kl_classes(e->ref_logits, v, n, C,
                                   e->post == AJPQ_POSTPROCESS_PROBABILITIES, 1e-12, &r);
    if (!st && set_ref) {
      free(e->ref_logits);
      e->ref_logits = malloc((size_t)(n * C) * sizeof(float));
      if (!e->ref_logits)
        return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      memcpy(e->ref_logits, v, (size_t)(n * C) * sizeof(float));
    }
  }
  if (!st)
    *out = r;
  return st;
}

/* score_metric of a candidate: NaN outputs (ajpq_metrics_* report AJPQ_INVALID_ARGUMENT; the
 * labels and shapes were checked at set-up) are a collapsed candidate, scored NaN, which
 * reward_of turns into the worst finite reward. Other errors propagate. */
static ajpq_status_t score_candidate(ajpq_jc_evaluator_t *e, const char *m, double *out) {
  ajpq_status_t st = score_metric(e, m, false, out);
  if (ajpq_status_code(st) == AJPQ_INVALID_ARGUMENT) {
    ajpq_status_free(st);
    *out = NAN;
    return NULL;
  }
  return st;
}

double ajpq_jc_evaluator_metric_fp32(const ajpq_jc_evaluator_t *e) { return e->metric_fp32; }
const char *ajpq_jc_evaluator_metric_name(const ajpq_jc_evaluator_t *e) { return e->metric; }
int64_t ajpq_jc_evaluator_samples(const ajpq_jc_evaluator_t *e) { return e->n; }
const ajpq_jc_actq_t *ajpq_jc_evaluator_actq(const ajpq_jc_evaluator_t *e) { return e->actq; }
const ajpq_jc_wq_stats_t *ajpq_jc_evaluator_wq_stats(const ajpq_jc_evaluator_t *e) {
  return e->wq;
}

static double reward_of(const ajpq_jc_evaluator_t *e, double metric) {
  double r;
  if (!strcmp(e->metric, "kl"))
    r = -metric;
  else if (!strcmp(e->metric, "nmse")) /* qa: fidelity, 0 = the fp32 outputs */
    r = isfinite(metric) ? -metric : -1e3;
  else if (!strcmp(e->metric, "agreement"))
    r = 0.1 * (metric * 100.0 - 100.0);
  else
    r = 0.1 * (metric - e->metric_fp32) * 100.0;
  if (!isfinite(r))
    r = -1e3; /* a collapsed candidate: finite, worst */
  return r;
}

/* Installs strategy s in the executor: masked fake-quantized weights of the layers whose bits
 * or kept inputs changed, then (bias correction, wq) the corrected biases of every layer. */
static ajpq_status_t install_strategy(ajpq_jc_evaluator_t *e, const ajpq_jc_strategy_t *s) {
  const ajpq_channel_graph_t *g = e->g;
  uint8_t *erased = malloc((size_t)(g->n_groups ? g->n_groups : 1));
  if (!erased)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  ajpq_jc_group_erased(g, s, erased);
  ajpq_status_t st = NULL;
  for (int l = 0; l < g->n_layers && !st; l++) {
    /* a layer's masked weights depend only on its bits and its kept inputs */
    const ajpq_cg_layer_t *L = &g->layers[l];
    ajpq_cg_input_kept(g, l, erased, e->in_kept);
    if (e->last_valid[l] && !memcmp(e->last_bits[l], s->bits[l], (size_t)L->desc.cout) &&
        !memcmp(e->last_in[l], e->in_kept, (size_t)L->desc.cin))
      continue;
    e->last_valid[l] = 0;
    /* clip: the evaluator's own statistics, whatever the caller set (hessian clipping) */
    ajpq_jc_config_t cl = *e->cfg;
    cl.wq_stats = e->wq;
    st = ajpq_jc_masked_weights(g, &cl, s, erased, l, e->wbuf);
    if (!st)
      st = ajpq_executor_set_weights(e->ex, e->ex_layer[l], e->wbuf);
    if (!st && ajpq_jc_wq_corrects(e->wq, l)) /* kept for the bias correction below */
      memcpy(e->wq->qw[l], e->wbuf, (size_t)(L->desc.cout * L->k) * sizeof(float));
    if (!st) {
      memcpy(e->last_bits[l], s->bits[l], (size_t)L->desc.cout);
      memcpy(e->last_in[l], e->in_kept, (size_t)L->desc.cin);
      e->last_valid[l] = 1;
    }
  }
  free(erased);
  /* every bias depends on the layer's own weights and on all upstream layers: recomputed for
   * each candidate (docs/search.md "Weight quantization") */
  if (!st && e->cfg->bias_correction && e->wq) {
    e->wq->valid = false;
    st = ajpq_jc_wq_correct(g, e->wq, e->ex, e->ex_layer, e->actq, e->batch, e->inputs,
                            e->in_numel);
    if (!st)
      ajpq_jc_wq_mark(e->wq, s);
  }
  return st;
}

/* Max over every scored logit (the manifest's postprocess outputs) of sample s: the quantity
 * max_sigmoid thresholds, before the sigmoid (monotone). NaNs are skipped (the metric reports
 * them). */
static double max_scored_logit(const ajpq_jc_evaluator_t *e, int64_t s) {
  double m = -INFINITY;
  for (int j = 0; j < e->n_post; j++) {
    int o = e->post_outputs[j];
    const float *x = e->outputs[o] + s * e->out_numel[o];
    for (int64_t i = 0; i < e->out_numel[o]; i++)
      m = x[i] > m ? x[i] : m;
  }
  return m;
}

/* Score shift (wq; docs/search.md "Weight quantization", "Score shift"): after a run of the
 * quantized candidate, δ = mean over the calibration samples of (fp32 − quantized) max scored
 * logit — the empirical bias correction of Nagel et al. (ICCV 2019 §4.2) applied to the
 * quantity the detector's threshold reads, the max over anchors, which commutes with a common
 * shift: max(y + δ) = max(y) + δ. Every scored output is a head layer's output moved by shape
 * ops only (checked at set-up), so δ added to those layers' biases (AJPQ_JC_WQ_SCORE) adds δ
 * to every scored logit: the evaluator adds it to e->outputs (instead of a second run) and
 * installs the shifted biases, which the rewrite takes (ajpq_jc_wq_bias_for). */
static ajpq_status_t apply_score_shift(ajpq_jc_evaluator_t *e) {
  ajpq_jc_wq_stats_t *st = e->wq;
  if (!e->ref_maxlogit || !st || !e->cfg->bias_correction)
    return NULL;
  double d = 0.0;
  for (int64_t s = 0; s < e->n; s++)
    d += e->ref_maxlogit[s] - max_scored_logit(e, s);
  d /= (double)e->n;
  if (!isfinite(d)) /* a collapsed candidate: left as it is, its metric says so */
    d = 0.0;
  const float df = (float)d;
  for (int j = 0; j < e->n_post; j++) {
    int o = e->post_outputs[j];
    bool dup = false; /* an output listed twice is shifted once */
    for (int i = 0; i < j; i++)
      dup = dup || e->post_outputs[i] == o;
    for (int64_t i = 0; !dup && i < e->n * e->out_numel[o]; i++)
      e->outputs[o][i] += df;
  }
  const ajpq_channel_graph_t *g = e->g;
  for (int l = 0; l < g->n_layers; l++) {
    if (!ajpq_jc_wq_corrects(st, l) || st->correct[l] != AJPQ_JC_WQ_SCORE)
      continue;
    for (int64_t c = 0; c < g->layers[l].desc.cout; c++)
      st->bias[l][c] = (g->layers[l].bias ? g->layers[l].bias[c] : 0.0f) + df;
    AJPQ_RETURN_IF_ERROR(ajpq_executor_set_bias(e->ex, e->ex_layer[l], st->bias[l]));
  }
  st->score_shift = df;
  return NULL;
}

/* The shifted biases depend on the candidate's outputs: refreshing runs it (wq). */
static ajpq_status_t wq_refresh(void *owner, const ajpq_jc_strategy_t *s) {
  ajpq_jc_evaluator_t *e = owner;
  ajpq_status_t st = install_strategy(e, s);
  if (!st && e->ref_maxlogit)
    st = run_all(e, NULL, NULL);
  if (!st)
    st = apply_score_shift(e);
  return st;
}

ajpq_status_t ajpq_jc_evaluator_reward(void *user, const ajpq_jc_strategy_t *s, double *reward,
                                       double *metric) {
  ajpq_jc_evaluator_t *e = user;
  ajpq_status_t st = install_strategy(e, s);
  if (!st)
    st = run_all(e, NULL, NULL);
  if (!st)
    st = apply_score_shift(e);
  if (st)
    return st;
  double m;
  st = score_candidate(e, e->metric, &m);
  if (st)
    return st;
  *metric = m;
  double r = reward_of(e, m);
  if (strcmp(e->metric, "kl") && strcmp(e->metric, "nmse")) {
    /* labelled metric or agreement: add the label-free fidelity term −KL(fp32 ‖ candidate)
     * (docs/search.md "Reward"): dense where accuracy (or agreement) on a small calibration
     * set is flat — with agreement alone every candidate that keeps the argmax scored 0, so
     * an outside classifier (PP-OCR cls) gave the agents and the refinement no signal */
    double kl;
    st = score_candidate(e, "kl", &kl);
    if (st)
      return st;
    r -= AJPQ_JC_FIDELITY_WEIGHT * kl;
    if (!isfinite(r))
      r = -1e3;
  }
  *reward = r;
  return NULL;
}

/* The AJPQ_WQ_* bias-correction development aids (docs/search.md "Weight quantization"), read
 * once at evaluator set-up: the evaluator applies them to its ajpq_jc_wq_stats_t, and
 * AJPQ_WQ_DEBUG travels as stats->debug, so nothing reads the environment while candidates are
 * scored. */
typedef struct {
  bool set_passes, set_only, set_own;
  int passes;            /* AJPQ_WQ_PASSES=P: observation passes (sequential correction) */
  int only_lo, only_hi;  /* AJPQ_WQ_ONLY=A[-B]: correct only layers A..B */
  bool own_error;        /* AJPQ_WQ_OWN=1: own-error target */
  long long samples;     /* AJPQ_WQ_SAMPLES=N (> 0 and below the set: the pass subset) */
  int head;              /* AJPQ_WQ_HEAD=0..3: none / fp32 means / observed means / score shift; -1 unset */
  bool first;            /* AJPQ_WQ_FIRST=1: correct the layers reading the model input */
  bool debug;            /* AJPQ_WQ_DEBUG set: per-layer and per-pass diagnostics on stderr */
} wq_dev_knobs_t;

/* Fills *k from the environment and warns (stderr) about every aid that changes results: they
 * are never silent. */
static void wq_dev_knobs_read(wq_dev_knobs_t *k) {
  static const char *const k_wq_env[] = {"AJPQ_WQ_PASSES", "AJPQ_WQ_OWN", "AJPQ_WQ_SAMPLES",
                                         "AJPQ_WQ_ONLY", "AJPQ_WQ_HEAD", "AJPQ_WQ_FIRST"};
  memset(k, 0, sizeof *k);
  for (size_t i = 0; i < sizeof k_wq_env / sizeof k_wq_env[0]; i++)
    if (getenv(k_wq_env[i]))
      fprintf(stderr, "warning: %s=%s: bias-correction development aid set (results differ "
              "from a normal run)\n", k_wq_env[i], getenv(k_wq_env[i]));
  const char *ev;
  if ((ev = getenv("AJPQ_WQ_PASSES"))) {
    k->set_passes = true;
    k->passes = atoi(ev);
  }
  if ((ev = getenv("AJPQ_WQ_ONLY"))) {
    k->set_only = true;
    k->only_lo = k->only_hi = -1;
    if (sscanf(ev, "%d-%d", &k->only_lo, &k->only_hi) < 2)
      k->only_hi = k->only_lo;
  }
  if ((ev = getenv("AJPQ_WQ_OWN"))) {
    k->set_own = true;
    k->own_error = atoi(ev) != 0;
  }
  if ((ev = getenv("AJPQ_WQ_SAMPLES")))
    k->samples = atoll(ev);
  k->head = (ev = getenv("AJPQ_WQ_HEAD")) ? atoi(ev) : -1;
  k->first = (ev = getenv("AJPQ_WQ_FIRST")) && atoi(ev);
  k->debug = getenv("AJPQ_WQ_DEBUG") != NULL;
}

ajpq_status_t ajpq_jc_evaluator_create(MlirOperation func, const ajpq_channel_graph_t *g,
                                       const ajpq_jc_config_t *cfg,
                                       const ajpq_jc_eval_opts_t *o, ajpq_jc_evaluator_t **out) {
  ajpq_jc_evaluator_t *e = calloc(1, sizeof *e);
  if (!e)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  e->g = g;
  e->cfg = cfg;
  e->threshold = 0.5;
  ajpq_status_t st = NULL;
  ajpq_manifest_t *man = NULL;
  ajpq_tensor_t *data = NULL, *labels = NULL, *dataf = NULL;
  char dpath[1024], lpath[1024], mname[64];
  const char *cal = o->calibration;
  size_t cl = strlen(cal);
  bool is_manifest = cl > 5 && !strcmp(cal + cl - 5, ".json");
  ajpq_range_t *ranges = NULL;
  int n_ranges = 0;
  if (is_manifest) {
    st = ajpq_manifest_read(cal, o->repo_root, &man);
    if (st)
      goto fail;
    snprintf(dpath, sizeof dpath, "%s", man->inputs);
    snprintf(lpath, sizeof lpath, "%s", man->labels ? man->labels : "");
    snprintf(mname, sizeof mname, "%s", man->metric ? man->metric : "");
    e->post = man->postprocess;
    e->threshold = man->threshold;
    if (man->num_post_outputs > 0) {
      e->post_outputs = malloc((size_t)man->num_post_outputs * sizeof(int));
      if (e->post_outputs) {
        memcpy(e->post_outputs, man->post_outputs, (size_t)man->num_post_outputs * sizeof(int));
        e->n_post = man->num_post_outputs;
      }
    }
    ranges = man->calibration;
    n_ranges = man->num_calibration;
  } else {
    parse_kv(cal, dpath, lpath, mname, sizeof mname < sizeof dpath ? sizeof dpath : sizeof mname);
    if (!dpath[0]) {
      st = ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "calibration '%s': expected a manifest (.json) or data=FILE.npy[,labels="
                            "FILE.npy][,metric=M]",
                            cal);
      goto fail;
    }
  }
  if (o->metric && o->metric[0])
    snprintf(mname, sizeof mname, "%s", o->metric);
  if (!mname[0])
    snprintf(mname, sizeof mname, "%s", lpath[0] ? "top1" : "agreement");
  if (!metric_known(mname)) {
    st = ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                          "unknown metric '%s' (expected top1, top5, accuracy, auc, agreement, kl "
                          "or nmse)",
                          mname);
    goto fail;
  }
  if (metric_labelled(mname) && !lpath[0]) {
    st = ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                          "metric '%s' needs labels, but calibration '%s' has none (use "
                          "metric=agreement, kl or nmse without labels)",
                          mname, cal);
    goto fail;
  }
  snprintf(e->metric, sizeof e->metric, "%s", mname);
  st = ajpq_npy_read(dpath, &data);
  if (!st)
    st = ajpq_tensor_to_f32(data, &dataf);
  if (!st && lpath[0])
    st = ajpq_npy_read(lpath, &labels);
  if (st)
    goto fail;
  /* plan the executor */
  ajpq_executor_options_t eo;
  ajpq_executor_options_init(&eo);
  int64_t total = dataf->rank > 0 ? dataf->dims[0] : 0;
  /* select samples: calibration split ranges (manifest) or all, capped */
  int64_t nsel = 0;
  int64_t *sel = malloc((size_t)(total > 0 ? total : 1) * sizeof(int64_t));
  if (!sel) {
    st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    goto fail;
  }
  if (n_ranges > 0) {
    for (int r = 0; r < n_ranges; r++) {
      if (ranges[r].end > total) { /* qa: was silently cut to the data (and could overrun sel) */
        free(sel);
        st = ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "%s: 'splits.calibration[%d]' [%lld, %lld) is beyond the %lld "
                              "samples of '%s'",
                              cal, r, (long long)ranges[r].begin, (long long)ranges[r].end,
                              (long long)total, dpath);
        goto fail;
      }
      for (int64_t i = ranges[r].begin; i < ranges[r].end && nsel < total; i++)
        sel[nsel++] = i;
    }
  } else {
    for (int64_t i = 0; i < total; i++)
      sel[nsel++] = i;
  }
  if (o->samples > 0 && o->samples < nsel)
    nsel = o->samples; /* larger than the set: all of it */
  if (nsel < 1) {
    free(sel);
    st = ajpq_status_make(AJPQ_INVALID_ARGUMENT, "calibration data '%s' has no samples", dpath);
    goto fail;
  }
  /* The evaluator runs calibration samples as batches of the per-sample
   * graph, so every input must have leading (batch) dim 1; an import with a
   * larger batch (--input-shape=x:2x...) failed deep in the executor with
   * "batch 16 requested but input 0 has leading dim 2". */
  {
    MlirBlock entry = mlirRegionGetFirstBlock(mlirOperationGetRegion(func, 0));
    MlirAttribute aa = mlirOperationGetAttributeByName(func, mlirStringRefCreateFromCString("arg_attrs"));
    intptr_t na = mlirBlockIsNull(entry) ? 0 : mlirBlockGetNumArguments(entry);
    for (intptr_t i = 0; i < na; i++) {
      MlirType t = mlirValueGetType(mlirBlockGetArgument(entry, i));
      if (!mlirTypeIsARankedTensor(t) || mlirShapedTypeGetRank(t) < 1 ||
          mlirShapedTypeGetDimSize(t, 0) == 1)
        continue;
      MlirStringRef nm = mlirStringRefCreateFromCString("");
      if (!mlirAttributeIsNull(aa) && mlirAttributeIsAArray(aa) && i < mlirArrayAttrGetNumElements(aa)) {
        MlirAttribute d = mlirArrayAttrGetElement(aa, i);
        MlirAttribute n = mlirAttributeIsADictionary(d)
                              ? mlirDictionaryAttrGetElementByName(d, mlirStringRefCreateFromCString("ajpq.name"))
                              : mlirAttributeGetNull();
        if (!mlirAttributeIsNull(n) && mlirAttributeIsAString(n))
          nm = mlirStringAttrGetValue(n);
      }
      char shp[160] = "1";
      for (intptr_t d = 1, r = mlirShapedTypeGetRank(t); d < r && strlen(shp) < 120; d++)
        snprintf(shp + strlen(shp), sizeof shp - strlen(shp), "x%lld",
                 (long long)mlirShapedTypeGetDimSize(t, d));
      free(sel);
      st = ajpq_status_make(AJPQ_UNIMPLEMENTED,
                            "input %d%s%.*s%s has leading (batch) dim %lld, but calibration stacks "
                            "samples along the leading dim and needs batch 1: re-import the model "
                            "with --input-shape=%.*s:%s",
                            (int)i, nm.length ? " '" : "", (int)nm.length, nm.data,
                            nm.length ? "'" : "", (long long)mlirShapedTypeGetDimSize(t, 0),
                            nm.length ? (int)nm.length : 4, nm.length ? nm.data : "NAME", shp);
      goto fail;
    }
  }
  e->n = nsel;
  e->batch = nsel < 32 ? nsel : 32;
  eo.batch = e->batch;
  /* `threads` executor threads: the executor gives the same bits for any thread count (its
   * GEMM row split depends on the shape only, executor/kernels.c ajpq_k_fc; PP-OCR cls's
   * threads=1/2 divergence, docs/search.md "Outside models" bug 4, came from the old
   * thread-count split; test/executor/threads-deterministic.test). */
  eo.threads = o->threads;
  st = ajpq_executor_create(func, &eo, &e->ex);
  if (st) {
    free(sel);
    goto fail;
  }
  if (ajpq_executor_num_inputs(e->ex) != 1) {
    free(sel);
    st = ajpq_status_make(AJPQ_UNIMPLEMENTED, "the search supports models with one input (got %d)",
                          ajpq_executor_num_inputs(e->ex));
    goto fail;
  }
  const ajpq_executor_tensor_info_t *ii = ajpq_executor_input_info(e->ex, 0);
  e->in_numel = ii->numel / e->batch;
  int64_t per = 1;
  for (int d = 1; d < dataf->rank; d++)
    per *= dataf->dims[d];
  bool shape_ok = dataf->rank == ii->rank && per == e->in_numel;
  for (int d = 1; shape_ok && d < dataf->rank; d++)
    shape_ok = dataf->dims[d] == ii->dims[d];
  if (!shape_ok) {
    char want[128] = "", got[128] = "";
    for (int d = 1; d < ii->rank; d++)
      snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", d > 1 ? "x" : "",
               (long long)ii->dims[d]);
    for (int d = 1; d < dataf->rank; d++)
      snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d > 1 ? "x" : "",
               (long long)dataf->dims[d]);
    free(sel);
    st = ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                          "calibration data '%s' has samples of shape %s, the model input '%s' "
                          "wants %s",
                          dpath, got[0] ? got : "(scalar)", ii->name, want);
    goto fail;
  }
  e->inputs = malloc((size_t)(e->n * e->in_numel) * sizeof(float));
  if (labels) {
    st = ajpq_labels_check(labels, labels->rank > 0 ? labels->dims[0] : -1, 0, lpath);
    if (!st && labels->dims[0] != total)
      st = ajpq_status_make(AJPQ_INVALID_ARGUMENT, "labels '%s' has %lld entries, data '%s' %lld",
                            lpath, (long long)labels->dims[0], dpath, (long long)total);
    if (st) {
      free(sel);
      goto fail;
    }
    e->labels = malloc((size_t)e->n * sizeof(int64_t));
  }
  if (!e->inputs || (labels && !e->labels)) {
    free(sel);
    st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory for the calibration set");
    goto fail;
  }
  for (int64_t i = 0; i < e->n; i++) {
    memcpy(e->inputs + i * e->in_numel, (const float *)dataf->data + sel[i] * e->in_numel,
           (size_t)e->in_numel * sizeof(float));
    if (labels)
      e->labels[i] = ajpq_label_at(labels, sel[i]);
  }
  free(sel);
  /* outputs */
  e->n_out = ajpq_executor_num_outputs(e->ex);
  e->out_numel = calloc((size_t)e->n_out, sizeof(int64_t));
  e->outputs = calloc((size_t)e->n_out, sizeof(float *));
  e->batch_out = calloc((size_t)e->n_out, sizeof(float *));
  if (!e->out_numel || !e->outputs || !e->batch_out) {
    st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    goto fail;
  }
  for (int i = 0; i < e->n_out; i++) {
    const ajpq_executor_tensor_info_t *oi = ajpq_executor_output_info(e->ex, i);
    e->out_numel[i] = oi->batched ? oi->numel / e->batch : oi->numel;
    e->outputs[i] = malloc((size_t)(e->n * e->out_numel[i]) * sizeof(float));
    e->batch_out[i] = malloc((size_t)oi->numel * sizeof(float));
    if (!e->outputs[i] || !e->batch_out[i]) {
      st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      goto fail;
    }
  }
  if (e->post == AJPQ_POSTPROCESS_NONE) {
    const ajpq_executor_tensor_info_t *oi = ajpq_executor_output_info(e->ex, 0);
    e->post = (oi->rank == 2 && e->n_out == 1) ? AJPQ_POSTPROCESS_LOGITS
                                               : AJPQ_POSTPROCESS_MAX_SIGMOID;
  }
  if (!e->n_post) {
    e->post_outputs = malloc(sizeof(int) * (size_t)e->n_out);
    if (!e->post_outputs) {
      st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      goto fail;
    }
    e->n_post = e->post == AJPQ_POSTPROCESS_MAX_SIGMOID ? e->n_out : 1;
    for (int i = 0; i < e->n_post; i++)
      e->post_outputs[i] = i;
  }
  for (int i = 0; i < e->n_post; i++)
    if (e->post_outputs[i] < 0 || e->post_outputs[i] >= e->n_out) {
      st = ajpq_status_make(AJPQ_INVALID_ARGUMENT, "postprocess output %d out of range (%d outputs)",
                            e->post_outputs[i], e->n_out);
      goto fail;
    }
  bool detector = e->post == AJPQ_POSTPROCESS_MAX_SIGMOID;
  bool needs_det = !strcmp(mname, "accuracy") || !strcmp(mname, "auc");
  bool needs_cls = !strcmp(mname, "top1") || !strcmp(mname, "top5");
  if ((detector && needs_cls) || (!detector && needs_det)) {
    st = ajpq_status_make(AJPQ_INVALID_ARGUMENT, "metric '%s' does not fit the model's %s outputs",
                          mname, detector ? "detector (max_sigmoid)" : "class-score");
    goto fail;
  }
  if (!detector && strcmp(mname, "nmse")) {
    /* qa: a class-score metric reads one [classes] row per sample (as ajpq-runner checks): a
     * sequence or dense output ([1, T, C], a score map) would be one argmax over every
     * position, and a single value per sample makes argmax/softmax constant (agreement 1,
     * KL 0 for every candidate: a blind search) */
    const ajpq_executor_tensor_info_t *oi = ajpq_executor_output_info(e->ex, e->post_outputs[0]);
    int big = 0;
    for (int d = 1; d < oi->rank; d++)
      big += oi->dims[d] > 1;
    if (big > 1 || e->out_numel[e->post_outputs[0]] < 2) {
      st = ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "metric '%s' needs output %d as [batch, classes] with >= 2 classes, "
                            "but it has %lld values per sample in %d non-unit dims (use "
                            "metric=nmse, the fidelity of every output value)",
                            mname, e->post_outputs[0], (long long)e->out_numel[e->post_outputs[0]],
                            big);
      goto fail;
    }
  }
  if (needs_cls && e->labels) { /* qa: as ajpq-runner; a label past the classes never matches */
    int64_t classes = e->out_numel[e->post_outputs[0]];
    for (int64_t i = 0; i < e->n; i++)
      if (e->labels[i] < 0 || e->labels[i] >= classes) {
        st = ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                              "labels '%s': label %lld of calibration sample %lld is not in [0, "
                              "%lld) (the model's output %d has %lld classes)",
                              lpath, (long long)e->labels[i], (long long)i, (long long)classes,
                              e->post_outputs[0], (long long)classes);
        goto fail;
      }
  }
  /* layers: graph -> executor */
  e->ex_layer = malloc((size_t)(g->n_layers ? g->n_layers : 1) * sizeof(int));
  int64_t wmax = 1;
  for (int l = 0; l < g->n_layers; l++)
    if (g->layers[l].desc.cout * g->layers[l].k > wmax)
      wmax = g->layers[l].desc.cout * g->layers[l].k;
  e->wbuf = malloc((size_t)wmax * sizeof(float));
  e->actq = calloc((size_t)(g->n_layers ? g->n_layers : 1), sizeof(ajpq_jc_actq_t));
  e->last_bits = calloc((size_t)(g->n_layers ? g->n_layers : 1), sizeof(uint8_t *));
  e->last_in = calloc((size_t)(g->n_layers ? g->n_layers : 1), sizeof(uint8_t *));
  e->last_valid = calloc((size_t)(g->n_layers ? g->n_layers : 1), 1);
  int64_t cinmax = 1;
  for (int l = 0; l < g->n_layers; l++)
    if (g->layers[l].desc.cin > cinmax)
      cinmax = g->layers[l].desc.cin;
  e->in_kept = malloc((size_t)cinmax);
  for (int l = 0; e->last_bits && e->last_in && l < g->n_layers; l++) {
    e->last_bits[l] = malloc((size_t)g->layers[l].desc.cout);
    e->last_in[l] = malloc((size_t)(g->layers[l].desc.cin ? g->layers[l].desc.cin : 1));
    if (!e->last_bits[l] || !e->last_in[l]) {
      free(e->in_kept);
      e->in_kept = NULL; /* reported below */
      break;
    }
  }
  if (!e->ex_layer || !e->wbuf || !e->actq || !e->last_bits || !e->last_in || !e->last_valid ||
      !e->in_kept) {
    st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    goto fail;
  }
  for (int l = 0; l < g->n_layers; l++) {
    e->ex_layer[l] = -1;
    for (int j = 0; j < ajpq_executor_num_layers(e->ex); j++)
      if (mlirOperationEqual(ajpq_executor_layer(e->ex, j)->op, g->layers[l].op))
        e->ex_layer[l] = j;
    if (e->ex_layer[l] < 0) {
      st = ajpq_status_make(AJPQ_INTERNAL, "layer '%s' is not a layer of the executor",
                            g->layers[l].name);
      goto fail;
    }
  }
  /* fp32 reference run + activation ranges */
  int nl = ajpq_executor_num_layers(e->ex);
  float *mins = malloc((size_t)nl * sizeof(float)), *maxs = malloc((size_t)nl * sizeof(float));
  if (!mins || !maxs) {
    free(mins);
    free(maxs);
    st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    goto fail;
  }
  for (int j = 0; j < nl; j++) {
    mins[j] = INFINITY;
    maxs[j] = -INFINITY;
  }
  st = run_all(e, mins, maxs);
  /* fp32 layer-input means (weight quantization), and E[x²] for weight-clipping=hessian */
  if (!st && (cfg->bias_correction || cfg->weight_clip == AJPQ_WCLIP_HESSIAN)) {
    int64_t cmax = 1;
    for (int l = 0; l < g->n_layers; l++)
      if (g->layers[l].desc.cout > cmax)
        cmax = g->layers[l].desc.cout;
    e->bbuf = malloc((size_t)cmax * sizeof(float));
    st = e->bbuf ? ajpq_jc_wq_stats_collect(g, e->ex, e->ex_layer, e->n, e->batch, e->inputs,
                                            e->in_numel, &e->wq)
                 : ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  }
  if (!st) {
    double ref = 0;
    st = score_metric(e, e->metric, true, &ref);
    e->metric_fp32 = ref;
    if (!st && metric_labelled(mname))
      st = score_metric(e, e->metric, false, &e->metric_fp32);
    if (st)
      st = ajpq_status_annotate(st, "metric '%s' of the fp32 model", mname);
    if (!strcmp(mname, "agreement"))
      e->metric_fp32 = 1.0;
    if (!strcmp(mname, "kl") || !strcmp(mname, "nmse"))
      e->metric_fp32 = 0.0;
  }
  /* second pass (mse / percentile): histograms of every layer input over its observed range */
  uint64_t *hist = NULL;
  if (!st && cfg->act_bits < 32 && cfg->act_calib != AJPQ_JC_ACT_CALIB_MINMAX) {
    hist = calloc((size_t)nl * AJPQ_JC_ACT_HIST_BINS, sizeof(uint64_t));
    float *hlo = malloc((size_t)nl * sizeof(float)), *hhi = malloc((size_t)nl * sizeof(float));
    if (!hist || !hlo || !hhi)
      st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory for activation histograms");
    for (int j = 0; j < nl && !st; j++) {
      hlo[j] = isfinite(mins[j]) ? mins[j] : 0;
      hhi[j] = isfinite(maxs[j]) ? maxs[j] : 0;
    }
    for (int64_t s0 = 0; s0 < e->n && !st; s0 += e->batch) {
      int64_t nb = e->n - s0 < e->batch ? e->n - s0 : e->batch;
      const float *const ins[1] = {e->inputs + s0 * e->in_numel};
      st = ajpq_executor_calibrate_hist(e->ex, nb, ins, hlo, hhi, AJPQ_JC_ACT_HIST_BINS, hist);
    }
    free(hlo);
    free(hhi);
  }
  bool only_warned = false;
  for (int l = 0; l < g->n_layers && !st; l++) {
    if (!ajpq_jc_act_quantized(cfg, l))
      continue;
    int j = e->ex_layer[l];
    ajpq_act_qparams_t q;
    float lo = isfinite(mins[j]) ? mins[j] : 0, hi = isfinite(maxs[j]) ? maxs[j] : 0;
    if (hist) {
      st = ajpq_jc_act_range_choose((ajpq_jc_act_calib_t)cfg->act_calib,
                                    hist + (size_t)j * AJPQ_JC_ACT_HIST_BINS,
                                    AJPQ_JC_ACT_HIST_BINS, lo, hi, cfg->act_bits, &lo, &hi);
      if (st)
        break;
    }
    st = ajpq_act_qparams_from_range(lo, hi, cfg->act_bits, false, &q);
    if (st)
      break;
    /* development aids (docs/search.md "Activation calibration"): AJPQ_ACTQ_DEBUG=1 prints
     * each layer input's observed and chosen range, AJPQ_ACTQ_ONLY=A[-B] quantizes only the
     * inputs of layers A..B (graph order) to find the tensors that break a model */
    if (getenv("AJPQ_ACTQ_DEBUG"))
      fprintf(stderr, "actq layer %d %s: observed [%g, %g] chosen [%g, %g] scale %g zero point %d\n",
              l, g->layers[l].name, (double)mins[j], (double)maxs[j], (double)lo, (double)hi,
              (double)q.scale, q.zero_point);
    if (getenv("AJPQ_ACTQ_ONLY")) {
      int a = -1, b = -1;
      if (sscanf(getenv("AJPQ_ACTQ_ONLY"), "%d-%d", &a, &b) < 2)
        b = a;
      if (!only_warned) /* a debugging aid that changes results: never silent */
        only_warned = true, fprintf(stderr, "warning: AJPQ_ACTQ_ONLY=%s: only the inputs of layers %d..%d are "
                        "quantized (debugging aid, results differ from a normal run)\n",
                getenv("AJPQ_ACTQ_ONLY"), a, b);
      if (l < a || l > b)
        continue;
    }
    e->actq[l].enabled = true;
    e->actq[l].scale = q.scale;
    e->actq[l].zero_point = q.zero_point;
    e->actq[l].bits = q.bits;
    ajpq_executor_act_quant_t aq = {q.scale, q.zero_point, q.bits};
    st = ajpq_executor_set_input_quant(e->ex, j, &aq);
  }
  if (!st && getenv("AJPQ_ACTQ_DEBUG") && atoi(getenv("AJPQ_ACTQ_DEBUG")) >= 2)
    st = debug_compare(e);
  free(hist);
  free(mins);
  free(maxs);
  if (!st && e->wq) { /* bias correction (wq): which layers, and how to refresh */
    e->wq->refresh = wq_refresh;
    e->wq->owner = e;
    if (e->wq->samples > e->n)
      e->wq->samples = e->n;
    wq_dev_knobs_t knobs; /* development aids, read once (wq_dev_knobs_read) */
    wq_dev_knobs_read(&knobs);
    if (knobs.set_passes)
      e->wq->passes = knobs.passes;
    if (knobs.set_only)
      for (int l = 0; l < g->n_layers; l++)
        if (l < knobs.only_lo || l > knobs.only_hi)
          e->wq->correct[l] = 0;
    if (knobs.set_own)
      e->wq->own_error = knobs.own_error;
    if (knobs.samples > 0 && knobs.samples < e->n)
      e->wq->samples = knobs.samples;
    e->wq->debug = knobs.debug;
    if (knobs.head != 1) {
      uint8_t *head = calloc((size_t)(g->n_layers ? g->n_layers : 1), 1);
      int n_head = 0;
      st = head && mark_head_layers(g, head, &n_head)
               ? NULL
               : ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      /* the head: corrected to its fp32 output mean with the input means the quantized
       * network actually feeds it (docs/search.md "Weight quantization", score shift) */
      uint8_t mode = knobs.head == 2 ? AJPQ_JC_WQ_OBSERVED : 0;
      for (int l = 0; !st && l < g->n_layers; l++)
        if (head[l] && e->wq->correct[l])
          e->wq->correct[l] = mode;
      free(head);
    }
    if (!st && !knobs.first) {
      uint8_t *first = calloc((size_t)(g->n_layers ? g->n_layers : 1), 1);
      st = first ? wq_first_layers(g, first)
                 : ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      for (int l = 0; !st && l < g->n_layers; l++)
        if (first[l])
          e->wq->correct[l] = 0;
      free(first);
    }
    /* score shift: a max_sigmoid detector whose scored outputs are head layers' outputs moved
     * by shape ops only (apply_score_shift); otherwise (classifiers, other graphs) nothing */
    if (!st && knobs.head == 3 && e->post == AJPQ_POSTPROCESS_MAX_SIGMOID && e->n_post > 0) {
      uint8_t *head = calloc((size_t)(g->n_layers ? g->n_layers : 1), 1);
      uint8_t *mark = calloc((size_t)(g->n_layers ? g->n_layers : 1), 1);
      int n_head = 0;
      st = head && mark && mark_head_layers(g, head, &n_head)
               ? NULL
               : ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      MlirOperation ret = mlirBlockGetTerminator(
          mlirRegionGetFirstBlock(mlirOperationGetRegion(func, 0)));
      bool ok = !st && !mlirOperationIsNull(ret);
      for (int j = 0; ok && j < e->n_post; j++)
        ok = e->post_outputs[j] < mlirOperationGetNumOperands(ret) &&
             shifted_by_heads(g, e->wq, head,
                              mlirOperationGetOperand(ret, e->post_outputs[j]), mark, 0);
      if (ok) {
        e->ref_maxlogit = malloc((size_t)e->n * sizeof(double));
        if (!e->ref_maxlogit)
          st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
        /* e->outputs still holds the fp32 run (no run since; debug_compare restores it) */
        for (int64_t s = 0; !st && s < e->n; s++)
          e->ref_maxlogit[s] = max_scored_logit(e, s);
        for (int l = 0; !st && l < g->n_layers; l++)
          if (mark[l])
            e->wq->correct[l] = AJPQ_JC_WQ_SCORE;
      }
      free(head);
      free(mark);
    }
    if (knobs.debug)
      for (int l = 0; l < g->n_layers; l++)
        fprintf(stderr, "wq layer %d %s: %s\n", l, g->layers[l].name,
                e->wq->correct[l] == AJPQ_JC_WQ_SCORE      ? "score shift"
                : e->wq->correct[l] == AJPQ_JC_WQ_OBSERVED ? "corrected (observed input means)"
                : e->wq->correct[l]                      ? "corrected"
                                                         : "not corrected");
  }
  if (st)
    goto fail;
  ajpq_manifest_free(man);
  ajpq_tensor_free(data);
  ajpq_tensor_free(dataf);
  ajpq_tensor_free(labels);
  *out = e;
  return NULL;
fail:
  ajpq_manifest_free(man);
  ajpq_tensor_free(data);
  ajpq_tensor_free(dataf);
  ajpq_tensor_free(labels);
  ajpq_jc_evaluator_destroy(e);
  return ajpq_status_annotate(st, "calibration");
}
