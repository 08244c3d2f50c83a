/* budget_refine_test.c — unit tests of the budget filling
 * (ajpq_jc_fill_layers, ajpq_jc_fill_groups), the post-episode enforcement (ajpq_jc_enforce) and
 * the refinement (ajpq_jc_refine) of --joint-compress, on a tiny layer set
 * (4 convolutions built from MLIR text: 3→4 1×1, 4→6 3×3, 6→5 1×1, 5→3
 * 1×1, the last one a graph output) with the real cost model and a
 * synthetic reward, against brute-force references: every per-layer shift
 * vector of the starting strategy is enumerated (at most 8^4 or 15^4 cases).
 *
 * Checks: fill never exceeds the budget, leaves less than one step of any
 * raisable layer unused (and is within that of the brute-force largest
 * feasible size), keeps erasure, keeps every layer monotone in importance
 * (never more bits to a less important channel), and is deterministic;
 * enforcement meets the budget and keeps monotone layers monotone; group
 * restoration (ajpq_jc_fill_groups) against every subset of the erased
 * groups restored at the reference's bits: within budget, kept channels'
 * bits unchanged, monotone, maximal (no single erased group still fits),
 * its result one of the enumerated subsets, deterministic;
 * refinement never exceeds the budget, never returns a lower reward than
 * the one it started from, reports exactly the reward of what it returns,
 * counts its evaluations, is deterministic, is no better than the
 * brute-force optimum, and passes a reward error through.
 *
 * Also: the evaluator's per-layer cache of masked weights is transparent —
 * a sequence of strategies (sharing some layers, changing others' bits and
 * erasure) gets bit-identical rewards from one evaluator and from a fresh
 * evaluator per strategy.
 *
 * Usage: ajpq-jc-budget-test [TMPDIR]   (prints TEST: lines; exit 1 on failure;
 * TMPDIR receives the evaluator test's calibration data, default /tmp) */
#include "ajpq_executor.h"
#include "ajpq_joint_compress.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                  \
      printf(__VA_ARGS__);                                                                         \
      printf("\n");                                                                                \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

/* ---- the tiny model ---- */

static const int k_cin[4] = {3, 4, 6, 5}, k_cout[4] = {4, 6, 5, 3}, k_kh[4] = {1, 3, 1, 1};

/* deterministic, all-distinct magnitudes: distinct importances */
static double wval(int layer, int i) {
  unsigned h = (unsigned)(layer * 7919 + i * 104729 + 12345);
  h ^= h >> 13;
  h *= 2654435761u;
  h ^= h >> 16;
  return ((double)(h % 2001) - 1000.0) / 700.0;
}

static char *model_text(void) {
  size_t cap = 1 << 16, n = 0;
  char *t = malloc(cap);
  if (!t)
    return NULL;
#define P(...) n += (size_t)snprintf(t + n, cap - n, __VA_ARGS__)
  P("func.func @main(%%x: tensor<1x6x6x3xf32>) -> tensor<1x6x6x3xf32> {\n");
  P("  %%zp = \"tosa.const\"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>\n");
  const char *in = "%x";
  char prev[16];
  for (int l = 0; l < 4; l++) {
    int kh = k_kh[l], ci = k_cin[l], co = k_cout[l], numel = co * kh * kh * ci;
    P("  %%wr%d = \"tosa.const\"() {values = dense<", l);
    int i = 0; /* nested [co][kh][kw][ci] */
    P("[");
    for (int o = 0; o < co; o++) {
      P("%s[", o ? ", " : "");
      for (int y = 0; y < kh; y++) {
        P("%s[", y ? ", " : "");
        for (int x = 0; x < kh; x++) {
          P("%s[", x ? ", " : "");
          for (int c = 0; c < ci; c++, i++)
            P("%s%.6f", c ? ", " : "", wval(l, i));
          P("]");
        }
        P("]");
      }
      P("]");
    }
    P("]> : tensor<%dx%dx%dx%dxf32>} : () -> tensor<%dx%dx%dx%dxf32>\n", co, kh, kh, ci, co, kh,
      kh, ci);
    (void)numel;
    P("  %%b%d = \"tosa.const\"() {values = dense<0.1> : tensor<%dxf32>} : () -> tensor<%dxf32>\n",
      l, co, co);
    int p = kh / 2;
    P("  %%c%d = tosa.conv2d %s, %%wr%d, %%b%d, %%zp, %%zp {acc_type = f32, pad = array<i64: %d, "
      "%d, %d, %d>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : "
      "(tensor<1x6x6x%dxf32>, tensor<%dx%dx%dx%dxf32>, tensor<%dxf32>, tensor<1xf32>, "
      "tensor<1xf32>) -> tensor<1x6x6x%dxf32> loc(\"c%d\")\n",
      l, in, l, l, p, p, p, p, ci, co, kh, kh, ci, co, co, l);
    if (l < 3) {
      P("  %%r%d = tosa.clamp %%c%d {min_val = 0.0 : f32, max_val = 3.4028235e38 : f32} : "
        "(tensor<1x6x6x%dxf32>) -> tensor<1x6x6x%dxf32>\n",
        l, l, co, co);
      snprintf(prev, sizeof prev, "%%r%d", l);
    } else {
      snprintf(prev, sizeof prev, "%%c%d", l);
    }
    in = prev;
  }
  P("  return %s : tensor<1x6x6x3xf32>\n}\n", in);
#undef P
  return t;
}

