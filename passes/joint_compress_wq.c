/* joint_compress_wq.c — weight-quantization quality of --joint-compress:
 * calibration statistics of every layer input (the mean of each im2col
 * column) and empirical bias correction (Nagel et al., "Data-Free
 * Quantization Through Weight Equalization and Bias Correction", ICCV 2019,
 * §4.2, with E[x] measured on the calibration set instead of derived from
 * batch norm). Used identically by the search's evaluator and the rewrite,
 * so masked ≡ erased holds with bias correction on. Design and measurements:
 * docs/search.md, "Weight quantization". */
#include "ajpq_dialect.h"
#include "ajpq_joint_compress.h"
#include "executor/ajpq_executor.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ajpq_jc_wq_stats_free(ajpq_jc_wq_stats_t *st) {
  if (!st)
    return;
  for (int l = 0; l < st->n_layers; l++)
    free(st->mean[l]);
  for (int l = 0; st->sqmean && l < st->n_layers; l++)
    free(st->sqmean[l]);
  for (int l = 0; st->sum2 && l < st->n_layers; l++)
    free(st->sum2[l]);
  free(st->sqmean);
  free(st->sum2);
  /* the layer-by-layer passes (ajpq_jc_wq_correct) re-allocate per-layer sums */
  for (int l = 0; st->sum && l < st->n_layers; l++)
    free(st->sum[l]);
  free(st->mean);
  free(st->sum);
  free(st->count);
  free(st->size);
  free(st->ex_to_graph);
  for (int l = 0; st->fp_out && l < st->n_layers; l++)
    free(st->fp_out[l]);
  for (int l = 0; st->qw && l < st->n_layers; l++)
    free(st->qw[l]);
  for (int l = 0; st->bias && l < st->n_layers; l++)
    free(st->bias[l]);
  free(st->fp_out);
  free(st->qw);
  free(st->bias);
  free(st->correct);
  free(st->bits_of);
  free(st);
}

/* Observer state: sums of every (window offset, input channel) over output
 * positions and samples, zero padding included. */
typedef struct {
  ajpq_jc_wq_stats_t *st;
  ajpq_executor_t *ex;
  bool oom;
} obs_t;

static void observe(void *user, int layer, const float *x, int64_t n) {
  obs_t *o = user;
  ajpq_jc_wq_stats_t *st = o->st;
  if (layer < 0 || layer >= st->n_ex_layers)
    return;
  int l = st->ex_to_graph[layer];
  if (l < 0 || !st->sum[l])
    return;
  const ajpq_executor_layer_t *L = ajpq_executor_layer(o->ex, layer);
  const int64_t H = L->in_dims[0], W = L->in_dims[1], C = L->in_dims[2];
  const int64_t OH = L->out_dims[0], OW = L->out_dims[1];
  double *sum = st->sum[l];
  double *sum2 = st->sum2 ? st->sum2[l] : NULL; /* clip: E[x²], first collection only */
  /* the layer computes on its fake-quantized input: the same arithmetic as the executor's
   * ajpq_k_fake_quant (round half to even, clamp, dequantize) */
  const ajpq_jc_actq_t *aq = st->obs_actq && st->obs_actq[l].enabled ? &st->obs_actq[l] : NULL;
  float *fq = NULL;
  if (aq) {
    fq = malloc((size_t)(H * W * C) * sizeof(float));
    if (!fq) {
      o->oom = true;
      return;
    }
  }
  for (int64_t s = 0; s < n; s++) {
    const float *xs = x + s * H * W * C;
    if (aq) {
      const float qmin = (float)-(1 << (aq->bits - 1)), qmax = (float)((1 << (aq->bits - 1)) - 1);
      for (int64_t i = 0; i < H * W * C; i++) {
        float q = nearbyintf(xs[i] / aq->scale) + (float)aq->zero_point;
        q = q < qmin ? qmin : q > qmax ? qmax : q;
        fq[i] = aq->scale * (q - (float)aq->zero_point);
      }
      xs = fq;
    }
    for (int64_t kh = 0; kh < L->kh; kh++)
      for (int64_t kw = 0; kw < L->kw; kw++) {
        double *acc = sum + (kh * L->kw + kw) * C;
        double *acc2 = sum2 ? sum2 + (kh * L->kw + kw) * C : NULL;
        for (int64_t oh = 0; oh < OH; oh++) {
          int64_t iy = oh * L->stride[0] + kh * L->dilation[0] - L->pad[0];
          if (iy < 0 || iy >= H)
            continue;
          for (int64_t ow = 0; ow < OW; ow++) {
            int64_t ix = ow * L->stride[1] + kw * L->dilation[1] - L->pad[2];
            if (ix < 0 || ix >= W)
              continue;
            const float *px = xs + (iy * W + ix) * C;
            for (int64_t c = 0; c < C; c++)
              acc[c] += px[c];
            if (acc2)
              for (int64_t c = 0; c < C; c++)
                acc2[c] += (double)px[c] * (double)px[c];
          }
        }
      }
    st->count[l] += OH * OW;
  }
  free(fq);
}

