/* ddpg.c — the DDPG agent (actor, critic, targets, replay buffer, updates)
 * as the AMC/HAQ reference implementations run it (see ajpq_rl.h). */
#include "ajpq_rl.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ajpq_rl_ddpg_s {
  ajpq_rl_ddpg_config_t cfg;
  ajpq_rl_rng_t rng;
  ajpq_rl_mlp_t *actor, *actor_t, *critic, *critic_t;
  ajpq_rl_adam_t adam_a, adam_c;
  /* replay ring: explicit tuples */
  int cap, count, head;
  double *rs, *ra, *rr, *rs2, *rd;
  double ma; /* moving-average baseline */
  /* batch scratch */
  double *bs, *ba, *br, *bs2, *bd, *bsa, *bq, *by, *bdq, *bdsa, *bda;
};

/* The agent's GEMMs run on ONE OpenBLAS thread: with several threads
 * OpenBLAS picks other kernels whose rounding differs, which would make a
 * seeded search depend on the thread count. The batches are small (64×300),
 * so one thread is also the faster choice (measured: 6.4 s vs 8.2 s for the
 * learning test). The previous setting is restored afterwards. */
static int blas_single_begin(void) {
  int old = openblas_get_num_threads();
  if (old != 1)
    openblas_set_num_threads(1);
  return old;
}
static void blas_single_end(int old) {
  if (old != 1)
    openblas_set_num_threads(old);
}

void ajpq_rl_ddpg_config_default(ajpq_rl_ddpg_config_t *c) {
  memset(c, 0, sizeof *c);
  c->hidden1 = 300;
  c->hidden2 = 300;
  c->lr_actor = 1e-4;
  c->lr_critic = 1e-3;
  c->tau = 0.01;
  c->gamma = 1.0;
  c->batch = 64;
  c->replay_capacity = 2000;
  c->warmup = 20;
  c->sigma0 = 0.5;
  c->noise_decay = 0.99;
  c->baseline_rate = 0.5;
  c->seed = 1;
}

void ajpq_rl_ddpg_destroy(ajpq_rl_ddpg_t *d) {
  if (!d)
    return;
  ajpq_rl_mlp_destroy(d->actor);
  ajpq_rl_mlp_destroy(d->actor_t);
  ajpq_rl_mlp_destroy(d->critic);
  ajpq_rl_mlp_destroy(d->critic_t);
  ajpq_rl_adam_free(&d->adam_a);
  ajpq_rl_adam_free(&d->adam_c);
  double *bufs[] = {d->rs, d->ra, d->rr, d->rs2, d->rd, d->bs, d->ba, d->br, d->bs2, d->bd,
                    d->bsa, d->bq, d->by, d->bdq, d->bdsa, d->bda};
  for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
    free(bufs[i]);
  free(d);
}

ajpq_status_t ajpq_rl_ddpg_create(const ajpq_rl_ddpg_config_t *cfg, ajpq_rl_ddpg_t **out) {
  const ajpq_rl_ddpg_config_t *c = cfg;
#define CHECK(cond, field)                                                                         \
  if (!(cond))                                                                                     \
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "rl: bad DDPG configuration: %s", field);
  CHECK(c->state_dim >= 1 && c->state_dim <= 10000, "state_dim");
  CHECK(c->action_dim >= 1 && c->action_dim <= 10000, "action_dim");
  CHECK(c->hidden1 >= 1 && c->hidden1 <= 100000, "hidden1");
  CHECK(c->hidden2 >= 1 && c->hidden2 <= 100000, "hidden2");
  CHECK(c->lr_actor > 0 && c->lr_critic > 0, "learning rate");
  CHECK(c->tau > 0 && c->tau <= 1, "tau");
  CHECK(c->gamma >= 0 && c->gamma <= 1, "gamma");
  CHECK(c->batch >= 1 && c->batch <= 100000, "batch");
  CHECK(c->replay_capacity >= 1 && c->replay_capacity <= 10000000, "replay_capacity");
  CHECK(c->warmup >= 0, "warmup");
  CHECK(c->sigma0 >= 0 && c->noise_decay > 0 && c->noise_decay <= 1, "noise");
  CHECK(c->baseline_rate >= 0 && c->baseline_rate <= 1, "baseline_rate");