static MlirContext g_ctx;
static MlirModule g_mod;

static ajpq_channel_graph_t *build_graph(void) {
  char *text = model_text();
  if (!text)
    return NULL;
  g_ctx = ajpq_executor_context_create();
  g_mod = mlirModuleCreateParse(g_ctx, mlirStringRefCreateFromCString(text));
  free(text);
  if (mlirModuleIsNull(g_mod)) {
    printf("FAIL: the test model does not parse\n");
    return NULL;
  }
  return ajpq_cg_build(ajpq_cg_entry_func(mlirModuleGetOperation(g_mod)), AJPQ_IMPORTANCE_L1);
}

/* ---- helpers ---- */

static void config(ajpq_jc_config_t *cfg, const ajpq_channel_graph_t *g, const int *cand, int n,
                   double ratio) {
  memset(cfg, 0, sizeof *cfg);
  for (int i = 0; i < n; i++)
    cfg->cand[cfg->n_cand++] = cand[i];
  cfg->allow_zero = true;
  cfg->min_keep = 1;
  cfg->act_bits = 8;
  cfg->budget.size_ratio = ratio;
  if (!ajpq_jc_config_groups(g, cfg))
    abort();
}

static uint64_t g_rng = 88172645463325252ULL;
static uint64_t rnd(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return g_rng;
}

/* channel order of layer l by descending importance */
static void rank_of(const ajpq_channel_graph_t *g, int l, int *r) {
  int n = (int)g->layers[l].desc.cout;
  for (int i = 0; i < n; i++)
    r[i] = i;
  const double *imp = g->layers[l].importance;
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && imp[r[j]] > imp[r[j - 1]]; j--) {
      int x = r[j];
      r[j] = r[j - 1];
      r[j - 1] = x;
    }
}

/* every layer: kept channels' bits non-increasing in importance */
static bool monotone(const ajpq_channel_graph_t *g, const ajpq_jc_strategy_t *s) {
  int r[64];
  for (int l = 0; l < g->n_layers; l++) {
    rank_of(g, l, r);
    int prev = 99;
    for (int i = 0; i < g->layers[l].desc.cout; i++) {
      int b = s->bits[l][r[i]];
      if (!b)
        continue;
      if (b > prev)
        return false;
      prev = b;
    }
  }
  return true;
}

static bool same(const ajpq_jc_strategy_t *a, const ajpq_jc_strategy_t *b) {
  for (int l = 0; l < a->n_layers; l++)
    if (memcmp(a->bits[l], b->bits[l], (size_t)a->n_chan[l]))
      return false;
  return true;
}

static bool same_erasure(const ajpq_jc_strategy_t *a, const ajpq_jc_strategy_t *b) {
  for (int l = 0; l < a->n_layers; l++)
    for (int64_t c = 0; c < a->n_chan[l]; c++)
      if ((a->bits[l][c] == 0) != (b->bits[l][c] == 0))
        return false;
  return true;
}

static int64_t bytes_of(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                        const ajpq_jc_strategy_t *s) {
  ajpq_costmodel_cost_t c;
  ajpq_jc_cost(g, cfg, s, &c, NULL);
  return c.weight_bytes;
}

/* A random start: some erasable groups erased, every layer monotone (random
 * candidate index for the most and the least important kept channel,
 * interpolated by rank, like the search's channel controller). */