/* The means of row c's K columns (canonical column k = window offset·cin_g + input channel of
 * row c's group) from a layer's [kh·kw][cin] statistics. */
static void gather_means(const ajpq_channel_graph_t *g, int l, const float *full, int64_t c,
                         float *m) {
  const ajpq_cg_layer_t *L = &g->layers[l];
  const int64_t cin = L->desc.cin, groups = L->desc.groups;
  const int64_t cin_g = cin / groups, cout_g = L->desc.cout / groups;
  const int64_t kk = L->desc.kh * L->desc.kw, gi = c / cout_g;
  for (int64_t p = 0; p < kk; p++)
    for (int64_t ci = 0; ci < cin_g; ci++)
      m[p * cin_g + ci] = full[p * cin + gi * cin_g + ci];
}

ajpq_status_t ajpq_jc_wq_stats_collect(const ajpq_channel_graph_t *g, ajpq_executor_t *ex,
                                       const int *ex_layer, int64_t n, int64_t batch,
                                       const float *inputs, int64_t in_numel,
                                       ajpq_jc_wq_stats_t **out) {
  ajpq_jc_wq_stats_t *st = calloc(1, sizeof *st);
  if (!st)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  st->n_layers = g->n_layers;
  st->n_ex_layers = ajpq_executor_num_layers(ex);
  int nl = g->n_layers ? g->n_layers : 1;
  st->mean = calloc((size_t)nl, sizeof(float *));
  st->sqmean = calloc((size_t)nl, sizeof(float *));
  st->sum2 = calloc((size_t)nl, sizeof(double *));
  st->sum = calloc((size_t)nl, sizeof(double *));
  st->count = calloc((size_t)nl, sizeof(int64_t));
  st->size = calloc((size_t)nl, sizeof(int64_t));
  st->ex_to_graph = malloc((size_t)(st->n_ex_layers ? st->n_ex_layers : 1) * sizeof(int));
  ajpq_status_t err = NULL;
  if (!st->mean || !st->sqmean || !st->sum2 || !st->sum || !st->count || !st->size ||
      !st->ex_to_graph)
    err = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  for (int j = 0; !err && j < st->n_ex_layers; j++)
    st->ex_to_graph[j] = -1;
  for (int l = 0; !err && l < g->n_layers; l++) {
    const ajpq_executor_layer_t *L = ajpq_executor_layer(ex, ex_layer[l]);
    if (!L || L->kind == AJPQ_LAYER_MATMUL)
      continue; /* matmul: no bias operand in the executor; not corrected */
    st->ex_to_graph[ex_layer[l]] = l;
    size_t m = (size_t)(L->kh * L->kw * L->in_dims[2]);
    st->sum[l] = calloc(m, sizeof(double));
    st->mean[l] = malloc(m * sizeof(float));
    st->sum2[l] = calloc(m, sizeof(double));
    st->sqmean[l] = malloc(m * sizeof(float));
    if (!st->sum[l] || !st->mean[l] || !st->sum2[l] || !st->sqmean[l])
      err = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  }
  obs_t o = {st, ex, false};
  for (int64_t s0 = 0; !err && s0 < n; s0 += batch) {
    int64_t nb = n - s0 < batch ? n - s0 : batch;
    const float *const ins[1] = {inputs + s0 * in_numel};
    err = ajpq_executor_observe(ex, nb, ins, observe, &o);
  }
  if (!err && o.oom)
    err = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  for (int l = 0; !err && l < g->n_layers; l++) {
    if (!st->sum[l])
      continue;
    const ajpq_executor_layer_t *L = ajpq_executor_layer(ex, ex_layer[l]);
    int64_t m = L->kh * L->kw * L->in_dims[2];
    for (int64_t i = 0; i < m; i++) {
      st->mean[l][i] = st->count[l] > 0 ? (float)(st->sum[l][i] / (double)st->count[l]) : 0.0f;
      st->sqmean[l][i] =
          st->count[l] > 0 ? (float)(st->sum2[l][i] / (double)st->count[l]) : 0.0f;
    }
    st->size[l] = m;
    free(st->sum[l]);
    st->sum[l] = NULL;
    free(st->sum2[l]);
    st->sum2[l] = NULL;
  }
  if (!err) { /* the sequential passes reuse `sum` only; on error stats_free frees all */
    free(st->sum2);
    st->sum2 = NULL;
  }
  /* sequential-correction state: E[y_fp] − b per output channel, installed weights/biases */
  st->correct = calloc((size_t)nl, 1);
  st->fp_out = calloc((size_t)nl, sizeof(double *));
  st->qw = calloc((size_t)nl, sizeof(float *));
  st->bias = calloc((size_t)nl, sizeof(float *));
  st->passes = AJPQ_JC_WQ_PASSES;
  st->samples = n < AJPQ_JC_WQ_SAMPLES ? n : AJPQ_JC_WQ_SAMPLES;
  for (int l = 0; l < g->n_layers; l++)
    st->n_bits += g->layers[l].desc.cout;
  st->bits_of = malloc((size_t)(st->n_bits ? st->n_bits : 1));
  if (!err && (!st->correct || !st->fp_out || !st->qw || !st->bias || !st->bits_of))
    err = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  for (int l = 0; !err && l < g->n_layers; l++) {
    if (!st->mean[l])
      continue;
    const ajpq_cg_layer_t *GL = &g->layers[l];
    const int64_t cout = GL->desc.cout, K = GL->k;
    st->fp_out[l] = malloc((size_t)cout * sizeof(double));
    st->qw[l] = calloc((size_t)(cout * K), sizeof(float));
    st->bias[l] = malloc((size_t)cout * sizeof(float));
    float *m = malloc((size_t)K * sizeof(float));
    if (!st->fp_out[l] || !st->qw[l] || !st->bias[l] || !m) {
      free(m);
      err = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      break;
    }
    if (K != st->size[l] / GL->desc.cin * (GL->desc.cin / GL->desc.groups)) {
      free(m);
      err = ajpq_status_make(AJPQ_INTERNAL, "layer '%s': K = %lld does not fit %lld input "
                             "statistics", GL->name, (long long)K, (long long)st->size[l]);
      break;
    }
    for (int64_t c = 0; c < cout; c++) {
      gather_means(g, l, st->mean[l], c, m);
      double y = 0.0;
      for (int64_t k = 0; k < K; k++)
        y += (double)GL->weights[c * K + k] * (double)m[k];
      st->fp_out[l][c] = y;
    }
    free(m);
    st->correct[l] = 1;
  }
  if (err) {
    ajpq_jc_wq_stats_free(st);
    return ajpq_status_annotate(err, "weight-quantization statistics");
  }
  *out = st;
  return NULL;
}

