/* mlp.c — fully connected networks for the actor and critic: batched
 * forward/backward through cblas_dgemm, Adam, soft target updates. */
#include "ajpq_rl.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ajpq_rl_mlp_s {
  int nlayers;
  int *sizes;          /* nlayers + 1 */
  ajpq_rl_act_t *acts; /* nlayers */
  size_t *woff, *boff; /* offsets of W_l and b_l in params */
  size_t nparams;
  double *params, *grads;
  int cap;             /* rows the workspace holds */
  double **act;        /* act[l]: [cap][sizes[l]] input of layer l (act[0] = x copy), act[nlayers] = y */
  double *d0, *d1;     /* backward scratch [cap][max size] */
  int maxw;
};

ajpq_status_t ajpq_rl_mlp_create(int nlayers, const int *sizes, const ajpq_rl_act_t *acts,
                                 ajpq_rl_rng_t *rng, ajpq_rl_mlp_t **out) {
  if (nlayers < 1 || nlayers > 16)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "rl: mlp needs 1..16 layers, got %d", nlayers);
  for (int l = 0; l <= nlayers; l++)
    if (sizes[l] < 1 || sizes[l] > 100000)
      return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "rl: mlp size %d of layer %d out of range",
                              sizes[l], l);
  ajpq_rl_mlp_t *m = calloc(1, sizeof *m);
  if (!m)
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "rl: out of memory");
  m->nlayers = nlayers;
  m->sizes = calloc((size_t)nlayers + 1, sizeof(int));
  m->acts = calloc((size_t)nlayers, sizeof *m->acts);
  m->woff = calloc((size_t)nlayers, sizeof(size_t));
  m->boff = calloc((size_t)nlayers, sizeof(size_t));
  m->act = calloc((size_t)nlayers + 1, sizeof(double *));
  if (!m->sizes || !m->acts || !m->woff || !m->boff || !m->act) {
    ajpq_rl_mlp_destroy(m);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "rl: out of memory");
  }
  size_t off = 0;
  for (int l = 0; l <= nlayers; l++) {
    m->sizes[l] = sizes[l];
    if (sizes[l] > m->maxw)
      m->maxw = sizes[l];
  }
  for (int l = 0; l < nlayers; l++) {
    m->acts[l] = acts[l];
    m->woff[l] = off;
    off += (size_t)sizes[l] * (size_t)sizes[l + 1];
    m->boff[l] = off;
    off += (size_t)sizes[l + 1];
  }
  m->nparams = off;
  m->params = malloc(off * sizeof(double));
  m->grads = calloc(off, sizeof(double));
  if (!m->params || !m->grads) {
    ajpq_rl_mlp_destroy(m);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "rl: out of memory");
  }
  for (int l = 0; l < nlayers; l++) {
    double bound = 1.0 / sqrt((double)sizes[l]);
    size_t end = m->boff[l] + (size_t)sizes[l + 1];
    for (size_t i = m->woff[l]; i < end; i++)
      m->params[i] = (2.0 * ajpq_rl_rng_uniform(rng) - 1.0) * bound;
  }
  *out = m;
  return NULL;
}

void ajpq_rl_mlp_destroy(ajpq_rl_mlp_t *m) {
  if (!m)
    return;
  if (m->act)
    for (int l = 0; l <= m->nlayers; l++)
      free(m->act[l]);
  free(m->act);
  free(m->d0);
  free(m->d1);
  free(m->sizes);
  free(m->acts);
  free(m->woff);
  free(m->boff);
  free(m->params);
  free(m->grads);
  free(m);
}

int ajpq_rl_mlp_in_dim(const ajpq_rl_mlp_t *m) { return m->sizes[0]; }
int ajpq_rl_mlp_out_dim(const ajpq_rl_mlp_t *m) { return m->sizes[m->nlayers]; }
size_t ajpq_rl_mlp_num_params(const ajpq_rl_mlp_t *m) { return m->nparams; }
double *ajpq_rl_mlp_params(ajpq_rl_mlp_t *m) { return m->params; }
double *ajpq_rl_mlp_grads(ajpq_rl_mlp_t *m) { return m->grads; }

static bool reserve(ajpq_rl_mlp_t *m, int n) {
  if (n <= m->cap)
    return true;
  for (int l = 0; l <= m->nlayers; l++) {
    double *p = realloc(m->act[l], (size_t)n * (size_t)m->sizes[l] * sizeof(double));
    if (!p)
      return false;
    m->act[l] = p;
  }
  double *a = realloc(m->d0, (size_t)n * (size_t)m->maxw * sizeof(double));
  if (!a)
    return false;
  m->d0 = a;
  double *b = realloc(m->d1, (size_t)n * (size_t)m->maxw * sizeof(double));
  if (!b)
    return false;
  m->d1 = b;
  m->cap = n;
  return true;
}