#undef CHECK
  ajpq_rl_ddpg_t *d = calloc(1, sizeof *d);
  if (!d)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "rl: out of memory");
  d->cfg = *c;
  ajpq_rl_rng_seed(&d->rng, c->seed);
  int S = c->state_dim, A = c->action_dim, B = c->batch;
  int as[4] = {S, c->hidden1, c->hidden2, A};
  ajpq_rl_act_t aa[3] = {AJPQ_RL_ACT_RELU, AJPQ_RL_ACT_RELU, AJPQ_RL_ACT_SIGMOID};
  int cs[4] = {S + A, c->hidden1, c->hidden2, 1};
  ajpq_rl_act_t ca[3] = {AJPQ_RL_ACT_RELU, AJPQ_RL_ACT_RELU, AJPQ_RL_ACT_NONE};
  ajpq_status_t st = NULL;
  if (!st) st = ajpq_rl_mlp_create(3, as, aa, &d->rng, &d->actor);
  if (!st) st = ajpq_rl_mlp_create(3, as, aa, &d->rng, &d->actor_t);
  if (!st) st = ajpq_rl_mlp_create(3, cs, ca, &d->rng, &d->critic);
  if (!st) st = ajpq_rl_mlp_create(3, cs, ca, &d->rng, &d->critic_t);
  if (!st) st = ajpq_rl_adam_init(&d->adam_a, ajpq_rl_mlp_num_params(d->actor), c->lr_actor);
  if (!st) st = ajpq_rl_adam_init(&d->adam_c, ajpq_rl_mlp_num_params(d->critic), c->lr_critic);
  if (st) {
    ajpq_rl_ddpg_destroy(d);
    return st;
  }
  ajpq_rl_mlp_copy(d->actor_t, d->actor);
  ajpq_rl_mlp_copy(d->critic_t, d->critic);
  size_t cap = (size_t)c->replay_capacity;
  d->cap = c->replay_capacity;
  d->rs = malloc(cap * S * sizeof(double));
  d->ra = malloc(cap * A * sizeof(double));
  d->rr = malloc(cap * sizeof(double));
  d->rs2 = malloc(cap * S * sizeof(double));
  d->rd = malloc(cap * sizeof(double));
  d->bs = malloc((size_t)B * S * sizeof(double));
  d->ba = malloc((size_t)B * A * sizeof(double));
  d->br = malloc((size_t)B * sizeof(double));
  d->bs2 = malloc((size_t)B * S * sizeof(double));
  d->bd = malloc((size_t)B * sizeof(double));
  d->bsa = malloc((size_t)B * (S + A) * sizeof(double));
  d->bq = malloc((size_t)B * sizeof(double));
  d->by = malloc((size_t)B * sizeof(double));
  d->bdq = malloc((size_t)B * sizeof(double));
  d->bdsa = malloc((size_t)B * (S + A) * sizeof(double));
  d->bda = malloc((size_t)B * A * sizeof(double));
  if (!d->rs || !d->ra || !d->rr || !d->rs2 || !d->rd || !d->bs || !d->ba || !d->br || !d->bs2 ||
      !d->bd || !d->bsa || !d->bq || !d->by || !d->bdq || !d->bdsa || !d->bda) {
    ajpq_rl_ddpg_destroy(d);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "rl: out of memory for the replay buffer");
  }
  *out = d;
  return NULL;
}

double ajpq_rl_ddpg_sigma(const ajpq_rl_ddpg_t *d, int episode) {
  if (episode < d->cfg.warmup)
    return 0.0;
  return d->cfg.sigma0 * pow(d->cfg.noise_decay, (double)(episode - d->cfg.warmup));
}