static void random_start(const ajpq_channel_graph_t *g, const ajpq_jc_config_t *cfg,
                         ajpq_jc_strategy_t *s) {
  int r[64];
  for (int l = 0; l < g->n_layers; l++)
    memset(s->bits[l], cfg->cand[0], (size_t)g->layers[l].desc.cout);
  for (int gi = 0; gi < g->n_groups; gi++) {
    const ajpq_cg_group_t *G = &g->groups[gi];
    if (cfg->group_fixed[gi] || rnd() % 4)
      continue;
    bool ok = true; /* keep >= 1 channel per layer */
    for (int j = 0; j < G->n_members && ok; j++) {
      int l = G->member_layer[j], kept = 0;
      for (int c = 0; c < g->layers[l].desc.cout; c++)
        kept += s->bits[l][c] != 0;
      ok = kept > 1;
    }
    for (int j = 0; j < G->n_members && ok; j++)
      s->bits[G->member_layer[j]][G->member_chan[j]] = 0;
  }
  for (int l = 0; l < g->n_layers; l++) {
    rank_of(g, l, r);
    int hi = (int)(rnd() % (uint64_t)cfg->n_cand), lo = (int)(rnd() % (uint64_t)(hi + 1));
    int n = 0;
    for (int i = 0; i < g->layers[l].desc.cout; i++)
      n += s->bits[l][r[i]] != 0;
    for (int i = 0, k = 0; i < g->layers[l].desc.cout; i++) {
      if (!s->bits[l][r[i]])
        continue;
      double t = n > 1 ? (double)k / (n - 1) : 0;
      s->bits[l][r[i]] = (uint8_t)cfg->cand[(int)floor(hi + (lo - hi) * t + 0.5)];
      k++;
    }
  }
}

/* Applies shift vector k[l] (candidate steps, sign = direction) to base. */
static bool apply_shifts(const ajpq_jc_config_t *cfg, const ajpq_jc_strategy_t *base,
                         const int *k, int L, ajpq_jc_strategy_t *out) {
  ajpq_jc_strategy_copy(out, base);
  for (int l = 0; l < L; l++)
    for (int i = 0; i < abs(k[l]); i++)
      if (!ajpq_jc_shift_layer(cfg, out, l, k[l] > 0 ? 1 : -1))
        return false; /* saturated: an equivalent vector is enumerated elsewhere */
  return true;
}

/* ---- fill ---- */

