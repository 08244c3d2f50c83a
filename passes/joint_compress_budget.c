/* joint_compress_budget.c — strategies, their coupling-aware cost, the
 * budget check, the cheapest feasible strategy, post-episode enforcement
 * and the masked fake-quantized weights the evaluator runs. */
#include "ajpq_dialect.h"
#include "ajpq_joint_compress.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ajpq_jc_strategy_t *ajpq_jc_strategy_create(const ajpq_channel_graph_t *g) {
  ajpq_jc_strategy_t *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->n_layers = g->n_layers;
  s->bits = calloc((size_t)(g->n_layers ? g->n_layers : 1), sizeof(uint8_t *));
  s->n_chan = calloc((size_t)(g->n_layers ? g->n_layers : 1), sizeof(int64_t));
  if (!s->bits || !s->n_chan) {
    free(s->bits);
    free(s->n_chan);
    free(s);
    return NULL;
  }
  for (int l = 0; l < g->n_layers; l++) {
    s->n_chan[l] = g->layers[l].desc.cout;
    s->bits[l] = calloc((size_t)g->layers[l].desc.cout, 1);
    if (!s->bits[l]) {
      ajpq_jc_strategy_destroy(s);
      return NULL;
    }
  }
  return s;
}

void ajpq_jc_strategy_destroy(ajpq_jc_strategy_t *s) {
  if (!s)
    return;
  if (s->bits)
    for (int l = 0; l < s->n_layers; l++)
      free(s->bits[l]);
  free(s->bits);
  free(s->n_chan);
  free(s);
}

void ajpq_jc_strategy_copy(ajpq_jc_strategy_t *dst, const ajpq_jc_strategy_t *src) {
  for (int l = 0; l < src->n_layers; l++)
    memcpy(dst->bits[l], src->bits[l], (size_t)src->n_chan[l]);
}

bool ajpq_jc_config_groups(const ajpq_channel_graph_t *g, ajpq_jc_config_t *cfg) {
  cfg->group_fixed = calloc((size_t)(g->n_groups ? g->n_groups : 1), 1);
  if (!cfg->group_fixed)
    return false;
  for (int i = 0; i < g->n_groups; i++) {
    const ajpq_cg_group_t *G = &g->groups[i];
    bool fixed = !G->erasable || !cfg->allow_zero;
    for (int j = 0; j < G->n_members && !fixed; j++)
      if (cfg->skip && cfg->skip[G->member_layer[j]])
        fixed = true;
    cfg->group_fixed[i] = fixed;
  }
  return true;
}

void ajpq_jc_group_erased(const ajpq_channel_graph_t *g, const ajpq_jc_strategy_t *s,
                          uint8_t *erased) {
  for (int i = 0; i < g->n_groups; i++) {
    const ajpq_cg_group_t *G = &g->groups[i];
    bool all0 = G->n_members > 0;
    for (int j = 0; j < G->n_members && all0; j++)
      all0 = s->bits[G->member_layer[j]][G->member_chan[j]] == 0;
    erased[i] = all0;
  }
}

static int64_t max_cin(const ajpq_channel_graph_t *g) {
  int64_t m = 1;
  for (int l = 0; l < g->n_layers; l++)
    if (g->layers[l].desc.cin > m)
      m = g->layers[l].desc.cin;
  return m;
}