void ajpq_rl_ddpg_actor_action(ajpq_rl_ddpg_t *d, const double *state, double *action) {
  int old = blas_single_begin();
  ajpq_status_t s = ajpq_rl_mlp_forward(d->actor, 1, state, action);
  blas_single_end(old);
  if (s) { /* only on OOM: fall back to the middle of the range */
    ajpq_status_free(s);
    for (int i = 0; i < d->cfg.action_dim; i++)
      action[i] = 0.5;
  }
}

void ajpq_rl_ddpg_select_action(ajpq_rl_ddpg_t *d, int episode, const double *state,
                                double *action) {
  int A = d->cfg.action_dim;
  if (episode < d->cfg.warmup) {
    for (int i = 0; i < A; i++)
      action[i] = ajpq_rl_rng_uniform(&d->rng);
    return;
  }
  ajpq_rl_ddpg_actor_action(d, state, action);
  double sigma = ajpq_rl_ddpg_sigma(d, episode);
  for (int i = 0; i < A; i++)
    action[i] = ajpq_rl_rng_truncnorm(&d->rng, action[i], sigma, 0.0, 1.0);
}

double ajpq_rl_ddpg_q(ajpq_rl_ddpg_t *d, const double *state, const double *action) {
  int S = d->cfg.state_dim, A = d->cfg.action_dim;
  memcpy(d->bsa, state, S * sizeof(double));
  memcpy(d->bsa + S, action, A * sizeof(double));
  double q = 0;
  int old = blas_single_begin();
  ajpq_status_t s = ajpq_rl_mlp_forward(d->critic, 1, d->bsa, &q);
  blas_single_end(old);
  ajpq_status_free(s);
  return q;
}

void ajpq_rl_ddpg_store(ajpq_rl_ddpg_t *d, const double *s, const double *a, double r,
                        const double *s2, bool done) {
  int S = d->cfg.state_dim, A = d->cfg.action_dim;
  size_t i = (size_t)d->head;
  memcpy(d->rs + i * S, s, S * sizeof(double));
  memcpy(d->ra + i * A, a, A * sizeof(double));
  d->rr[i] = r;
  memcpy(d->rs2 + i * S, s2, S * sizeof(double));
  d->rd[i] = done ? 1.0 : 0.0;
  d->head = (d->head + 1) % d->cap;
  if (d->count < d->cap)
    d->count++;
}

static void concat_sa(int n, int S, int A, const double *s, const double *a, double *sa) {
  for (int i = 0; i < n; i++) {
    memcpy(sa + (size_t)i * (S + A), s + (size_t)i * S, S * sizeof(double));
    memcpy(sa + (size_t)i * (S + A) + S, a + (size_t)i * A, A * sizeof(double));
  }
}

static double update(ajpq_rl_ddpg_t *d);

double ajpq_rl_ddpg_update(ajpq_rl_ddpg_t *d) {
  if (d->count == 0)
    return 0.0;
  int old = blas_single_begin();
  double loss = update(d);
  blas_single_end(old);
  return loss;
}