static void test_fill(const ajpq_channel_graph_t *g) {
  printf("TEST: fill\n");
  static const int all[] = {1, 2, 3, 4, 5, 6, 7, 8}, few[] = {2, 4, 8};
  const double ratios[] = {0.08, 0.12, 0.18, 0.25, 0.4};
  int cases = 0, L = g->n_layers;
  int64_t worst_gap = 0, worst_left = 0;
  ajpq_costmodel_cost_t f;
  ajpq_jc_cost_fp32(g, &f);
  ajpq_jc_strategy_t *s0 = ajpq_jc_strategy_create(g), *s = ajpq_jc_strategy_create(g),
                     *s2 = ajpq_jc_strategy_create(g), *t = ajpq_jc_strategy_create(g);
  for (int cs = 0; cs < 2; cs++)
    for (int ri = 0; ri < 5; ri++)
      for (int rep = 0; rep < 6; rep++) {
        ajpq_jc_config_t cfg;
        config(&cfg, g, cs ? few : all, cs ? 3 : 8, ratios[ri]);
        random_start(g, &cfg, s0);
        bool mono0 = monotone(g, s0);
        CHECK(mono0, "random start not monotone");
        if (ajpq_jc_enforce(g, &cfg, &f, s0) < 0) {
          ajpq_jc_config_free(&cfg);
          continue; /* budget unreachable from this erasure */
        }
        CHECK(monotone(g, s0), "enforcement broke monotonicity (cands %d, ratio %g)", cfg.n_cand,
              ratios[ri]);
        double limit = ratios[ri] * (double)f.weight_bytes;
        CHECK((double)bytes_of(g, &cfg, s0) <= limit, "enforcement left the budget");
        ajpq_jc_strategy_copy(s, s0);
        int raises = ajpq_jc_fill_layers(g, &cfg, &f, s);
        ajpq_jc_strategy_copy(s2, s0);
        int raises2 = ajpq_jc_fill_layers(g, &cfg, &f, s2);
        CHECK(raises >= 0 && raises == raises2 && same(s, s2), "fill is not deterministic");
        int64_t fb = bytes_of(g, &cfg, s);
        CHECK((double)fb <= limit, "fill exceeds the budget: %lld > %.1f", (long long)fb, limit);
        CHECK(same_erasure(s, s0), "fill changed the erasure");
        CHECK(monotone(g, s), "fill gave a less important channel more bits");
        /* maximal: no layer can go one more step up */
        int64_t min_step = INT64_MAX;
        for (int l = 0; l < L; l++) {
          ajpq_jc_strategy_copy(t, s);
          if (!ajpq_jc_shift_layer(&cfg, t, l, +1))
            continue;
          int64_t tb = bytes_of(g, &cfg, t);
          CHECK((double)tb > limit, "layer %d could still go up (%lld <= %.1f)", l, (long long)tb,
                limit);
          if (tb - fb < min_step)
            min_step = tb - fb;
        }
        /* brute force: the largest within-budget size over all shift vectors */
        int k[4] = {0}, total = 1;
        for (int l = 0; l < L; l++)
          total *= cfg.n_cand;
        int64_t best = -1;
        bool found_fill = false;
        for (int code = 0; code < total; code++) {
          for (int l = 0, c = code; l < L; l++, c /= cfg.n_cand)
            k[l] = c % cfg.n_cand;
          if (!apply_shifts(&cfg, s0, k, L, t))
            continue;
          int64_t tb = bytes_of(g, &cfg, t);
          if ((double)tb <= limit && tb > best)
            best = tb;
          found_fill |= same(t, s);
        }
        CHECK(found_fill, "the fill result is not a per-layer shift of the start");
        CHECK(best >= fb, "brute force found less than the fill");
        int64_t left = (int64_t)floor(limit) - fb;
        if (min_step != INT64_MAX) {
          CHECK(left < min_step, "unused budget %lld >= the smallest step %lld", (long long)left,
                (long long)min_step);
          CHECK(best - fb < min_step, "brute-force best %lld - fill %lld >= one step %lld",
                (long long)best, (long long)fb, (long long)min_step);
        }
        if (best - fb > worst_gap)
          worst_gap = best - fb;
        if (left > worst_left)
          worst_left = left;
        cases++;
        ajpq_jc_config_free(&cfg);
      }
  printf("fill: %d cases checked against brute force (worst gap to the largest feasible size "
         "%lld B, worst unused %lld B)\n",
         cases, (long long)worst_gap, (long long)worst_left);
  CHECK(cases >= 30, "too few feasible cases (%d)", cases);
  ajpq_jc_strategy_destroy(s0);
  ajpq_jc_strategy_destroy(s);
  ajpq_jc_strategy_destroy(s2);
  ajpq_jc_strategy_destroy(t);
}

/* ---- group restoration ---- */

/* Restores (in `s`) group gi's members the way the reference defines it:
 * bits of the nearest more important kept channel of each member's layer,
 * else the layer's largest kept bits. Independent of the pass's code. */
static void ref_restore(const ajpq_channel_graph_t *g, ajpq_jc_strategy_t *s, int gi) {
  const ajpq_cg_group_t *G = &g->groups[gi];
  int b[64];
  for (int j = 0; j < G->n_members; j++) {
    int l = G->member_layer[j], r[64], n = (int)g->layers[l].desc.cout, pos = 0, mx = 0;
    rank_of(g, l, r);
    while (r[pos] != G->member_chan[j])
      pos++;
    b[j] = 0;
    for (int i = pos - 1; i >= 0 && !b[j]; i--) /* nearest more important kept */
      b[j] = s->bits[l][r[i]];
    for (int i = 0; i < n; i++)
      mx = s->bits[l][i] > mx ? s->bits[l][i] : mx;
    if (!b[j])
      b[j] = mx;
  }
  for (int j = 0; j < G->n_members; j++)
    s->bits[G->member_layer[j]][G->member_chan[j]] = (uint8_t)b[j];
}

