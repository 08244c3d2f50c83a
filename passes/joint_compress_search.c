/* joint_compress_search.c — the search policies of --joint-compress.
 *
 * One episode walks the layers in program order. At layer l:
 *  - the layer controller's action a_s ∈ [0,1] gives the sparsity
 *    s = a_s³ · 0.8 of the channel groups l leads (the groups whose first
 *    layer is l); the floor(s·n + 0.5) least important erasable groups are
 *    erased (0 bits in every member layer), never leaving a layer with fewer
 *    than min-keep channels;
 *  - the channel controller's actions (a_hi, a_lo) pick candidate indices
 *    i = min(⌊a·n_cand⌋, n_cand−1) for the most and least important kept
 *    channel of l; kept channel of importance rank r (0 = most important)
 *    of n gets cand[round(hi + (lo − hi)·r/(n−1))], lo ≤ hi — so a less
 *    important channel never gets more bits than a more important one;
 *  - budget clipping (AMC): with the later layers at their cheapest
 *    setting, if the total exceeds the budget, lower hi (then lo), then
 *    erase one more led group, until it fits or nothing is left.
 * After the episode ajpq_jc_enforce() guarantees the budget; the candidate
 * is evaluated, and the best-reward strategy seen is the result.
 *
 * State (HAQ/AMC style, min-max normalised across layers): layer index,
 * depthwise flag, matmul flag, in channels, out channels, kernel size,
 * weights, output positions, MACs, led-group fraction; dynamic: size so far
 * / fp32, budget left / fp32, previous sparsity, previous hi, previous lo
 * (+ the chosen sparsity for the channel controller).
 */
#include "ajpq_joint_compress.h"
#include "ajpq_rl.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NS_STATIC 10
#define NS (NS_STATIC + 5)
#define MAX_SPARSITY 0.8
/* sparsity = a^SPARSITY_POW · MAX_SPARSITY: without fine-tuning, erasing
 * channels costs far more accuracy than lowering bits, so a uniform action
 * (warm-up, exploration) should mostly mean light pruning (mean 0.2). */
#define SPARSITY_POW 3.0

typedef struct {
  const ajpq_channel_graph_t *g;
  const ajpq_jc_config_t *cfg;
  const ajpq_jc_config_t *enf; /* config of the post-episode enforcement (may erase where
                                  cfg may not: two-step's bit phase) */
  ajpq_costmodel_cost_t fp32;
  ajpq_jc_strategy_t *min, *cur, *tmp;
  int **led;     /* per layer: erasable groups it leads, ascending importance */
  int *n_led;
  int **rank;    /* per layer: channels by descending importance */
  double *feat;  /* [n_layers][NS_STATIC] */
  int64_t *kept;
  double prev[3];
} ctx_t;

ajpq_jc_clock_t ajpq_jc_clock_now(void) {
  struct timespec w, c;
  clock_gettime(CLOCK_MONOTONIC, &w);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
  return (ajpq_jc_clock_t){(double)w.tv_sec + (double)w.tv_nsec * 1e-9,
                           (double)c.tv_sec + (double)c.tv_nsec * 1e-9};
}

void ajpq_jc_clock_add(ajpq_jc_clock_t *acc, ajpq_jc_clock_t start) {
  ajpq_jc_clock_t now = ajpq_jc_clock_now();
  acc->wall += now.wall - start.wall;
  acc->cpu += now.cpu - start.cpu;
}

/* acc += now − *t; *t = now (consecutive laps of one loop body). */
static void lap(ajpq_jc_clock_t *acc, ajpq_jc_clock_t *t) {
  ajpq_jc_clock_t now = ajpq_jc_clock_now();
  acc->wall += now.wall - t->wall;
  acc->cpu += now.cpu - t->cpu;
  *t = now;
}

/* One evaluation, timed into res->time.eval. */
static ajpq_status_t timed_reward(ajpq_jc_reward_fn reward, void *user, const ajpq_jc_strategy_t *s,
                                  double *r, double *m, ajpq_jc_search_result_t *res) {
  ajpq_jc_clock_t t = ajpq_jc_clock_now();
  ajpq_status_t st = reward(user, s, r, m);
  ajpq_jc_clock_add(&res->time.eval, t);
  res->time.evals++;
  return st;
}

static const double *g_key;
static int cmp_asc(const void *a, const void *b) {
  int i = *(const int *)a, j = *(const int *)b;
  if (g_key[i] != g_key[j])
    return g_key[i] < g_key[j] ? -1 : 1;
  return i < j ? -1 : i > j;
}
static int cmp_desc(const void *a, const void *b) {
  int i = *(const int *)a, j = *(const int *)b;
  if (g_key[i] != g_key[j])
    return g_key[i] > g_key[j] ? -1 : 1;
  return i < j ? -1 : i > j;
}

static void ctx_free(ctx_t *c) {
  ajpq_jc_strategy_destroy(c->min);
  ajpq_jc_strategy_destroy(c->cur);
  ajpq_jc_strategy_destroy(c->tmp);
  if (c->led)
    for (int l = 0; l < c->g->n_layers; l++)
      free(c->led[l]);
  if (c->rank)
    for (int l = 0; l < c->g->n_layers; l++)
      free(c->rank[l]);
  free(c->led);
  free(c->n_led);
  free(c->rank);
  free(c->feat);
  free(c->kept);
}

