/* wq_bias_test.c — checks the weight-quantization options of --joint-compress
 * (docs/search.md "Weight quantization"):
 *
 *   ajpq-jc-wq-test bias MODEL.mlir DATA.npy BITS [MAX_SAMPLES]
 *     For every conv / depthwise layer: the corrected bias of
 *     ajpq_jc_corrected_bias (statistics from ajpq_jc_wq_stats_collect) minus
 *     the original bias must equal a brute-force reference: the layer's input
 *     captured per sample (executor observer), explicit im2col with zero
 *     padding, E over samples and output positions of (W − Q(W))·patch, with
 *     Q = per-channel symmetric BITS-bit MSE-clipped quantization. Prints the
 *     largest relative difference; exit 1 above 1e-4.
 *
 *   ajpq-jc-wq-test masked ORIG.mlir COMPRESSED.mlir STRATEGY.json CALIB DATA.npy
 *                   WEIGHT_CLIPPING BIAS_CORRECTION [MAX_SAMPLES]
 *     Masked ≡ erased with the weight options on: runs ORIG with the
 *     strategy's masked fake-quantized weights (the given clipping), the
 *     corrected biases (ajpq_jc_wq_bias_for of an evaluator on the calibration
 *     set CALIB, as the pass does) and the compressed module's
 *     input quantization; compares with COMPRESSED on DATA. Exit 1 if the
 *     relative difference exceeds 1e-5.
 */
#include "ajpq_dialect.h"
#include "ajpq_executor.h"
#include "ajpq_io.h"
#include "ajpq_joint_compress.h"
#include "jc_test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int die(ajpq_status_t st, const char *what) {
  fprintf(stderr, "ajpq-jc-wq-test: %s: %s\n", what, ajpq_status_message(st));
  ajpq_status_free(st);
  return 1;
}

/* ---- bias: captured layer inputs -------------------------------------------------------- */

typedef struct {
  int layer;     /* executor layer to capture */
  float *buf;    /* [n][numel] */
  int64_t numel; /* per sample */
  int64_t got;   /* samples captured */
} capture_t;

static void cap(void *user, int layer, const float *x, int64_t n) {
  capture_t *c = user;
  if (layer != c->layer)
    return;
  memcpy(c->buf + c->got * c->numel, x, (size_t)(n * c->numel) * sizeof(float));
  c->got += n;
}