void ajpq_jc_cost(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                  const ajpq_jc_strategy_t *s, ajpq_costmodel_cost_t *total,
                  ajpq_costmodel_cost_t *per_layer) {
  memset(total, 0, sizeof *total);
  uint8_t *erased = malloc((size_t)(g->n_groups ? g->n_groups : 1));
  uint8_t *in_kept = malloc((size_t)max_cin(g));
  int64_t maxc = 1;
  for (int l = 0; l < g->n_layers; l++)
    if (g->layers[l].desc.cout > maxc)
      maxc = g->layers[l].desc.cout;
  uint8_t *fbits = malloc((size_t)maxc), *cbits = malloc((size_t)maxc);
  if (!erased || !in_kept || !fbits || !cbits) {
    free(erased);
    free(in_kept);
    free(fbits);
    free(cbits);
    total->weight_bytes = INT64_MAX / 4; /* OOM: never "within budget" */
    return;
  }
  ajpq_jc_group_erased(g, s, erased);
  for (int l = 0; l < g->n_layers; l++) {
    const ajpq_cg_layer_t *L = &g->layers[l];
    ajpq_cg_input_kept(g, l, erased, in_kept);
    const uint8_t *bits = s->bits[l];
    if (cfg->skip && cfg->skip[l]) {
      memset(fbits, AJPQ_COSTMODEL_FLOAT_BITS, (size_t)L->desc.cout);
      bits = fbits;
    }
    ajpq_costmodel_cost_t c = {0};
    int ab = ajpq_jc_act_quantized(cfg, l) ? cfg->act_bits : 32;
    ajpq_costmodel_layer_t dw = L->desc;
    const ajpq_costmodel_layer_t *desc = &L->desc;
    const uint8_t *kin = in_kept;
    int64_t nk = 0;
    if (L->desc.kind == AJPQ_COSTMODEL_DEPTHWISE && bits != fbits) {
      for (int64_t ch = 0; ch < L->desc.cout; ch++)
        if (bits[ch])
          cbits[nk++] = bits[ch];
      int64_t mult = L->desc.cout / L->desc.cin;
      if (nk > 0 && nk < L->desc.cout && nk % mult == 0) {
        /* a depthwise conv that lost channels is stored renumbered over its
         * kept channels (docs/search.md "Rewrite"): its kept-channel map
         * covers those only — cost it as the op the rewrite emits, so the
         * total equals ajpq-cost-report's on the output exactly */
        dw.cin = dw.groups = nk / mult;
        dw.cout = nk;
        desc = &dw;
        bits = cbits;
        kin = NULL;
      }
    }
    ajpq_status_t st = ajpq_costmodel_layer(desc, bits, kin, ab, &c);
    if (!st && desc == &dw) { /* counts over the original layer */
      c.erased_channels = L->desc.cout - nk;
      c.orig_weights = L->desc.cout * ajpq_costmodel_weights_per_channel(&L->desc);
    }
    if (st) { /* bits are produced by the search: a bug; make it visible */
      ajpq_status_free(st);
      c.weight_bytes = INT64_MAX / 4 / (g->n_layers + 1);
    }
    if (per_layer)
      per_layer[l] = c;
    ajpq_costmodel_add(total, &c);
  }
  free(erased);
  free(in_kept);
  free(fbits);
  free(cbits);
}

void ajpq_jc_cost_fp32(const ajpq_channel_graph_t *g, ajpq_costmodel_cost_t *total) {
  memset(total, 0, sizeof *total);
  for (int l = 0; l < g->n_layers; l++) {
    ajpq_costmodel_cost_t c = {0};
    ajpq_status_t st = ajpq_costmodel_layer(&g->layers[l].desc, NULL, NULL, 32, &c);
    ajpq_status_free(st);
    ajpq_costmodel_add(total, &c);
  }
}

bool ajpq_jc_within_budget(const ajpq_jc_config_t *cfg, const ajpq_costmodel_cost_t *c,
                           const ajpq_costmodel_cost_t *f) {
  const ajpq_jc_budget_t *b = &cfg->budget;
  if (b->size_ratio > 0 && (double)c->weight_bytes > b->size_ratio * (double)f->weight_bytes)
    return false;
  if (b->size_bytes > 0 && c->weight_bytes > b->size_bytes)
    return false;
  if (b->macs_ratio > 0 && (double)c->macs > b->macs_ratio * (double)f->macs)
    return false;
  if (b->bitops_ratio > 0 && (double)c->bitops > b->bitops_ratio * (double)f->bitops)
    return false;
  return true;
}