static bool ctx_init(ctx_t *c, const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg) {
  memset(c, 0, sizeof *c);
  c->g = g;
  c->cfg = cfg;
  c->enf = cfg;
  int L = g->n_layers;
  ajpq_jc_cost_fp32(g, &c->fp32);
  c->min = ajpq_jc_strategy_create(g);
  c->cur = ajpq_jc_strategy_create(g);
  c->tmp = ajpq_jc_strategy_create(g);
  c->led = calloc((size_t)L, sizeof(int *));
  c->n_led = calloc((size_t)L, sizeof(int));
  c->rank = calloc((size_t)L, sizeof(int *));
  c->feat = calloc((size_t)L * NS_STATIC, sizeof(double));
  c->kept = calloc((size_t)L, sizeof(int64_t));
  double *gkey = malloc((size_t)(g->n_groups ? g->n_groups : 1) * sizeof(double));
  if (!c->min || !c->cur || !c->tmp || !c->led || !c->n_led || !c->rank || !c->feat || !c->kept ||
      !gkey) {
    free(gkey);
    return false;
  }
  ajpq_jc_min_strategy(g, cfg, c->min);
  for (int i = 0; i < g->n_groups; i++)
    gkey[i] = g->groups[i].importance;
  for (int l = 0; l < L; l++) {
    const ajpq_cg_layer_t *Ly = &g->layers[l];
    c->led[l] = malloc((size_t)(g->n_groups ? g->n_groups : 1) * sizeof(int));
    c->rank[l] = malloc((size_t)Ly->desc.cout * sizeof(int));
    if (!c->led[l] || !c->rank[l]) {
      free(gkey);
      return false;
    }
    for (int i = 0; i < g->n_groups; i++)
      if (g->groups[i].leader == l && !cfg->group_fixed[i])
        c->led[l][c->n_led[l]++] = i;
    g_key = gkey;
    qsort(c->led[l], (size_t)c->n_led[l], sizeof(int), cmp_asc);
    static const double zero = 0;
    for (int64_t ch = 0; ch < Ly->desc.cout; ch++)
      c->rank[l][ch] = (int)ch;
    g_key = Ly->importance ? Ly->importance : &zero;
    if (Ly->importance)
      qsort(c->rank[l], (size_t)Ly->desc.cout, sizeof(int), cmp_desc);
    double *f = c->feat + (size_t)l * NS_STATIC;
    ajpq_costmodel_cost_t lc;
    ajpq_status_free(ajpq_costmodel_layer(&Ly->desc, NULL, NULL, 32, &lc));
    f[0] = l;
    f[1] = Ly->desc.kind == AJPQ_COSTMODEL_DEPTHWISE;
    f[2] = Ly->desc.kind == AJPQ_COSTMODEL_MATMUL;
    f[3] = (double)Ly->desc.cin;
    f[4] = (double)Ly->desc.cout;
    f[5] = (double)(Ly->desc.kh * Ly->desc.kw);
    f[6] = (double)(Ly->desc.cout * Ly->k);
    f[7] = (double)(Ly->desc.out_h * Ly->desc.out_w);
    f[8] = (double)lc.macs;
    f[9] = (double)c->n_led[l] / (double)Ly->desc.cout;
  }
  free(gkey);
  /* min-max normalise each static feature across layers */
  for (int k = 0; k < NS_STATIC; k++) {
    double lo = INFINITY, hi = -INFINITY;
    for (int l = 0; l < L; l++) {
      lo = fmin(lo, c->feat[l * NS_STATIC + k]);
      hi = fmax(hi, c->feat[l * NS_STATIC + k]);
    }
    for (int l = 0; l < L; l++)
      c->feat[l * NS_STATIC + k] = hi > lo ? (c->feat[l * NS_STATIC + k] - lo) / (hi - lo) : 0.0;
  }
  return true;
}

/* The measure the dynamic state tracks: the first budget that is set. */
static double measure(const ajpq_jc_config_t *cfg, const ajpq_costmodel_cost_t *c,
                      const ajpq_costmodel_cost_t *f, double *limit) {
  const ajpq_jc_budget_t *b = &cfg->budget;
  if (b->size_ratio > 0 || b->size_bytes > 0) {
    double lim = b->size_ratio > 0 ? b->size_ratio : 1.0;
    if (b->size_bytes > 0)
      lim = fmin(lim, (double)b->size_bytes / (double)f->weight_bytes);
    *limit = lim;
    return (double)c->weight_bytes / (double)f->weight_bytes;
  }
  if (b->macs_ratio > 0) {
    *limit = b->macs_ratio;
    return (double)c->macs / (double)f->macs;
  }
  *limit = b->bitops_ratio > 0 ? b->bitops_ratio : 1.0;
  return (double)c->bitops / (double)(f->bitops ? f->bitops : 1);
}

/* tmp ← cur for layers <= l, cheapest setting for the rest (see top). */
static void tentative(ctx_t *c, int l) {
  const ajpq_channel_graph_t *g = c->g;
  for (int k = 0; k < g->n_layers; k++) {
    for (int64_t ch = 0; ch < g->layers[k].desc.cout; ch++) {
      if (k <= l) {
        c->tmp->bits[k][ch] = c->cur->bits[k][ch];
        continue;
      }
      int gi = g->chan_group[k][ch];
      int leader = g->groups[gi].leader;
      bool erased = leader <= l ? c->cur->bits[k][ch] == 0 : c->min->bits[k][ch] == 0;
      c->tmp->bits[k][ch] = erased ? 0 : (uint8_t)c->cfg->cand[0];
    }
  }
}

static void layer_state(ctx_t *c, int l, double *s) {
  memcpy(s, c->feat + (size_t)l * NS_STATIC, NS_STATIC * sizeof(double));
  ajpq_costmodel_cost_t done;
  double lim;
  tentative(c, l - 1);
  ajpq_jc_cost(c->g, c->cfg, c->tmp, &done, NULL);
  double m = measure(c->cfg, &done, &c->fp32, &lim);
  s[NS_STATIC + 0] = fmin(m, 2.0);
  s[NS_STATIC + 1] = fmax(-1.0, fmin(lim - m, 1.0));
  s[NS_STATIC + 2] = c->prev[0];
  s[NS_STATIC + 3] = c->prev[1];
  s[NS_STATIC + 4] = c->prev[2];
}

static int act_index(const ajpq_jc_config_t *cfg, double a) {
  int i = (int)floor(a * cfg->n_cand);
  return i < 0 ? 0 : i >= cfg->n_cand ? cfg->n_cand - 1 : i;
}