static double update(ajpq_rl_ddpg_t *d) {
  const int S = d->cfg.state_dim, A = d->cfg.action_dim, B = d->cfg.batch;
  /* sample with replacement */
  double mean_r = 0;
  for (int b = 0; b < B; b++) {
    size_t i = (size_t)ajpq_rl_rng_below(&d->rng, (uint64_t)d->count);
    memcpy(d->bs + (size_t)b * S, d->rs + i * S, S * sizeof(double));
    memcpy(d->ba + (size_t)b * A, d->ra + i * A, A * sizeof(double));
    memcpy(d->bs2 + (size_t)b * S, d->rs2 + i * S, S * sizeof(double));
    d->br[b] = d->rr[i];
    d->bd[b] = d->rd[i];
    mean_r += d->rr[i];
  }
  mean_r /= B;
  d->ma += d->cfg.baseline_rate * (mean_r - d->ma);
  ajpq_status_t st = NULL;
  /* target: y = r - ma + γ (1 - done) Q'(s', μ'(s')) */
  double *a2 = d->bda; /* reuse as μ'(s') */
  if (!st) st = ajpq_rl_mlp_forward(d->actor_t, B, d->bs2, a2);
  concat_sa(B, S, A, d->bs2, a2, d->bsa);
  if (!st) st = ajpq_rl_mlp_forward(d->critic_t, B, d->bsa, d->by);
  for (int b = 0; b < B; b++)
    d->by[b] = d->br[b] - d->ma + d->cfg.gamma * (1.0 - d->bd[b]) * d->by[b];
  /* critic step on mean (Q - y)^2 */
  concat_sa(B, S, A, d->bs, d->ba, d->bsa);
  if (!st) st = ajpq_rl_mlp_forward(d->critic, B, d->bsa, d->bq);
  if (st) {
    ajpq_status_free(st);
    return NAN;
  }
  double loss = 0;
  for (int b = 0; b < B; b++) {
    double e = d->bq[b] - d->by[b];
    loss += e * e;
    d->bdq[b] = 2.0 * e / B;
  }
  loss /= B;
  ajpq_rl_mlp_backward(d->critic, B, d->bdq, NULL);
  ajpq_rl_adam_step(&d->adam_c, ajpq_rl_mlp_params(d->critic), ajpq_rl_mlp_grads(d->critic));
  /* actor step on -mean Q(s, μ(s)) */
  double *mu = d->bda;
  if (!st) st = ajpq_rl_mlp_forward(d->actor, B, d->bs, mu);
  concat_sa(B, S, A, d->bs, mu, d->bsa);
  if (!st) st = ajpq_rl_mlp_forward(d->critic, B, d->bsa, d->bq);
  if (st) {
    ajpq_status_free(st);
    return NAN;
  }
  for (int b = 0; b < B; b++)
    d->bdq[b] = -1.0 / B;
  ajpq_rl_mlp_backward_input(d->critic, B, d->bdq, d->bdsa);
  for (int b = 0; b < B; b++)
    memcpy(d->bda + (size_t)b * A, d->bdsa + (size_t)b * (S + A) + S, A * sizeof(double));
  ajpq_rl_mlp_backward(d->actor, B, d->bda, NULL);
  ajpq_rl_adam_step(&d->adam_a, ajpq_rl_mlp_params(d->actor), ajpq_rl_mlp_grads(d->actor));
  ajpq_rl_mlp_soft_update(d->actor_t, d->actor, d->cfg.tau);
  ajpq_rl_mlp_soft_update(d->critic_t, d->critic, d->cfg.tau);
  return loss;
}

ajpq_status_t ajpq_rl_ddpg_end_episode(ajpq_rl_ddpg_t *d, int episode, int n, const double *states,
                                       const double *next, const double *actions, double reward) {
  if (!isfinite(reward))
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "rl: non-finite reward %g in episode %d", reward,
                            episode);
  if (n < 0)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "rl: negative episode length");
  const int S = d->cfg.state_dim, A = d->cfg.action_dim;
  for (int t = 0; t < n; t++)
    ajpq_rl_ddpg_store(d, states + (size_t)t * S, actions + (size_t)t * A, reward,
                       next + (size_t)t * S, t == n - 1);
  if (episode >= d->cfg.warmup)
    for (int t = 0; t < n; t++)
      ajpq_rl_ddpg_update(d);
  return NULL;
}

ajpq_rl_mlp_t *ajpq_rl_ddpg_actor(ajpq_rl_ddpg_t *d) { return d->actor; }
ajpq_rl_mlp_t *ajpq_rl_ddpg_critic(ajpq_rl_ddpg_t *d) { return d->critic; }
double ajpq_rl_ddpg_baseline(const ajpq_rl_ddpg_t *d) { return d->ma; }
int ajpq_rl_ddpg_stored(const ajpq_rl_ddpg_t *d) { return d->count; }