static int64_t layer_kept(const ajpq_jc_strategy_t *s, const ajpq_cg_layer_t *L, int l) {
  int64_t k = 0;
  for (int64_t c = 0; c < L->desc.cout; c++)
    k += s->bits[l][c] != 0;
  return k;
}

/* Erasing group gi keeps every member layer at >= min_keep channels? */
static bool can_erase(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                      const ajpq_jc_strategy_t *s, int gi, int64_t *kept) {
  const ajpq_cg_group_t *G = &g->groups[gi];
  if (cfg->group_fixed[gi])
    return false;
  if (s->bits[G->member_layer[0]][G->member_chan[0]] == 0)
    return false; /* already erased */
  /* count members per layer (members sorted by layer) */
  for (int j = 0; j < G->n_members;) {
    int l = G->member_layer[j], n = 0;
    while (j < G->n_members && G->member_layer[j] == l) {
      n++;
      j++;
    }
    if (kept[l] - n < cfg->min_keep)
      return false;
  }
  return true;
}

static void erase_group(const ajpq_channel_graph_t *g, ajpq_jc_strategy_t *s, int gi,
                        int64_t *kept) {
  const ajpq_cg_group_t *G = &g->groups[gi];
  for (int j = 0; j < G->n_members; j++) {
    if (s->bits[G->member_layer[j]][G->member_chan[j]])
      kept[G->member_layer[j]]--;
    s->bits[G->member_layer[j]][G->member_chan[j]] = 0;
  }
}

static int cmp_by_key(const void *a, const void *b, const double *key) {
  int i = *(const int *)a, j = *(const int *)b;
  if (key[i] < key[j])
    return -1;
  if (key[i] > key[j])
    return 1;
  return i < j ? -1 : i > j;
}
static const double *g_sort_key; /* qsort has no context argument in C11 */
static int cmp_idx(const void *a, const void *b) { return cmp_by_key(a, b, g_sort_key); }

/* Group indices in ascending importance (ties by index: deterministic). */
static int *groups_by_importance(const ajpq_channel_graph_t *g) {
  int *idx = malloc((size_t)(g->n_groups ? g->n_groups : 1) * sizeof(int));
  double *key = malloc((size_t)(g->n_groups ? g->n_groups : 1) * sizeof(double));
  if (!idx || !key) {
    free(idx);
    free(key);
    return NULL;
  }
  for (int i = 0; i < g->n_groups; i++) {
    idx[i] = i;
    key[i] = g->groups[i].importance;
  }
  g_sort_key = key;
  qsort(idx, (size_t)g->n_groups, sizeof(int), cmp_idx);
  free(key);
  return idx;
}

void ajpq_jc_min_strategy(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                          ajpq_jc_strategy_t *s) {
  for (int l = 0; l < g->n_layers; l++)
    memset(s->bits[l], cfg->cand[0], (size_t)g->layers[l].desc.cout);
  int64_t *kept = malloc((size_t)(g->n_layers ? g->n_layers : 1) * sizeof(int64_t));
  int *order = groups_by_importance(g);
  if (!kept || !order) {
    free(kept);
    free(order);
    return;
  }
  for (int l = 0; l < g->n_layers; l++)
    kept[l] = g->layers[l].desc.cout;
  for (int i = 0; i < g->n_groups; i++)
    if (can_erase(g, cfg, s, order[i], kept))
      erase_group(g, s, order[i], kept);
  free(kept);
  free(order);
}

static int cand_index(const ajpq_jc_config_t *cfg, int b) {
  for (int i = 0; i < cfg->n_cand; i++)
    if (cfg->cand[i] == b)
      return i;
  return -1;
}