static int run_bias(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: ajpq-jc-wq-test bias MODEL.mlir DATA.npy BITS [MAX_SAMPLES]\n");
    return 1;
  }
  int bits = atoi(argv[4]);
  MlirContext ctx = ajpq_executor_context_create();
  MlirModule mod;
  ajpq_status_t st = ajpq_executor_parse_file(ctx, argv[2], &mod);
  if (st)
    return die(st, "model");
  MlirOperation func;
  ajpq_channel_graph_t *g = jc_test_graph(mod, &func);
  if (!g)
    return 1;
  ajpq_tensor_t *d, *df;
  st = jc_test_read_f32(argv[3], &d, &df);
  if (st)
    return die(st, "data");
  int64_t n = jc_test_sample_limit(df->dims[0], argc, argv, 5);
  int64_t in_numel = jc_test_sample_numel(df);
  ajpq_executor_options_t eo;
  ajpq_executor_options_init(&eo);
  eo.batch = n < 16 ? n : 16; /* several batches, a partial last one */
  ajpq_executor_t *ex = NULL;
  st = ajpq_executor_create(func, &eo, &ex);
  if (st)
    return die(st, "plan");
  int *ex_layer = malloc((size_t)g->n_layers * sizeof(int));
  for (int l = 0; l < g->n_layers; l++)
    ex_layer[l] = jc_test_exec_layer(ex, g->layers[l].op);
  ajpq_jc_wq_stats_t *stats = NULL;
  st = ajpq_jc_wq_stats_collect(g, ex, ex_layer, n, eo.batch, (const float *)df->data, in_numel,
                                &stats);
  if (st)
    return die(st, "collect");
  double worst = 0;
  int checked = 0;
  for (int l = 0; l < g->n_layers; l++) {
    const ajpq_cg_layer_t *GL = &g->layers[l];
    const ajpq_executor_layer_t *L = ajpq_executor_layer(ex, ex_layer[l]);
    if (L->kind == AJPQ_LAYER_MATMUL) {
      if (ajpq_jc_wq_has_layer(stats, l)) {
        printf("FAIL: matmul layer %s has statistics\n", GL->name);
        return 1;
      }
      continue;
    }
    const int64_t H = L->in_dims[0], W = L->in_dims[1], C = L->in_dims[2];
    const int64_t OH = L->out_dims[0], OW = L->out_dims[1];
    const int64_t O = GL->desc.cout, K = GL->k, G = L->groups, cin_g = C / G, cout_g = O / G;
    capture_t c = {ex_layer[l], malloc((size_t)(n * H * W * C) * sizeof(float)), H * W * C, 0};
    for (int64_t s0 = 0; s0 < n; s0 += eo.batch) {
      int64_t nb = n - s0 < eo.batch ? n - s0 : eo.batch;
      const float *const ins[1] = {(const float *)df->data + s0 * in_numel};
      st = ajpq_executor_observe(ex, nb, ins, cap, &c);
      if (st)
        return die(st, "capture");
    }
    /* quantized weights Q(W) (MSE clipping, symmetric) */
    float *wq = malloc((size_t)(O * K) * sizeof(float));
    uint8_t *codes = malloc((size_t)K);
    for (int64_t o = 0; o < O; o++) {
      float s, z;
      st = ajpq_quant_channel_clip(GL->weights + o * K, K, bits, AJPQ_QSCHEME_SYMMETRIC,
                                   AJPQ_WCLIP_MSE, codes, &s, &z);
      if (st)
        return die(st, "quantize");
      ajpq_dequant_channel(codes, K, s, z, wq + o * K);
    }
    float *bias = malloc((size_t)O * sizeof(float));
    st = ajpq_jc_corrected_bias(g, stats, l, wq, bias);
    if (st)
      return die(st, "corrected bias");
    /* brute force: explicit im2col of every sample and output position */
    double *ref = calloc((size_t)O, sizeof(double));
    float *patch = malloc((size_t)K * sizeof(float));
    for (int64_t s = 0; s < n; s++)
      for (int64_t oh = 0; oh < OH; oh++)
        for (int64_t ow = 0; ow < OW; ow++)
          for (int64_t o = 0; o < O; o++) {
            int64_t gi = o / cout_g;
            for (int64_t kh = 0; kh < L->kh; kh++)
              for (int64_t kw = 0; kw < L->kw; kw++)
                for (int64_t ci = 0; ci < cin_g; ci++) {
                  int64_t iy = oh * L->stride[0] + kh * L->dilation[0] - L->pad[0];
                  int64_t ix = ow * L->stride[1] + kw * L->dilation[1] - L->pad[2];
                  bool in = iy >= 0 && iy < H && ix >= 0 && ix < W;
                  patch[(kh * L->kw + kw) * cin_g + ci] =
                      in ? c.buf[s * H * W * C + (iy * W + ix) * C + gi * cin_g + ci] : 0.0f;
                }
            double y = 0;
            for (int64_t k = 0; k < K; k++)
              y += ((double)GL->weights[o * K + k] - (double)wq[o * K + k]) * patch[k];
            ref[o] += y;
          }
    double scale = 1e-6;
    for (int64_t o = 0; o < O; o++) {
      ref[o] /= (double)(n * OH * OW);
      scale = fmax(scale, fabs(ref[o]));
    }
    double lw = 0;
    for (int64_t o = 0; o < O; o++) {
      double got = (double)bias[o] - (GL->bias ? (double)GL->bias[o] : 0.0);
      double diff = fabs(got - ref[o]) / scale;
      if (diff > lw)
        lw = diff;
    }
    printf("layer %s: max |E[Wx]-E[Q(W)x]| %.4g, max rel diff %.2e\n", GL->name, scale, lw);
    if (lw > worst)
      worst = lw;
    checked++;
    free(ref);
    free(patch);
    free(bias);
    free(wq);
    free(codes);
    free(c.buf);
  }
  printf("conv layers checked: %d, samples %lld\n", checked, (long long)n);
  ajpq_jc_wq_stats_free(stats);
  ajpq_executor_destroy(ex);
  free(ex_layer);
  ajpq_tensor_free(d);
  ajpq_tensor_free(df);
  ajpq_cg_destroy(g);
  mlirModuleDestroy(mod);
  mlirContextDestroy(ctx);
  if (worst > 1e-4 || checked == 0) {
    printf("FAIL: bias correction differs from the im2col reference (%.2e)\n", worst);
    return 1;
  }
  printf("bias correction = im2col reference (rel <= 1e-4)\n");
  return 0;
}