static void test_fill_groups(const ajpq_channel_graph_t *g) {
  printf("TEST: fill_groups\n");
  static const int all[] = {1, 2, 3, 4, 5, 6, 7, 8}, few[] = {2, 4, 8}, top[] = {8};
  const double ratios[] = {0.08, 0.12, 0.18, 0.25, 0.4};
  int cases = 0, restored_any = 0;
  int64_t worst_gap = 0;
  ajpq_costmodel_cost_t f;
  ajpq_jc_cost_fp32(g, &f);
  ajpq_jc_strategy_t *s0 = ajpq_jc_strategy_create(g), *s = ajpq_jc_strategy_create(g),
                     *s2 = ajpq_jc_strategy_create(g), *t = ajpq_jc_strategy_create(g);
  uint8_t er[256];
  for (int cs = 0; cs < 3; cs++)
    for (int ri = 0; ri < 5; ri++)
      for (int rep = 0; rep < 8; rep++) {
        ajpq_jc_config_t cfg;
        const int *cand = cs == 0 ? all : cs == 1 ? few : top;
        config(&cfg, g, cand, cs == 0 ? 8 : cs == 1 ? 3 : 1, ratios[ri]);
        random_start(g, &cfg, s0);
        if (ajpq_jc_enforce(g, &cfg, &f, s0) < 0 || ajpq_jc_fill_layers(g, &cfg, &f, s0) < 0) {
          ajpq_jc_config_free(&cfg);
          continue;
        }
        double limit = ratios[ri] * (double)f.weight_bytes;
        ajpq_jc_strategy_copy(s, s0);
        int n1 = ajpq_jc_fill_groups(g, &cfg, &f, s);
        ajpq_jc_strategy_copy(s2, s0);
        int n2 = ajpq_jc_fill_groups(g, &cfg, &f, s2);
        CHECK(n1 >= 0 && n1 == n2 && same(s, s2), "fill_groups is not deterministic");
        int64_t fb = bytes_of(g, &cfg, s);
        CHECK((double)fb <= limit, "fill_groups exceeds the budget: %lld > %.1f", (long long)fb,
              limit);
        CHECK(monotone(g, s), "fill_groups broke monotonicity");
        CHECK(ajpq_jc_strategy_valid(g, &cfg, s), "fill_groups broke a group");
        /* kept channels unchanged; restored channels = whole erased groups */
        bool kept_same = true;
        for (int l = 0; l < g->n_layers; l++)
          for (int c = 0; c < g->layers[l].desc.cout; c++)
            if (s0->bits[l][c] && s0->bits[l][c] != s->bits[l][c])
              kept_same = false;
        CHECK(kept_same, "fill_groups changed a kept channel's bits");
        /* the erased, erasable groups of the start: brute force over every subset */
        ajpq_jc_group_erased(g, s0, er);
        int cand_g[16], nc = 0, restored = 0;
        for (int gi = 0; gi < g->n_groups && nc < 16; gi++)
          if (er[gi] && !cfg.group_fixed[gi])
            cand_g[nc++] = gi;
        ajpq_jc_strategy_copy(t, s0);
        for (int k = 0; k < nc; k++) {
          const ajpq_cg_group_t *G = &g->groups[cand_g[k]];
          restored += s->bits[G->member_layer[0]][G->member_chan[0]] != 0;
        }
        CHECK(restored == n1, "reported %d restores, made %d", n1, restored);
        restored_any += restored > 0;
        /* each restored group has the reference's bits (restoring in the
         * result's order one by one on the start reproduces the result) */
        int64_t best = -1;
        bool found = false;
        for (int mask = 0; mask < (1 << nc); mask++) {
          ajpq_jc_strategy_copy(t, s0);
          for (int k = 0; k < nc; k++)
            if (mask >> k & 1)
              ref_restore(g, t, cand_g[k]);
          int64_t tb = bytes_of(g, &cfg, t);
          if ((double)tb <= limit && tb > best)
            best = tb;
          found |= same(t, s);
        }
        CHECK(found, "the result is not the start with some groups restored at the reference's "
                     "bits");
        CHECK(best >= fb, "brute force found less than fill_groups");
        /* maximal: no single still-erased group fits */
        for (int k = 0; k < nc; k++) {
          const ajpq_cg_group_t *G = &g->groups[cand_g[k]];
          if (s->bits[G->member_layer[0]][G->member_chan[0]])
            continue;
          ajpq_jc_strategy_copy(t, s);
          ref_restore(g, t, cand_g[k]);
          CHECK((double)bytes_of(g, &cfg, t) > limit, "group %d could still be restored",
                cand_g[k]);
        }
        if (best - fb > worst_gap)
          worst_gap = best - fb;
        cases++;
        ajpq_jc_config_free(&cfg);
      }
  printf("fill_groups: %d cases checked against brute force over restored subsets, %d with "
         "restores (worst gap to the largest feasible size %lld B)\n",
         cases, restored_any, (long long)worst_gap);
  CHECK(cases >= 40, "too few feasible cases (%d)", cases);
  CHECK(restored_any > 0, "no case restored anything: the check cannot fail");
  ajpq_jc_strategy_destroy(s0);
  ajpq_jc_strategy_destroy(s);
  ajpq_jc_strategy_destroy(s2);
  ajpq_jc_strategy_destroy(t);
}