int ajpq_jc_enforce(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                    const ajpq_costmodel_cost_t *fp32, ajpq_jc_strategy_t *s) {
  ajpq_costmodel_cost_t c;
  ajpq_jc_cost(g, cfg, s, &c, NULL);
  if (ajpq_jc_within_budget(cfg, &c, fp32))
    return 0;
  /* channels in ascending relative importance */
  int64_t n = 0;
  for (int l = 0; l < g->n_layers; l++)
    n += g->layers[l].desc.cout;
  int *idx = malloc((size_t)(n ? n : 1) * sizeof(int));
  int *lay = malloc((size_t)(n ? n : 1) * sizeof(int));
  int *chn = malloc((size_t)(n ? n : 1) * sizeof(int));
  double *key = malloc((size_t)(n ? n : 1) * sizeof(double));
  int64_t *kept = malloc((size_t)(g->n_layers ? g->n_layers : 1) * sizeof(int64_t));
  int *order = groups_by_importance(g);
  int changes = 0;
  if (!idx || !lay || !chn || !key || !kept || !order) {
    changes = -1;
    goto done;
  }
  int64_t i = 0;
  for (int l = 0; l < g->n_layers; l++) {
    const ajpq_cg_layer_t *L = &g->layers[l];
    ajpq_jc_relative_importance(L, key + i);
    for (int64_t ch = 0; ch < L->desc.cout; ch++, i++) {
      idx[i] = (int)i;
      lay[i] = l;
      chn[i] = (int)ch;
    }
    kept[l] = layer_kept(s, L, l);
  }
  g_sort_key = key;
  qsort(idx, (size_t)n, sizeof(int), cmp_idx);
  /* 1. lower bits one step at a time, least important first, in rounds */
  bool lowered = true;
  while (lowered) {
    lowered = false;
    for (int64_t j = 0; j < n; j++) {
      int l = lay[idx[j]], ch = chn[idx[j]];
      if (cfg->skip && cfg->skip[l])
        continue;
      int b = s->bits[l][ch];
      int ci = cand_index(cfg, b);
      if (b == 0 || ci <= 0)
        continue;
      s->bits[l][ch] = (uint8_t)cfg->cand[ci - 1];
      changes++;
      lowered = true;
      ajpq_jc_cost(g, cfg, s, &c, NULL);
      if (ajpq_jc_within_budget(cfg, &c, fp32))
        goto done;
    }
  }
  /* 2. erase least important groups */
  for (int k = 0; k < g->n_groups; k++) {
    if (!can_erase(g, cfg, s, order[k], kept))
      continue;
    erase_group(g, s, order[k], kept);
    changes++;
    ajpq_jc_cost(g, cfg, s, &c, NULL);
    if (ajpq_jc_within_budget(cfg, &c, fp32))
      goto done;
  }
  changes = -1;
done:
  free(idx);
  free(lay);
  free(chn);
  free(key);
  free(kept);
  free(order);
  return changes;
}

bool ajpq_jc_strategy_valid(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                            const ajpq_jc_strategy_t *s) {
  for (int l = 0; l < g->n_layers; l++) {
    int64_t kept = 0;
    for (int64_t c = 0; c < g->layers[l].desc.cout; c++) {
      int b = s->bits[l][c];
      if (b && cand_index(cfg, b) < 0)
        return false;
      kept += b != 0;
    }
    if (kept < 1)
      return false;
  }
  for (int i = 0; i < g->n_groups; i++) {
    const ajpq_cg_group_t *G = &g->groups[i];
    bool z = s->bits[G->member_layer[0]][G->member_chan[0]] == 0;
    if (z && cfg->group_fixed[i])
      return false;
    for (int j = 1; j < G->n_members; j++)
      if ((s->bits[G->member_layer[j]][G->member_chan[j]] == 0) != z)
        return false;
  }
  return true;
}