/* ---- masked ≡ erased with the weight options ------------------------------------------- */

static int run_masked(int argc, char **argv) {
  if (argc < 9) {
    fprintf(stderr, "usage: ajpq-jc-wq-test masked ORIG.mlir COMPRESSED.mlir STRATEGY.json CALIB "
                    "DATA.npy mse|minmax|auto|hessian true|false [MAX_SAMPLES]\n");
    return 1;
  }
  MlirContext ctx = ajpq_executor_context_create();
  MlirModule orig, comp;
  ajpq_status_t st = ajpq_executor_parse_file(ctx, argv[2], &orig);
  if (st)
    return die(st, "original");
  st = ajpq_executor_parse_file(ctx, argv[3], &comp);
  if (st)
    return die(st, "compressed");
  MlirOperation func;
  ajpq_channel_graph_t *g = jc_test_graph(orig, &func);
  if (!g)
    return 1;
  ajpq_jc_config_t cfg;
  jc_test_config(&cfg, 32); /* act-bits 32: the evaluator below only supplies the statistics */
  cfg.weight_clip = !strcmp(argv[7], "minmax")    ? AJPQ_WCLIP_MINMAX
                    : !strcmp(argv[7], "auto")    ? AJPQ_WCLIP_AUTO
                    : !strcmp(argv[7], "hessian") ? AJPQ_WCLIP_HESSIAN
                                                  : AJPQ_WCLIP_MSE;
  cfg.bias_correction = !strcmp(argv[8], "true");
  ajpq_jc_strategy_t *s = ajpq_jc_strategy_create(g);
  st = ajpq_jc_strategy_read(argv[4], g, s);
  if (st)
    return die(st, "strategy");
  ajpq_jc_evaluator_t *ev = NULL;
  if (cfg.bias_correction || cfg.weight_clip == AJPQ_WCLIP_HESSIAN) { /* hessian: E[x²] */
    ajpq_jc_eval_opts_t eo = {.calibration = argv[5], .metric = "", .samples = 0, .threads = 1};
    st = ajpq_jc_evaluator_create(func, g, &cfg, &eo, &ev);
    if (st)
      return die(st, "evaluator");
  }
  const ajpq_jc_wq_stats_t *stats = ev ? ajpq_jc_evaluator_wq_stats(ev) : NULL;
  cfg.wq_stats = stats; /* weight-clipping=hessian reads E[x²] through cfg, as the rewrite */
  ajpq_tensor_t *d, *df;
  st = jc_test_read_f32(argv[6], &d, &df);
  if (st)
    return die(st, "data");
  int64_t n = jc_test_sample_limit(df->dims[0], argc, argv, 9);
  ajpq_executor_options_t eo;
  ajpq_executor_options_init(&eo);
  eo.batch = n;
  ajpq_executor_t *ea = NULL, *eb = NULL;
  st = ajpq_executor_create(func, &eo, &ea);
  if (!st)
    st = ajpq_executor_create_from_module(comp, NULL, &eo, &eb);
  if (st)
    return die(st, "plan");
  uint8_t *ge = malloc((size_t)g->n_groups + 1);
  ajpq_jc_group_erased(g, s, ge);
  MlirOperation cfunc = ajpq_cg_entry_func(mlirModuleGetOperation(comp));
  MlirOperation cop =
      mlirBlockGetFirstOperation(mlirRegionGetFirstBlock(mlirOperationGetRegion(cfunc, 0)));
  int corrected = 0;
  for (int l = 0; l < g->n_layers; l++) {
    const ajpq_cg_layer_t *L = &g->layers[l];
    float *w = malloc((size_t)(L->desc.cout * L->k) * sizeof(float));
    float *b = malloc((size_t)L->desc.cout * sizeof(float));
    st = ajpq_jc_masked_weights(g, &cfg, s, ge, l, w);
    if (st)
      return die(st, "masked weights");
    int ex = jc_test_exec_layer(ea, L->op);
    st = ajpq_executor_set_weights(ea, ex, w);
    if (!st && cfg.bias_correction && ajpq_jc_wq_corrects(stats, l)) {
      st = ajpq_jc_wq_bias_for(stats, s, l, b); /* the evaluator's biases for s */
      if (!st)
        st = ajpq_executor_set_bias(ea, ex, b);
      corrected++;
    }
    free(w);
    free(b);
    if (st)
      return die(st, "set weights/bias");
    while (!mlirOperationIsNull(cop) && ajpq_op_kind(cop) != AJPQ_OP_CONV2D &&
           ajpq_op_kind(cop) != AJPQ_OP_MATMUL)
      cop = mlirOperationGetNextInBlock(cop);
    if (mlirOperationIsNull(cop)) {
      fprintf(stderr, "ajpq-jc-wq-test: compressed module has fewer ajpq layers\n");
      return 1;
    }
    ajpq_compute_attrs_t a;
    if (!ajpq_compute_read(cop, &a))
      return 1;
    if (a.has_input_qparams) {
      ajpq_executor_act_quant_t q = {a.input_scale, a.input_zero_point, 8};
      st = ajpq_executor_set_input_quant(ea, ex, &q);
      if (st)
        return die(st, "input quant");
    }
    ajpq_compute_attrs_release(&a);
    cop = mlirOperationGetNextInBlock(cop);
  }
  int no = ajpq_executor_num_outputs(ea);
  float **oa = calloc((size_t)no, sizeof(float *)), **ob = calloc((size_t)no, sizeof(float *));
  for (int o = 0; o < no; o++) {
    int64_t m = ajpq_executor_output_info(ea, o)->numel;
    if (ajpq_executor_output_info(eb, o)->numel != m) {
      fprintf(stderr, "output %d: sizes differ\n", o);
      return 1;
    }
    oa[o] = malloc((size_t)m * sizeof(float));
    ob[o] = malloc((size_t)m * sizeof(float));
  }
  const float *ins[1] = {(const float *)df->data};
  st = ajpq_executor_run(ea, n, ins, oa);
  if (!st)
    st = ajpq_executor_run(eb, n, ins, ob);
  if (st)
    return die(st, "run");
  double maxabs = 0, maxref = 0;
  for (int o = 0; o < no; o++)
    for (int64_t i = 0; i < ajpq_executor_output_info(ea, o)->numel; i++) {
      maxabs = fmax(maxabs, fabs((double)oa[o][i] - (double)ob[o][i]));
      maxref = fmax(maxref, fabs((double)oa[o][i]));
    }
  double rel = maxabs / fmax(maxref, 1.0);
  printf("layers with corrected bias: %d\n", corrected);
  printf("samples %lld, max |masked - erased| = %.3g (relative %.3g)\n", (long long)n, maxabs, rel);
  int rc = 0;
  if (rel > 1e-5) {
    printf("FAIL: masked and erased differ\n");
    rc = 1;
  } else {
    printf("max |masked - erased| <= 1e-5 (relative)\n");
  }
  /* released so the sanitizer build's leak check stays meaningful */
  for (int o = 0; o < no; o++)
    free(oa[o]), free(ob[o]);
  free(oa);
  free(ob);
  free(ge);
  ajpq_executor_destroy(ea);
  ajpq_executor_destroy(eb);
  ajpq_tensor_free(d);
  ajpq_tensor_free(df);
  if (ev)
    ajpq_jc_evaluator_destroy(ev);
  ajpq_jc_strategy_destroy(s);
  ajpq_cg_destroy(g);
  mlirModuleDestroy(orig);
  mlirModuleDestroy(comp);
  mlirContextDestroy(ctx);
  return rc;
}