double ajpq_jc_bias_delta(const float *w, const float *wq, const float *mean, int64_t K) {
  double d = 0.0;
  for (int64_t k = 0; k < K; k++)
    d += ((double)w[k] - (double)wq[k]) * (double)mean[k];
  return d;
}

bool ajpq_jc_wq_has_layer(const ajpq_jc_wq_stats_t *st, int l) {
  return st && l >= 0 && l < st->n_layers && st->mean[l] != NULL;
}

bool ajpq_jc_wq_row_sqmean(const ajpq_channel_graph_t *g, const ajpq_jc_wq_stats_t *st, int l,
                           int64_t c, float *h) {
  if (!ajpq_jc_wq_has_layer(st, l) || !st->sqmean || !st->sqmean[l])
    return false;
  gather_means(g, l, st->sqmean[l], c, h); /* same column layout as the means */
  return true;
}

ajpq_status_t ajpq_jc_wq_quant_row(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                                   int l, int64_t c, const uint8_t *colk, const float *row,
                                   int64_t n, int bits, uint8_t *codes, float *scale, float *zp) {
  const ajpq_wclip_t clip = (ajpq_wclip_t)cfg->weight_clip;
  float *h = NULL;
  if (clip == AJPQ_WCLIP_HESSIAN && ajpq_jc_wq_has_layer(cfg->wq_stats, l)) {
    const int64_t K = g->layers[l].k;
    h = malloc((size_t)(K > 0 ? K : 1) * sizeof(float));
    if (!h)
      return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    ajpq_jc_wq_row_sqmean(g, cfg->wq_stats, l, c, h);
    int64_t j = 0; /* compact to the kept columns, in place (j <= k) */
    for (int64_t k = 0; k < K; k++)
      if (colk[k])
        h[j++] = h[k];
    if (j != n) {
      free(h);
      return ajpq_status_make(AJPQ_INTERNAL, "layer '%s' row %lld: %lld kept columns, %lld "
                              "weights", g->layers[l].name, (long long)c, (long long)j,
                              (long long)n);
    }
  }
  ajpq_status_t st = ajpq_quant_channel_clip_weighted(row, h, n, bits, AJPQ_QSCHEME_SYMMETRIC,
                                                      clip, codes, scale, zp);
  free(h);
  return st;
}