ajpq_status_t ajpq_jc_masked_weights(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                                     const ajpq_jc_strategy_t *s, const uint8_t *group_erased,
                                     int l, float *w) {
  const ajpq_cg_layer_t *L = &g->layers[l];
  const int64_t K = L->k, cout = L->desc.cout;
  if (!L->weights)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "layer '%s' has no float weights", L->name);
  if (cfg->skip && cfg->skip[l]) {
    memcpy(w, L->weights, (size_t)(cout * K) * sizeof(float));
    return NULL;
  }
  /* kept columns of a row: for conv/matmul, columns whose input channel is
   * kept; depthwise rows read one (tied) input channel: all columns */
  uint8_t *colk = malloc((size_t)K);
  uint8_t *in_kept = malloc((size_t)(L->desc.cin ? L->desc.cin : 1));
  float *tmp = malloc((size_t)K * sizeof(float));
  uint8_t *codes = malloc((size_t)K);
  if (!colk || !in_kept || !tmp || !codes) {
    free(colk);
    free(in_kept);
    free(tmp);
    free(codes);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  }
  ajpq_cg_input_kept(g, l, group_erased, in_kept);
  int64_t cin_g = L->desc.cin / L->desc.groups;
  for (int64_t k = 0; k < K; k++)
    colk[k] = L->desc.kind == AJPQ_COSTMODEL_DEPTHWISE ? 1 : in_kept[k % cin_g];
  ajpq_status_t st = NULL;
  for (int64_t c = 0; c < cout && !st; c++) {
    float *row = w + c * K;
    int b = s->bits[l][c];
    if (b == 0) {
      memset(row, 0, (size_t)K * sizeof(float));
      continue;
    }
    int64_t n = 0;
    for (int64_t k = 0; k < K; k++)
      if (colk[k])
        tmp[n++] = L->weights[c * K + k];
    float scale, zp;
    if (n > 0 && b < AJPQ_COSTMODEL_FLOAT_BITS) {
      st = ajpq_jc_wq_quant_row(g, cfg, l, c, colk, tmp, n, b, codes, &scale, &zp);
      if (st)
        break;
      ajpq_dequant_channel(codes, n, scale, zp, tmp);
    }
    int64_t j = 0;
    for (int64_t k = 0; k < K; k++)
      row[k] = colk[k] ? tmp[j++] : 0.0f;
  }
  free(colk);
  free(in_kept);
  free(tmp);
  free(codes);
  return st;
}

void ajpq_jc_relative_importance(const ajpq_cg_layer_t *L, double *key) {
  double mean = 0;
  for (int64_t ch = 0; ch < L->desc.cout; ch++)
    mean += L->importance ? L->importance[ch] : 0;
  mean /= (double)L->desc.cout;
  for (int64_t ch = 0; ch < L->desc.cout; ch++)
    key[ch] = mean > 0 && L->importance ? L->importance[ch] / mean : 0;
}

bool ajpq_jc_shift_layer(const ajpq_jc_config_t *cfg, ajpq_jc_strategy_t *s, int l, int dir) {
  bool changed = false;
  for (int64_t ch = 0; ch < s->n_chan[l]; ch++) {
    int b = s->bits[l][ch], ci = cand_index(cfg, b);
    if (b == 0 || ci < 0 || ci + dir < 0 || ci + dir >= cfg->n_cand)
      continue;
    s->bits[l][ch] = (uint8_t)cfg->cand[ci + dir];
    changed = true;
  }
  return changed;
}

int ajpq_jc_fill_layers(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                        const ajpq_costmodel_cost_t *fp32, ajpq_jc_strategy_t *s) {
  ajpq_jc_strategy_t *t = ajpq_jc_strategy_create(g);
  if (!t)
    return -1;
  int raises = 0;
  for (bool changed = true; changed;) {
    changed = false;
    for (int l = 0; l < g->n_layers; l++) {
      if (cfg->skip && cfg->skip[l])
        continue;
      ajpq_jc_strategy_copy(t, s);
      if (!ajpq_jc_shift_layer(cfg, t, l, +1))
        continue;
      ajpq_costmodel_cost_t cc;
      ajpq_jc_cost(g, cfg, t, &cc, NULL);
      if (!ajpq_jc_within_budget(cfg, &cc, fp32))
        continue;
      memcpy(s->bits[l], t->bits[l], (size_t)s->n_chan[l]);
      raises++;
      changed = true;
    }
  }
  ajpq_jc_strategy_destroy(t);
  return raises;
}