/* ---- seq: the evaluator's corrected biases vs a layer-by-layer brute-force reference ---- */

/* E over samples and output positions of (row · im2col patch) for every output channel of
 * graph layer l, from its captured input c (explicit zero padding). out[o] += …/(n·OH·OW). */
static void patch_means(const ajpq_cg_layer_t *GL, const ajpq_executor_layer_t *L,
                        const capture_t *c, int64_t n, const float *w, double *out) {
  const int64_t H = L->in_dims[0], W = L->in_dims[1], C = L->in_dims[2];
  const int64_t OH = L->out_dims[0], OW = L->out_dims[1];
  const int64_t O = GL->desc.cout, K = GL->k, G = L->groups, cin_g = C / G, cout_g = O / G;
  for (int64_t o = 0; o < O; o++) {
    double acc = 0;
    int64_t gi = o / cout_g;
    for (int64_t s = 0; s < n; s++)
      for (int64_t oh = 0; oh < OH; oh++)
        for (int64_t ow = 0; ow < OW; ow++)
          for (int64_t kh = 0; kh < L->kh; kh++)
            for (int64_t kw = 0; kw < L->kw; kw++)
              for (int64_t ci = 0; ci < cin_g; ci++) {
                int64_t iy = oh * L->stride[0] + kh * L->dilation[0] - L->pad[0];
                int64_t ix = ow * L->stride[1] + kw * L->dilation[1] - L->pad[2];
                if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                  continue;
                acc += (double)w[o * K + (kh * L->kw + kw) * cin_g + ci] *
                       c->buf[s * H * W * C + (iy * W + ix) * C + gi * cin_g + ci];
              }
    out[o] = acc / (double)(n * OH * OW);
  }
}