ajpq_status_t ajpq_rl_mlp_forward(ajpq_rl_mlp_t *m, int n, const double *x, double *y) {
  if (n < 1 || n > 1000000)
    return ajpq_status_make(AJPQ_INVALID_ARGUMENT, "rl: batch %d out of range", n);
  if (!reserve(m, n))
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "rl: cannot allocate workspace for %d rows", n);
  memcpy(m->act[0], x, (size_t)n * (size_t)m->sizes[0] * sizeof(double));
  for (int l = 0; l < m->nlayers; l++) {
    int in = m->sizes[l], out = m->sizes[l + 1];
    const double *W = m->params + m->woff[l], *b = m->params + m->boff[l];
    double *z = m->act[l + 1];
    /* z = x W^T */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0, m->act[l], in, W, in, 0.0,
                z, out);
    /* bias + activation; one loop per activation so the compiler vectorises it */
    for (int i = 0; i < n; i++) {
      double *restrict row = z + (size_t)i * out;
      const double *restrict bb = b;
      switch (m->acts[l]) {
      case AJPQ_RL_ACT_RELU:
        for (int j = 0; j < out; j++) {
          double v = row[j] + bb[j];
          row[j] = v > 0 ? v : 0;
        }
        break;
      case AJPQ_RL_ACT_SIGMOID:
        for (int j = 0; j < out; j++)
          row[j] = 1.0 / (1.0 + exp(-(row[j] + bb[j])));
        break;
      default:
        for (int j = 0; j < out; j++)
          row[j] += bb[j];
        break;
      }
    }
  }
  if (y)
    memcpy(y, m->act[m->nlayers], (size_t)n * (size_t)m->sizes[m->nlayers] * sizeof(double));
  return NULL;
}

/* Backward pass; want_grads = false skips the weight/bias gradients (only ∂L/∂x). */
static void backward(ajpq_rl_mlp_t *m, int n, const double *dy, double *dx, bool want_grads) {
  double *d = m->d0, *dprev = m->d1;
  memcpy(d, dy, (size_t)n * (size_t)m->sizes[m->nlayers] * sizeof(double));
  for (int l = m->nlayers - 1; l >= 0; l--) {
    int in = m->sizes[l], out = m->sizes[l + 1];
    const double *a = m->act[l + 1];
    /* d ← ∂L/∂z (through the activation, using its output a) */
    size_t nd = (size_t)n * (size_t)out;
    if (m->acts[l] == AJPQ_RL_ACT_RELU) {
      for (size_t i = 0; i < nd; i++)
        d[i] = a[i] > 0 ? d[i] : 0;
    } else if (m->acts[l] == AJPQ_RL_ACT_SIGMOID) {
      for (size_t i = 0; i < nd; i++)
        d[i] *= a[i] * (1.0 - a[i]);
    }
    if (want_grads) {
      double *gW = m->grads + m->woff[l], *restrict gb = m->grads + m->boff[l];
      /* gW = d^T x  [out][in] */
      cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.0, d, out, m->act[l], in,
                  0.0, gW, in);
      for (int j = 0; j < out; j++)
        gb[j] = 0;
      for (int i = 0; i < n; i++) {
        const double *restrict di = d + (size_t)i * out;
        for (int j = 0; j < out; j++)
          gb[j] += di[j];
      }
    }
    if (l > 0 || dx) {
      /* dprev = d W  [n][in] */
      const double *W = m->params + m->woff[l];
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.0, d, out, W, in, 0.0,
                  dprev, in);
      double *t = d;
      d = dprev;
      dprev = t;
    }
  }
  if (dx)
    memcpy(dx, d, (size_t)n * (size_t)m->sizes[0] * sizeof(double));
}

void ajpq_rl_mlp_backward(ajpq_rl_mlp_t *m, int n, const double *dy, double *dx) {
  backward(m, n, dy, dx, true);
}

void ajpq_rl_mlp_backward_input(ajpq_rl_mlp_t *m, int n, const double *dy, double *dx) {
  backward(m, n, dy, dx, false);
}

void ajpq_rl_mlp_copy(ajpq_rl_mlp_t *dst, const ajpq_rl_mlp_t *src) {
  memcpy(dst->params, src->params, src->nparams * sizeof(double));
}

void ajpq_rl_mlp_soft_update(ajpq_rl_mlp_t *target, const ajpq_rl_mlp_t *src, double tau) {
  double *restrict t = target->params;
  const double *restrict s = src->params;
  for (size_t i = 0; i < src->nparams; i++)
    t[i] = tau * s[i] + (1.0 - tau) * t[i];
}

ajpq_status_t ajpq_rl_adam_init(ajpq_rl_adam_t *a, size_t n, double lr) {
  memset(a, 0, sizeof *a);
  a->lr = lr;
  a->beta1 = 0.9;
  a->beta2 = 0.999;
  a->eps = 1e-8;
  a->n = n;
  a->m = calloc(n ? n : 1, sizeof(double));
  a->v = calloc(n ? n : 1, sizeof(double));
  if (!a->m || !a->v) {
    ajpq_rl_adam_free(a);
    return ajpq_status_make(AJPQ_RESOURCE_EXHAUSTED, "rl: out of memory for Adam state");
  }
  return NULL;
}

void ajpq_rl_adam_step(ajpq_rl_adam_t *a, double *params, const double *grads) {
  a->t++;
  double c1 = 1.0 - pow(a->beta1, (double)a->t), c2 = 1.0 - pow(a->beta2, (double)a->t);
  /* restrict + local scalars: the loop vectorises (the search spends ~10 % of
   * its time here otherwise); IEEE sqrt/div are exact per lane, so the numbers
   * are the same as the scalar loop's */
  double *restrict m = a->m, *restrict v = a->v, *restrict p = params;
  const double *restrict gr = grads;
  const double b1 = a->beta1, b2 = a->beta2, lr = a->lr, eps = a->eps;
  const size_t n = a->n;
  for (size_t i = 0; i < n; i++) {
    double g = gr[i];
    double mi = b1 * m[i] + (1.0 - b1) * g;
    double vi = b2 * v[i] + (1.0 - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] -= lr * (mi / c1) / (sqrt(vi / c2) + eps);
  }
}

void ajpq_rl_adam_free(ajpq_rl_adam_t *a) {
  free(a->m);
  free(a->v);
  a->m = a->v = NULL;
  a->n = 0;
}