/* Bits a restored channel ch of layer l gets: those of its nearest more
 * important kept channel (= the smallest bits among the more important kept
 * ones, the layer being monotone), or, if none is more important, the
 * largest kept bits — either way the layer stays monotone in importance. */
static int restore_bits(const ajpq_cg_layer_t *L, const ajpq_jc_strategy_t *s, int l, int64_t ch) {
  int above = 0, any = 0;
  double imp = L->importance ? L->importance[ch] : 0;
  for (int64_t o = 0; o < L->desc.cout; o++) {
    int b = s->bits[l][o];
    if (!b || o == ch)
      continue;
    if (b > any)
      any = b;
    double io = L->importance ? L->importance[o] : 0;
    bool more = io > imp || (io == imp && o < ch); /* ties: lower index first, as the rank */
    if (more && (!above || b < above))
      above = b;
  }
  return above ? above : any;
}

int ajpq_jc_fill_groups(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                        const ajpq_costmodel_cost_t *fp32, ajpq_jc_strategy_t *s) {
  int ng = g->n_groups;
  int *idx = malloc((size_t)(ng ? ng : 1) * sizeof(int));
  double *key = malloc((size_t)(ng ? ng : 1) * sizeof(double));
  double *lsum = calloc((size_t)(g->n_layers ? g->n_layers : 1), sizeof(double));
  int *lcnt = calloc((size_t)(g->n_layers ? g->n_layers : 1), sizeof(int));
  uint8_t *erased = malloc((size_t)(ng ? ng : 1));
  int maxm = 1;
  for (int i = 0; i < ng; i++)
    if (g->groups[i].n_members > maxm)
      maxm = g->groups[i].n_members;
  uint8_t *saved = malloc((size_t)maxm); /* the restored bits of one group's members */
  int restored = 0;
  if (!idx || !key || !lsum || !lcnt || !erased || !saved) {
    restored = -1;
    goto out;
  }
  ajpq_jc_group_erased(g, s, erased);
  /* a group's importance relative to the mean of the groups its leader leads
   * (raw sums are not comparable across layers of different widths) */
  for (int i = 0; i < ng; i++) {
    lsum[g->groups[i].leader] += g->groups[i].importance;
    lcnt[g->groups[i].leader]++;
  }
  int n = 0;
  for (int i = 0; i < ng; i++) {
    const ajpq_cg_group_t *G = &g->groups[i];
    if (!erased[i] || cfg->group_fixed[i] || G->n_members == 0)
      continue;
    double mean = lsum[G->leader] / lcnt[G->leader];
    key[i] = mean > 0 ? G->importance / mean : 0;
    idx[n++] = i;
  }
  /* most important first; ties by group index (deterministic) */
  for (int a = 1; a < n; a++)
    for (int b = a; b > 0; b--) {
      int x = idx[b], y = idx[b - 1];
      if (key[x] > key[y] || (key[x] == key[y] && x < y)) {
        idx[b] = y;
        idx[b - 1] = x;
      } else {
        break;
      }
    }
  /* one pass suffices: restoring only adds cost, so a group that does not
   * fit now never fits after further restores */
  for (int k = 0; k < n; k++) {
    const ajpq_cg_group_t *G = &g->groups[idx[k]];
    bool ok = true;
    for (int j = 0; j < G->n_members; j++) {
      int l = G->member_layer[j];
      int b = restore_bits(&g->layers[l], s, l, G->member_chan[j]);
      ok &= b > 0;
      saved[j] = (uint8_t)b;
    }
    if (!ok) /* a member layer with no kept channel: cannot happen (min-keep >= 1) */
      continue;
    for (int j = 0; j < G->n_members; j++)
      s->bits[G->member_layer[j]][G->member_chan[j]] = saved[j];
    ajpq_costmodel_cost_t c;
    ajpq_jc_cost(g, cfg, s, &c, NULL);
    if (ajpq_jc_within_budget(cfg, &c, fp32)) {
      restored++;
      continue;
    }
    for (int j = 0; j < G->n_members; j++)
      s->bits[G->member_layer[j]][G->member_chan[j]] = 0;
  }
out:
  free(idx);
  free(key);
  free(lsum);
  free(lcnt);
  free(erased);
  free(saved);
  return restored;
}