ajpq_status_t ajpq_jc_corrected_bias(const ajpq_channel_graph_t *g, const ajpq_jc_wq_stats_t *st,
                                     int l, const float *wq, float *bias) {
  const ajpq_cg_layer_t *L = &g->layers[l];
  const int64_t K = L->k, cout = L->desc.cout;
  if (!ajpq_jc_wq_has_layer(st, l))
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "layer '%s' has no calibration statistics",
                            L->name);
  const int64_t cin = L->desc.cin, groups = L->desc.groups;
  const int64_t cin_g = cin / groups, cout_g = cout / groups;
  const int64_t kk = L->desc.kh * L->desc.kw;
  if (K != kk * cin_g || st->size[l] != kk * cin)
    return ajpq_status_make(AJPQ_INTERNAL, "layer '%s': K = %lld and %lld input statistics do not fit "
                            "kh·kw = %lld, cin = %lld", L->name, (long long)K,
                            (long long)st->size[l], (long long)kk, (long long)cin);
  float *m = malloc((size_t)K * sizeof(float));
  if (!m)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  for (int64_t c = 0; c < cout; c++) {
    /* row c reads input channels [gi·cin_g, (gi+1)·cin_g) at every window
     * offset; canonical column k = offset·cin_g + ci */
    int64_t gi = c / cout_g;
    if (c == 0 || c % cout_g == 0)
      for (int64_t p = 0; p < kk; p++)
        for (int64_t ci = 0; ci < cin_g; ci++)
          m[p * cin_g + ci] = st->mean[l][p * cin + gi * cin_g + ci];
    double b = (L->bias ? (double)L->bias[c] : 0.0) +
               ajpq_jc_bias_delta(L->weights + c * K, wq + c * K, m, K);
    bias[c] = (float)b;
  }
  free(m);
  return NULL;
}

bool ajpq_jc_wq_corrects(const ajpq_jc_wq_stats_t *st, int l) {
  return ajpq_jc_wq_has_layer(st, l) && st->correct && st->correct[l];
}

/* bias[c] = b[c] + E[y_fp] − Q(W)·mean for every output channel of layer l (mean: the
 * layer's [kh·kw][cin] input statistics). */
static void seq_bias(const ajpq_channel_graph_t *g, const ajpq_jc_wq_stats_t *st, int l,
                     const float *mean, float *m, float *bias) {
  const ajpq_cg_layer_t *L = &g->layers[l];
  const int64_t K = L->k;
  for (int64_t c = 0; c < L->desc.cout; c++) {
    gather_means(g, l, mean, c, m);
    double y = 0.0;
    const float *q = st->qw[l] + c * K;
    for (int64_t k = 0; k < K; k++)
      y += (double)q[k] * (double)m[k];
    double target = st->fp_out[l][c];
    if (st->own_error) { /* only the layer's own weight error, on the input it sees */
      target = 0.0;
      for (int64_t k = 0; k < K; k++)
        target += (double)L->weights[c * K + k] * (double)m[k];
    }
    bias[c] = (float)((L->bias ? (double)L->bias[c] : 0.0) + target - y);
  }
}