static bool can_erase_group(ctx_t *c, int gi) {
  const ajpq_cg_group_t *G = &c->g->groups[gi];
  if (c->cfg->group_fixed[gi] || c->cur->bits[G->member_layer[0]][G->member_chan[0]] == 0)
    return false;
  for (int j = 0; j < G->n_members;) {
    int l = G->member_layer[j], n = 0;
    while (j < G->n_members && G->member_layer[j] == l) {
      n++;
      j++;
    }
    if (c->kept[l] - n < c->cfg->min_keep)
      return false;
  }
  return true;
}

static void erase(ctx_t *c, int gi) {
  const ajpq_cg_group_t *G = &c->g->groups[gi];
  for (int j = 0; j < G->n_members; j++) {
    uint8_t *b = &c->cur->bits[G->member_layer[j]][G->member_chan[j]];
    if (*b)
      c->kept[G->member_layer[j]]--;
    *b = 0;
  }
}

static void assign_bits(ctx_t *c, int l, int hi, int lo, int fixed_bits) {
  const ajpq_cg_layer_t *L = &c->g->layers[l];
  int64_t n = 0;
  for (int64_t r = 0; r < L->desc.cout; r++)
    n += c->cur->bits[l][c->rank[l][r]] != 0;
  int64_t r = 0;
  for (int64_t j = 0; j < L->desc.cout; j++) {
    int ch = c->rank[l][j];
    if (c->cur->bits[l][ch] == 0)
      continue;
    if (fixed_bits) {
      c->cur->bits[l][ch] = (uint8_t)fixed_bits;
    } else {
      double t = n > 1 ? (double)r / (double)(n - 1) : 0.0;
      int idx = (int)floor(hi + (lo - hi) * t + 0.5);
      c->cur->bits[l][ch] = (uint8_t)c->cfg->cand[idx];
    }
    r++;
  }
}

/* Applies layer l's decisions with budget clipping. sparsity < 0: no
 * pruning decision (keep cur's erasure). fixed_bits: use these bits for all
 * kept channels (two-step phase A) and clip only by erasing. Returns the
 * effective (clipped) actions in eff[3]. */
static void apply_layer(ctx_t *c, int l, double sparsity, int hi, int lo, int fixed_bits,
                        double *eff) {
  int n_led = c->n_led[l], e = 0;
  if (sparsity >= 0) {
    int want = (int)floor(pow(sparsity, SPARSITY_POW) * MAX_SPARSITY * n_led + 0.5);
    for (int i = 0; i < n_led && e < want; i++)
      if (can_erase_group(c, c->led[l][i])) {
        erase(c, c->led[l][i]);
        e++;
      }
  }
  if (lo > hi)
    lo = hi;
  int next_led = 0;
  for (;;) {
    assign_bits(c, l, hi, lo, fixed_bits);
    tentative(c, l);
    ajpq_costmodel_cost_t cost;
    ajpq_jc_cost(c->g, c->cfg, c->tmp, &cost, NULL);
    if (ajpq_jc_within_budget(c->cfg, &cost, &c->fp32))
      break;
    if (!fixed_bits && hi > lo) {
      hi--;
      continue;
    }
    if (!fixed_bits && lo > 0) {
      lo--;
      hi = lo;
      continue;
    }
    if (sparsity < 0)
      break;
    bool erased_one = false;
    for (; next_led < n_led && !erased_one; next_led++)
      if (can_erase_group(c, c->led[l][next_led])) {
        erase(c, c->led[l][next_led]);
        e++;
        erased_one = true;
      }
    if (!erased_one)
      break;
  }
  eff[0] = n_led ? pow(fmin(1.0, (double)e / (MAX_SPARSITY * n_led)), 1.0 / SPARSITY_POW) : 0.0;
  eff[1] = (hi + 0.5) / c->cfg->n_cand;
  eff[2] = (lo + 0.5) / c->cfg->n_cand;
}

static void reset_episode(ctx_t *c, const ajpq_jc_strategy_t *base) {
  for (int l = 0; l < c->g->n_layers; l++) {
    const ajpq_cg_layer_t *L = &c->g->layers[l];
    if (base)
      memcpy(c->cur->bits[l], base->bits[l], (size_t)L->desc.cout);
    else
      memset(c->cur->bits[l], c->cfg->cand[c->cfg->n_cand - 1], (size_t)L->desc.cout);
    c->kept[l] = 0;
    for (int64_t ch = 0; ch < L->desc.cout; ch++)
      c->kept[l] += c->cur->bits[l][ch] != 0;
  }
  c->prev[0] = 0;
  c->prev[1] = c->prev[2] = 1;
}

static void progress(const ajpq_jc_search_opts_t *o, const char *phase, int ep, int total,
                     double best_r, double best_m, double ratio, double t0, bool final) {
  if (o->quiet)
    return;
  double el = ajpq_jc_clock_now().wall - t0;
  double eta = ep > 0 ? el / ep * (total - ep) : 0;
  if (o->progress_tty) {
    int w = 24, fill = total ? ep * w / total : w;
    fprintf(stderr, "\r%s [", phase);
    for (int i = 0; i < w; i++)
      fputc(i < fill ? '#' : '.', stderr);
    fprintf(stderr, "] ep %d/%d best reward %.4f metric %.4f size %.4f ETA %.0fs ", ep, total,
            best_r, best_m, ratio, eta);
    if (final)
      fputc('\n', stderr);
  } else {
    int step = total >= 10 ? total / 10 : 1;
    if (final || (ep > 0 && ep % step == 0))
      fprintf(stderr, "%s: episode %d/%d best reward %.4f metric %.4f size %.4f\n", phase, ep,
              total, best_r, best_m, ratio);
  }
}