/* ajpq-jc-wq-test seq MODEL.mlir CALIB DATA.npy BITS
 *   Uniform BITS-bit strategy (MSE clipping, float activations) through the evaluator with
 *   bias correction; prints which layers are corrected (not: the layers reading the model
 *   input, the head, matmul), then recomputes every corrected bias layer by layer in graph
 *   order with a second executor: capture the layer's input with all upstream layers already
 *   quantized and corrected, bias = b + E[W·x_fp] − E[Q(W)·x] (AJPQ_WQ_PASSES >= depth:
 *   the sequential correction) or b + E[(W − Q(W))·x_fp] (passes 0, the default), x_fp the
 *   fp32 model's input. Exit 1 above 1e-4 relative. */
static int run_seq(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: ajpq-jc-wq-test seq MODEL.mlir CALIB DATA.npy BITS\n");
    return 1;
  }
  int bits = atoi(argv[5]);
  MlirContext ctx = ajpq_executor_context_create();
  MlirModule mod;
  ajpq_status_t st = ajpq_executor_parse_file(ctx, argv[2], &mod);
  if (st)
    return die(st, "model");
  MlirOperation func;
  ajpq_channel_graph_t *g = jc_test_graph(mod, &func);
  if (!g)
    return 1;
  ajpq_jc_config_t cfg;
  jc_test_config(&cfg, 32);
  cfg.weight_clip = AJPQ_WCLIP_MSE;
  cfg.bias_correction = true;
  ajpq_jc_evaluator_t *ev = NULL;
  ajpq_jc_eval_opts_t eo = {.calibration = argv[3], .metric = "", .samples = 0, .threads = 1};
  st = ajpq_jc_evaluator_create(func, g, &cfg, &eo, &ev);
  if (st)
    return die(st, "evaluator");
  const ajpq_jc_wq_stats_t *stats = ajpq_jc_evaluator_wq_stats(ev);
  ajpq_jc_strategy_t *s = ajpq_jc_strategy_create(g);
  for (int l = 0; l < g->n_layers; l++)
    memset(s->bits[l], bits, (size_t)s->n_chan[l]);
  double r, m;
  st = ajpq_jc_evaluator_reward(ev, s, &r, &m);
  if (st)
    return die(st, "reward");
  ajpq_tensor_t *d, *df;
  st = jc_test_read_f32(argv[4], &d, &df);
  if (st)
    return die(st, "data");
  int64_t n = stats->samples; /* the passes' subset: the first samples */
  ajpq_executor_options_t xo;
  ajpq_executor_options_init(&xo);
  xo.batch = n;
  ajpq_executor_t *fp = NULL, *q = NULL;
  st = ajpq_executor_create(func, &xo, &fp);
  if (!st)
    st = ajpq_executor_create(func, &xo, &q);
  if (st)
    return die(st, "plan");
  uint8_t *ge = malloc((size_t)g->n_groups + 1);
  ajpq_jc_group_erased(g, s, ge);
  int *exl = malloc((size_t)g->n_layers * sizeof(int));
  float **wq = calloc((size_t)g->n_layers, sizeof(float *));
  for (int l = 0; l < g->n_layers; l++) {
    exl[l] = jc_test_exec_layer(q, g->layers[l].op);
    wq[l] = malloc((size_t)(g->layers[l].desc.cout * g->layers[l].k) * sizeof(float));
    st = ajpq_jc_masked_weights(g, &cfg, s, ge, l, wq[l]);
    if (!st)
      st = ajpq_executor_set_weights(q, exl[l], wq[l]);
    if (st)
      return die(st, "weights");
  }
  bool seq = stats->passes > 0;
  double worst = 0;
  int corrected = 0;
  const float *ins[1] = {(const float *)df->data};
  for (int l = 0; l < g->n_layers; l++) {
    const ajpq_cg_layer_t *GL = &g->layers[l];
    bool on = ajpq_jc_wq_corrects(stats, l);
    printf("layer %s: %s\n", GL->name, on ? "corrected" : "not corrected");
    if (!on)
      continue;
    corrected++;
    const ajpq_executor_layer_t *L = ajpq_executor_layer(q, exl[l]);
    int64_t numel = L->in_dims[0] * L->in_dims[1] * L->in_dims[2];
    capture_t cf = {exl[l], malloc((size_t)(n * numel) * sizeof(float)), numel, 0};
    capture_t cq = {exl[l], malloc((size_t)(n * numel) * sizeof(float)), numel, 0};
    st = ajpq_executor_observe(fp, n, ins, cap, &cf);
    if (!st)
      st = ajpq_executor_observe(q, n, ins, cap, &cq); /* upstream: quantized + corrected */
    if (st)
      return die(st, "capture");
    int64_t O = GL->desc.cout;
    double *e_fp = malloc((size_t)O * sizeof(double)), *e_q = malloc((size_t)O * sizeof(double));
    float *ref = malloc((size_t)O * sizeof(float)), *got = malloc((size_t)O * sizeof(float));
    patch_means(GL, L, &cf, n, GL->weights, e_fp);
    patch_means(GL, L, seq ? &cq : &cf, n, wq[l], e_q);
    double scale = 1e-6, lw = 0;
    for (int64_t o = 0; o < O; o++) {
      ref[o] = (float)((GL->bias ? GL->bias[o] : 0.0) + e_fp[o] - e_q[o]);
      scale = fmax(scale, fabs(e_fp[o] - e_q[o]));
    }
    st = ajpq_jc_wq_bias_for(stats, s, l, got);
    if (st)
      return die(st, "bias_for");
    for (int64_t o = 0; o < O; o++)
      lw = fmax(lw, fabs((double)got[o] - (double)ref[o]) / scale);
    printf("layer %s: max |bias - b| %.4g, max rel diff %.2e\n", GL->name, scale, lw);
    worst = fmax(worst, lw);
    st = ajpq_executor_set_bias(q, exl[l], ref); /* downstream sees this layer corrected */
    if (st)
      return die(st, "set bias");
    free(e_fp), free(e_q), free(ref), free(got), free(cf.buf), free(cq.buf);
  }
  printf("mode %s, corrected layers %d, samples %lld\n", seq ? "sequential" : "fp32 means",
         corrected, (long long)n);
  for (int l = 0; l < g->n_layers; l++)
    free(wq[l]);
  free(wq);
  free(exl);
  free(ge);
  ajpq_executor_destroy(fp);
  ajpq_executor_destroy(q);
  ajpq_tensor_free(d);
  ajpq_tensor_free(df);
  ajpq_jc_strategy_destroy(s);
  ajpq_jc_evaluator_destroy(ev);
  ajpq_cg_destroy(g);
  mlirModuleDestroy(mod);
  mlirContextDestroy(ctx);
  if (worst > 1e-4 || corrected == 0) {
    printf("FAIL: corrected biases differ from the layer-by-layer reference (%.2e)\n", worst);
    return 1;
  }
  printf("corrected biases = layer-by-layer reference (rel <= 1e-4)\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "seq"))
    return run_seq(argc, argv);
  if (argc > 1 && !strcmp(argv[1], "bias"))
    return run_bias(argc, argv);
  if (argc > 1 && !strcmp(argv[1], "masked"))
    return run_masked(argc, argv);
  fprintf(stderr, "usage: ajpq-jc-wq-test bias|masked ...\n");
  return 1;
}