ajpq_status_t ajpq_jc_wq_correct(const ajpq_channel_graph_t *g, ajpq_jc_wq_stats_t *st,
                                 ajpq_executor_t *ex, const int *ex_layer,
                                 const ajpq_jc_actq_t *actq, int64_t batch, const float *inputs,
                                 int64_t in_numel) {
  int64_t kmax = 1, smax = 1;
  for (int l = 0; l < g->n_layers; l++)
    if (ajpq_jc_wq_corrects(st, l)) {
      kmax = g->layers[l].k > kmax ? g->layers[l].k : kmax;
      smax = st->size[l] > smax ? st->size[l] : smax;
    }
  float *m = malloc((size_t)kmax * sizeof(float)), *mq = malloc((size_t)smax * sizeof(float));
  ajpq_status_t err = m && mq ? NULL : ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  /* start: the fp32 input means (the one-shot correction) */
  for (int l = 0; !err && l < g->n_layers; l++)
    if (ajpq_jc_wq_corrects(st, l)) {
      if (st->correct[l] == AJPQ_JC_WQ_SCORE) /* shifted by the evaluator after its run */
        for (int64_t c = 0; c < g->layers[l].desc.cout; c++)
          st->bias[l][c] = g->layers[l].bias ? g->layers[l].bias[c] : 0.0f;
      else
        seq_bias(g, st, l, st->mean[l], m, st->bias[l]);
      err = ajpq_executor_set_bias(ex, ex_layer[l], st->bias[l]);
    }
  st->score_shift = 0.0;
  /* observed layers (correct[l] == 2, the head): without sequential passes, one observation
   * pass of the network as it now stands (every upstream bias final) gives their exact input
   * means E[x_q]; with passes > 0 they are corrected like every other layer */
  bool any_obs = false;
  for (int l = 0; l < g->n_layers; l++)
    any_obs = any_obs || (ajpq_jc_wq_corrects(st, l) && st->correct[l] == AJPQ_JC_WQ_OBSERVED);
  const int npass = st->passes > 0 ? st->passes : any_obs ? 1 : 0;
  for (int p = 0; !err && p < npass; p++) {
    for (int l = 0; !err && l < g->n_layers; l++) {
      bool on = ajpq_jc_wq_corrects(st, l) && st->correct[l] != AJPQ_JC_WQ_SCORE &&
                (st->passes > 0 || st->correct[l] == AJPQ_JC_WQ_OBSERVED);
      if (!on && st->sum[l]) { /* not observed in this pass: the observer skips it */
        free(st->sum[l]);
        st->sum[l] = NULL;
      }
      if (on && !st->sum[l])
        st->sum[l] = malloc((size_t)st->size[l] * sizeof(double));
      if (on && !st->sum[l])
        err = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      if (on && st->sum[l])
        memset(st->sum[l], 0, (size_t)st->size[l] * sizeof(double));
      st->count[l] = 0;
    }
    st->obs_actq = actq;
    obs_t o = {st, ex, false};
    for (int64_t s0 = 0; !err && s0 < st->samples; s0 += batch) {
      int64_t nb = st->samples - s0 < batch ? st->samples - s0 : batch;
      const float *const ins[1] = {inputs + s0 * in_numel};
      err = ajpq_executor_observe(ex, nb, ins, observe, &o);
    }
    st->obs_actq = NULL;
    if (!err && o.oom)
      err = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    /* every bias from this pass's means at once (Jacobi): the pass saw one network */
    for (int l = 0; !err && l < g->n_layers; l++) {
      if (!ajpq_jc_wq_corrects(st, l) || !st->sum[l])
        continue;
      for (int64_t i = 0; i < st->size[l]; i++)
        mq[i] = st->count[l] > 0 ? (float)(st->sum[l][i] / (double)st->count[l]) : 0.0f;
      seq_bias(g, st, l, mq, m, st->bias[l]);
      if (st->debug) {
        double dm = 0, db = 0;
        for (int64_t i = 0; i < st->size[l]; i++)
          dm = fmax(dm, fabs((double)mq[i] - (double)st->mean[l][i]));
        for (int64_t c = 0; c < g->layers[l].desc.cout; c++)
          db = fmax(db, fabs((double)st->bias[l][c] - (g->layers[l].bias ? g->layers[l].bias[c] : 0)));
        fprintf(stderr, "wq pass %d layer %d %s: count %lld max|E[xq]-E[xfp]| %g max|db| %g\n", p, l,
                g->layers[l].name, (long long)st->count[l], dm, db);
      }
    }
    for (int l = 0; !err && l < g->n_layers; l++)
      if (ajpq_jc_wq_corrects(st, l) && st->sum[l])
        err = ajpq_executor_set_bias(ex, ex_layer[l], st->bias[l]);
  }
  free(m);
  free(mq);
  return err ? ajpq_status_annotate(err, "bias correction") : NULL;
}