/* Optional budget filling (fill-budget=true): after enforcement, raise bits
 * one candidate step at a time, most important channel first (importance /
 * layer mean), keeping every layer monotone in importance, while every
 * budget still holds. Erasure is unchanged, so only the raised channel's own
 * bytes and BitOPs change (computed incrementally). Returns the raises. */
static int fill_budget(ctx_t *c, ajpq_jc_strategy_t *s) {
  const ajpq_channel_graph_t *g = c->g;
  const ajpq_jc_config_t *cfg = c->cfg;
  ajpq_costmodel_cost_t tot;
  ajpq_jc_cost(g, cfg, s, &tot, NULL);
  int64_t n = 0;
  for (int l = 0; l < g->n_layers; l++)
    n += g->layers[l].desc.cout;
  int *idx = malloc((size_t)(n ? n : 1) * sizeof(int)), *lay = malloc((size_t)(n ? n : 1) * sizeof(int));
  int *chn = malloc((size_t)(n ? n : 1) * sizeof(int));
  double *key = malloc((size_t)(n ? n : 1) * sizeof(double));
  uint8_t *ge = malloc((size_t)(g->n_groups ? g->n_groups : 1));
  int64_t *kin = malloc((size_t)(g->n_layers ? g->n_layers : 1) * sizeof(int64_t) * 1);
  int raises = 0;
  if (!idx || !lay || !chn || !key || !ge || !kin)
    goto out;
  ajpq_jc_group_erased(g, s, ge);
  int64_t i = 0;
  for (int l = 0; l < g->n_layers; l++) {
    const ajpq_cg_layer_t *L = &g->layers[l];
    uint8_t *ik = malloc((size_t)L->desc.cin);
    if (!ik)
      goto out;
    ajpq_cg_input_kept(g, l, ge, ik);
    kin[l] = 0; /* kept inputs per group (uniform for conv/matmul; depthwise: 1) */
    int64_t cin_g = L->desc.cin / L->desc.groups;
    for (int64_t q = 0; q < cin_g; q++)
      kin[l] += ik[q];
    if (L->desc.kind == AJPQ_COSTMODEL_DEPTHWISE)
      kin[l] = 1;
    free(ik);
    ajpq_jc_relative_importance(L, key + i);
    for (int64_t ch = 0; ch < L->desc.cout; ch++, i++) {
      idx[i] = (int)i;
      lay[i] = l;
      chn[i] = (int)ch;
    }
  }
  g_key = key;
  qsort(idx, (size_t)n, sizeof(int), cmp_desc);
  for (bool changed = true; changed;) {
    changed = false;
    for (int64_t j = 0; j < n; j++) {
      int l = lay[idx[j]], ch = chn[idx[j]];
      const ajpq_cg_layer_t *L = &g->layers[l];
      if (cfg->skip && cfg->skip[l])
        continue;
      int b = s->bits[l][ch], ci = -1;
      for (int q = 0; q < cfg->n_cand; q++)
        if (cfg->cand[q] == b)
          ci = q;
      if (b == 0 || ci < 0 || ci + 1 >= cfg->n_cand)
        continue;
      int nb = cfg->cand[ci + 1];
      /* monotone: no more bits than any more important kept channel */
      bool ok = true;
      for (int64_t r = 0; r < L->desc.cout && ok; r++) {
        int o = c->rank[l][r];
        if (o == ch)
          break;
        if (s->bits[l][o] && s->bits[l][o] < nb)
          ok = false;
      }
      if (!ok)
        continue;
      ajpq_costmodel_cost_t t2 = tot;
      int64_t k = L->desc.kh * L->desc.kw * kin[l];
      t2.weight_bytes += ajpq_costmodel_channel_bytes(&L->desc, kin[l], nb) -
                         ajpq_costmodel_channel_bytes(&L->desc, kin[l], b);
      t2.bitops += L->desc.out_h * L->desc.out_w * k * (nb - b) * cfg->act_bits;
      if (!ajpq_jc_within_budget(cfg, &t2, &c->fp32))
        continue;
      s->bits[l][ch] = (uint8_t)nb;
      tot = t2;
      raises++;
      changed = true;
    }
  }
out:
  free(idx);
  free(lay);
  free(chn);
  free(key);
  free(ge);
  free(kin);
  return raises;
}

/* Scripted heuristic episodes of policy ajpq (heuristic-episodes=N,
 * docs/search.md "Heuristic episodes"): what a two-step user would do —
 * prune every layer by a fixed profile, then give the kept channels
 * per-layer bits by measured sensitivity — played through the same episode
 * machinery (layer by layer with budget clipping, enforcement, filling) so
 * that their (s, a, r, s') go to the agents' replay buffers and the
 * best-so-far starts from them. Profile k (mod 8): 0 → no pruning; else a
 * ramp of the sparsity of each layer's led groups from 0 at the first layer
 * to HEUR_STEP·(k+1) (0.2 … 0.8) at the last. A ramp, not a uniform
 * sparsity: early layers lead the groups that run through a whole residual
 * stage (erasing one removes a channel from every layer of the stage), late
 * layers lead the few channels a stage pads in; two-step's pruning phase
 * erased those on BlazeFace, and uniform profiles measured at chance there
 * (calibration accuracy 0.50–0.53 for sparsity 0.1–0.3 at 1/8). */
#define HEUR_STEP 0.1
static double heuristic_sparsity(int k, int l, int L) {
  double top = fmin(HEUR_STEP * (k % 8 + 1), MAX_SPARSITY); /* k = 0: no pruning */
  return k % 8 == 0 ? 0.0 : top * (L > 1 ? (double)l / (L - 1) : 1.0);
}

/* The layer controller's action giving sparsity s (inverse of the cubic map). */
static double sparsity_action(double s) { return pow(s / MAX_SPARSITY, 1.0 / SPARSITY_POW); }

/* Erases, in c->cur from a fresh episode, what profile k's actions erase;
 * every kept channel at the widest candidate. */
