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

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ajpq_jc_wq_stats_free(ajpq_jc_wq_stats_t *st) {
  if (!st)
    return;
  for (int l = 0; l < st->n_layers; l++)
    free(st->mean[l]);
  free(st->mean);
  free(st->sum);
  free(st->count);
  free(st->size);
  free(st->ex_to_graph);
  free(st);
}

/* Observer state: sums of every (window offset, input channel) over output
 * positions and samples, zero padding included. */
typedef struct {
  ajpq_jc_wq_stats_t *st;
  ajpq_executor_t *ex;
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
  for (int64_t s = 0; s < n; s++) {
    const float *xs = x + s * H * W * C;
    for (int64_t kh = 0; kh < L->kh; kh++)
      for (int64_t kw = 0; kw < L->kw; kw++) {
        double *acc = sum + (kh * L->kw + kw) * C;
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
          }
        }
      }
    st->count[l] += OH * OW;
  }
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
  st->sum = calloc((size_t)nl, sizeof(double *));
  st->count = calloc((size_t)nl, sizeof(int64_t));
  st->size = calloc((size_t)nl, sizeof(int64_t));
  st->ex_to_graph = malloc((size_t)(st->n_ex_layers ? st->n_ex_layers : 1) * sizeof(int));
  ajpq_status_t err = NULL;
  if (!st->mean || !st->sum || !st->count || !st->size || !st->ex_to_graph)
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
    if (!st->sum[l] || !st->mean[l])
      err = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  }
  obs_t o = {st, ex};
  for (int64_t s0 = 0; !err && s0 < n; s0 += batch) {
    int64_t nb = n - s0 < batch ? n - s0 : batch;
    const float *const ins[1] = {inputs + s0 * in_numel};
    err = ajpq_executor_observe(ex, nb, ins, observe, &o);
  }
  for (int l = 0; !err && l < g->n_layers; l++) {
    if (!st->sum[l])
      continue;
    const ajpq_executor_layer_t *L = ajpq_executor_layer(ex, ex_layer[l]);
    int64_t m = L->kh * L->kw * L->in_dims[2];
    for (int64_t i = 0; i < m; i++)
      st->mean[l][i] = st->count[l] > 0 ? (float)(st->sum[l][i] / (double)st->count[l]) : 0.0f;
    st->size[l] = m;
    free(st->sum[l]);
    st->sum[l] = NULL;
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
