/* rl_test.c — unit tests of ajpq_rl: RNG reproducibility and moments, MLP
 * gradients against central finite differences, Adam against a hand
 * computation, soft updates, and a seeded DDPG learning task. Run by
 * rl.test; exits 1 on any failure. `rl-test learn` runs only the learning
 * task and prints its final numbers (used to compare thread counts). */
#include "ajpq_rl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define EXPECT(cond)                                                                               \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                                       \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)
#define EXPECT_NEAR(a, b, tol)                                                                     \
  do {                                                                                             \
    double a_ = (a), b_ = (b);                                                                     \
    if (!(fabs(a_ - b_) <= (tol))) {                                                               \
      printf("FAIL %s:%d: %s = %.17g, expected %.17g (tol %g)\n", __FILE__, __LINE__, #a, a_, b_,  \
             (double)(tol));                                                                       \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

static void check(ajpq_status_t s) {
  if (s) {
    ajpq_status_fprint(stdout, "FAIL", s);
    ajpq_status_free(s);
    failures++;
  }
}

static void test_rng(void) {
  printf("TEST: rng\n");
  ajpq_rl_rng_t a, b, c;
  ajpq_rl_rng_seed(&a, 42);
  ajpq_rl_rng_seed(&b, 42);
  ajpq_rl_rng_seed(&c, 43);
  int same = 1, diff = 0;
  for (int i = 0; i < 100; i++) {
    uint64_t x = ajpq_rl_rng_u64(&a), y = ajpq_rl_rng_u64(&b), z = ajpq_rl_rng_u64(&c);
    same &= x == y;
    diff += x != z;
  }
  EXPECT(same);
  EXPECT(diff == 100);
  const int N = 200000;
  double su = 0, sn = 0, sn2 = 0;
  int inb = 1, below_ok = 1;
  int hist[5] = {0};
  for (int i = 0; i < N; i++) {
    double u = ajpq_rl_rng_uniform(&a);
    inb &= u >= 0 && u < 1;
    su += u;
    double n = ajpq_rl_rng_normal(&a);
    sn += n;
    sn2 += n * n;
    uint64_t k = ajpq_rl_rng_below(&a, 5);
    below_ok &= k < 5;
    if (k < 5)
      hist[k]++;
  }
  EXPECT(inb);
  EXPECT(below_ok);
  EXPECT_NEAR(su / N, 0.5, 0.005);
  EXPECT_NEAR(sn / N, 0.0, 0.01);
  EXPECT_NEAR(sn2 / N, 1.0, 0.02);
  for (int k = 0; k < 5; k++)
    EXPECT_NEAR(hist[k] / (double)N, 0.2, 0.005);
  /* truncated normal stays in bounds; its mean for mu at the edge is inside */
  double st = 0;
  int tin = 1;
  for (int i = 0; i < 20000; i++) {
    double t = ajpq_rl_rng_truncnorm(&a, 0.95, 0.5, 0.0, 1.0);
    tin &= t >= 0 && t <= 1;
    st += t;
  }
  EXPECT(tin);
  EXPECT(st / 20000 < 0.95 && st / 20000 > 0.5);
  EXPECT_NEAR(ajpq_rl_rng_truncnorm(&a, 1.7, 0.0, 0.0, 1.0), 1.0, 0);
  EXPECT_NEAR(ajpq_rl_rng_truncnorm(&a, 0.3, 0.0, 0.0, 1.0), 0.3, 0);
  printf("rng ok\n");
}

/* Loss L = Σ c ⊙ y; analytic ∂L/∂θ and ∂L/∂x vs central differences. */
static double gradcheck(ajpq_rl_act_t last) {
  ajpq_rl_rng_t r;
  ajpq_rl_rng_seed(&r, 7);
  int sizes[4] = {4, 7, 6, 3};
  ajpq_rl_act_t acts[3] = {AJPQ_RL_ACT_RELU, AJPQ_RL_ACT_RELU, last};
  ajpq_rl_mlp_t *m = NULL;
  check(ajpq_rl_mlp_create(3, sizes, acts, &r, &m));
  if (!m)
    return 1e9;
  const int n = 5;
  double x[5 * 4], c[5 * 3], y[5 * 3], dx[5 * 4];
  for (int i = 0; i < n * 4; i++)
    x[i] = 2 * ajpq_rl_rng_uniform(&r) - 1;
  for (int i = 0; i < n * 3; i++)
    c[i] = 2 * ajpq_rl_rng_uniform(&r) - 1;
  check(ajpq_rl_mlp_forward(m, n, x, y));
  ajpq_rl_mlp_backward(m, n, c, dx);
  size_t np = ajpq_rl_mlp_num_params(m);
  double *g = malloc(np * sizeof(double));
  memcpy(g, ajpq_rl_mlp_grads(m), np * sizeof(double));
  double *p = ajpq_rl_mlp_params(m);
  const double h = 1e-6;
  double maxerr = 0;
#define LOSS(out)                                                                                  \
  do {                                                                                             \
    check(ajpq_rl_mlp_forward(m, n, x, y));                                                        \
    out = 0;                                                                                       \
    for (int i = 0; i < n * 3; i++)                                                                \
      out += c[i] * y[i];                                                                          \
  } while (0)
  for (size_t i = 0; i < np; i++) {
    double keep = p[i], lp, lm;
    p[i] = keep + h;
    LOSS(lp);
    p[i] = keep - h;
    LOSS(lm);
    p[i] = keep;
    double num = (lp - lm) / (2 * h);
    double err = fabs(num - g[i]) / fmax(1.0, fabs(num));
    if (err > maxerr)
      maxerr = err;
  }
  for (int i = 0; i < n * 4; i++) {
    double keep = x[i], lp, lm;
    x[i] = keep + h;
    LOSS(lp);
    x[i] = keep - h;
    LOSS(lm);
    x[i] = keep;
    double num = (lp - lm) / (2 * h);
    double err = fabs(num - dx[i]) / fmax(1.0, fabs(num));
    if (err > maxerr)
      maxerr = err;
  }
#undef LOSS
  /* gradient is not all zeros (a check that could not fail otherwise) */
  double gn = 0;
  for (size_t i = 0; i < np; i++)
    gn += fabs(g[i]);
  EXPECT(gn > 1e-3);
  free(g);
  ajpq_rl_mlp_destroy(m);
  return maxerr;
}

static void test_gradcheck(void) {
  printf("TEST: gradcheck\n");
  double ea = gradcheck(AJPQ_RL_ACT_SIGMOID), ec = gradcheck(AJPQ_RL_ACT_NONE);
  EXPECT(ea < 1e-7);
  EXPECT(ec < 1e-7);
  printf("actor-like max rel err %s, critic-like %s\n", ea < 1e-7 ? "<1e-7" : "LARGE",
         ec < 1e-7 ? "<1e-7" : "LARGE");
}

/* Three Adam steps (lr 0.1) against values computed by hand (python3 of the
 * textbook formulas: m,v moments, bias correction, eps outside the sqrt). */
static void test_adam(void) {
  printf("TEST: adam\n");
  ajpq_rl_adam_t a;
  check(ajpq_rl_adam_init(&a, 2, 0.1));
  double p[2] = {1.0, -2.0};
  const double g[3][2] = {{0.5, -0.1}, {0.2, 0.3}, {-1.0, 0.05}};
  const double want[3][2] = {{0.9000000019999999, -1.900000009999999},
                             {0.8101424839029281, -1.9494189911200654},
                             {0.8334887947543862, -1.9971327067421203}};
  for (int t = 0; t < 3; t++) {
    ajpq_rl_adam_step(&a, p, g[t]);
    EXPECT_NEAR(p[0], want[t][0], 1e-12);
    EXPECT_NEAR(p[1], want[t][1], 1e-12);
  }
  ajpq_rl_adam_free(&a);
  printf("adam ok\n");
}

static void test_soft_update(void) {
  printf("TEST: soft_update\n");
  ajpq_rl_rng_t r;
  ajpq_rl_rng_seed(&r, 3);
  int sizes[2] = {2, 2};
  ajpq_rl_act_t acts[1] = {AJPQ_RL_ACT_NONE};
  ajpq_rl_mlp_t *a = NULL, *b = NULL;
  check(ajpq_rl_mlp_create(1, sizes, acts, &r, &a));
  check(ajpq_rl_mlp_create(1, sizes, acts, &r, &b));
  if (!a || !b)
    return;
  double pa = ajpq_rl_mlp_params(a)[0], pb = ajpq_rl_mlp_params(b)[0];
  ajpq_rl_mlp_soft_update(a, b, 0.01);
  EXPECT_NEAR(ajpq_rl_mlp_params(a)[0], 0.01 * pb + 0.99 * pa, 1e-15);
  ajpq_rl_mlp_copy(a, b);
  EXPECT_NEAR(ajpq_rl_mlp_params(a)[5], ajpq_rl_mlp_params(b)[5], 0);
  /* init range ±1/sqrt(fan_in) */
  int ok = 1;
  for (size_t i = 0; i < ajpq_rl_mlp_num_params(a); i++)
    ok &= fabs(ajpq_rl_mlp_params(a)[i]) <= 1 / sqrt(2.0);
  EXPECT(ok);
  ajpq_rl_mlp_destroy(a);
  ajpq_rl_mlp_destroy(b);
}

/* A continuous-reward task shaped like the search: episodes of L steps, the
 * state is the normalised step index, the best action at step t is
 * target(t) = 0.2 + 0.6·t/(L−1), the only reward comes at the end:
 * R = −mean_t (a_t − target_t)². Default hyperparameters (300-300 networks,
 * lr 1e-4/1e-3, τ 0.01, batch 64, γ 1, warm-up 20, σ0 0.5, decay 0.99). */
#define L 5
static double target(int t) { return 0.2 + 0.6 * t / (L - 1); }
static void state_of(int t, double *s) {
  s[0] = (double)t / (L - 1);
  s[1] = 1.0 - s[0];
}

static double run_learning(int episodes, double *final_actions, double *best_out) {
  ajpq_rl_ddpg_config_t cfg;
  ajpq_rl_ddpg_config_default(&cfg);
  cfg.state_dim = 2;
  cfg.action_dim = 1;
  cfg.seed = 2024;
  ajpq_rl_ddpg_t *d = NULL;
  check(ajpq_rl_ddpg_create(&cfg, &d));
  if (!d)
    return 1e9;
  double best = -1e9, s[L][2], s2[L][2], a[L];
  for (int ep = 0; ep < episodes; ep++) {
    double R = 0;
    for (int t = 0; t < L; t++) {
      state_of(t, s[t]);
      ajpq_rl_ddpg_select_action(d, ep, s[t], &a[t]);
      state_of(t + 1 < L ? t + 1 : t, s2[t]);
      R -= (a[t] - target(t)) * (a[t] - target(t)) / L;
    }
    if (R > best)
      best = R;
    check(ajpq_rl_ddpg_end_episode(d, ep, L, &s[0][0], &s2[0][0], a, R));
  }
  double err = 0; /* mean squared error of the deterministic policy */
  for (int t = 0; t < L; t++) {
    double st[2];
    state_of(t, st);
    ajpq_rl_ddpg_actor_action(d, st, &final_actions[t]);
    err += (final_actions[t] - target(t)) * (final_actions[t] - target(t)) / L;
  }
  *best_out = best;
  ajpq_rl_ddpg_destroy(d);
  return err;
}

static void test_learning(void) {
  printf("TEST: learning\n");
  double acts[L], best;
  /* before learning (warm-up only, no updates) the actor is far off */
  double err0 = run_learning(20, acts, &best);
  double err = run_learning(300, acts, &best);
  printf("untrained policy MSE %s 0.02\n", err0 > 0.02 ? ">" : "<=");
  printf("trained policy MSE %s 0.01, %s 5x better\n", err < 0.01 ? "<" : ">=",
         err * 5 < err0 ? ">=" : "<");
  EXPECT(err0 > 0.02);
  EXPECT(err < 0.01);
  EXPECT(err * 5 < err0);
  /* the policy follows the rising target */
  int rising = 1;
  for (int t = 1; t < L; t++)
    rising &= acts[t] > acts[t - 1];
  EXPECT(rising);
  EXPECT(best > -0.01);
}

static void test_bad_config(void) {
  printf("TEST: bad_config\n");
  ajpq_rl_ddpg_config_t cfg;
  ajpq_rl_ddpg_config_default(&cfg);
  ajpq_rl_ddpg_t *d = NULL;
  ajpq_status_t s = ajpq_rl_ddpg_create(&cfg, &d);
  EXPECT(s && !d);
  printf("%s\n", ajpq_status_message(s));
  ajpq_status_free(s);
  cfg.state_dim = cfg.action_dim = 1;
  cfg.tau = 0;
  s = ajpq_rl_ddpg_create(&cfg, &d);
  EXPECT(s && !d);
  printf("%s\n", ajpq_status_message(s));
  ajpq_status_free(s);
  cfg.tau = 0.01;
  check(ajpq_rl_ddpg_create(&cfg, &d));
  double st = 0, a = 0.5;
  s = ajpq_rl_ddpg_end_episode(d, 0, 1, &st, &st, &a, NAN);
  EXPECT(s != NULL);
  printf("%s\n", ajpq_status_message(s));
  ajpq_status_free(s);
  EXPECT(ajpq_rl_ddpg_stored(d) == 0);
  ajpq_rl_ddpg_destroy(d);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "learn")) {
    double acts[L], best;
    double mse = run_learning(argc > 2 ? atoi(argv[2]) : 120, acts, &best);
    printf("mse = %.17g\n", mse);
    for (int t = 0; t < L; t++)
      printf("a[%d] = %.17g\n", t, acts[t]);
    printf("best = %.17g\n", best);
    return failures ? 1 : 0;
  }
  test_rng();
  test_gradcheck();
  test_adam();
  test_soft_update();
  test_bad_config();
  test_learning();
  printf(failures ? "FAILED %d\n" : "ALL PASSED\n", failures);
  return failures ? 1 : 0;
}