/* ---- refinement ---- */

typedef struct {
  const ajpq_channel_graph_t *g;
  int calls;
  int noisy;      /* 1: add a hash of the strategy (a non-smooth reward) */
  int fail_after; /* > 0: return an error at this call */
} reward_ctx_t;

/* Synthetic reward: −Σ_l w_l Σ_c imp_c 2^(−bits_c) (each layer prefers
 * more bits, with its own weight w_l), optionally plus hash noise. */
static double synth(const reward_ctx_t *rc, const ajpq_jc_strategy_t *s) {
  const ajpq_channel_graph_t *g = rc->g;
  double r = 0;
  uint64_t h = 1469598103934665603ULL;
  for (int l = 0; l < g->n_layers; l++) {
    double wl = 1.0 + 0.7 * l * (l % 2 ? -0.5 : 1.0);
    for (int c = 0; c < g->layers[l].desc.cout; c++) {
      int b = s->bits[l][c];
      h = (h ^ (uint64_t)b) * 1099511628211ULL;
      if (b)
        r -= wl * g->layers[l].importance[c] * ldexp(1.0, -b);
    }
  }
  if (rc->noisy)
    r += (double)(h % 1000) / 1000.0 * 0.3;
  return r;
}

static ajpq_status_t synth_reward(void *user, const ajpq_jc_strategy_t *s, double *reward,
                                  double *metric) {
  reward_ctx_t *rc = user;
  rc->calls++;
  if (rc->fail_after > 0 && rc->calls >= rc->fail_after)
    return ajpq_status_make(AJPQ_INTERNAL, "synthetic evaluator failure");
  *reward = synth(rc, s);
  *metric = -*reward;
  return NULL;
}

