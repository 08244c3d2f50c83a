/* ajpq_rl.h — DDPG for the AJPQ search: seeded RNG, small MLPs on OpenBLAS,
 * Adam, an explicit-tuple replay buffer and the agent.
 *
 * Follows the reference DDPG of AMC (arXiv 1802.03494) and HAQ
 * (arXiv 1811.08886) as summarised in ../shared/reference/algorithm-notes.md:
 *  - actor: state → 300 → ReLU → 300 → ReLU → n_actions → sigmoid;
 *  - critic: ReLU(W·[s, a] + b) → 300 → ReLU → 1 (W·[s,a] = W_s·s + W_a·a);
 *  - weights and biases uniform in ±1/sqrt(fan_in);
 *  - Adam (β 0.9/0.999, ε 1e-8), lr 1e-4 actor / 1e-3 critic, MSE critic loss;
 *  - target networks copied at start, soft-updated with τ = 0.01 after each
 *    update; batch 64; γ = 1;
 *  - warm-up episodes of uniform random actions, then truncated-normal noise
 *    around the actor's output on [0,1], σ = σ0 · decay^(episode − warmup);
 *  - every transition of an episode gets the episode's final reward; a
 *    moving-average baseline (ma += 0.5·(mean(batch r) − ma)) is subtracted
 *    before the TD target; one update per stored transition after warm-up.
 *
 * Everything is double precision (cblas_dgemm). Randomness comes only from
 * ajpq_rl_rng_t (xoshiro256**, seeded through splitmix64), so a seed gives
 * the same numbers on every run; OpenBLAS dgemm does not split the inner
 * (reduction) dimension across threads, so results do not depend on the
 * thread count (tested).
 *
 * Ownership and errors: see support/ajpq_status.h.
 */
#ifndef AJPQ_RL_H
#define AJPQ_RL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ajpq_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Random numbers ------------------------------------------------------ */

/* xoshiro256** state (Blackman & Vigna). Plain value; copy to fork. */
typedef struct {
  uint64_t s[4];
} ajpq_rl_rng_t;

/* Seeds the generator from one 64-bit seed (splitmix64 expansion). */
void ajpq_rl_rng_seed(ajpq_rl_rng_t *r, uint64_t seed);
/* Next 64 random bits. */
uint64_t ajpq_rl_rng_u64(ajpq_rl_rng_t *r);
/* Uniform double in [0, 1) with 53 random bits. */
double ajpq_rl_rng_uniform(ajpq_rl_rng_t *r);
/* Uniform integer in [0, n) (n >= 1), unbiased (rejection). */
uint64_t ajpq_rl_rng_below(ajpq_rl_rng_t *r, uint64_t n);
/* Standard normal (Box–Muller, one value per call). */
double ajpq_rl_rng_normal(ajpq_rl_rng_t *r);
/* Normal(mu, sigma) truncated to [lo, hi] by rejection (at most 1000
 * draws, then the clamped mean). sigma <= 0 gives clamp(mu, lo, hi). */
double ajpq_rl_rng_truncnorm(ajpq_rl_rng_t *r, double mu, double sigma, double lo, double hi);

/* ---- Multi-layer perceptron ---------------------------------------------- */

typedef enum {
  AJPQ_RL_ACT_NONE = 0,
  AJPQ_RL_ACT_RELU = 1,
  AJPQ_RL_ACT_SIGMOID = 2,
} ajpq_rl_act_t;

typedef struct ajpq_rl_mlp_s ajpq_rl_mlp_t;

/* Creates a fully connected network with `nlayers` layers; layer l maps
 * sizes[l] → sizes[l+1] and applies acts[l]. Weights and biases are drawn
 * uniformly in ±1/sqrt(sizes[l]) from `rng`. Parameters are stored
 * contiguously: for each layer W_l ([out][in], row-major) then b_l ([out]).
 * INVALID_ARGUMENT for nlayers < 1 or a size < 1. */
ajpq_status_t ajpq_rl_mlp_create(int nlayers, const int *sizes, const ajpq_rl_act_t *acts,
                                 ajpq_rl_rng_t *rng, ajpq_rl_mlp_t **out);
void ajpq_rl_mlp_destroy(ajpq_rl_mlp_t *m);
int ajpq_rl_mlp_in_dim(const ajpq_rl_mlp_t *m);
int ajpq_rl_mlp_out_dim(const ajpq_rl_mlp_t *m);
size_t ajpq_rl_mlp_num_params(const ajpq_rl_mlp_t *m);
/* Borrowed parameter / gradient vectors (num_params doubles each). */
double *ajpq_rl_mlp_params(ajpq_rl_mlp_t *m);
double *ajpq_rl_mlp_grads(ajpq_rl_mlp_t *m);

/* Forward pass on a batch: x [n][in] → y [n][out] (row-major). Caches the
 * activations for ajpq_rl_mlp_backward. RESOURCE_EXHAUSTED if the workspace
 * cannot grow to n rows. */
ajpq_status_t ajpq_rl_mlp_forward(ajpq_rl_mlp_t *m, int n, const double *x, double *y);

/* Backward pass of the last forward (same n): dy [n][out] = ∂L/∂y.
 * OVERWRITES the gradient vector with ∂L/∂params and, if dx is non-NULL,
 * writes ∂L/∂x [n][in]. */
void ajpq_rl_mlp_backward(ajpq_rl_mlp_t *m, int n, const double *dy, double *dx);

/* As ajpq_rl_mlp_backward, but computes only ∂L/∂x into dx [n][in] and
 * leaves the gradient vector untouched (the DDPG actor step needs ∂Q/∂a
 * through the critic, not the critic's weight gradients: one 300×300 GEMM
 * and the bias sums fewer per update). */