ajpq_status_t ajpq_jc_refine(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                             const ajpq_costmodel_cost_t *fp32, ajpq_jc_reward_fn reward,
                             void *user, int passes, bool quiet, ajpq_jc_strategy_t *best,
                             ajpq_jc_refine_result_t *res) {
  int L = g->n_layers;
  double *sens = malloc((size_t)(L ? L : 1) * sizeof(double));
  int *order = malloc((size_t)(L ? L : 1) * sizeof(int));
  uint8_t *low = malloc((size_t)(L ? L : 1));
  ajpq_jc_strategy_t *t = ajpq_jc_strategy_create(g);
  ajpq_status_t st = NULL;
  if (!sens || !order || !low || !t) {
    st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
    goto out;
  }
  double cur_r = res->reward, cur_m = res->metric;
  /* 1. sensitivity of every layer: reward lost one candidate step lower */
  for (int l = 0; l < L && !st; l++) {
    order[l] = l;
    sens[l] = INFINITY; /* cannot be lowered */
    if (cfg->skip && cfg->skip[l])
      continue;
    ajpq_jc_strategy_copy(t, best);
    if (!ajpq_jc_shift_layer(cfg, t, l, -1))
      continue;
    double r, m;
    st = reward(user, t, &r, &m);
    res->evals++;
    sens[l] = cur_r - r;
  }
  if (st) /* an evaluator error: order[]/sens[] are only partly filled, nothing to sort */
    goto out;
  /* least sensitive first (stable by layer index) */
  for (int i = 1; i < L; i++)
    for (int j = i; j > 0 && sens[order[j]] < sens[order[j - 1]]; j--) {
      int x = order[j];
      order[j] = order[j - 1];
      order[j - 1] = x;
    }
  /* 2. sweeps: raise layer i, pay with the least sensitive layers */
  for (int p = 0; p < passes && !st; p++) {
    int moves = 0;
    for (int i = 0; i < L && !st; i++) {
      if (cfg->skip && cfg->skip[i])
        continue;
      ajpq_jc_strategy_copy(t, best);
      if (!ajpq_jc_shift_layer(cfg, t, i, +1))
        continue;
      memset(low, 0, (size_t)L);
      low[i] = 1;
      ajpq_costmodel_cost_t cc;
      ajpq_jc_cost(g, cfg, t, &cc, NULL);
      bool ok = ajpq_jc_within_budget(cfg, &cc, fp32);
      for (int k = 0; k < L && !ok; k++) {
        int j = order[k];
        if (low[j] || !isfinite(sens[j]) || (cfg->skip && cfg->skip[j]))
          continue;
        if (!ajpq_jc_shift_layer(cfg, t, j, -1))
          continue;
        low[j] = 1;
        ajpq_jc_cost(g, cfg, t, &cc, NULL);
        ok = ajpq_jc_within_budget(cfg, &cc, fp32);
      }
      if (!ok)
        continue;
      /* lowering whole layers overshoots: give what is left back by layer
       * steps (may re-raise a lowered layer), so moves do not leak budget */
      if (ajpq_jc_fill_layers(g, cfg, fp32, t) < 0) {
        st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
        break;
      }
      double r, m;
      st = reward(user, t, &r, &m);
      res->evals++;
      if (!st && r > cur_r) {
        cur_r = r;
        cur_m = m;
        ajpq_jc_strategy_copy(best, t);
        res->moves++;
        moves++;
      }
    }
    if (!quiet && !st)
      fprintf(stderr, "ajpq/refine: pass %d: %d moves, best reward %.4f metric %.4f\n", p + 1,
              moves, cur_r, cur_m);
    if (!moves)
      break;
  }
  res->reward = cur_r;
  res->metric = cur_m;
out:
  free(sens);
  free(order);
  free(low);
  ajpq_jc_strategy_destroy(t);
  return st;
}