static void test_refine(const ajpq_channel_graph_t *g) {
  printf("TEST: refine\n");
  static const int all[] = {1, 2, 3, 4, 5, 6, 7, 8}, few[] = {2, 4, 8};
  const double ratios[] = {0.12, 0.2, 0.3};
  int cases = 0, improved = 0, L = g->n_layers;
  double worst_gap = 0;
  ajpq_costmodel_cost_t f;
  ajpq_jc_cost_fp32(g, &f);
  ajpq_jc_strategy_t *s0 = ajpq_jc_strategy_create(g), *s = ajpq_jc_strategy_create(g),
                     *s2 = ajpq_jc_strategy_create(g), *t = ajpq_jc_strategy_create(g);
  for (int noisy = 0; noisy < 2; noisy++)
    for (int cs = 0; cs < 2; cs++)
      for (int ri = 0; ri < 3; ri++)
        for (int rep = 0; rep < 3; rep++) {
          ajpq_jc_config_t cfg;
          config(&cfg, g, cs ? few : all, cs ? 3 : 8, ratios[ri]);
          random_start(g, &cfg, s0);
          if (ajpq_jc_enforce(g, &cfg, &f, s0) < 0 || ajpq_jc_fill_layers(g, &cfg, &f, s0) < 0) {
            ajpq_jc_config_free(&cfg);
            continue;
          }
          double limit = ratios[ri] * (double)f.weight_bytes;
          reward_ctx_t rc = {g, 0, noisy, 0};
          double r0 = synth(&rc, s0);
          ajpq_jc_refine_result_t res = {.reward = r0, .metric = -r0};
          ajpq_jc_strategy_copy(s, s0);
          ajpq_status_t st = ajpq_jc_refine(g, &cfg, &f, synth_reward, &rc, 4, true, s, &res);
          CHECK(!st, "refine failed: %s", st ? ajpq_status_message(st) : "");
          ajpq_status_free(st);
          CHECK(res.evals == rc.calls, "reported %d evaluations, made %d", res.evals, rc.calls);
          CHECK(res.reward >= r0, "refinement lowered the reward: %.17g < %.17g", res.reward, r0);
          CHECK(res.reward == synth(&rc, s), "reported reward %.17g is not the result's %.17g",
                res.reward, synth(&rc, s));
          CHECK((double)bytes_of(g, &cfg, s) <= limit, "refinement exceeds the budget");
          CHECK(same_erasure(s, s0), "refinement changed the erasure");
          CHECK(monotone(g, s), "refinement broke monotonicity");
          CHECK(res.moves == 0 || !same(s, s0), "moves reported but nothing changed");
          improved += res.reward > r0;
          /* determinism */
          reward_ctx_t rc2 = {g, 0, noisy, 0};
          ajpq_jc_refine_result_t res2 = {.reward = r0, .metric = -r0};
          ajpq_jc_strategy_copy(s2, s0);
          st = ajpq_jc_refine(g, &cfg, &f, synth_reward, &rc2, 4, true, s2, &res2);
          ajpq_status_free(st);
          CHECK(same(s, s2) && res.reward == res2.reward && res.evals == res2.evals,
                "refinement is not deterministic");
          /* brute force over every shift vector in [-(n-1), n-1]^L */
          int span = 2 * cfg.n_cand - 1, total = 1, k[4];
          for (int l = 0; l < L; l++)
            total *= span;
          double opt = -INFINITY;
          for (int code = 0; code < total; code++) {
            for (int l = 0, c = code; l < L; l++, c /= span)
              k[l] = c % span - (cfg.n_cand - 1);
            if (!apply_shifts(&cfg, s0, k, L, t) || (double)bytes_of(g, &cfg, t) > limit)
              continue;
            double r = synth(&rc, t);
            if (r > opt)
              opt = r;
          }
          CHECK(res.reward <= opt + 1e-12, "refinement beat the brute-force optimum?");
          if (!noisy && opt - res.reward > worst_gap)
            worst_gap = opt - res.reward;
          cases++;
          ajpq_jc_config_free(&cfg);
        }
  printf("refine: %d cases, %d improved, never lower; worst gap to the brute-force optimum "
         "(smooth reward) %.4f\n",
         cases, improved, worst_gap);
  CHECK(cases >= 20, "too few feasible cases (%d)", cases);
  CHECK(improved > 0, "the refinement never improved anything");
  /* an evaluator error is passed through */
  ajpq_jc_config_t cfg;
  config(&cfg, g, all, 8, 0.2);
  random_start(g, &cfg, s0);
  if (ajpq_jc_enforce(g, &cfg, &f, s0) >= 0) {
    reward_ctx_t rc = {g, 0, 0, 3};
    ajpq_jc_refine_result_t res = {.reward = synth(&rc, s0)};
    ajpq_status_t st = ajpq_jc_refine(g, &cfg, &f, synth_reward, &rc, 4, true, s0, &res);
    CHECK(st != NULL, "evaluator error swallowed");
    printf("refine error: %s\n", st ? ajpq_status_message(st) : "(none)");
    ajpq_status_free(st);
  }
  ajpq_jc_config_free(&cfg);
  ajpq_jc_strategy_destroy(s0);
  ajpq_jc_strategy_destroy(s);
  ajpq_jc_strategy_destroy(s2);
  ajpq_jc_strategy_destroy(t);
}

/* ---- evaluator cache ---- */

static bool write_npy(const char *path, int n) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return false;
  char h[128];
  int len = snprintf(h, sizeof h, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, 6, 6, 3), }",
                     n);
  int pad = 64 - (10 + len + 1) % 64;
  uint16_t hl = (uint16_t)(len + pad + 1);
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  fwrite(&hl, 2, 1, f);
  fwrite(h, 1, (size_t)len, f);
  for (int i = 0; i < pad; i++)
    fputc(' ', f);
  fputc('\n', f);
  for (int i = 0; i < n * 108; i++) {
    float v = (float)wval(9, i);
    fwrite(&v, 4, 1, f);
  }
  return fclose(f) == 0;
}