static void heuristic_erase(ctx_t *c, int k) {
  int L = c->g->n_layers;
  reset_episode(c, NULL);
  for (int l = 0; l < L; l++) {
    double a = sparsity_action(heuristic_sparsity(k, l, L));
    int want = (int)floor(pow(a, SPARSITY_POW) * MAX_SPARSITY * c->n_led[l] + 0.5);
    for (int i = 0, e = 0; i < c->n_led[l] && e < want; i++)
      if (can_erase_group(c, c->led[l][i])) {
        erase(c, c->led[l][i]);
        e++;
      }
  }
}

/* Per-layer sensitivity for the heuristic episodes: sens[l] = reward of the
 * unpruned widest-candidate strategy − reward with layer l alone at the
 * narrowest candidate (L + 1 evaluations, timed as evaluations; clamped to
 * ≥ 1e-6 so that every layer has a finite price). */
static ajpq_status_t heuristic_sensitivity(ctx_t *c, ajpq_jc_reward_fn reward, void *user,
                                           ajpq_jc_search_result_t *res, double *sens) {
  const ajpq_channel_graph_t *g = c->g;
  reset_episode(c, NULL);
  double r0, r, m;
  ajpq_status_t st = timed_reward(reward, user, c->cur, &r0, &m, res);
  for (int l = 0; l < g->n_layers && !st; l++) {
    sens[l] = 1e-6;
    if (c->cfg->skip && c->cfg->skip[l])
      continue;
    ajpq_jc_strategy_copy(c->tmp, c->cur);
    memset(c->tmp->bits[l], c->cfg->cand[0], (size_t)g->layers[l].desc.cout);
    st = timed_reward(reward, user, c->tmp, &r, &m, res);
    if (!st)
      sens[l] = fmax(r0 - r, 1e-6);
  }
  return st;
}

/* Relative output noise of b-bit weights (uniform quantization: ∝ 4^−b),
 * normalised to 1 at the narrowest candidate and 0 at the widest. */
static double bit_noise(const ajpq_jc_config_t *cfg, int b) {
  double lo = ldexp(1.0, -2 * cfg->cand[0]), hi = ldexp(1.0, -2 * cfg->cand[cfg->n_cand - 1]);
  return lo > hi ? (ldexp(1.0, -2 * b) - hi) / (lo - hi) : 0.0;
}

/* Per-layer candidate indices for profile k (into hb[L]): profile k's
 * erasure, every kept channel at the widest candidate; then, until every
 * budget holds, the layer with the smallest estimated reward loss per byte
 * saved goes one candidate step down — loss of layer l at b bits =
 * sens[l]·bit_noise(b) (HAWQ-style sensitivity / size greedy). Leaves
 * c->cur as the resulting strategy. */
static void heuristic_bits(ctx_t *c, int k, const double *sens, int *hb) {
  const ajpq_channel_graph_t *g = c->g;
  const ajpq_jc_config_t *cfg = c->cfg;
  int L = g->n_layers, top = cfg->n_cand - 1;
  heuristic_erase(c, k);
  for (int l = 0; l < L; l++)
    hb[l] = top;
  ajpq_costmodel_cost_t cc, lc;
  ajpq_jc_cost(g, cfg, c->cur, &cc, NULL);
  while (!ajpq_jc_within_budget(cfg, &cc, &c->fp32)) {
    int best = -1;
    double price = INFINITY;
    for (int l = 0; l < L; l++) {
      if (hb[l] == 0 || (cfg->skip && cfg->skip[l]))
        continue;
      ajpq_jc_strategy_copy(c->tmp, c->cur);
      ajpq_jc_shift_layer(cfg, c->tmp, l, -1);
      ajpq_jc_cost(g, cfg, c->tmp, &lc, NULL);
      double saved = (double)(cc.weight_bytes - lc.weight_bytes);
      double loss = sens[l] * (bit_noise(cfg, cfg->cand[hb[l] - 1]) -
                               bit_noise(cfg, cfg->cand[hb[l]]));
      double p = saved > 0 ? loss / saved : INFINITY;
      if (best < 0 || p < price) {
        price = p;
        best = l;
      }
    }
    if (best < 0)
      break; /* everything at the narrowest: clipping and enforcement take over */
    ajpq_jc_shift_layer(cfg, c->cur, best, -1);
    hb[best]--;
    ajpq_jc_cost(g, cfg, c->cur, &cc, NULL);
  }
}

typedef enum { MODE_JOINT, MODE_RANDOM, MODE_LAYERWISE, MODE_PRUNE_FLOAT } mode_t_;

/* One agent's end of episode (store the transitions, run the updates). */
typedef struct {
  ajpq_rl_ddpg_t *d;
  int ep, n;
  const double *S, *N, *A;
  double r;
  ajpq_status_t st;
} end_job_t;

static void *end_job_run(void *p) {
  end_job_t *j = p;
  if (j->d)
    j->st = ajpq_rl_ddpg_end_episode(j->d, j->ep, j->n, j->S, j->N, j->A, j->r);
  return NULL;
}

/* Runs `episodes` episodes of one mode. base: erasure fixed from a previous
 * phase (layer-wise on a pruned model), or NULL. */