ajpq_status_t ajpq_jc_wq_bias_for(const ajpq_jc_wq_stats_t *cst, const ajpq_jc_strategy_t *s,
                                  int l, float *bias) {
  /* the stats belong to the evaluator (mutable state behind a borrowed pointer) */
  ajpq_jc_wq_stats_t *st = (ajpq_jc_wq_stats_t *)cst;
  if (!ajpq_jc_wq_corrects(st, l))
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "layer %d has no bias correction", l);
  bool same = st->valid;
  for (int i = 0, off = 0; same && i < s->n_layers; off += (int)s->n_chan[i], i++)
    same = !memcmp(st->bits_of + off, s->bits[i], (size_t)s->n_chan[i]);
  if (!same) {
    if (!st->refresh)
      return ajpq_status_make(AJPQ_INTERNAL, "bias correction: no evaluator to refresh with");
    AJPQ_RETURN_IF_ERROR(st->refresh(st->owner, s));
  }
  for (int64_t c = 0; c < s->n_chan[l]; c++)
    bias[c] = st->bias[l][c];
  return NULL;
}

/* Records that st->bias now belongs to strategy s (evaluator). */
void ajpq_jc_wq_mark(ajpq_jc_wq_stats_t *st, const ajpq_jc_strategy_t *s) {
  int64_t off = 0;
  for (int i = 0; i < s->n_layers; off += s->n_chan[i], i++)
    memcpy(st->bits_of + off, s->bits[i], (size_t)s->n_chan[i]);
  st->valid = true;
}

/* Indexed by ajpq_wclip_t. */
static const char *const k_wclip_names[] = {"minmax", "mse", "auto", "hessian"};
#define N_WCLIP_NAMES ((int)(sizeof k_wclip_names / sizeof k_wclip_names[0]))

bool ajpq_jc_wq_settings_add(cJSON *root, const ajpq_jc_config_t *cfg) {
  int c = cfg->weight_clip >= 0 && cfg->weight_clip < N_WCLIP_NAMES ? cfg->weight_clip : 0;
  cJSON *w = cJSON_AddObjectToObject(root, "weights");
  return w && cJSON_AddStringToObject(w, "clipping", k_wclip_names[c]) &&
         cJSON_AddBoolToObject(w, "bias_correction", cfg->bias_correction);
}

ajpq_status_t ajpq_jc_wq_settings_read(const char *path, bool *present, int *clip,
                                       bool *bias_correction) {
  *present = false;
  cJSON *root = NULL;
  ajpq_status_t st = ajpq_jc_strategy_json_load(path, &root);
  if (st)
    return st;
  cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "weights");
  if (w) {
    cJSON *c = cJSON_GetObjectItemCaseSensitive(w, "clipping");
    cJSON *b = cJSON_GetObjectItemCaseSensitive(w, "bias_correction");
    int ci = -1;
    for (int i = 0; i < N_WCLIP_NAMES && cJSON_IsString(c); i++)
      if (!strcmp(c->valuestring, k_wclip_names[i]))
        ci = i;
    if (!cJSON_IsObject(w) || ci < 0 || !cJSON_IsBool(b)) {
      st = ajpq_status_make(AJPQ_INVALID_ARGUMENT,
                            "strategy '%s': bad \"weights\" record (need clipping "
                            "minmax|mse|auto|hessian and bias_correction true|false)",
                            path);
    } else {
      *present = true;
      *clip = ci;
      *bias_correction = cJSON_IsTrue(b);
    }
  }
  cJSON_Delete(root);
  return st;
}