static void test_eval_cache(const ajpq_channel_graph_t *g, const char *dir) {
  printf("TEST: eval_cache\n");
  char path[512], cal[600];
  snprintf(path, sizeof path, "%s/budget-test-cal.npy", dir);
  snprintf(cal, sizeof cal, "data=%s,metric=kl", path);
  if (!write_npy(path, 16)) {
    CHECK(false, "cannot write %s", path);
    return;
  }
  static const int all[] = {1, 2, 3, 4, 5, 6, 7, 8};
  ajpq_jc_config_t cfg;
  config(&cfg, g, all, 8, 0.3);
  MlirOperation func = ajpq_cg_entry_func(mlirModuleGetOperation(g_mod));
  ajpq_jc_eval_opts_t eo = {.calibration = cal, .metric = "", .repo_root = NULL, .samples = 0,
                            .threads = 1};
  ajpq_jc_evaluator_t *e = NULL;
  ajpq_status_t st = ajpq_jc_evaluator_create(func, g, &cfg, &eo, &e);
  CHECK(!st, "evaluator: %s", st ? ajpq_status_message(st) : "");
  ajpq_status_free(st);
  if (!e) {
    ajpq_jc_config_free(&cfg);
    return;
  }
  enum { N = 8 };
  ajpq_jc_strategy_t *seq[N];
  double r1[N], m;
  for (int i = 0; i < N; i++) {
    seq[i] = ajpq_jc_strategy_create(g);
    if (i % 3 == 0 || i == 1)
      random_start(g, &cfg, seq[i]); /* new bits and erasure everywhere */
    else {
      ajpq_jc_strategy_copy(seq[i], seq[i - 1]); /* one layer changed */
      ajpq_jc_shift_layer(&cfg, seq[i], i % g->n_layers, i % 2 ? -1 : 1);
    }
  }
  /* erasure only: one more group of layer 1 erased, every bit-width else the same (the
   * consumer's masked weights change through its kept inputs only) */
  ajpq_jc_strategy_copy(seq[5], seq[4]);
  for (int gi = 0; gi < g->n_groups; gi++) {
    const ajpq_cg_group_t *G = &g->groups[gi];
    if (cfg.group_fixed[gi] || G->leader != 1 || !seq[5]->bits[G->member_layer[0]][G->member_chan[0]])
      continue;
    for (int j = 0; j < G->n_members; j++)
      seq[5]->bits[G->member_layer[j]][G->member_chan[j]] = 0;
    break;
  }
  CHECK(!same(seq[5], seq[4]), "no erasable group of layer 1 left");
  ajpq_jc_strategy_copy(seq[N - 1], seq[0]); /* back to the first one */
  for (int i = 0; i < N; i++) {
    st = ajpq_jc_evaluator_reward(e, seq[i], &r1[i], &m);
    CHECK(!st, "reward: %s", st ? ajpq_status_message(st) : "");
    ajpq_status_free(st);
  }
  int same_n = 0;
  for (int i = 0; i < N; i++) {
    ajpq_jc_evaluator_t *f = NULL;
    st = ajpq_jc_evaluator_create(func, g, &cfg, &eo, &f);
    double r;
    if (!st)
      st = ajpq_jc_evaluator_reward(f, seq[i], &r, &m);
    CHECK(!st, "fresh evaluator: %s", st ? ajpq_status_message(st) : "");
    ajpq_status_free(st);
    CHECK(!st && r == r1[i], "strategy %d: cached evaluator %.17g, fresh %.17g", i, r1[i], r);
    same_n += !st && r == r1[i];
    ajpq_jc_evaluator_destroy(f);
  }
  CHECK(r1[N - 1] == r1[0], "same strategy, different reward after others");
  bool distinct = false;
  for (int i = 1; i < N - 1; i++)
    distinct |= r1[i] != r1[0];
  CHECK(distinct, "all rewards equal: the check cannot tell strategies apart");
  printf("eval_cache: %d/%d strategies give bit-identical rewards with the cache and fresh\n",
         same_n, N);
  for (int i = 0; i < N; i++)
    ajpq_jc_strategy_destroy(seq[i]);
  ajpq_jc_evaluator_destroy(e);
  ajpq_jc_config_free(&cfg);
}

int main(int argc, char **argv) {
  ajpq_channel_graph_t *g = build_graph();
  if (!g) {
    printf("FAIL: no graph\n");
    return 1;
  }
  printf("model: %d layers, %d groups\n", g->n_layers, g->n_groups);
  CHECK(g->n_layers == 4, "expected 4 layers, got %d", g->n_layers);
  test_fill(g);
  test_fill_groups(g);
  test_refine(g);
  test_eval_cache(g, argc > 1 ? argv[1] : "/tmp");
  ajpq_cg_destroy(g);
  mlirModuleDestroy(g_mod);
  mlirContextDestroy(g_ctx);
  if (failures) {
    printf("%d FAILURES\n", failures);
    return 1;
  }
  printf("ALL PASSED\n");
  return 0;
}