static ajpq_status_t run_phase(ctx_t *c, const ajpq_jc_search_opts_t *o, mode_t_ mode,
                               int episodes, const ajpq_jc_strategy_t *base,
                               ajpq_jc_reward_fn reward, void *user, ajpq_jc_strategy_t *best,
                               ajpq_jc_search_result_t *res, const char *phase, uint64_t seed) {
  const ajpq_channel_graph_t *g = c->g;
  int L = g->n_layers;
  ajpq_rl_ddpg_t *lay = NULL, *chn = NULL;
  ajpq_rl_ddpg_config_t dc;
  ajpq_rl_ddpg_config_default(&dc);
  dc.seed = seed;
  dc.warmup = o->warmup;
  dc.replay_capacity = L * 128 > 2000 ? L * 128 : 2000;
  ajpq_status_t st = NULL;
  if (mode == MODE_JOINT || mode == MODE_PRUNE_FLOAT) {
    dc.state_dim = NS;
    dc.action_dim = 1;
    st = ajpq_rl_ddpg_create(&dc, &lay);
  }
  if (!st && (mode == MODE_JOINT || mode == MODE_LAYERWISE)) {
    dc.state_dim = NS + 1;
    dc.action_dim = mode == MODE_JOINT ? 2 : 1;
    dc.seed = seed ^ 0x9e3779b97f4a7c15ULL;
    st = ajpq_rl_ddpg_create(&dc, &chn);
  }
  ajpq_rl_rng_t rng;
  ajpq_rl_rng_seed(&rng, seed + 17);
  double *S = malloc((size_t)(L + 1) * (NS + 1) * sizeof(double));
  double *S1 = malloc((size_t)L * NS * sizeof(double)), *N1 = malloc((size_t)L * NS * sizeof(double));
  double *S2 = malloc((size_t)L * (NS + 1) * sizeof(double));
  double *N2 = malloc((size_t)L * (NS + 1) * sizeof(double));
  double *A1 = malloc((size_t)L * sizeof(double)), *A2 = malloc((size_t)L * 2 * sizeof(double));
  if (!st && (!S || !S1 || !N1 || !S2 || !N2 || !A1 || !A2))
    st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  double t0 = ajpq_jc_clock_now().wall;
  /* the two agents of MODE_JOINT are independent: update them on two threads
   * (each agent's numbers are exactly those of a sequential run) */
  bool par = lay && chn && o->threads != 1 && sysconf(_SC_NPROCESSORS_ONLN) > 1;
  int heur = mode == MODE_JOINT && !base ? o->heuristic_episodes : 0;
  int *hbits = calloc((size_t)(L ? L : 1), sizeof(int));
  double *hsens = calloc((size_t)(L ? L : 1), sizeof(double));
  if (!st && (!hbits || !hsens))
    st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  if (!st && heur > 0)
    st = heuristic_sensitivity(c, reward, user, res, hsens);
  bool have_best = res->best_episode >= 0;
  /* it < 0: the scripted heuristic strategies (profile k = it + heur), evaluated before the
   * agents' episodes; they do not touch the agents' random streams, so episode e of the
   * agents is the same with and without them unless they go into the replay buffers */
  for (int it = -heur; it < episodes && !st; it++) {
    ajpq_jc_clock_t tl = ajpq_jc_clock_now();
    bool scripted = it < 0;
    int ep = scripted ? 0 : it, k = it + heur;
    if (scripted)
      heuristic_bits(c, k, hsens, hbits);
    reset_episode(c, base);
    for (int l = 0; l < L; l++) {
      double *s = S1 + (size_t)l * NS;
      layer_state(c, l, s);
      lap(&res->time.budget, &tl);
      double sp = -1, a[2] = {1, 1}, eff[3];
      int hi = c->cfg->n_cand - 1, lo = hi, fixed = 0;
      if (scripted) {
        /* recorded as the agents' actions would be (for heuristic-replay) */
        sp = A1[l] = sparsity_action(heuristic_sparsity(k, l, L));
        a[0] = a[1] = (hbits[l] + 0.5) / c->cfg->n_cand;
        memcpy(A2 + (size_t)l * 2, a, 2 * sizeof(double));
        double *s2 = S2 + (size_t)l * (NS + 1);
        memcpy(s2, s, NS * sizeof(double));
        s2[NS] = sp;
      } else if (mode == MODE_RANDOM) {
        sp = ajpq_rl_rng_uniform(&rng);
        a[0] = ajpq_rl_rng_uniform(&rng);
        a[1] = ajpq_rl_rng_uniform(&rng);
      } else if (lay) {
        ajpq_rl_ddpg_select_action(lay, ep, s, &sp);
        A1[l] = sp;
      }
      if (mode == MODE_PRUNE_FLOAT)
        fixed = AJPQ_COSTMODEL_FLOAT_BITS;
      if (chn && !scripted) {
        double *s2 = S2 + (size_t)l * (NS + 1);
        memcpy(s2, s, NS * sizeof(double));
        s2[NS] = sp < 0 ? 0 : sp;
        ajpq_rl_ddpg_select_action(chn, ep, s2, a);
        memcpy(A2 + (size_t)l * 2, a, 2 * sizeof(double));
      }
      if (mode != MODE_PRUNE_FLOAT) {
        hi = act_index(c->cfg, a[0]);
        lo = mode == MODE_LAYERWISE ? hi : act_index(c->cfg, a[1]);
      }
      lap(&res->time.agent, &tl);
      apply_layer(c, l, mode == MODE_LAYERWISE ? -1 : sp, hi, lo, fixed, eff);
      memcpy(c->prev, eff, sizeof c->prev);
      lap(&res->time.budget, &tl);
    }
    /* next states */
    for (int l = 0; l < L; l++) {
      const double *nx = S1 + (size_t)(l + 1 < L ? l + 1 : l) * NS;
      memcpy(N1 + (size_t)l * NS, nx, NS * sizeof(double));
      if (chn) {
        memcpy(N2 + (size_t)l * (NS + 1), S2 + (size_t)(l + 1 < L ? l + 1 : l) * (NS + 1),
               (NS + 1) * sizeof(double));
      }
    }
    int changes = ajpq_jc_enforce(g, c->enf, &c->fp32, c->cur);
    if (changes < 0) {
      st = ajpq_status_make(AJPQ_INTERNAL, "budget enforcement failed in episode %d", ep);
      break;
    }
    if (o->fill_budget && mode != MODE_PRUNE_FLOAT)
      fill_budget(c, c->cur);
    if (mode != MODE_PRUNE_FLOAT && (ajpq_jc_fill_layers(g, c->cfg, &c->fp32, c->cur) < 0 ||
                                     ajpq_jc_fill_groups(g, c->cfg, &c->fp32, c->cur) < 0)) {
      st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      break;
    }
    lap(&res->time.budget, &tl);
    double r, m;
    st = timed_reward(reward, user, c->cur, &r, &m, res);
    if (st)
      break;
    tl = ajpq_jc_clock_now();
    if (mode == MODE_LAYERWISE && chn)
      for (int l = 0; l < L; l++)
        A2[l] = A2[(size_t)l * 2]; /* 1-D actions packed */
    /* a scripted strategy's transitions are only stored (episode −1 < warm-up), and only
     * with heuristic-replay */
    bool agents = !scripted || o->heuristic_replay;
    int aep = scripted ? -1 : ep;
    end_job_t jl = {agents ? lay : NULL, aep, L, S1, N1, A1, r, NULL},
              jc = {agents ? chn : NULL, aep, L, S2, N2, A2, r, NULL};
    pthread_t th;
    bool threaded = par && agents && aep >= o->warmup &&
                    pthread_create(&th, NULL, end_job_run, &jc) == 0;
    end_job_run(&jl);
    if (threaded)
      pthread_join(th, NULL);
    else
      end_job_run(&jc);
    st = jl.st ? jl.st : jc.st;
    if (jl.st && jc.st)
      ajpq_status_free(jc.st);
    lap(&res->time.agent, &tl);
    if (getenv("AJPQ_JC_TRACE")) { /* development aid: one line per episode */
      ajpq_costmodel_cost_t ec;
      double lim;
      ajpq_jc_cost(g, c->cfg, c->cur, &ec, NULL);
      /* AJPQ_JC_TRACE=2: all digits (comparing runs, e.g. threads=1 vs 2) */
      bool full = !strcmp(getenv("AJPQ_JC_TRACE"), "2");
      fprintf(stderr,
              full ? "trace: %s ep %d%s reward %.17g metric %.17g size %.4f erased %lld avg-bits "
                     "%.2f\n"
                   : "trace: %s ep %d%s reward %.4f metric %.4f size %.4f erased %lld avg-bits "
                     "%.2f\n",
              phase, scripted ? k : ep, scripted ? " (heuristic)" : "", r, m,
              measure(c->cfg, &ec, &c->fp32, &lim), (long long)ec.erased_channels,
              ajpq_costmodel_avg_bits(&ec));
    }
    if (!scripted) {
      if (res->reward_curve)
        res->reward_curve[res->episodes_run] = r;
      res->episodes_run++;
    }
    if (r > res->best_reward || !have_best) {
      res->best_reward = r;
      res->best_metric = m;
      res->best_episode = scripted ? -2 - k : res->episodes_run - 1; /* < -1: heuristic k */
      res->enforce_changes = changes;
      ajpq_jc_strategy_copy(best, c->cur);
      have_best = true;
    }
    if (scripted)
      continue;
    ajpq_costmodel_cost_t bc;
    double lim;
    ajpq_jc_cost(g, c->cfg, best, &bc, NULL);
    progress(o, phase, ep + 1, episodes, res->best_reward, res->best_metric,
             measure(c->cfg, &bc, &c->fp32, &lim), t0, ep + 1 == episodes);
  }
  ajpq_rl_ddpg_destroy(lay);
  ajpq_rl_ddpg_destroy(chn);
  free(hbits);
  free(hsens);
  free(S);
  free(S1);
  free(N1);
  free(S2);
  free(N2);
  free(A1);
  free(A2);
  return st;
}