void ajpq_rl_mlp_backward_input(ajpq_rl_mlp_t *m, int n, const double *dy, double *dx);

/* dst ← src (same architecture). */
void ajpq_rl_mlp_copy(ajpq_rl_mlp_t *dst, const ajpq_rl_mlp_t *src);
/* target ← τ·src + (1 − τ)·target (same architecture). */
void ajpq_rl_mlp_soft_update(ajpq_rl_mlp_t *target, const ajpq_rl_mlp_t *src, double tau);

/* ---- Adam ----------------------------------------------------------------- */

/* Adam state for a vector of n parameters (Kingma & Ba 2015, bias-corrected,
 * ε added to sqrt(v̂)). */
typedef struct {
  double lr, beta1, beta2, eps;
  int64_t t;
  size_t n;
  double *m, *v;
} ajpq_rl_adam_t;

/* Zeroed moments, β 0.9/0.999, ε 1e-8. RESOURCE_EXHAUSTED on OOM. */
ajpq_status_t ajpq_rl_adam_init(ajpq_rl_adam_t *a, size_t n, double lr);
/* One step: params -= lr · m̂ / (sqrt(v̂) + ε). */
void ajpq_rl_adam_step(ajpq_rl_adam_t *a, double *params, const double *grads);
void ajpq_rl_adam_free(ajpq_rl_adam_t *a);

/* ---- DDPG agent ----------------------------------------------------------- */

typedef struct {
  int state_dim, action_dim; /* required, >= 1 */
  int hidden1, hidden2;      /* 300, 300 */
  double lr_actor, lr_critic; /* 1e-4, 1e-3 */
  double tau;                /* 0.01 */
  double gamma;              /* 1.0 */
  int batch;                 /* 64 */
  int replay_capacity;       /* transitions kept (ring); default 2000 */
  int warmup;                /* episodes of uniform random actions; 20 */
  double sigma0;             /* initial noise σ: 0.5 */
  double noise_decay;        /* 0.99 */
  double baseline_rate;      /* moving-average step: 0.5 */
  uint64_t seed;
} ajpq_rl_ddpg_config_t;

/* Fills the defaults above (state_dim = action_dim = 0: set them). */
void ajpq_rl_ddpg_config_default(ajpq_rl_ddpg_config_t *c);

typedef struct ajpq_rl_ddpg_s ajpq_rl_ddpg_t;

/* Creates actor, critic, their targets (copies), Adam states and the replay
 * buffer. INVALID_ARGUMENT on a bad configuration (naming the field). */
ajpq_status_t ajpq_rl_ddpg_create(const ajpq_rl_ddpg_config_t *cfg, ajpq_rl_ddpg_t **out);
void ajpq_rl_ddpg_destroy(ajpq_rl_ddpg_t *d);

/* Noise σ for `episode` (0 during warm-up). */
double ajpq_rl_ddpg_sigma(const ajpq_rl_ddpg_t *d, int episode);

/* Exploration action for `state` (state_dim) into `action` (action_dim),
 * each in [0,1]: uniform during warm-up (episode < warmup), else the actor's
 * output with truncated-normal noise of σ(episode). */
void ajpq_rl_ddpg_select_action(ajpq_rl_ddpg_t *d, int episode, const double *state,
                                double *action);

/* The actor's deterministic action (no noise). */
void ajpq_rl_ddpg_actor_action(ajpq_rl_ddpg_t *d, const double *state, double *action);

/* The critic's value Q(state, action). */
double ajpq_rl_ddpg_q(ajpq_rl_ddpg_t *d, const double *state, const double *action);

/* Stores one explicit (s, a, r, s', done) tuple (ring buffer: the oldest is
 * overwritten when full). */
void ajpq_rl_ddpg_store(ajpq_rl_ddpg_t *d, const double *s, const double *a, double r,
                        const double *s2, bool done);

/* One DDPG update from a uniformly sampled batch (with replacement):
 * baseline, critic MSE step to r − ma + γ(1−done)Q'(s', μ'(s')), actor step
 * on −Q(s, μ(s)), soft target updates. No-op when the buffer is empty.
 * Returns the critic loss before the step. */
double ajpq_rl_ddpg_update(ajpq_rl_ddpg_t *d);

/* Ends an episode of `n` steps: states [n][state_dim] (s_t, observed before
 * action t), next [n][state_dim] (s_{t+1}; the last row is the terminal
 * state) and actions [n][action_dim]. Stores every transition with the
 * final `reward` (done only at t = n−1) and, once warm-up is over
 * (episode >= warmup), runs n updates. INVALID_ARGUMENT for a non-finite
 * reward. */
ajpq_status_t ajpq_rl_ddpg_end_episode(ajpq_rl_ddpg_t *d, int episode, int n, const double *states,
                                       const double *next, const double *actions, double reward);

/* Borrowed networks (tests, diagnostics). */
ajpq_rl_mlp_t *ajpq_rl_ddpg_actor(ajpq_rl_ddpg_t *d);
ajpq_rl_mlp_t *ajpq_rl_ddpg_critic(ajpq_rl_ddpg_t *d);
/* Current moving-average baseline. */
double ajpq_rl_ddpg_baseline(const ajpq_rl_ddpg_t *d);
/* Transitions currently stored. */
int ajpq_rl_ddpg_stored(const ajpq_rl_ddpg_t *d);

#ifdef __cplusplus
}
#endif

#endif /* AJPQ_RL_H */
