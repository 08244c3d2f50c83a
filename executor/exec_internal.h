/* exec_internal.h — the executor's plan data structures (internal to executor/). */
#ifndef AJPQ_EXEC_INTERNAL_H
#define AJPQ_EXEC_INTERNAL_H

#include "ajpq_executor.h"
#include "kernels.h"

#define MAXR AJPQ_EXECUTOR_MAX_RANK
#define MAXIN 8

/* Element types of values inside a plan. */
enum { T_F32 = 0, T_I8, T_I32, T_I64, T_BOOL };

typedef struct {
  MlirValue v;
  int dt;
  int rank;
  int64_t ir[MAXR];   /* dims in the IR type */
  int64_t dims[MAXR]; /* planned dims (batch axis scaled) */
  int64_t numel;
  int bax;            /* batch axis, -1: not batched */
  void *cdata;        /* constant data (owned), or NULL */
  int alias;          /* value whose storage this one shares (reshape), or -1 */
  int first, last;    /* lifetime in step indices; inputs first = -1 */
  int64_t off;        /* arena offset (bytes) */
  void *ptr;          /* resolved storage */
} val_t;

enum {
  K_CONV, K_DWCONV, K_TCONV, K_FC, K_BMM, K_BIN, K_UN, K_CLAMP, K_SELECT, K_MAXPOOL, K_AVGPOOL,
  K_REDUCE, K_RESHAPE, K_TRANSPOSE, K_CONCAT, K_SLICE, K_PAD, K_TILE, K_RESIZE, K_CAST, K_COPY,
  K_QCONV, K_QFC, K_QUANT, K_DEQUANT, K_GATHER, K_SCATTER
};
enum { B_ADD, B_SUB, B_MUL, B_MAX, B_MIN, B_POW, B_GE, B_GT, B_EQ, B_DIV };
enum { U_EXP, U_LOG, U_SIGMOID, U_TANH, U_RECIP, U_ABS, U_NEG, U_RSQRT, U_FLOOR, U_CEIL, U_SQRT,
       U_ERF, U_SIN, U_COS };
enum { R_SUM, R_MAX, R_MIN, R_PROD };

typedef struct {
  int kind, sub;
  MlirOperation op;
  int in[MAXIN], nin, out;
  int64_t a[2 * MAXR + 4];
  float f[4];
  ajpq_conv_geom_t g;
  int64_t groups, mult;  /* conv grouping / channel multiplier */
  int64_t m, k, n;       /* fc / bmm geometry (m per planned batch) */
  float *w;              /* active weights: canonical [O][K] (conv, fc) or [KK][O] (dw) */
  float *w_orig;         /* original weights, canonical [O][K] */
  float *bias;           /* [O] or NULL */
  uint8_t *q;            /* ajpq codes [O][K] */
  float *scale, *zp;     /* ajpq per-channel */
  float sx;              /* ajpq input scale */
  int32_t zx;
  int32_t *idx;          /* gather/scatter indices */
  float *fill;
  int layer;             /* index into layers, -1 */
  bool fused;            /* a following tosa.clamp is applied in this step's epilogue */
  float lo, hi;          /* its bounds */
} step_t;

struct ajpq_executor_s {
  val_t *vals;
  int nvals, capvals;
  step_t *steps;
  int nsteps, capsteps;
  int nin, nout;
  int *in_vals, *out_vals;
  ajpq_executor_tensor_info_t *in_info, *out_info;
  char **names;
  ajpq_executor_layer_t *layers;
  int *layer_step;
  int nlayers;
  ajpq_executor_act_quant_t *aq;
  bool *aq_on;
  float *cal_min, *cal_max; /* during ajpq_executor_calibrate */
  const float *hist_lo, *hist_hi; /* during ajpq_executor_calibrate_hist */
  int hist_bins;
  uint64_t *hist;
  void (*obs_fn)(void *user, int layer, const float *x, int64_t n); /* ajpq_executor_observe */
  void *obs_user;
  int64_t obs_n;            /* valid samples in the current run */
  void *arena;
  size_t arena_bytes;
  float *col;               /* im2col scratch */
  size_t col_floats;
  float *aq_buf;            /* fake-quant scratch */
  size_t aq_floats;
  int64_t batch;            /* user batch */
  int64_t pbatch;           /* planned batch (1 in per-sample loop mode) */
  int threads;
  /* value lookup: open-addressing hash from MlirValue.ptr to index */
  const void **hkeys;
  int *hvals;
  int hcap;
};

#endif