ajpq_status_t ajpq_jc_search(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                             const ajpq_jc_search_opts_t *o, ajpq_jc_reward_fn reward, void *user,
                             ajpq_jc_strategy_t *best, ajpq_jc_search_result_t *res) {
  memset(res, 0, sizeof *res);
  res->best_episode = -1;
  res->best_reward = -INFINITY;
  int episodes = o->episodes > 0 ? o->episodes : 1;
  res->reward_curve = calloc((size_t)episodes + 1, sizeof(double));
  if (!res->reward_curve)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
  ctx_t c;
  if (!ctx_init(&c, g, cfg)) {
    ctx_free(&c);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory for the search");
  }
  ajpq_jc_clock_t t0 = ajpq_jc_clock_now();
  ajpq_status_t st = NULL;
  switch (o->policy) {
  case AJPQ_JC_POLICY_AJPQ:
    st = run_phase(&c, o, MODE_JOINT, episodes, NULL, reward, user, best, res, "ajpq", o->seed);
    if (!st && o->refine_passes > 0) {
      ajpq_jc_clock_t tr = ajpq_jc_clock_now();
      ajpq_jc_refine_result_t rr = {.reward = res->best_reward, .metric = res->best_metric};
      st = ajpq_jc_refine(g, cfg, &c.fp32, reward, user, o->refine_passes, o->quiet, best, &rr);
      res->best_reward = rr.reward;
      res->best_metric = rr.metric;
      res->refine_evals = rr.evals;
      res->refine_moves = rr.moves;
      ajpq_jc_clock_add(&res->time.refine, tr);
    }
    break;
  case AJPQ_JC_POLICY_RANDOM:
    st = run_phase(&c, o, MODE_RANDOM, episodes, NULL, reward, user, best, res, "random", o->seed);
    break;
  case AJPQ_JC_POLICY_LAYER_WISE: {
    ajpq_jc_config_t nz = *cfg; /* no pruning */
    uint8_t *fixed = malloc((size_t)(g->n_groups ? g->n_groups : 1));
    if (!fixed) {
      st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      break;
    }
    memset(fixed, 1, (size_t)g->n_groups);
    nz.group_fixed = fixed;
    c.cfg = c.enf = &nz;
    for (int l = 0; l < g->n_layers; l++)
      c.n_led[l] = 0;
    st = run_phase(&c, o, MODE_LAYERWISE, episodes, NULL, reward, user, best, res, "layer-wise",
                   o->seed);
    c.cfg = c.enf = cfg;
    free(fixed);
    break;
  }
  case AJPQ_JC_POLICY_TWO_STEP: {
    /* phase A: AMC-style pruning at float weights, budget sqrt(ratio) */
    ajpq_jc_config_t fa = *cfg;
    fa.cand[0] = AJPQ_COSTMODEL_FLOAT_BITS;
    fa.n_cand = 1;
    /* phase A keeps what the widest candidate at 80 % of its bits could
     * still fit (at least √target): the quantization phase then has the
     * room to use the whole budget (docs/search.md) */
    double qf = 32.0 / (0.8 * cfg->cand[cfg->n_cand - 1]);
    fa.budget.size_ratio =
        cfg->budget.size_ratio > 0
            ? fmin(1.0, fmax(sqrt(cfg->budget.size_ratio), qf * cfg->budget.size_ratio))
            : 0;
    fa.budget.macs_ratio = cfg->budget.macs_ratio > 0 ? sqrt(cfg->budget.macs_ratio) : 0;
    fa.budget.bitops_ratio = cfg->budget.bitops_ratio > 0 ? sqrt(cfg->budget.bitops_ratio) : 0;
    fa.budget.size_bytes = 0;
    if (fa.budget.size_ratio <= 0 && cfg->budget.size_bytes > 0) {
      ajpq_costmodel_cost_t f;
      ajpq_jc_cost_fp32(g, &f);
      fa.budget.size_ratio = sqrt((double)cfg->budget.size_bytes / (double)f.weight_bytes);
    }
    ctx_t ca;
    ajpq_jc_strategy_t *pruned = ajpq_jc_strategy_create(g);
    if (!pruned || !ctx_init(&ca, g, &fa)) {
      ajpq_jc_strategy_destroy(pruned);
      st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      break;
    }
    int ea = episodes / 2 > 0 ? episodes / 2 : 1;
    ajpq_jc_search_result_t ra = {0};
    ra.best_episode = -1;
    ra.best_reward = -INFINITY;
    ra.reward_curve = res->reward_curve;
    st = run_phase(&ca, o, MODE_PRUNE_FLOAT, ea, NULL, reward, user, pruned, &ra, "two-step/prune",
                   o->seed);
    ctx_free(&ca);
    res->episodes_run = ra.episodes_run;
    ajpq_jc_clock_t *dst[] = {&res->time.eval, &res->time.agent, &res->time.budget},
                    *src[] = {&ra.time.eval, &ra.time.agent, &ra.time.budget};
    for (int k = 0; k < 3; k++) {
      dst[k]->wall += src[k]->wall;
      dst[k]->cpu += src[k]->cpu;
    }
    res->time.evals += ra.time.evals;
    if (!st) {
      /* phase B: per-layer bits on the pruned model, real budget */
      ajpq_jc_config_t nz = *cfg;
      uint8_t *fixed = malloc((size_t)(g->n_groups ? g->n_groups : 1));
      if (!fixed) {
        st = ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "out of memory");
      } else {
        memset(fixed, 1, (size_t)g->n_groups);
        nz.group_fixed = fixed;
        c.cfg = &nz;
        for (int l = 0; l < g->n_layers; l++)
          c.n_led[l] = 0;
        /* the pruned model with quantizable bits: erased stays 0 */
        for (int l = 0; l < g->n_layers; l++)
          for (int64_t ch = 0; ch < g->layers[l].desc.cout; ch++)
            if (pruned->bits[l][ch])
              pruned->bits[l][ch] = (uint8_t)cfg->cand[cfg->n_cand - 1];
        /* the bits alone may not reach the budget from phase A's model (per-channel
         * metadata and biases stay): enforcement may then erase further, least
         * important groups first, under the real configuration */
        c.enf = cfg;
        int eb = episodes - ea > 0 ? episodes - ea : 1;
        st = run_phase(&c, o, MODE_LAYERWISE, eb, pruned, reward, user, best, res,
                       "two-step/quantize", o->seed + 1);
        c.cfg = c.enf = cfg;
        free(fixed);
      }
    }
    ajpq_jc_strategy_destroy(pruned);
    break;
  }
  case AJPQ_JC_POLICY_UNIFORM: {
    /* largest candidate that meets the budget with the uniform sparsity */
    ajpq_jc_strategy_t *s = c.cur;
    bool found = false;
    for (int bi = cfg->n_cand - 1; bi >= 0 && !found; bi--) {
      reset_episode(&c, NULL);
      for (int l = 0; l < g->n_layers; l++) {
        int want = (int)floor(o->uniform_sparsity * c.n_led[l] + 0.5);
        for (int i = 0, e = 0; i < c.n_led[l] && e < want; i++)
          if (can_erase_group(&c, c.led[l][i])) {
            erase(&c, c.led[l][i]);
            e++;
          }
      }
      for (int l = 0; l < g->n_layers; l++)
        for (int64_t ch = 0; ch < g->layers[l].desc.cout; ch++)
          if (s->bits[l][ch])
            s->bits[l][ch] = (uint8_t)cfg->cand[bi];
      ajpq_costmodel_cost_t cc;
      ajpq_jc_cost(g, cfg, s, &cc, NULL);
      found = ajpq_jc_within_budget(cfg, &cc, &c.fp32);
    }
    int changes = found ? 0 : ajpq_jc_enforce(g, cfg, &c.fp32, s);
    if (changes < 0) {
      st = ajpq_status_make(AJPQ_INTERNAL, "budget enforcement failed");
      break;
    }
    double r, m;
    st = timed_reward(reward, user, s, &r, &m, res);
    if (!st) {
      res->best_reward = r;
      res->best_metric = m;
      res->best_episode = 0;
      res->episodes_run = 1;
      res->enforce_changes = changes;
      res->reward_curve[0] = r;
      ajpq_jc_strategy_copy(best, s);
    }
    break;
  }
  }
  ajpq_jc_clock_add(&res->time.total, t0);
  res->seconds = res->time.total.wall;
  ctx_free(&c);
  return st;
}
